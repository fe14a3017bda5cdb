"""Kiosk issuance on moto: the operator's kiosk routes, the kiosk authorizer, and the kiosk API's
sessions, card authentication and printable certificates through ``lambda_handler`` with the sample
events of ``events/kiosk_issuance`` and ``events/kiosk_authorizer``."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from victim_support.aws import AwsClients
from victim_support.damage import DamageLevel
from victim_support.errors import CATALOG
from victim_support.intake.rows import ResidentRecord
from victim_support.kiosk.context import KioskContext, kiosk_context
from victim_support.kiosk.jpki import publish_trust
from victim_support.kiosk.jpki_sim import SimulatedCA, SimulatedCard
from victim_support.kiosk.links import CardLinks, link_card
from victim_support.kiosk.models import CardAuthentication, SessionRequest
from victim_support.kiosk.printable import list_printable
from victim_support.kiosk.sessions import authenticate, open_session
from victim_support.kiosk.signing import sign_request
from victim_support.ledger.models import Disaster, Household, Person
from victim_support.ledger.repository import LedgerRepository, household_item, person_item
from victim_support.residents.repository import REMOVED, resident_item
from victim_support.settings import get_settings
from victim_support.tenants.models import MunicipalityRegistration
from victim_support.tenants.repository import TenantRepository
from victim_support.tenants.service import register_municipality

from functions.kiosk_issuance.authorizer import lambda_handler as authorizer
from functions.kiosk_issuance.handler import lambda_handler as kiosk_api
from functions.staff_api.handler import lambda_handler as staff_api
from tests.integration.conftest import CHIYODA, MASHIKI, Cloud
from tests.integration.lambda_context import FakeContext
from tests.integration.staff_events import call_staff, staff_event

EVENTS = Path(__file__).resolve().parents[2] / "events"
YOKOHAMA, SAPPORO = "141003", "011002"
KIOSK, OTHER_KIOSK = "lawson-kumamoto-0001", "seven-kumamoto-0002"
OPEN_DISASTER, CLOSED_DISASTER = "D20240101-0a0a", "D20230601-0b0b"
AT = "2024-01-02T00:00:00Z"
ALL_DAY = {"opens": "00:00", "closes": "24:00", "closed_periods": []}


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


# --- The staff API as the operator ----------------------------------------------------------------

def operator_call(method: str, resource: str, params: dict[str, str], body: Any = None) -> tuple[int, Any]:
    return call_staff(staff_event(method, resource, params, code=None, body=body))


def register_kiosk(kiosk_id: str, **changes: Any) -> tuple[int, Any]:
    body = {"operator": "Lawson", "store_name": "ローソン益城木山店", "location_code": MASHIKI, **changes}
    return operator_call("PUT", "/kiosks/{kiosk_id}", {"kiosk_id": kiosk_id}, body)


def set_hours(code: str, service: dict[str, Any]) -> None:
    status, body = operator_call("PUT", "/municipalities/{code}/kiosk-service", {"code": code}, service)
    assert status == 200, body


# --- The kiosk API --------------------------------------------------------------------------------

def kiosk_event(name: str, *, session_id: str | None = None, body: Any = None, kiosk_id: str = KIOSK,
                path_params: dict[str, str] | None = None) -> dict[str, Any]:
    """The sample ``name`` as the authorizer passes it on: path parameters filled in, the body and its
    content hash, the kiosk's claims."""
    event = copy.deepcopy(sample(f"kiosk_issuance/{name}.json"))
    params = {**({"session_id": session_id} if session_id is not None else {}), **(path_params or {})}
    if params:
        event["pathParameters"] = params
        event["path"] = event["resource"]
        for param, value in params.items():
            event["path"] = event["path"].replace("{" + param + "}", value)
    if body is not None:
        event["body"] = json.dumps(body, ensure_ascii=False)
    raw = (event["body"] or "").encode("utf-8")
    event["headers"]["X-Kiosk-Content-SHA256"] = hashlib.sha256(raw).hexdigest()
    event["requestContext"]["authorizer"].update(principalId=kiosk_id, kiosk_id=kiosk_id)
    return event


