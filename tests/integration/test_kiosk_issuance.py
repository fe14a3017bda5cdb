"""Kiosk issuance on moto: a signed-in resident asks for a certificate, the generation worker makes it,
the kiosk takes the document once and reports the print; the charge follows what the printer did.
Through ``lambda_handler`` with the sample events of ``events/kiosk_issuance``."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import timedelta
from typing import Any

import pypdf
import pytest
from victim_support import wiring
from victim_support.certificates.signing import verify_pdf
from victim_support.clock import utc_now
from victim_support.kiosk.context import kiosk_context
from victim_support.kiosk.issuance import HIGAI_AFFECTED
from victim_support.ledger.repository import household_item

from functions.kiosk_issuance.handler import lambda_handler as kiosk_api
from tests.integration.conftest import CHIYODA, MASHIKI, Cloud
from tests.integration.lambda_context import FakeContext
from tests.integration.test_certificates import generate, register_seal, seal_png, signing_key
from tests.integration.test_kiosk import (
    KIOSK,
    OPEN_DISASTER,
    OTHER_KIOSK,
    World,
    build_world,
    kiosk_event,
    refusal,
    sample,
    signed_in,
)

RISAI = f"risai:{OPEN_DISASTER}"
HIGAI = f"higai:{OPEN_DISASTER}"


def ready_to_certify(code: str = MASHIKI) -> None:
    """The municipality's signing key and seal: what every certificate needs besides the ledger."""
    status, body = signing_key(code)
    assert status == 201, body
    status, body = register_seal(seal_png(), code=code)
    assert status == 200, body


@pytest.fixture
def world(cloud: Cloud) -> World:
    """Kiosk-ready municipalities without a signing key or seal yet."""
    return build_world(cloud)


@pytest.fixture
def shop(world: World) -> World:
    """The same, ready to certify: Mashiki (free certificates) and Chiyoda (300 yen)."""
    ready_to_certify(MASHIKI)
    ready_to_certify(CHIYODA)
    return world


def event(name: str, *, body: Any = None, issuance_id: str | None = None, kiosk_id: str = KIOSK,
          key: str | None = "kiosk-purchase-0001") -> dict[str, Any]:
    built = kiosk_event(name, body=body, kiosk_id=kiosk_id,
                        path_params={"issuance_id": issuance_id} if issuance_id is not None else None)
    if key is None:
        built["headers"].pop("Idempotency-Key", None)
    elif name == "post_issuance":
        built["headers"]["Idempotency-Key"] = key
    built.pop("multiValueHeaders", None)
    return built


