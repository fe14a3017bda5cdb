"""Certificates on moto: the operator creates the signing key, staff register the seal, a counter request
goes through the ``certificate_generation`` worker to a signed PDF in S3 with its records, and the
public verification answers; refusals, tenant isolation, gapless numbering, re-issue and revocation."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import re
import threading
from datetime import date, timedelta
from typing import Any

import pypdf
import pytest
import requests
from PIL import Image, ImageDraw
from victim_support import wiring
from victim_support.certificates.numbering import allocate_number, fiscal_year_of_date, format_number, read_counter
from victim_support.certificates.requests import CertificateRequestBody, request_certificate
from victim_support.certificates.service import record_issued
from victim_support.certificates.signing import verify_pdf
from victim_support.certificates.store import RequestRecord, certificate_sk, key, request_item
from victim_support.clock import JST, utc_now
from victim_support.dynamo.attributes import from_item
from victim_support.ledger.models import Household
from victim_support.tenants.models import MunicipalityRegistration
from victim_support.tenants.service import register_municipality

from functions.certificate_generation.handler import lambda_handler as generation_handler
from functions.verify_api.handler import lambda_handler as verify_api
from infra.local.provision import local_clients
from tests.integration.conftest import CHIYODA, MASHIKI, Cloud
from tests.integration.lambda_context import FakeContext
from tests.integration.staff_events import call_staff, staff_event
from tests.integration.test_billing import sample
from tests.integration.test_ledger import (
    ADDRESS,
    CHIYODA_RESIDENTS,
    MASHIKI_RESIDENTS,
    apply,
    build,
    load_residents,
    register_disaster,
    send,
    survey,
)

HEAD_ADDRESS = f"{ADDRESS} 木山ハイツ101"


# --- Helpers --------------------------------------------------------------------------------------

def today() -> date:
    return utc_now().astimezone(JST).date()


def number(sequence: int) -> str:
    return format_number(fiscal_year_of_date(today()), sequence)


def seal_png(size: tuple[int, int] = (240, 236), *, background: tuple[int, int, int, int] = (0, 0, 0, 0),
             mode: str = "RGBA", ring: tuple[int, ...] = (200, 30, 30, 230)) -> bytes:
    image = Image.new(mode, size, background[:len(mode)])
    ImageDraw.Draw(image).ellipse((8, 8, size[0] - 8, size[1] - 8), outline=ring[:len(mode)], width=12)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def api(method: str, resource: str, params: dict[str, str] | None = None, *, body: Any = None, code: str = MASHIKI,
        operator: bool = False, query: dict[str, str] | None = None) -> dict[str, Any]:
    return staff_event(method, resource, params, code=None if operator else code, query=query, body=body)


call = call_staff


def verify(reference: str, code: str | None) -> tuple[int, dict[str, Any], dict[str, Any]]:
    event = copy.deepcopy(sample("verify_api/get_verification.json"))
    event.update(path=f"/verify/{reference}", pathParameters={"number": reference},
                 queryStringParameters={"code": code} if code is not None else None,
                 multiValueQueryStringParameters={"code": [code]} if code is not None else None)
    response = verify_api(event, FakeContext())
    return response["statusCode"], json.loads(response["body"]), response.get("multiValueHeaders") or {}


def verify_document(reference: str, pdf: bytes, *, binary: bool = False) -> tuple[int, dict[str, Any]]:
    event = copy.deepcopy(sample("verify_api/post_document.json"))
    event.update(path=f"/verify/{reference}/document", pathParameters={"number": reference})
    if binary:
        event["headers"]["Content-Type"] = "application/pdf"
        event.update(body=base64.b64encode(pdf).decode(), isBase64Encoded=True)
    else:
        event["body"] = json.dumps({"document_base64": base64.b64encode(pdf).decode()})
    response = verify_api(event, FakeContext())
    return response["statusCode"], json.loads(response["body"])


def register(code: str, fee: int = 0) -> None:
    registration = MunicipalityRegistration.model_validate({
        "population": 33_000, "pattern": "B", "uses_bcl_issuance_server": True, "start_month": "2023-04",
        "certificate_fee_yen": fee})
    register_municipality(code, registration, actor="operator", tenants=wiring.tenants(), audit=wiring.audit())


def signing_key(code: str = MASHIKI) -> tuple[int, dict[str, Any]]:
    return call(api("POST", "/municipalities/{code}/signing-key", {"code": code}, body={
        "verify_base": "verify.example.lg.jp"}, operator=True))


def register_seal(png: bytes, *, valid_from: date = date(2024, 1, 1), code: str = MASHIKI,
                  title: str = "益城町長", name: str = "西村博則") -> tuple[int, dict[str, Any]]:
    status, ticket = call(api("POST", "/seals", code=code, body={
        "filename": "公印.png", "size_bytes": len(png), "sha256": hashlib.sha256(png).hexdigest(),
        "mayor_title": title, "mayor_name": name, "valid_from": valid_from.isoformat()}))
    assert status == 201, ticket
    assert ticket["object_key"] == f"{code}/seals/{ticket['seal_id']}.png"
    put = requests.put(ticket["url"], data=png, headers=ticket["headers"], timeout=10)
    assert put.status_code == 200, put.text
    return call(api("POST", "/seals/{seal_id}/confirm", {"seal_id": ticket["seal_id"]}, code=code))


def request_cert(disaster_id: str, body: dict[str, Any], *, code: str = MASHIKI) -> tuple[int, dict[str, Any]]:
    return call(api("POST", "/disasters/{disaster_id}/certificates", {"disaster_id": disaster_id}, code=code,
                    body=body))


def status_of(request_id: str, *, code: str = MASHIKI) -> tuple[int, dict[str, Any]]:
    return call(api("GET", "/certificates/requests/{request_id}", {"request_id": request_id}, code=code))


def generate(cloud: Cloud) -> int:
    return cloud.drain("certificate_requests", generation_handler)


def issue(cloud: Cloud, disaster_id: str, body: dict[str, Any]) -> dict[str, Any]:
    status, accepted = request_cert(disaster_id, body)
    assert status == 202, accepted
    assert generate(cloud) == 1
    status, view = status_of(accepted["request_id"])
    assert status == 200 and view["status"] == "issued", view
    return view


def download(view: dict[str, Any]) -> bytes:
    response = requests.get(view["download_url"], timeout=10)
    assert response.status_code == 200
    return response.content


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def printed_code(pdf: bytes) -> str:
    found = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text_of(pdf))
    assert found is not None
    return found.group(0)


def household_of(disaster_id: str, household_id: str = "1", code: str = MASHIKI) -> Household:
    found = wiring.ledger().get_household(code, disaster_id, household_id)
    assert found is not None
    return found


def audit_actions(code: str = MASHIKI) -> list[str]:
    return [e["action"] for e in wiring.audit().events(code, limit=500)]


def issuance_records(code: str = MASHIKI) -> list[Any]:
    now = today()
    return list(wiring.issuances().month(code, now.year, now.month))


@pytest.fixture
def ready(cloud: Cloud) -> str:
    """Mashiki with residents, a built disaster, household 1 surveyed (半壊), a signing key and a seal."""
    register(MASHIKI)
    load_residents(cloud, MASHIKI, MASHIKI_RESIDENTS)
    disaster_id = str(register_disaster()["disaster_id"])
    assert build(cloud) == 1
    status, body = send(disaster_id, survey("survey-0001", damage_level="半壊"))
    assert status == 202, body
    assert apply(cloud) == 1
    status, key_view = signing_key()
    assert status == 201 and key_view["created"], key_view
    status, seal = register_seal(seal_png())
    assert status == 200 and seal["status"] == "registered", seal
    return disaster_id


# --- The counter flow -----------------------------------------------------------------------------

def test_a_counter_request_becomes_a_signed_pdf_with_its_records(cloud: Cloud, ready: str) -> None:
    status, accepted = request_cert(ready, {"kind": "risai", "household_id": "1", "copies": 2, "members": True,
                                            "reason": "窓口"})
    assert status == 202 and accepted["status"] == "pending"
    status, pending = status_of(accepted["request_id"])
    assert (status, pending["status"], pending["download_url"]) == (200, "pending", None)

    assert generate(cloud) == 1

    status, view = status_of(accepted["request_id"])
    assert status == 200 and view["status"] == "issued", view
    assert (view["number"], view["reissue_count"], view["issued_on"]) == (number(1), 0, today().isoformat())
    pdf = download(view)
    assert hashlib.sha256(pdf).hexdigest() == view["document_sha256"]
    assert len(pdf) < 60_000, len(pdf)  # signed, seal and members included
    fy = fiscal_year_of_date(today())
    stored = cloud.clients.s3.get_object(Bucket=cloud.bucket("certificates"),
                                         Key=f"{MASHIKI}/certificates/{fy}/{number(1)}-00.pdf")
    assert stored["Body"].read() == pdf
    assert stored["ServerSideEncryption"] == "aws:kms"  # the bucket default, not the writer's choice

    text = text_of(pdf)
    vcode = printed_code(pdf)
    for expected in ("罹災証明書", f"第{number(1)}号", "世帯主住所", HEAD_ADDRESS, "世帯主氏名", "益城　太郎",
                     "罹災原因", "令和6年1月1日", "令和6年能登半島地震", "地震", "被災住家の所在地",
                     "住家の被害の程度", "■半壊", "□全壊", "世帯構成員", "益城　花子", "益城町長", "西村博則",
                     "益城町", "検証コード", f"verify.example.lg.jp/verify/{MASHIKI}-{number(1)}?code={vcode}"):
        assert expected in text, expected

    trusted = wiring.signing_keys().certificate(MASHIKI)
    assert verify_pdf(pdf, [trusted]).valid
    # One changed byte inside the signed range: the signature no longer verifies.
    damaged = bytearray(pdf)
    damaged[len(pdf) // 3] ^= 0x01
    assert not verify_pdf(bytes(damaged), [trusted]).valid

    (record,) = issuance_records()
    assert (record.channel, record.copies, record.certificate_number, record.certificate_type.value) == (
        "counter", 2, number(1), "risai")
    assert (record.certificate_fee_yen, record.municipality_consignment_yen, record.bcl_fee_yen) == (0, 0, 0)
    assert record.document_sha256 == view["document_sha256"]
    assert household_of(ready).certificate == "issued"
    assert {"certificate.requested", "certificate.issued"} <= set(audit_actions())

    status, certificate = call(api("GET", "/certificates/{number}", {"number": number(1)}))
    assert status == 200
    assert (certificate["status"], certificate["kind"], certificate["household_id"]) == ("issued", "risai", "1")

    status, answer, headers = verify(f"{MASHIKI}-{number(1)}", vcode)
    assert status == 200 and headers["Cache-Control"] == ["no-store"]
    assert answer == {"status": "valid", "kind": "risai", "title": "罹災証明書", "issued_on": today().isoformat(),
                      "reissue_count": 0, "municipality_code": MASHIKI, "municipality_name": "益城町"}


def test_a_redelivered_request_issues_nothing_twice(cloud: Cloud, ready: str) -> None:
    view = issue(cloud, ready, {"kind": "risai", "household_id": "1"})
    # Past the idempotency layer too: a delivery after its record expired finds the request issued.
    table = cloud.provisioned.tables["idempotency"]
    for item in cloud.clients.dynamodb.scan(TableName=table)["Items"]:
        cloud.clients.dynamodb.delete_item(TableName=table, Key={"id": item["id"]})
    cloud.clients.sqs.send_message(QueueUrl=cloud.queue_url("certificate_requests"), MessageBody=json.dumps(
        {"municipality_code": MASHIKI, "request_id": view["request_id"]}))
    assert generate(cloud) == 1
    assert len(issuance_records()) == 1
    assert audit_actions().count("certificate.issued") == 1
    assert read_counter(cloud.clients.dynamodb, cloud.provisioned.tables["certificates"], MASHIKI,
                        fiscal_year_of_date(today())) == 1


def test_a_higai_certificate_names_what_was_affected(cloud: Cloud, ready: str) -> None:
    view = issue(cloud, ready, {"kind": "higai", "household_id": "2", "person_id": "2001",
                                "affected": "自家用車（浸水）"})
    text = text_of(download(view))
    for expected in ("被災証明書", "被害の状況", "自家用車（浸水）", "木山　一郎", "被災場所"):
        assert expected in text, expected
    assert household_of(ready, "2").certificate == "none"  # the ledger records the 罹災証明書 only


# --- Refusals and tenant isolation ----------------------------------------------------------------

def test_a_household_without_a_completed_survey_gets_no_risai_certificate(cloud: Cloud, ready: str) -> None:
    status, refused = request_cert(ready, {"kind": "risai", "household_id": "2"})
    assert (status, refused["code"]) == (409, "CERTIFICATE_NOT_SURVEYED")

    # The worker checks again: a request stored earlier (e.g. before a survey was corrected) is refused there.
    record = RequestRecord(municipality_code=MASHIKI, request_id=f"{MASHIKI}-20240110T090000-0a1b2c3d4e",
                           kind="risai", disaster_id=ready, household_id="2", copies=1, channel="online",
                           requested_by="portal", requested_at="2024-01-10T00:00:00Z")
    wiring.certificate_store().put_new(request_item(record))
    cloud.clients.sqs.send_message(QueueUrl=cloud.queue_url("certificate_requests"), MessageBody=json.dumps(
        {"municipality_code": MASHIKI, "request_id": record.request_id}))
    assert generate(cloud) == 1
    status, view = status_of(record.request_id)
    assert (status, view["status"], view["code"], view["number"]) == (200, "refused", "CERTIFICATE_NOT_SURVEYED", None)
    assert "certificate.refused" in audit_actions()
    # No number was taken: the next certificate is the first of the year.
    assert issue(cloud, ready, {"kind": "risai", "household_id": "1"})["number"] == number(1)


def test_a_resident_of_another_municipality_cannot_be_certified(cloud: Cloud, ready: str) -> None:
    register(CHIYODA)
    load_residents(cloud, CHIYODA, CHIYODA_RESIDENTS)
    status, _ = signing_key(CHIYODA)
    assert status == 201
    assert register_seal(seal_png(), code=CHIYODA, title="千代田区長", name="樋口高顕")[0] == 200
    mashiki = issue(cloud, ready, {"kind": "risai", "household_id": "1"})

    # Chiyoda's staff name Mashiki's disaster and household: under Chiyoda's code there is no such ledger.
    status, refused = request_cert(ready, {"kind": "risai", "household_id": "1"}, code=CHIYODA)
    assert (status, refused["code"]) == (404, "LEDGER_DISASTER_NOT_FOUND")
    # Nor can they see or act on Mashiki's request or certificate.
    assert status_of(mashiki["request_id"], code=CHIYODA)[0] == 404
    status, body = call(api("POST", "/certificates/{number}/reissue", {"number": mashiki["number"]}, code=CHIYODA,
                            body={"reason": "紛失"}))
    assert (status, body["code"]) == (404, "CERTIFICATE_NOT_FOUND")
    # A message naming Chiyoda with Mashiki's request id finds nothing under Chiyoda's key.
    cloud.clients.sqs.send_message(QueueUrl=cloud.queue_url("certificate_requests"), MessageBody=json.dumps(
        {"municipality_code": CHIYODA, "request_id": mashiki["request_id"].replace(MASHIKI, CHIYODA, 1)}))
    assert generate(cloud) == 1
    assert issuance_records(CHIYODA) == []
    # And a Mashiki verification code does not verify under Chiyoda's reference.
    vcode = printed_code(download(mashiki))
    assert verify(f"{CHIYODA}-{mashiki['number']}", vcode)[1] == {"status": "unknown", "kind": None, "title": None,
                                                                    "issued_on": None, "reissue_count": None,
                                                                    "municipality_code": None,
                                                                    "municipality_name": None}


def test_without_a_signing_key_or_a_seal_requests_are_refused_at_the_counter(cloud: Cloud) -> None:
    register(MASHIKI)
    load_residents(cloud, MASHIKI, MASHIKI_RESIDENTS)
    disaster_id = str(register_disaster()["disaster_id"])
    assert build(cloud) == 1
    body = {"kind": "higai", "household_id": "1", "affected": "家財"}
    assert request_cert(disaster_id, body)[1]["code"] == "CERTIFICATE_SIGNING_KEY_MISSING"
    assert signing_key()[0] == 201
    assert request_cert(disaster_id, body)[1]["code"] == "CERTIFICATE_SEAL_MISSING"
    # A seal valid only from tomorrow is not in force today.
    assert register_seal(seal_png(), valid_from=today() + timedelta(days=1))[0] == 200
    assert request_cert(disaster_id, body)[1]["code"] == "CERTIFICATE_SEAL_MISSING"
    status, invalid = request_cert(disaster_id, {"kind": "higai", "household_id": "1"})
    assert (status, invalid["code"]) == (422, "VALIDATION_ERROR")  # a 被災証明書 needs what was affected


# --- Numbering ------------------------------------------------------------------------------------

def test_concurrent_allocations_are_gapless_and_unique(cloud: Cloud) -> None:
    table = cloud.provisioned.tables["certificates"]
    fiscal_year, threads, per_thread = 2026, 8, 6
    taken: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        client = local_clients(cloud.endpoint).dynamodb
        try:
            for n in range(per_thread):
                def items_for(num: str, n: int = n) -> list[dict[str, Any]]:
                    item = {**key(MASHIKI, certificate_sk(num)), "entity": {"S": "certificate"},
                            "writer": {"S": f"{index}-{n}"}}
                    return [{"Put": {"TableName": table, "Item": item,
                                     "ConditionExpression": "attribute_not_exists(pk)"}}]
                got = allocate_number(client, table, MASHIKI, fiscal_year, items_for)
                with lock:
                    taken.append(got)
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()

    assert errors == []
    total = threads * per_thread
    assert sorted(taken) == [format_number(fiscal_year, n) for n in range(1, total + 1)]  # no gap, no duplicate
    assert read_counter(cloud.clients.dynamodb, table, MASHIKI, fiscal_year) == total
    stored = cloud.clients.dynamodb.query(
        TableName=table, KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": MASHIKI}, ":p": {"S": "CERT#"}})["Items"]
    writers = {from_item(i)["writer"] for i in stored}
    assert len(stored) == total and len(writers) == total  # every number with exactly its own record


# --- Re-issue and revocation ----------------------------------------------------------------------

def test_a_reissue_keeps_the_number_with_a_new_code_and_document(cloud: Cloud, ready: str) -> None:
    first = issue(cloud, ready, {"kind": "risai", "household_id": "1"})
    first_pdf = download(first)
    first_code = printed_code(first_pdf)
    # A 再調査 finds more damage; the re-issued certificate shows the level found last.
    status, _ = send(ready, survey("survey-0002", round_="再調査", on="2024-02-01", damage_level="大規模半壊"))
    assert status == 202 and apply(cloud) == 1

    status, accepted = call(api("POST", "/certificates/{number}/reissue", {"number": first["number"]},
                                body={"reason": "再調査の結果", "copies": 1}))
    assert status == 202, accepted
    assert generate(cloud) == 1
    status, second = status_of(accepted["request_id"])
    assert (second["status"], second["number"], second["reissue_count"]) == ("issued", first["number"], 1)
    second_pdf = download(second)
    second_code = printed_code(second_pdf)
    assert second_code != first_code and second["document_sha256"] != first["document_sha256"]
    text = text_of(second_pdf)
    assert "（再交付1回目）" in text and "■大規模半壊" in text
    fy = fiscal_year_of_date(today())
    cloud.clients.s3.head_object(Bucket=cloud.bucket("certificates"),
                                 Key=f"{MASHIKI}/certificates/{fy}/{first['number']}-01.pdf")

    reference = f"{MASHIKI}-{first['number']}"
    assert verify(reference, second_code)[1]["status"] == "valid"
    assert verify(reference, first_code)[1]["status"] == "superseded"
    assert verify_document(reference, first_pdf)[1]["certificate"]["status"] == "superseded"
    assert household_of(ready).certificate == "reissued"
    assert [r.issuance_id for r in issuance_records()] == [f"{first['number']}-00", f"{first['number']}-01"]
    assert read_counter(cloud.clients.dynamodb, cloud.provisioned.tables["certificates"], MASHIKI, fy) == 1
    assert "certificate.reissue_requested" in audit_actions()


def test_a_revoked_certificate_verifies_as_revoked(cloud: Cloud, ready: str) -> None:
    issued = issue(cloud, ready, {"kind": "risai", "household_id": "1"})
    vcode = printed_code(download(issued))
    status, revoked = call(api("POST", "/certificates/{number}/revoke", {"number": issued["number"]},
                               body={"reason": "誤交付"}))
    assert (status, revoked["status"], revoked["revoke_reason"]) == (200, "revoked", "誤交付")

    answer = verify(f"{MASHIKI}-{issued['number']}", vcode)[1]
    assert (answer["status"], answer["kind"], answer["issued_on"]) == ("revoked", "risai", today().isoformat())
    assert household_of(ready).certificate == "revoked"
    assert "certificate.revoked" in audit_actions()
    status, body = call(api("POST", "/certificates/{number}/reissue", {"number": issued["number"]},
                            body={"reason": "紛失"}))
    assert (status, body["code"]) == (409, "CERTIFICATE_REVOKED")


# --- Public verification ---------------------------------------------------------------------------

def test_public_verification_reveals_nothing_without_the_right_code(cloud: Cloud, ready: str) -> None:
    issued = issue(cloud, ready, {"kind": "risai", "household_id": "1"})
    vcode = printed_code(download(issued))
    reference = f"{MASHIKI}-{issued['number']}"
    wrong = "0000-0000-0000-0000"

    answers = [verify(reference, wrong)[1], verify(reference, "")[1], verify(reference, None)[1],
               verify(f"{MASHIKI}-{number(999)}", vcode)[1], verify(f"{CHIYODA}-{issued['number']}", vcode)[1]]
    assert all(a == answers[0] for a in answers)
    assert answers[0]["status"] == "unknown" and {v for v in answers[0].values() if v is not None} == {"unknown"}
    # Malformed references are as unknown as missing ones (not a 4xx that would tell them apart).
    assert verify("not-a-reference", vcode)[:2] == (200, answers[0])
    # A typed code is forgiven its case, spaces and look-alike letters.
    assert verify(reference, vcode.lower().replace("-", " "))[1]["status"] == "valid"


def test_an_uploaded_pdf_is_checked_by_hash_and_signature(cloud: Cloud, ready: str) -> None:
    issued = issue(cloud, ready, {"kind": "risai", "household_id": "1"})
    pdf = download(issued)
    reference = f"{MASHIKI}-{issued['number']}"

    status, same = verify_document(reference, pdf)
    assert status == 200
    assert (same["document"], same["signature_valid"], same["certificate"]["status"]) == ("matches", True, "valid")
    assert verify_document(reference, pdf, binary=True)[1] == same

    damaged = bytearray(pdf)
    damaged[len(pdf) // 3] ^= 0x01
    status, changed = verify_document(reference, bytes(damaged))
    assert (changed["document"], changed["signature_valid"], changed["certificate"]["status"]) == (
        "no_match", False, "unknown")
    status, refused = verify_document(reference, b"not a pdf")
    assert (status, refused["code"]) == (422, "CERTIFICATE_DOCUMENT_INVALID")


# --- Seals ------------------------------------------------------------------------------------------

def test_the_seal_in_force_on_the_date_of_issue_is_printed(cloud: Cloud, ready: str) -> None:
    # Registered later but valid only from tomorrow: not used today.
    assert register_seal(seal_png(), valid_from=today() + timedelta(days=1), name="未来次郎")[0] == 200
    first = text_of(download(issue(cloud, ready, {"kind": "risai", "household_id": "1"})))
    assert "西村博則" in first and "未来次郎" not in first
    # A new mayor from yesterday: today's certificates carry the new name.
    status, seal = register_seal(seal_png(), valid_from=today() - timedelta(days=1), name="新町長子")
    assert status == 200 and seal["version"] == 3
    second = text_of(download(issue(cloud, ready, {"kind": "higai", "household_id": "1", "affected": "家財"})))
    assert "新町長子" in second and "西村博則" not in second
    status, listed = call(api("GET", "/seals"))
    assert [s["version"] for s in listed["seals"]] == [1, 2, 3]


def test_a_seal_that_breaks_the_rules_is_rejected_and_not_used(cloud: Cloud, ready: str) -> None:
    coloured = seal_png(background=(30, 30, 200, 255))
    status, error = register_seal(coloured, valid_from=today())
    assert (status, error["code"]) == (422, "CERTIFICATE_SEAL_REJECTED")
    seals = call(api("GET", "/seals"))[1]["seals"]
    assert [s["status"] for s in seals] == ["registered", "rejected"]
    text = text_of(download(issue(cloud, ready, {"kind": "risai", "household_id": "1"})))
    assert "西村博則" in text
    # A white (opaque) background is accepted and printed without hiding the name beneath.
    white = seal_png(background=(255, 255, 255, 255), mode="RGB")
    assert register_seal(white, valid_from=today())[1]["status"] == "registered"
    assert "西村博則" in text_of(download(issue(cloud, ready, {"kind": "risai", "household_id": "1"})))


def test_the_signing_key_is_created_once_and_tagged(cloud: Cloud, ready: str) -> None:
    status, again = signing_key()
    assert status == 200 and not again["created"]
    profile = wiring.certificate_store().get_signing(MASHIKI)
    assert profile is not None and profile.key_id == again["key_id"]
    kms = cloud.clients.kms
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=again["key_id"])["Tags"]}
    assert tags == {"purpose": "certificate-signing", "municipality_code": MASHIKI}
    meta = kms.describe_key(KeyId=again["key_id"])["KeyMetadata"]
    assert (meta["KeySpec"], meta["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    # The stored secret is ciphertext only; staff cannot call the operator route.
    assert profile.secret_ciphertext_b64 and len(base64.b64decode(profile.secret_ciphertext_b64)) > 32
    status, body = call(api("POST", "/municipalities/{code}/signing-key", {"code": MASHIKI}, body={}))
    assert (status, body["code"]) == (403, "FORBIDDEN")


# --- Other channels ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("fee", "expected"), [(0, (0, 10, 107)), (300, (300, 0, 117))])
def test_a_kiosk_issuance_records_the_consignment_split(cloud: Cloud, ready: str, fee: int,
                                                        expected: tuple[int, int, int]) -> None:
    register(MASHIKI, fee=fee)
    body = CertificateRequestBody(kind="risai", household_id="1", copies=3)
    ctx = wiring.certificate_context()
    accepted = request_certificate(MASHIKI, ready, body, channel="kiosk", actor="kiosk-gateway", ctx=ctx)
    assert generate(cloud) == 1
    assert issuance_records() == []  # a kiosk copy is charged when the kiosk takes the document
    request = ctx.store.get_request(MASHIKI, accepted.request_id)
    assert request is not None and request.status == "issued"
    record_issued(request, ctx.tenants.require(MASHIKI), ctx)
    record_issued(request, ctx.tenants.require(MASHIKI), ctx)  # handed out once, recorded once
    (record,) = issuance_records()
    assert record.channel == "kiosk" and record.copies == 3
    assert (record.certificate_fee_yen, record.resident_print_fee_yen, record.municipality_consignment_yen) == expected


def test_requests_and_statuses_answer_only_identifiers_in_the_audit(cloud: Cloud, ready: str) -> None:
    issue(cloud, ready, {"kind": "risai", "household_id": "1", "members": True})
    events = [e for e in wiring.audit().events(MASHIKI, limit=500) if e["action"].startswith("certificate.")]
    dumped = json.dumps(events, ensure_ascii=False)
    for personal in ("益城　太郎", "益城　花子", ADDRESS):
        assert personal not in dumped
