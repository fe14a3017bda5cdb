"""The kiosk API's committed OpenAPI document is the one its resolver generates."""

from __future__ import annotations

import json

from functions.kiosk_issuance.openapi import DOCUMENT, SIGNING_HEADERS, render


def test_committed_kiosk_openapi_document_matches_the_routes() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "stale: run `python -m functions.kiosk_issuance.openapi`"
    )


def test_kiosk_openapi_document_covers_every_kiosk_route_and_requires_every_signing_header() -> None:
    from infra.topology import TOPOLOGY

    document = json.loads(render())
    for route in TOPOLOGY.routes:
        if route.function == "kiosk_issuance":
            assert route.method.lower() in document["paths"][route.path], f"{route.method} {route.path}"
    assert document["security"] == [{name: [] for name in SIGNING_HEADERS}]
    schemes = document["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == set(TOPOLOGY.request_authorizer("kiosk").identity_headers)