def call(event: dict[str, Any]) -> tuple[int, Any]:
    response = kiosk_api(event, FakeContext())
    return response["statusCode"], json.loads(response["body"])


def open_(code: str = MASHIKI, *, kiosk_id: str = KIOSK) -> tuple[int, Any]:
    return call(kiosk_event("post_session", body={"municipality_code": code}, kiosk_id=kiosk_id))


def new_session(code: str = MASHIKI) -> dict[str, Any]:
    status, session = open_(code)
    assert status == 201, session
    return session  # type: ignore[no-any-return]


def authenticate_card(session: dict[str, Any], card: SimulatedCard, *, signed_nonce: str | None = None,
                      kiosk_id: str = KIOSK) -> tuple[int, Any]:
    body = {"certificate": card.certificate_b64, "signature": card.sign(signed_nonce or session["nonce"])}
    return call(kiosk_event("post_authenticate", session_id=session["session_id"], body=body, kiosk_id=kiosk_id))


def certificates(session_id: str, *, kiosk_id: str = KIOSK) -> tuple[int, Any]:
    return call(kiosk_event("get_certificates", session_id=session_id, kiosk_id=kiosk_id))


# --- Data ------------------------------------------------------------------------------------------

def resident(pid: str, household: str, *, protected: bool = False) -> ResidentRecord:
    return ResidentRecord(person_id=pid, household_id=household, name="益城　太郎", name_kana="マシキ　タロウ",
                          birth_date="1970-03-12", sex="1", relationship="世帯主", postal_code=None,
                          address="熊本県上益城郡益城町大字木山1番地", address_extra=None, phone=None, care_needs=[],
                          protected=protected, change_type=None, change_date=None)


@dataclass
class World:
    ca: SimulatedCA
    cards: dict[str, SimulatedCard]  # "<code>/<person id>" → card
    secret: str
    cloud: Cloud

    def card(self, code: str, person_id: str) -> SimulatedCard:
        return self.cards[f"{code}/{person_id}"]

    def publish_crl(self, revoked: tuple[int, ...] = ()) -> None:
        publish_trust(self.cloud.clients.s3, self.cloud.bucket("jpki"), "jpki-test-ca",
                      ca_certificate_pem=self.ca.certificate_pem, crl=self.ca.crl(revoked))
        kiosk_context().trust.invalidate()


def _register(code: str, *, bcl: bool = True, kiosk: bool = True, fee: int = 0) -> None:
    registration = MunicipalityRegistration.model_validate({
        "population": 33_000, "pattern": "A", "uses_bcl_issuance_server": bcl, "start_month": "2023-04",
        "kiosk_issuance": kiosk, "certificate_fee_yen": fee})
    ctx = kiosk_context()
    register_municipality(code, registration, actor="operator", tenants=ctx.tenants, audit=ctx.audit)


def _residents(cloud: Cloud, code: str, records: list[ResidentRecord], removed: tuple[str, ...] = ()) -> None:
    tenants = TenantRepository(cloud.clients.dynamodb, cloud.provisioned.tables["tenants"])
    generation = tenants.begin_generation(code, "upload-1")
    for line, record in enumerate(records, start=2):
        item = resident_item(code, generation, record, upload_id="upload-1", line=line, now=AT)
        if record["person_id"] in removed:
            item["status"] = {"S": REMOVED}
        cloud.clients.dynamodb.put_item(TableName=cloud.provisioned.tables["residents"], Item=item)
    tenants.flip_generation(code, generation)