def call(built: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
    response = kiosk_api(built, FakeContext())
    headers = {**(response.get("headers") or {}),
               **{k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}}
    return response["statusCode"], json.loads(response["body"]), headers


def order(session_id: str, option_id: str = RISAI, copies: int = 1, price: int = 10, *,
          key: str = "kiosk-purchase-0001", kiosk_id: str = KIOSK) -> tuple[int, Any, dict[str, str]]:
    body = {"session_id": session_id, "option_id": option_id, "copies": copies,
            "quote": {"price_per_copy_yen": price, "total_yen": price * copies}}
    return call(event("post_issuance", body=body, key=key, kiosk_id=kiosk_id))


def fetch(issuance_id: str, *, kiosk_id: str = KIOSK) -> tuple[int, Any]:
    status, body, _ = call(event("get_issuance", issuance_id=issuance_id, kiosk_id=kiosk_id))
    return status, body


def report(issuance_id: str, outcome: str, failure_code: str | None = None) -> tuple[int, Any]:
    body: dict[str, Any] = {"outcome": outcome}
    if failure_code:
        body["failure_code"] = failure_code
    status, answer, _ = call(event("post_result", issuance_id=issuance_id, body=body))
    return status, answer


def accepted(session_id: str, **kwargs: Any) -> str:
    status, body, _ = order(session_id, **kwargs)
    assert status == 202, body
    return str(body["issuance_id"])


def records(code: str = MASHIKI) -> list[Any]:
    now = utc_now()
    return list(wiring.issuances().month(code, now.year, now.month))


def audit_actions(code: str = MASHIKI) -> list[str]:
    return [e["action"] for e in wiring.audit().events(code, limit=500)]


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


# --- The whole flow ---------------------------------------------------------------------------------

def test_a_resident_prints_a_risai_certificate_and_the_copies_are_charged_once(cloud: Cloud, shop: World) -> None:
    session_id = signed_in(shop, MASHIKI, "1001")
    status, body, headers = order(session_id, copies=2)
    assert status == 202 and body["status"] == "pending" and body["total_yen"] == 20
    assert headers["Idempotent-Replayed"] == "false"
    issuance_id = body["issuance_id"]
    assert issuance_id.startswith(f"{MASHIKI}-")

    status, state = fetch(issuance_id)
    assert (status, state["status"]) == (200, "pending") and state["retry_after_ms"] > 0
    assert records() == []  # nothing charged before the document exists

    assert generate(cloud) == 1
    assert records() == []  # nor before the kiosk takes it
    status, state = fetch(issuance_id)
    assert (status, state["status"], state["content_type"]) == (200, "ready", "application/pdf"), state
    pdf = base64.b64decode(state["document_base64"])
    assert hashlib.sha256(pdf).hexdigest() == state["document_sha256"]
    assert verify_pdf(pdf, [wiring.signing_keys().certificate(MASHIKI)]).valid
    assert state["certificate_number"] in text_of(pdf) and "罹災証明書" in text_of(pdf)

    (record,) = records()
    assert (record.channel, record.copies, record.status) == ("kiosk", 2, "issued")
    assert (record.certificate_fee_yen, record.resident_print_fee_yen, record.municipality_consignment_yen) == (
        0, 10, 107)
    household = wiring.ledger().get_household(MASHIKI, OPEN_DISASTER, "1")
    assert household is not None and household.certificate == "issued"

    assert refusal(fetch(issuance_id)) == (409, "KIOSK_DOCUMENT_ALREADY_HANDED_OUT")
    status, result = report(issuance_id, "printed")
    assert (status, result["status"], result["charged_yen"]) == (200, "printed", 20)
    assert report(issuance_id, "printed") == (200, result)  # the same report again: the same answer
    assert refusal(report(issuance_id, "failed")) == (409, "KIOSK_RESULT_ALREADY_RECORDED")
    assert [r.status for r in records()] == ["issued"]
    actions = audit_actions()
    for action in ("kiosk.issuance_requested", "certificate.requested", "certificate.issued", "kiosk.handed_out",
                   "kiosk.printed"):
        assert actions.count(action) == 1, action


def test_a_higai_certificate_certifies_the_person(cloud: Cloud, shop: World) -> None:
    issuance_id = accepted(signed_in(shop, MASHIKI, "2001"), option_id=HIGAI)
    generate(cloud)
    status, state = fetch(issuance_id)
    assert status == 200 and state["status"] == "ready", state
    text = text_of(base64.b64decode(state["document_base64"]))
    assert "被災証明書" in text and HIGAI_AFFECTED.replace("（", "").split("被災")[0] in text


def test_a_municipality_that_charges_gets_its_fee_and_the_whole_consignment_fee(cloud: Cloud, shop: World) -> None:
    issuance_id = accepted(signed_in(shop, CHIYODA, "1001"), price=300)
    generate(cloud)
    assert fetch(issuance_id)[1]["status"] == "ready"
    (record,) = records(CHIYODA)
    assert (record.certificate_fee_yen, record.resident_print_fee_yen, record.municipality_consignment_yen) == (
        300, 0, 117)


# --- Idempotency --------------------------------------------------------------------------------------

def test_the_same_idempotency_key_is_answered_with_the_first_result_and_charged_once(cloud: Cloud,
                                                                                      shop: World) -> None:
    session_id = signed_in(shop, MASHIKI, "1001")
    status, first, _ = order(session_id)
    assert status == 202
    status, again, headers = order(session_id)
    assert (status, again, headers["Idempotent-Replayed"]) == (202, first, "true")
    assert generate(cloud) == 1  # one certificate request only
    assert fetch(first["issuance_id"])[1]["status"] == "ready"
    status, after, _ = order(session_id)  # even after hand-out: the first acceptance, nothing new
    assert (status, after) == (202, first)
    assert generate(cloud) == 0
    assert len(records()) == 1


def test_the_same_key_with_another_body_is_refused(cloud: Cloud, shop: World) -> None:
    session_id = signed_in(shop, MASHIKI, "1001")
    assert order(session_id)[0] == 202
    status, body, _ = order(session_id, copies=3)
    assert (status, body["code"]) == (409, "KIOSK_IDEMPOTENCY_KEY_REUSED")


@pytest.mark.parametrize("key", [None, "short", "has spaces in it", "x" * 65])
def test_an_issuance_needs_a_well_formed_idempotency_key(cloud: Cloud, shop: World, key: str | None) -> None:
    session_id = signed_in(shop, MASHIKI, "1001")
    body = {"session_id": session_id, "option_id": RISAI, "copies": 1,
            "quote": {"price_per_copy_yen": 10, "total_yen": 10}}
    built = event("post_issuance", body=body, key=key)
    if key is None:
        built["headers"].pop("Idempotency-Key", None)
    status, answer, _ = call(built)
    assert (status, answer["code"]) == (400, "KIOSK_IDEMPOTENCY_KEY_REQUIRED")


def test_two_kiosks_may_use_the_same_key_for_different_issuances(cloud: Cloud, shop: World) -> None:
    first = accepted(signed_in(shop, MASHIKI, "1001"))
    status, session, _ = call(event("post_session", body={"municipality_code": MASHIKI}, kiosk_id=OTHER_KIOSK))
    assert status == 201
    card = shop.card(MASHIKI, "2001")
    status, _, _ = call(event("post_authenticate", kiosk_id=OTHER_KIOSK, body={
        "certificate": card.certificate_b64, "signature": card.sign(session["nonce"])}) | {
        "pathParameters": {"session_id": session["session_id"]},
        "path": f"/kiosk/v1/sessions/{session['session_id']}/authenticate"})
    assert status == 200
    second = accepted(session["session_id"], option_id=HIGAI, kiosk_id=OTHER_KIOSK)
    assert first != second


# --- What is refused ----------------------------------------------------------------------------------

def test_a_stale_quote_or_an_option_the_resident_may_not_print_is_refused(cloud: Cloud, shop: World) -> None:
    session_id = signed_in(shop, MASHIKI, "2001")  # household 2 is not surveyed: no 罹災証明書
    status, body, _ = order(session_id, option_id=RISAI)
    assert (status, body["code"]) == (409, "KIOSK_OPTION_NOT_AVAILABLE")
    status, body, _ = order(session_id, option_id=HIGAI, price=0, key="kiosk-purchase-0002")
    assert (status, body["code"]) == (409, "KIOSK_QUOTE_MISMATCH")
    assert generate(cloud) == 0


def test_a_resident_protected_after_signing_in_is_refused_neutrally(cloud: Cloud, shop: World) -> None:
    session_id = signed_in(shop, MASHIKI, "1001")
    ledger = wiring.ledger()
    household = ledger.get_household(MASHIKI, OPEN_DISASTER, "1")
    assert household is not None
    cloud.clients.dynamodb.put_item(TableName=cloud.provisioned.tables["ledger"], Item=household_item(
        MASHIKI, OPEN_DISASTER, household.model_copy(update={"protected": True})))
    status, body, _ = order(session_id)
    assert (status, body["code"]) == (403, "KIOSK_NOT_AVAILABLE")
    assert generate(cloud) == 0


def test_an_unauthenticated_or_foreign_session_cannot_order(cloud: Cloud, shop: World) -> None:
    status, session, _ = call(event("post_session", body={"municipality_code": MASHIKI}))
    assert status == 201
    assert refusal(order(session["session_id"])[:2]) == (409, "KIOSK_SESSION_NOT_AUTHENTICATED")
    session_id = signed_in(shop, MASHIKI, "1001")
    assert refusal(order(session_id, kiosk_id=OTHER_KIOSK)[:2]) == (404, "KIOSK_SESSION_NOT_FOUND")


def test_another_kiosk_cannot_fetch_or_settle_an_issuance(cloud: Cloud, shop: World) -> None:
    issuance_id = accepted(signed_in(shop, MASHIKI, "1001"))
    generate(cloud)
    assert refusal(fetch(issuance_id, kiosk_id=OTHER_KIOSK)) == (404, "KIOSK_ISSUANCE_NOT_FOUND")
    assert fetch(issuance_id)[1]["status"] == "ready"


def test_without_a_signing_key_the_issuance_is_refused_and_stays_refused(cloud: Cloud, world: World) -> None:
    session_id = signed_in(world, MASHIKI, "1001")
    status, body, _ = order(session_id)
    assert (status, body["code"]) == (409, "KIOSK_ISSUANCE_REFUSED")
    status, body, _ = order(session_id)  # the retry gets the same answer
    assert (status, body["code"]) == (409, "KIOSK_ISSUANCE_REFUSED")
    events = [e for e in wiring.audit().events(MASHIKI, limit=500) if e["action"] == "kiosk.issuance_refused"]
    assert [e["reason"] for e in events] == ["CERTIFICATE_SIGNING_KEY_MISSING"]


def test_a_certificate_the_worker_refuses_is_answered_neutrally(cloud: Cloud, shop: World) -> None:
    issuance_id = accepted(signed_in(shop, MASHIKI, "1001"))
    ledger_table = cloud.provisioned.tables["ledger"]
    household = wiring.ledger().get_household(MASHIKI, OPEN_DISASTER, "1")
    assert household is not None
    cloud.clients.dynamodb.put_item(TableName=ledger_table, Item=household_item(
        MASHIKI, OPEN_DISASTER, household.model_copy(update={"damage_level": None})))  # the survey withdrawn
    generate(cloud)
    status, state = fetch(issuance_id)
    assert (status, state["status"], state["code"]) == (200, "refused", "KIOSK_ISSUANCE_REFUSED")
    assert state["document_base64"] is None and records() == []


# --- Results --------------------------------------------------------------------------------------------

def test_a_failed_print_voids_the_charge_and_revokes_the_certificate(cloud: Cloud, shop: World) -> None:
    issuance_id = accepted(signed_in(shop, MASHIKI, "1001"))
    generate(cloud)
    number = fetch(issuance_id)[1]["certificate_number"]
    status, result = report(issuance_id, "failed", "PAPER_JAM")
    assert (status, result["status"], result["charged_yen"]) == (200, "failed", 0)
    (record,) = records()
    assert record.status == "voided"
    certificate = wiring.certificate_store().get_certificate(MASHIKI, number)
    assert certificate is not None and certificate.status == "revoked"
    assert certificate.revoke_reason == "コンビニ交付の印刷失敗 (PAPER_JAM)"
    assert refusal(report(issuance_id, "printed")) == (409, "KIOSK_RESULT_ALREADY_RECORDED")


def test_a_kiosk_may_abandon_an_issuance_before_the_document_is_ready(cloud: Cloud, shop: World) -> None:
    issuance_id = accepted(signed_in(shop, MASHIKI, "1001"))
    assert refusal(report(issuance_id, "printed")) == (409, "KIOSK_ISSUANCE_NOT_READY")
    status, result = report(issuance_id, "failed", "CANCELLED")
    assert (status, result["charged_yen"]) == (200, 0)
    generate(cloud)
    assert refusal(fetch(issuance_id)) == (409, "KIOSK_RESULT_ALREADY_RECORDED")
    assert records() == []


def test_the_document_waits_for_a_live_session_but_the_result_does_not(cloud: Cloud, shop: World,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    issuance_id = accepted(signed_in(shop, MASHIKI, "1001"))
    generate(cloud)
    later = utc_now() + timedelta(minutes=10)
    monkeypatch.setattr(kiosk_context(), "clock", lambda: later)
    assert refusal(fetch(issuance_id)) == (410, "KIOSK_SESSION_EXPIRED")
    status, result = report(issuance_id, "failed", "SESSION_TIMEOUT")
    assert (status, result["charged_yen"]) == (200, 0)
    assert records() == []


def test_the_sample_issuance_events_carry_the_hash_of_their_bodies() -> None:
    for name in ("post_issuance", "get_issuance", "post_result"):
        built = sample(f"kiosk_issuance/{name}.json")
        assert built["headers"]["X-Kiosk-Content-SHA256"] == hashlib.sha256(
            (built["body"] or "").encode()).hexdigest(), name
