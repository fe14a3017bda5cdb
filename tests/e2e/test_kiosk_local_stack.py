"""Kiosk issuance end to end over HTTP: residents uploaded, a disaster's ledger built and surveyed through
the staff API, the signing key and seal set up, then a kiosk signs in a resident with a simulated My
Number card, lists what may be printed, orders, takes the document once and reports the print. The
local gateway runs the kiosk authorizer on every kiosk request, as API Gateway does; the certificate
generation worker runs behind the local queue poller."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from victim_support.kiosk.context import kiosk_context
from victim_support.kiosk.jpki_sim import SimulatedCA, SimulatedCard
from victim_support.kiosk.signing import sign_request

from infra.local.cli import main as cli_main
from infra.local.demo_flows import counter_certificate
from infra.local.kiosk_cards import install_trust, link_cards, make_cards, save_ca
from infra.local.kiosk_client import SESSIONS, KioskApiError, KioskClient
from infra.local.kiosk_simulator import load_card, print_certificate
from infra.local.provision import local_clients
from infra.local.staff_client import StaffApiClient

pytestmark = pytest.mark.e2e
MASHIKI = "434434"
KIOSK = "familymart-mashiki-0001"
REGISTRATION = {"population": 33_000, "pattern": "B", "uses_bcl_issuance_server": True, "start_month": "2026-04",
                "kiosk_issuance": True}
RESIDENTS = """person_id,household_id,name,name_kana,birth_date,sex,relationship,address,protected
1001,1,益城 太郎,マシキ タロウ,1970-03-12,1,世帯主,熊本県上益城郡益城町大字木山1番地,
1002,1,益城 花子,マシキ ハナコ,1972-05-01,2,妻,熊本県上益城郡益城町大字木山1番地,
2001,2,木山 一郎,キヤマ イチロウ,1950-01-20,1,世帯主,熊本県上益城郡益城町大字木山2番地,
3001,3,宮園 美咲,ミヤゾノ ミサキ,1985-07-07,2,世帯主,熊本県上益城郡益城町宮園5-6,1
5001,5,惣領 次郎,ソウリョウ ジロウ,1940-02-02,1,世帯主,熊本県上益城郡益城町惣領7番地,
"""
# After the ledger is built: 5001 moved out (or died), 4001 moved in (in no disaster's ledger).
DELTA = """person_id,household_id,name,name_kana,birth_date,sex,relationship,address,change_type,change_date
5001,5,惣領 次郎,ソウリョウ ジロウ,1940-02-02,1,世帯主,熊本県上益城郡益城町惣領7番地,remove,2026-05-01
4001,4,安永 三郎,ヤスナガ サブロウ,1990-09-09,1,世帯主,熊本県上益城郡益城町安永8番地,add,2026-05-01
"""
CHIYODA = "131016"  # 千代田区: registered for kiosks, one resident with a card linked there
NO_BCL = "141003"  # 横浜市: registered without BCL's issuance server


@dataclass
class Setup:
    stack: Any
    kiosk: KioskClient
    cards: dict[str, SimulatedCard]
    ca: SimulatedCA
    staff: StaffApiClient


def _wait_open(staff: StaffApiClient, disaster_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if staff._call("GET", f"/disasters/{disaster_id}")["status"] == "open":
            return
        time.sleep(0.2)
    raise TimeoutError("the ledger was not built")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    from infra.local.stack import LocalStack

    with LocalStack() as stack:
        operator = StaffApiClient(stack.api_url, stack.issue_token(None, groups=("operators",)))
        operator.register_municipality(MASHIKI, REGISTRATION)
        # All day, every day: this module may run at any hour; the hours have their own tests.
        operator._call("PUT", f"/municipalities/{MASHIKI}/kiosk-service",
                       {"opens": "00:00", "closes": "24:00", "closed_periods": []})
        registered = operator._call("PUT", f"/kiosks/{KIOSK}", {"operator": "FamilyMart", "store_name": "益城木山店",
                                                                 "location_code": MASHIKI})
        staff = StaffApiClient(stack.api_url, stack.issue_token(MASHIKI))

        residents = tmp_path_factory.mktemp("kiosk") / "住民.csv"
        residents.write_text(RESIDENTS, encoding="utf-8")
        ticket = staff.request_upload(residents, "full")
        staff.put_file(ticket, residents)
        assert staff.wait(ticket["upload_id"])["rows_stored"] == 5
        disaster = staff._call("POST", "/disasters", {"name": "令和8年益城町地震", "occurred_on": "2026-04-14",
                                                      "cause": "地震", "affected_areas": ["益城町全域"],
                                                      "relief_act_applies": True})
        _wait_open(staff, disaster["disaster_id"])
        delta = tmp_path_factory.mktemp("kiosk-delta") / "異動.csv"
        delta.write_text(DELTA, encoding="utf-8")
        ticket = staff.request_upload(delta, "delta")
        staff.put_file(ticket, delta)
        assert staff.wait(ticket["upload_id"])["status"] == "succeeded"
        staff._call("POST", f"/disasters/{disaster['disaster_id']}/commands", {
            "type": "record_survey", "command_id": "kiosk-e2e-survey-1", "household_id": "1", "round": "1次調査",
            "surveyor": "益城町 被害認定班A", "surveyed_on": "2026-04-20",
            "dwelling_address": "熊本県上益城郡益城町大字木山1番地", "completed": True, "damage_level": "全壊"})
        stack.wait_idle(60)
        counter = counter_certificate(stack, operator, staff, MASHIKI, disaster["disaster_id"], "1",
                                      tmp_path_factory.mktemp("counter"), lambda _: None)  # key and seal
        assert counter["number"]

        for code, registration in ((CHIYODA, REGISTRATION), (NO_BCL, {**REGISTRATION, "pattern": "A",
                                                                       "uses_bcl_issuance_server": False})):
            operator.register_municipality(code, registration)

        ca = SimulatedCA.create()
        cards = {person: ca.issue_card() for person in ("1001", "2001", "3001", "4001", "5001", "chiyoda")}
        clients = local_clients(stack.endpoint_url)
        install_trust(clients, stack.resources.buckets["jpki"], ca)
        link_cards(clients, stack.resources.tables["card_links"], MASHIKI,
                   {p: c for p, c in cards.items() if p != "chiyoda"})
        link_cards(clients, stack.resources.tables["card_links"], CHIYODA, {"1001": cards["chiyoda"]})
        yield Setup(stack, KioskClient(stack.api_url, KIOSK, registered["secret"]), cards, ca, staff)


def _code(error: pytest.ExceptionInfo[KioskApiError]) -> tuple[int, str | None]:
    return error.value.status, error.value.code


def test_a_resident_signs_in_at_the_kiosk_and_sees_the_certificates_with_prices(setup: Setup) -> None:
    session = setup.kiosk.open_session(MASHIKI)
    authenticated = setup.kiosk.authenticate(session, setup.cards["1001"])
    assert authenticated["status"] == "authenticated"
    listed = setup.kiosk.certificates(session["session_id"])
    assert [(c["kind"], c["price_per_copy_yen"]) for c in listed["certificates"]] == [("risai", 10), ("higai", 10)]


def test_an_unsurveyed_household_gets_the_higai_certificate_only(setup: Setup) -> None:
    session_id = setup.kiosk.sign_in(MASHIKI, setup.cards["2001"])
    assert [c["kind"] for c in setup.kiosk.certificates(session_id)["certificates"]] == ["higai"]


def test_a_protected_resident_gets_the_neutral_refusal(setup: Setup) -> None:
    session = setup.kiosk.open_session(MASHIKI)
    with pytest.raises(KioskApiError) as refused:
        setup.kiosk.authenticate(session, setup.cards["3001"])
    assert _code(refused) == (403, "KIOSK_NOT_AVAILABLE")


def test_the_gateway_refuses_unsigned_replayed_altered_stale_and_unknown_requests(setup: Setup) -> None:
    kiosk, url = setup.kiosk, setup.kiosk.base_url + SESSIONS
    unsigned = kiosk.http.post(url, json={"municipality_code": MASHIKI}, timeout=10)
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "UNAUTHORIZED")

    body = b'{"municipality_code":"434434"}'
    headers = {**sign_request(KIOSK, kiosk.secret, "POST", SESSIONS, body), "Content-Type": "application/json"}
    assert kiosk.http.post(url, data=body, headers=headers, timeout=10).status_code == 201
    replay = kiosk.http.post(url, data=body, headers=headers, timeout=10)
    assert (replay.status_code, replay.json()["code"]) == (403, "KIOSK_REPLAY")

    altered = kiosk.send("POST", SESSIONS, {"municipality_code": MASHIKI}, tamper=b'{"municipality_code":"131016"}')
    assert (altered.status_code, altered.json()["code"]) == (403, "KIOSK_SIGNATURE_INVALID")

    stale = kiosk.send("POST", SESSIONS, {"municipality_code": MASHIKI},
                       headers={"X-Kiosk-Timestamp": str(int(time.time()) - 600)})
    assert (stale.status_code, stale.json()["code"]) == (403, "KIOSK_REQUEST_EXPIRED")

    stranger = KioskClient(kiosk.base_url, "unknown-kiosk-9999", kiosk.secret)
    with pytest.raises(KioskApiError) as refused:
        stranger.open_session(MASHIKI)
    assert _code(refused) == (403, "KIOSK_UNKNOWN")


def test_a_disabled_kiosk_is_refused_over_http(setup: Setup, tmp_path: Path) -> None:
    operator = StaffApiClient(setup.stack.api_url, setup.stack.issue_token(None, groups=("operators",)))
    second = operator._call("PUT", "/kiosks/familymart-mashiki-0002", {
        "operator": "FamilyMart", "store_name": "益城宮園店", "location_code": MASHIKI})
    kiosk = KioskClient(setup.stack.api_url, "familymart-mashiki-0002", second["secret"])
    assert kiosk.open_session(MASHIKI)["session_id"]
    operator._call("PUT", "/kiosks/familymart-mashiki-0002", {
        "operator": "FamilyMart", "store_name": "益城宮園店", "location_code": MASHIKI, "enabled": False})
    with pytest.raises(KioskApiError) as refused:
        kiosk.open_session(MASHIKI)
    assert _code(refused) == (403, "KIOSK_DISABLED")


# --- Issuance -------------------------------------------------------------------------------------------

def test_the_simulator_prints_a_risai_certificate_handed_out_once(setup: Setup, tmp_path: Path) -> None:
    printed = print_certificate(setup.kiosk, setup.cards["1001"], MASHIKI, kind="risai", out=tmp_path,
                                poll_interval_s=0.05)
    assert (printed.outcome, printed.total_yen, printed.copies) == ("printed", 10, 1)
    assert printed.pdf is not None and printed.pdf.read_bytes().startswith(b"%PDF")
    certificate = setup.staff._call("GET", f"/certificates/{printed.certificate_number}")
    assert (certificate["status"], certificate["kind"]) == ("issued", "risai")
    with pytest.raises(KioskApiError) as refused:
        setup.kiosk.issuance(printed.issuance_id)
    assert _code(refused) == (409, "KIOSK_DOCUMENT_ALREADY_HANDED_OUT")


def test_an_issuance_retried_with_its_key_is_answered_once_and_charged_once(setup: Setup) -> None:
    session_id = setup.kiosk.sign_in(MASHIKI, setup.cards["2001"])
    option = setup.kiosk.certificates(session_id)["certificates"][0]
    assert option["kind"] == "higai"
    first = setup.kiosk.send("POST", "/kiosk/v1/issuances", {
        "session_id": session_id, "option_id": option["option_id"], "copies": 2,
        "quote": {"price_per_copy_yen": 10, "total_yen": 20}}, headers={"Idempotency-Key": "e2e-retry-key-0001"})
    again = setup.kiosk.send("POST", "/kiosk/v1/issuances", {
        "session_id": session_id, "option_id": option["option_id"], "copies": 2,
        "quote": {"price_per_copy_yen": 10, "total_yen": 20}}, headers={"Idempotency-Key": "e2e-retry-key-0001"})
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = setup.kiosk.send("POST", "/kiosk/v1/issuances", {
        "session_id": session_id, "option_id": option["option_id"], "copies": 1,
        "quote": {"price_per_copy_yen": 10, "total_yen": 10}}, headers={"Idempotency-Key": "e2e-retry-key-0001"})
    assert (other.status_code, other.json()["code"]) == (409, "KIOSK_IDEMPOTENCY_KEY_REUSED")
    issuance_id = first.json()["issuance_id"]
    deadline = time.monotonic() + 60
    state = setup.kiosk.issuance(issuance_id)
    while state["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
        state = setup.kiosk.issuance(issuance_id)
    assert state["status"] == "ready" and state["copies"] == 2
    assert setup.kiosk.report(issuance_id, "printed")["charged_yen"] == 20


def test_a_failed_print_is_not_charged_and_its_certificate_is_revoked(setup: Setup) -> None:
    printed = print_certificate(setup.kiosk, setup.cards["1001"], MASHIKI, kind="risai", fail="PAPER_JAM",
                                poll_interval_s=0.05)
    assert (printed.outcome, printed.total_yen, printed.pdf) == ("failed", 0, None)
    certificate = setup.staff._call("GET", f"/certificates/{printed.certificate_number}")
    assert certificate["status"] == "revoked"


def test_the_kiosk_command_walks_the_flow_with_a_card_file(setup: Setup, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    save_ca(setup.ca, tmp_path)
    path = make_cards(tmp_path, MASHIKI, ["1002"])["1002"]
    card, municipality = load_card(path)
    assert municipality == MASHIKI
    link_cards(local_clients(setup.stack.endpoint_url), setup.stack.resources.tables["card_links"], MASHIKI,
               {"1002": card})
    code = cli_main(["kiosk", "--card", str(path), "--endpoint", setup.stack.api_url, "--kiosk-id", KIOSK,
                     "--secret", setup.kiosk.secret, "--out", str(tmp_path / "printed")])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"] == "printed" and Path(summary["pdf"]).read_bytes().startswith(b"%PDF")


# --- Every refusal, over HTTP -------------------------------------------------------------------------

def _refused(call: Any) -> tuple[int, str | None]:
    with pytest.raises(KioskApiError) as refused:
        call()
    return _code(refused)


def test_cards_that_cannot_be_trusted_are_refused_over_http(setup: Setup) -> None:
    kiosk = setup.kiosk
    stranger = SimulatedCA.create("Another CA").issue_card()
    expired = setup.ca.issue_card(not_before=datetime.now(UTC) - timedelta(days=400),
                                  not_after=datetime.now(UTC) - timedelta(days=1))
    for card, expected in ((stranger, (401, "KIOSK_CARD_UNTRUSTED")), (expired, (401, "KIOSK_CARD_EXPIRED"))):
        session = kiosk.open_session(MASHIKI)
        assert _refused(lambda: kiosk.authenticate(session, card)) == expected  # noqa: B023

    session = kiosk.open_session(MASHIKI)
    body = {"certificate": setup.cards["1001"].certificate_b64, "signature": setup.cards["1001"].sign("another nonce")}
    assert _refused(lambda: kiosk.call("POST", f"{SESSIONS}/{session['session_id']}/authenticate", body)) == (
        401, "KIOSK_NONCE_SIGNATURE_INVALID")


def test_a_revoked_card_is_refused_over_http(setup: Setup) -> None:
    revoked = setup.ca.issue_card()
    clients = local_clients(setup.stack.endpoint_url)
    link_cards(clients, setup.stack.resources.tables["card_links"], MASHIKI, {"1002": revoked})
    install_trust(clients, setup.stack.resources.buckets["jpki"], setup.ca, revoked=(revoked.serial,))
    kiosk_context().trust.invalidate()  # the handlers run in this process: re-read the CRL now, not in minutes
    try:
        session = setup.kiosk.open_session(MASHIKI)
        assert _refused(lambda: setup.kiosk.authenticate(session, revoked)) == (401, "KIOSK_CARD_REVOKED")
    finally:
        install_trust(clients, setup.stack.resources.buckets["jpki"], setup.ca)
        kiosk_context().trust.invalidate()


def test_residents_who_may_not_print_are_refused_over_http(setup: Setup) -> None:
    kiosk = setup.kiosk
    moved_out = kiosk.open_session(MASHIKI)
    assert _refused(lambda: kiosk.authenticate(moved_out, setup.cards["5001"])) == (403, "KIOSK_NOT_AVAILABLE")
    newcomer = kiosk.sign_in(MASHIKI, setup.cards["4001"])  # resident now, in no disaster's ledger
    assert _refused(lambda: kiosk.certificates(newcomer)) == (404, "KIOSK_NOTHING_TO_PRINT")
    other_town = kiosk.open_session(MASHIKI)  # a card linked to a resident of 千代田区
    assert _refused(lambda: kiosk.authenticate(other_town, setup.cards["chiyoda"])) == (401, "KIOSK_CARD_NOT_LINKED")


def test_municipalities_that_do_not_serve_kiosks_now_are_refused_over_http(setup: Setup) -> None:
    assert _refused(lambda: setup.kiosk.open_session(NO_BCL)) == (403, "KIOSK_BCL_SERVER_REQUIRED")
    operator = StaffApiClient(setup.stack.api_url, setup.stack.issue_token(None, groups=("operators",)))
    now = datetime.now(UTC)
    operator._call("PUT", f"/municipalities/{CHIYODA}/kiosk-service", {
        "opens": "00:00", "closes": "24:00", "closed_periods": [],
        "maintenance": [{"starts_at": (now - timedelta(minutes=5)).isoformat(),
                         "ends_at": (now + timedelta(hours=1)).isoformat(), "note": "system update"}]})
    assert _refused(lambda: setup.kiosk.open_session(CHIYODA)) == (403, "KIOSK_OUT_OF_HOURS")