def _ledger(cloud: Cloud, code: str, disaster_id: str, households: dict[str, list[str]], *,
            surveyed: tuple[str, ...] = (), protected: tuple[str, ...] = (), status: str = "open") -> None:
    ledger = LedgerRepository(cloud.clients.dynamodb, cloud.provisioned.tables["ledger"])
    occurred = date(int(disaster_id[1:5]), int(disaster_id[5:7]), int(disaster_id[7:9]))
    assert ledger.create_disaster(Disaster(
        municipality_code=code, disaster_id=disaster_id, name=f"{occurred.year}年の地震", occurred_on=occurred,
        cause="地震", affected_areas=["全域"], relief_act_applies=True, status=status,  # type: ignore[arg-type]
        resident_generation=1, registered_at=AT, registered_by="staff"))
    table = cloud.provisioned.tables["ledger"]
    for household_id, members in households.items():
        household = Household(household_id=household_id, head_person_id=members[0], head_name="益城　太郎",
                              dwelling_address="益城町木山1", members=len(members), single_person=len(members) == 1,
                              damage_level=DamageLevel.TOTAL if household_id in surveyed else None,
                              protected=household_id in protected, updated_at=AT)
        cloud.clients.dynamodb.put_item(TableName=table, Item=household_item(code, disaster_id, household))
        for person_id in members:
            person = Person(household_id=household_id, person_id=person_id, name="益城　太郎",
                            name_kana="マシキ　タロウ", updated_at=AT)
            cloud.clients.dynamodb.put_item(TableName=table, Item=person_item(code, disaster_id, person))


@pytest.fixture
def world(cloud: Cloud) -> World:
    return build_world(cloud)


def build_world(cloud: Cloud) -> World:
    """Mashiki and Chiyoda serving kiosks (Chiyoda charging 300 yen), Yokohama without BCL's server,
    Sapporo without kiosk issuance; residents, ledgers, linked cards, two kiosks, the CA's CRL."""
    _register(MASHIKI)
    _register(CHIYODA, fee=300)
    _register(YOKOHAMA, bcl=False)
    _register(SAPPORO, kiosk=False)
    for code in (MASHIKI, CHIYODA):
        set_hours(code, ALL_DAY)  # the tests run at any hour; hours have their own tests
    _residents(cloud, MASHIKI, [resident("1001", "1"), resident("1002", "1"), resident("2001", "2"),
                                resident("3001", "3"), resident("3002", "3", protected=True),
                                resident("4001", "4"), resident("5001", "5")], removed=("4001",))
    _residents(cloud, CHIYODA, [resident("1001", "1")])
    _ledger(cloud, MASHIKI, OPEN_DISASTER, {"1": ["1001", "1002"], "2": ["2001"], "3": ["3001", "3002"],
                                            "4": ["4001"]}, surveyed=("1",), protected=("3",))
    _ledger(cloud, MASHIKI, CLOSED_DISASTER, {"1": ["1001"]}, surveyed=("1",), status="closed")
    _ledger(cloud, CHIYODA, OPEN_DISASTER, {"1": ["1001"]}, surveyed=("1",))

    ca = SimulatedCA.create("JPKI User Authentication Test CA")
    links = CardLinks(cloud.clients.dynamodb, cloud.provisioned.tables["card_links"])
    cards: dict[str, SimulatedCard] = {}
    for code, person_ids in ((MASHIKI, ("1001", "1002", "2001", "3001", "3002", "4001", "5001")), (CHIYODA, ("1001",))):
        for person_id in person_ids:
            card = ca.issue_card()
            link_card(links, code, card.certificate_der, person_id)
            cards[f"{code}/{person_id}"] = card
    status, registered = register_kiosk(KIOSK)
    assert status == 201, registered
    status, _ = register_kiosk(OTHER_KIOSK, operator="Seven-Eleven", store_name="セブン熊本店")
    assert status == 201
    built = World(ca, cards, registered["secret"], cloud)
    built.publish_crl()
    return built


def signed_in(world: World, code: str, person_id: str) -> str:
    status, session = open_(code)
    assert status == 201, session
    status, body = authenticate_card(session, world.card(code, person_id))
    assert status == 200, body
    return str(session["session_id"])


def refusal(response: tuple[int, Any]) -> tuple[int, str]:
    status, body = response
    return status, body.get("code")


# --- The operator's kiosk registry ----------------------------------------------------------------

