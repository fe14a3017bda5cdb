"""The committed OpenAPI document is the one the resolver generates."""

from __future__ import annotations

import json

from functions.staff_api.openapi import DOCUMENT, render


def test_committed_openapi_document_matches_the_routes() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "stale: run `python -m functions.staff_api.openapi`"
    )


def test_openapi_document_covers_every_topology_route_of_the_staff_api() -> None:
    from infra.topology import TOPOLOGY

    paths = json.loads(render())["paths"]
    for route in TOPOLOGY.routes:
        if route.function == "staff_api":
            assert route.method.lower() in paths[route.path], f"{route.method} {route.path}"