def test_registering_a_kiosk_returns_its_secret_once_and_never_lists_it(world: World) -> None:
    status, again = register_kiosk(KIOSK, store_name="ローソン益城木山二丁目店")
    assert status == 200 and again["created"] is False and again["secret"] is None
    assert again["kiosk"]["store_name"] == "ローソン益城木山二丁目店"
    status, listed = operator_call("GET", "/kiosks", {})
    assert status == 200
    assert [k["kiosk_id"] for k in listed["kiosks"]] == [KIOSK, OTHER_KIOSK]
    assert all("secret" not in k and "secret_ct" not in k for k in listed["kiosks"])
    assert world.secret not in json.dumps(listed)
    stored = world.cloud.clients.dynamodb.get_item(TableName=world.cloud.provisioned.tables["kiosks"],
                                                    Key={"pk": {"S": f"KIOSK#{KIOSK}"}, "sk": {"S": "PROFILE"}})
    assert world.secret.encode() not in stored["Item"]["secret_ct"]["B"]  # only KMS ciphertext is stored


def test_rotating_the_secret_returns_a_new_one_and_the_old_one_stops_working(world: World) -> None:
    status, rotated = register_kiosk(KIOSK, rotate_secret=True)
    assert status == 200 and rotated["secret"] and rotated["secret"] != world.secret
    old = _authorizer_event("POST", "/kiosk/v1/sessions", b"{}", secret=world.secret)
    assert _denied(authorizer(old, FakeContext())) == "KIOSK_SIGNATURE_INVALID"
    new = _authorizer_event("POST", "/kiosk/v1/sessions", b"{}", secret=rotated["secret"])
    assert authorizer(new, FakeContext())["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_kiosk_routes_are_for_the_operator_only(world: World) -> None:
    event = copy.deepcopy(sample("staff_api/post_uploads.json"))
    event.update(resource="/kiosks", path="/kiosks", httpMethod="GET", body=None)
    event["requestContext"].update(resourcePath="/kiosks", httpMethod="GET")
    response = staff_api(event, FakeContext())
    assert response["statusCode"] == 403


def test_service_hours_default_and_round_trip(world: World) -> None:
    status, defaults = operator_call("GET", "/municipalities/{code}/kiosk-service", {"code": YOKOHAMA})
    assert status == 200
    assert (defaults["opens"], defaults["closes"]) == ("06:30", "23:00")
    assert defaults["closed_periods"] == [{"starts": "12-29", "ends": "01-03"}]
    status, body = operator_call("PUT", "/municipalities/{code}/kiosk-service", {"code": YOKOHAMA},
                                 {"opens": "23:00", "closes": "06:30"})
    assert status == 422, body


# --- The authorizer -------------------------------------------------------------------------------

def _authorizer_event(method: str, path: str, body: bytes, *, secret: str, kiosk_id: str = KIOSK,
                      at: datetime | None = None) -> dict[str, Any]:
    event = copy.deepcopy(sample("kiosk_authorizer/post_session.json"))
    event.update(httpMethod=method, path=path, resource=path)
    event["headers"].update(sign_request(kiosk_id, secret, method, path, body, now=at))
    return event


def _denied(result: dict[str, Any]) -> str:
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    return str(result["context"]["code"])


def test_the_authorizer_allows_a_signed_request_once_and_names_the_kiosk(world: World) -> None:
    event = _authorizer_event("POST", "/kiosk/v1/sessions", b'{"municipality_code":"434434"}', secret=world.secret)
    result = authorizer(event, FakeContext())
    assert result["principalId"] == KIOSK
    assert result["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]
    assert result["context"] == {"kiosk_id": KIOSK, "operator": "Lawson", "location_code": MASHIKI}
    assert _denied(authorizer(event, FakeContext())) == "KIOSK_REPLAY"


def test_the_authorizer_refuses_unknown_disabled_stale_and_forged_requests(world: World) -> None:
    path, body = "/kiosk/v1/sessions", b"{}"
    assert _denied(authorizer(_authorizer_event("POST", path, body, secret=world.secret, kiosk_id="family-0003"),
                              FakeContext())) == "KIOSK_UNKNOWN"
    stale = _authorizer_event("POST", path, body, secret=world.secret, at=datetime.now(UTC) - timedelta(minutes=6))
    assert _denied(authorizer(stale, FakeContext())) == "KIOSK_REQUEST_EXPIRED"
    assert _denied(authorizer(_authorizer_event("POST", path, body, secret="guessed"), FakeContext())) == \
        "KIOSK_SIGNATURE_INVALID"
    status, _ = register_kiosk(KIOSK, enabled=False)
    assert status == 200
    denied = authorizer(_authorizer_event("POST", path, body, secret=world.secret), FakeContext())
    assert _denied(denied) == "KIOSK_DISABLED"
    assert denied["context"]["message_ja"] == "このキオスク端末は利用停止中です"


# --- Sessions and cards ---------------------------------------------------------------------------

def test_a_resident_signs_in_with_the_card_and_sees_what_may_be_printed(world: World) -> None:
    status, session = open_()
    assert status == 201
    assert session["session_id"].startswith(f"{MASHIKI}-") and len(session["nonce"]) >= 40
    status, body = authenticate_card(session, world.card(MASHIKI, "1001"))
    assert status == 200
    assert body == {"session_id": session["session_id"], "status": "authenticated", "municipality_code": MASHIKI,
                    "expires_at": body["expires_at"]}
    assert "1001" not in json.dumps(body)  # the kiosk never learns who the resident is

    status, listed = certificates(session["session_id"])
    assert status == 200, listed
    assert [(c["kind"], c["disaster_id"]) for c in listed["certificates"]] == [
        ("risai", OPEN_DISASTER), ("higai", OPEN_DISASTER)]  # the closed disaster is not offered
    assert {c["price_per_copy_yen"] for c in listed["certificates"]} == {10}  # free certificate: 10 yen printing
    assert listed["certificates"][0]["title_ja"] == "罹災証明書"
    events = kiosk_context().audit.events(MASHIKI)
    assert any(e["action"] == "kiosk.authenticated" and e["details"]["person_id"] == "1001" for e in events)


def test_a_household_without_a_completed_survey_gets_only_the_higai_certificate(world: World) -> None:
    status, listed = certificates(signed_in(world, MASHIKI, "2001"))
    assert status == 200
    assert [c["kind"] for c in listed["certificates"]] == ["higai"]


def test_the_price_is_the_municipalitys_fee_when_it_charges_one(world: World) -> None:
    status, listed = certificates(signed_in(world, CHIYODA, "1001"))
    assert status == 200
    assert {c["price_per_copy_yen"] for c in listed["certificates"]} == {300}


def test_a_resident_with_nothing_printable_is_told_so(world: World) -> None:
    assert refusal(certificates(signed_in(world, MASHIKI, "5001"))) == (404, "KIOSK_NOTHING_TO_PRINT")


@pytest.mark.parametrize("person_id", ["3002", "4001"], ids=["protected", "moved-out"])
def test_protected_and_moved_out_residents_get_the_same_neutral_refusal(world: World, person_id: str) -> None:
    status, body = authenticate_card(new_session(), world.card(MASHIKI, person_id))
    assert status == 403
    assert body == {"code": "KIOSK_NOT_AVAILABLE", "message": CATALOG["KIOSK_NOT_AVAILABLE"].en,
                    "message_ja": CATALOG["KIOSK_NOT_AVAILABLE"].ja}  # no detail: nothing tells why
    reasons = [e["details"]["refusal"] for e in kiosk_context().audit.events(MASHIKI) if e["action"] == "kiosk.refused"]
    assert reasons == ["protected" if person_id == "3002" else "not_resident"]  # staff learn why, the kiosk not


def test_a_member_of_a_protected_household_is_refused_neutrally_too(world: World) -> None:
    session_id = signed_in(world, MASHIKI, "3001")
    assert refusal(certificates(session_id)) == (403, "KIOSK_NOT_AVAILABLE")


def test_a_card_linked_in_another_municipality_is_not_found_through_this_ones_session(world: World) -> None:
    session = new_session(MASHIKI)
    assert refusal(authenticate_card(session, world.card(CHIYODA, "1001"))) == (401, "KIOSK_CARD_NOT_LINKED")


class RecordingDynamoDB:
    """Passes every call through and remembers (table, partition key) of each key it was given."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.keys: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._real, name)

        def recorded(**kwargs: Any) -> Any:
            table = kwargs.get("TableName", "")
            if "Key" in kwargs:
                self.keys.append((table, kwargs["Key"]["pk"]["S"]))
            if "Item" in kwargs:
                self.keys.append((table, kwargs["Item"]["pk"]["S"]))
            if "ExpressionAttributeValues" in kwargs and ":pk" in kwargs["ExpressionAttributeValues"]:
                self.keys.append((table, kwargs["ExpressionAttributeValues"][":pk"]["S"]))
            return call(**kwargs)

        return recorded


def test_every_key_read_through_a_session_begins_with_the_sessions_municipality(world: World) -> None:
    settings = get_settings()
    clients = AwsClients(settings)
    recorder = RecordingDynamoDB(clients.dynamodb)
    clients.__dict__["dynamodb"] = recorder
    ctx = KioskContext(settings, clients)
    opened = open_session(KIOSK, SessionRequest(municipality_code=MASHIKI), ctx=ctx)
    own = world.card(MASHIKI, "1001")
    authenticate(KIOSK, opened.session_id, CardAuthentication(certificate=own.certificate_b64,
                                                              signature=own.sign(opened.nonce)), ctx=ctx)
    list_printable(KIOSK, opened.session_id, ctx=ctx)
    other = ctx.sessions.get(MASHIKI, open_session(KIOSK, SessionRequest(municipality_code=MASHIKI),
                                                   ctx=ctx).session_id)
    assert other is not None
    foreign = world.card(CHIYODA, "1001")
    with pytest.raises(Exception, match="KIOSK_CARD_NOT_LINKED"):
        authenticate(KIOSK, other.session_id, CardAuthentication(certificate=foreign.certificate_b64,
                                                                 signature=foreign.sign(other.nonce)), ctx=ctx)
    assert recorder.keys
    assert all(pk.startswith(MASHIKI) for _, pk in recorder.keys), recorder.keys


def test_a_session_belongs_to_the_kiosk_that_opened_it(world: World) -> None:
    session = new_session()
    assert refusal(authenticate_card(session, world.card(MASHIKI, "1001"), kiosk_id=OTHER_KIOSK)) == \
        (404, "KIOSK_SESSION_NOT_FOUND")
    assert refusal(certificates(f"{MASHIKI}-{'0' * 32}")) == (404, "KIOSK_SESSION_NOT_FOUND")


def test_the_nonce_is_single_use_and_a_session_serves_one_resident(world: World) -> None:
    session = new_session()
    assert authenticate_card(session, world.card(MASHIKI, "1001"))[0] == 200
    assert refusal(authenticate_card(session, world.card(MASHIKI, "1002"))) == (409, "KIOSK_SESSION_NONCE_USED")


def test_a_failed_card_spends_the_nonce_too(world: World) -> None:
    session = new_session()
    card = world.card(MASHIKI, "1001")
    assert refusal(authenticate_card(session, card, signed_nonce="an-old-nonce-from-elsewhere-0000000")) == \
        (401, "KIOSK_NONCE_SIGNATURE_INVALID")
    assert refusal(authenticate_card(session, card)) == (409, "KIOSK_SESSION_NONCE_USED")


def test_listing_needs_an_authenticated_session(world: World) -> None:
    session = new_session()
    assert refusal(certificates(session["session_id"])) == (409, "KIOSK_SESSION_NOT_AUTHENTICATED")


def test_a_session_expires_after_three_idle_minutes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id = signed_in(world, MASHIKI, "1001")
    ctx = kiosk_context()
    later = datetime.now(UTC) + timedelta(seconds=181)
    monkeypatch.setattr(ctx, "clock", lambda: later)
    assert refusal(certificates(session_id)) == (410, "KIOSK_SESSION_EXPIRED")


def test_activity_keeps_a_session_alive(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id = signed_in(world, MASHIKI, "1001")
    ctx = kiosk_context()
    start = datetime.now(UTC)
    for minutes in (2, 4, 6):  # each call within 3 minutes of the one before
        monkeypatch.setattr(ctx, "clock", lambda m=minutes: start + timedelta(minutes=m))
        assert certificates(session_id)[0] == 200


def test_cards_from_another_ca_expired_or_revoked_are_refused(world: World) -> None:
    stranger = SimulatedCA.create("Another CA").issue_card()
    session = new_session()
    assert refusal(authenticate_card(session, stranger)) == (401, "KIOSK_CARD_UNTRUSTED")

    expired = world.ca.issue_card(not_before=datetime.now(UTC) - timedelta(days=900),
                                  not_after=datetime.now(UTC) - timedelta(days=1))
    link_card(kiosk_context().links, MASHIKI, expired.certificate_der, "1002")
    session = new_session()
    assert refusal(authenticate_card(session, expired)) == (401, "KIOSK_CARD_EXPIRED")

    world.publish_crl(revoked=(world.card(MASHIKI, "1002").serial,))
    session = new_session()
    assert refusal(authenticate_card(session, world.card(MASHIKI, "1002"))) == (401, "KIOSK_CARD_REVOKED")


def test_a_tampered_crl_refuses_every_card(world: World) -> None:
    crl = bytearray(world.ca.crl(()))
    crl[-3] ^= 0xFF
    publish_trust(world.cloud.clients.s3, world.cloud.bucket("jpki"), "jpki-test-ca", crl=bytes(crl))
    kiosk_context().trust.invalidate()
    session = new_session()
    assert refusal(authenticate_card(session, world.card(MASHIKI, "1001"))) == (503, "KIOSK_REVOCATION_UNAVAILABLE")


# --- The municipality's service -------------------------------------------------------------------

def test_a_municipality_without_the_bcl_issuance_server_is_refused(world: World) -> None:
    assert refusal(open_(YOKOHAMA)) == (403, "KIOSK_BCL_SERVER_REQUIRED")


def test_a_municipality_without_kiosk_issuance_is_refused(world: World) -> None:
    assert refusal(open_(SAPPORO)) == (403, "KIOSK_SERVICE_OFF")


def test_an_unregistered_municipality_is_refused(world: World) -> None:
    assert refusal(open_("172022")) == (404, "MUNICIPALITY_NOT_REGISTERED")


def test_a_maintenance_window_closes_the_kiosk_service_even_mid_session(world: World) -> None:
    session_id = signed_in(world, MASHIKI, "1001")
    now = datetime.now(UTC)
    set_hours(MASHIKI, {**ALL_DAY, "maintenance": [{"starts_at": (now - timedelta(minutes=5)).isoformat(),
                                                    "ends_at": (now + timedelta(hours=1)).isoformat(),
                                                    "note": "システム更新"}]})
    assert refusal(open_()) == (403, "KIOSK_OUT_OF_HOURS")
    assert refusal(certificates(session_id)) == (403, "KIOSK_OUT_OF_HOURS")


def test_the_default_hours_apply_when_none_were_set(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _register("172022")
    ctx = kiosk_context()
    monkeypatch.setattr(ctx, "clock", lambda: datetime(2026, 11, 25, 21, 29, tzinfo=UTC))  # 06:29 JST
    assert refusal(open_("172022")) == (403, "KIOSK_OUT_OF_HOURS")
    monkeypatch.setattr(ctx, "clock", lambda: datetime(2026, 11, 25, 21, 30, tzinfo=UTC))  # 06:30 JST
    assert open_("172022")[0] == 201
    monkeypatch.setattr(ctx, "clock", lambda: datetime(2026, 12, 30, 3, 0, tzinfo=UTC))  # 30 Dec, noon JST
    assert refusal(open_("172022")) == (403, "KIOSK_OUT_OF_HOURS")


# --- The body the kiosk signed ----------------------------------------------------------------------

def test_an_altered_body_is_refused_before_anything_reads_it(world: World) -> None:
    event = kiosk_event("post_session", body={"municipality_code": MASHIKI})
    event["body"] = json.dumps({"municipality_code": CHIYODA})  # changed after signing
    assert refusal(call(event)) == (403, "KIOSK_SIGNATURE_INVALID")
    event["body"] = "not even json"
    assert refusal(call(event)) == (403, "KIOSK_SIGNATURE_INVALID")


def test_the_sample_events_carry_the_hash_of_their_bodies() -> None:
    for name in ("post_session", "post_authenticate", "get_certificates"):
        event = sample(f"kiosk_issuance/{name}.json")
        assert event["headers"]["X-Kiosk-Content-SHA256"] == hashlib.sha256(
            (event["body"] or "").encode()).hexdigest(), name
