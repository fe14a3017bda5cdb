"""The ledger core on moto: disasters registered through the staff API, the ledger built from the
residents by the ``ledger_build`` worker, and commands applied once each through the FIFO queue by the
``ledger_updates`` worker (optimistic locking, refusals, the DLQ, tenant isolation, remote grants)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from victim_support import wiring
from victim_support.dynamo.attributes import from_item
from victim_support.intake.rows import ResidentRecord
from victim_support.ledger import keys
from victim_support.ledger.access import GrantRequest, Role, create_grant, revoke_grant
from victim_support.ledger.build import build_ledger
from victim_support.ledger.commands import apply_command, my_number_context
from victim_support.ledger.models import BuildRequest, CommandEnvelope, Household, Person
from victim_support.ledger.queries import summarize
from victim_support.ledger.repository import LedgerRepository
from victim_support.residents.repository import REMOVED, resident_item
from victim_support.tenants.models import MunicipalityRegistration
from victim_support.tenants.service import register_municipality

from functions.ledger_updates.build import lambda_handler as build_handler
from functions.ledger_updates.handler import lambda_handler as updates_handler
from infra.topology import TOPOLOGY
from tests.integration.conftest import CHIYODA, MASHIKI, Cloud
from tests.integration.lambda_context import FakeContext
from tests.integration.staff_events import call_staff, staff_event
from tests.integration.test_billing import sample

AT = "2024-01-01T08:00:00Z"
ADDRESS = "熊本県上益城郡益城町大字木山1番地"
MY_NUMBER = "123456789018"


# --- Helpers --------------------------------------------------------------------------------------

def resident(pid: str, household: str, name: str, kana: str, rel: str, *, birth: str = "1970-03-12",
             protected: bool = False, extra: str | None = None, address: str = ADDRESS) -> ResidentRecord:
    return ResidentRecord(person_id=pid, household_id=household, name=name, name_kana=kana, birth_date=birth, sex="1",
                          relationship=rel, postal_code="8612242", address=address, address_extra=extra,
                          phone="096-286-3111", care_needs=["高齢者"] if rel == "世帯主" else [],
                          protected=protected, change_type=None, change_date=None)


MASHIKI_RESIDENTS = [
    resident("1001", "1", "益城　太郎", "マシキ　タロウ", "世帯主", extra="木山ハイツ101"),
    resident("1002", "1", "益城　花子", "マシキ　ハナコ", "妻", birth="1972-05-01"),
    resident("2001", "2", "木山　一郎", "キヤマ　イチロウ", "世帯主", birth="1950-01-20"),
    # No 世帯主 in the file: the first member (by person id) heads the household.
    resident("3001", "3", "宮園　次郎", "ミヤゾノ　ジロウ", "子", birth="2001-07-07", address="益城町宮園5-6"),
    resident("3002", "3", "宮園　美咲", "ミヤゾノ　ミサキ", "同居人", birth="1985-07-07", protected=True,
             address="益城町宮園5-6"),
]
REMOVED_RESIDENT = resident("4001", "4", "転出　者", "テンシュツ　シャ", "世帯主")
CHIYODA_RESIDENTS = [resident("1001", "1", "千代田　一", "チヨダ　ハジメ", "世帯主", address="千代田区千代田1-1")]


def register_tenant(code: str) -> None:
    registration = MunicipalityRegistration.model_validate({
        "population": 33_000, "pattern": "B", "uses_bcl_issuance_server": True, "start_month": "2023-04"})
    register_municipality(code, registration, actor="operator", tenants=wiring.tenants(), audit=wiring.audit())


def load_residents(cloud: Cloud, code: str, records: list[ResidentRecord],
                   removed: tuple[ResidentRecord, ...] = ()) -> int:
    """A generation written the way the intake stores it, then made current."""
    tenants = wiring.tenants()
    generation = tenants.begin_generation(code, "test-upload")
    table = cloud.provisioned.tables["residents"]
    for line, record in enumerate([*records, *removed], start=2):
        item = resident_item(code, generation, record, upload_id="test-upload", line=line, now=AT)
        if record in removed:
            item["status"] = {"S": REMOVED}
        cloud.clients.dynamodb.put_item(TableName=table, Item=item)
    tenants.flip_generation(code, generation)
    return generation


request = staff_event
call = call_staff


def register_disaster(code: str = MASHIKI, occurred_on: str = "2024-01-01") -> dict[str, Any]:
    body = {**json.loads(sample("staff_api/post_disaster.json")["body"]), "occurred_on": occurred_on}
    status, disaster = call(request("POST", "/disasters", code=code, body=body))
    assert status == 202, disaster
    return disaster  # type: ignore[no-any-return]


def send(disaster_id: str, command: dict[str, Any], *, code: str = MASHIKI,
         municipality: str | None = None) -> tuple[int, Any]:
    return call(request("POST", "/disasters/{disaster_id}/commands", {"disaster_id": disaster_id}, code=code,
                        query={"municipality": municipality} if municipality else None, body=command))


def accepted(disaster_id: str, command: dict[str, Any], **kwargs: Any) -> None:
    status, body = send(disaster_id, command, **kwargs)
    assert status == 202, body
    assert body == {"command_id": command["command_id"], "household_id": command["household_id"], "status": "queued"}


def apply(cloud: Cloud) -> int:
    return cloud.drain("ledger_commands", updates_handler)


def build(cloud: Cloud) -> int:
    return cloud.drain("ledger_build", build_handler)


def items(code: str, disaster_id: str) -> dict[str, dict[str, Any]]:
    """Every item of a ledger (all its partitions), by sort key (unique across them: households, persons
    and events carry the household id, search keys their field and ids, directory rows the household id)."""
    client, table = wiring.ledger_context().dynamodb, wiring.ledger().table_name
    prefix = keys.ledger_pk(code, disaster_id)
    pages = client.get_paginator("scan").paginate(
        TableName=table, ConsistentRead=True, FilterExpression="pk = :pk OR begins_with(pk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": prefix}, ":prefix": {"S": prefix + "#"}})
    found = [item for page in pages for item in page.get("Items", [])]
    by_sk = {item["sk"]["S"]: from_item(item) for item in found}
    assert len(by_sk) == len(found)
    return by_sk


def household(code: str, disaster_id: str, household_id: str) -> Household:
    found = wiring.ledger().get_household(code, disaster_id, household_id)
    assert found is not None
    return found


def audit_events(code: str) -> list[dict[str, Any]]:
    return wiring.audit().events(code, limit=500)


def survey(command_id: str, household_id: str = "1", *, round_: str = "1次調査", on: str = "2024-01-05",
           completed: bool = True, **finding: Any) -> dict[str, Any]:
    return {"type": "record_survey", "command_id": command_id, "household_id": household_id, "round": round_,
            "surveyor": "被害認定班A", "surveyed_on": on, "dwelling_address": ADDRESS, "completed": completed,
            "reason": "住家被害認定調査", **finding}


def support(command_id: str, kind: str, household_id: str = "1", **fields: Any) -> dict[str, Any]:
    return {"type": "record_support", "command_id": command_id, "household_id": household_id, "kind": kind,
            "on": "2024-02-01", **fields}


def envelope(code: str, disaster_id: str, command: dict[str, Any], *, sent_at: str = "2024-01-06T00:00:00Z",
             actor: str = "mashiki-bousai-01") -> CommandEnvelope:
    return CommandEnvelope.model_validate({"municipality_code": code, "disaster_id": disaster_id, "actor": actor,
                                           "sent_at": sent_at, "command": command})


def enqueue(cloud: Cloud, body: str, *, group: str, dedup: str) -> None:
    """A message put on the command queue directly (as a client of the queue other than the API would)."""
    cloud.clients.sqs.send_message(QueueUrl=cloud.queue_url("ledger_commands"), MessageBody=body,
                                   MessageGroupId=group, MessageDeduplicationId=dedup)


def refusals(code: str) -> dict[str, str]:
    return {e["details"]["command_id"]: e["details"]["code"] for e in audit_events(code)
            if e["action"] == "ledger.command_refused"}


@pytest.fixture
def ledger(cloud: Cloud) -> str:
    """Mashiki's disaster, registered and built; returns its id."""
    register_tenant(MASHIKI)
    load_residents(cloud, MASHIKI, MASHIKI_RESIDENTS, removed=(REMOVED_RESIDENT,))
    disaster = register_disaster()
    assert build(cloud) == 1
    return str(disaster["disaster_id"])


# --- Disasters and the build ----------------------------------------------------------------------

def test_a_registered_disaster_is_built_from_the_current_residents_and_opens(cloud: Cloud) -> None:
    register_tenant(MASHIKI)
    generation = load_residents(cloud, MASHIKI, MASHIKI_RESIDENTS, removed=(REMOVED_RESIDENT,))

    disaster = register_disaster()
    assert disaster["status"] == "building"
    assert disaster["resident_generation"] == generation
    assert disaster["disaster_id"].startswith("D20240101-")
    disaster_id = disaster["disaster_id"]
    status, early = send(disaster_id, survey("too-early-1", damage_level="半壊"))
    assert (status, early["code"]) == (409, "LEDGER_NOT_READY")

    assert build(cloud) == 1

    status, opened = call(request("GET", "/disasters/{disaster_id}", {"disaster_id": disaster_id}))
    assert status == 200
    assert (opened["status"], opened["households"], opened["persons"]) == ("open", 3, 5)
    stored = items(MASHIKI, disaster_id)
    households = {sk: Household.model_validate(i) for sk, i in stored.items() if i["entity"] == "household"}
    persons = {sk: Person.model_validate(i) for sk, i in stored.items() if i["entity"] == "person"}
    assert set(households) == {"H#1", "H#2", "H#3"}
    assert set(persons) == {"H#1#P#1001", "H#1#P#1002", "H#2#P#2001", "H#3#P#3001", "H#3#P#3002"}
    first = households["H#1"]
    assert (first.head_person_id, first.head_name, first.members, first.single_person, first.protected) == (
        "1001", "益城　太郎", 2, False, False)
    assert first.dwelling_address == f"{ADDRESS} 木山ハイツ101"
    assert households["H#2"].single_person
    third = households["H#3"]
    assert (third.head_person_id, third.members, third.protected) == ("3001", 2, True)
    assert persons["H#3#P#3002"].protected and persons["H#1#P#1001"].care_needs == ["高齢者"]
    assert persons["H#1#P#1001"].birth_date is not None and persons["H#1#P#1001"].resident
    # Search keys for every person, the protected one included (the query side filters for helpers).
    search = {sk for sk, i in stored.items() if i["entity"] == "search"}
    assert keys.search_sk("KANA", "ミヤゾノミサキ", "3", "3002") in search
    assert keys.search_sk("NAME", "益城太郎", "1", "1001") in search
    assert keys.search_sk("BIRTH", "1972-05-01", "1", "1002") in search
    assert keys.search_sk("ADDR", "益城町宮園5-6", "3", "3001") in search
    assert len(search) == 20
    assert stored[keys.search_sk("KANA", "ミヤゾノミサキ", "3", "3002")]["protected"] is True
    assert not any("4001" in sk for sk in stored)  # removed residents are not victims of this disaster
    # Each household in a partition of its own, search keys in their shards, one directory row per
    # household with its counts, and no member stub left behind by the build.
    assert stored["H#1"]["pk"] == stored["H#1#P#1002"]["pk"] == keys.household_pk(MASHIKI, disaster_id, "1")
    assert stored[keys.search_sk("KANA", "ミヤゾノミサキ", "3", "3002")]["pk"] == keys.search_pk(
        MASHIKI, disaster_id, "KANA", "ミヤゾノミサキ", "3")
    directory = {sk: i for sk, i in stored.items() if i["entity"] == "directory"}
    assert {sk: (i["person_ids"], i.get("care_ids"), i["pk"]) for sk, i in directory.items()} == {
        h: (persons, care, keys.directory_key(MASHIKI, disaster_id, h)[0]) for h, persons, care in (
            ("1", {"1001", "1002"}, {"1001"}), ("2", {"2001"}, {"2001"}), ("3", {"3001", "3002"}, None))}
    assert not any(i["entity"] == "stub" for i in stored.values())
    built = [e for e in audit_events(MASHIKI) if e["action"] == "ledger.built"]
    assert [e["details"]["persons"] for e in built] == [5]
    assert wiring.ledger().get_checkpoint(MASHIKI, disaster_id) is None

    status, listed = call(request("GET", "/disasters"))
    assert status == 200 and [d["disaster_id"] for d in listed["disasters"]] == [disaster_id]


def test_registration_is_refused_without_residents(cloud: Cloud) -> None:
    register_tenant(MASHIKI)
    status, body = call(request("POST", "/disasters", body=json.loads(sample("staff_api/post_disaster.json")["body"])))
    assert (status, body["code"]) == (409, "LEDGER_NO_RESIDENTS")
    assert cloud.clients.sqs.receive_message(QueueUrl=cloud.queue_url("ledger_build")).get("Messages", []) == []


def test_rerunning_a_finished_build_changes_nothing(cloud: Cloud, ledger: str) -> None:
    before = items(MASHIKI, ledger)
    disaster_before = wiring.ledger().require_disaster(MASHIKI, ledger)

    # The same message again (a redelivery), a later step, and the domain function called directly.
    for step in (0, 1):
        cloud.clients.sqs.send_message(QueueUrl=cloud.queue_url("ledger_build"), MessageBody=BuildRequest(
            municipality_code=MASHIKI, disaster_id=ledger, step=step).model_dump_json())
    assert build(cloud) == 2
    progress = build_ledger(BuildRequest(municipality_code=MASHIKI, disaster_id=ledger), wiring.ledger_context(),
                            has_time=lambda: True)

    assert progress.phase == "skipped"
    assert items(MASHIKI, ledger) == before
    assert wiring.ledger().require_disaster(MASHIKI, ledger) == disaster_before
    assert len([e for e in audit_events(MASHIKI) if e["action"] == "ledger.built"]) == 1


def test_a_build_cut_short_resumes_from_its_checkpoint_in_a_new_message(cloud: Cloud) -> None:
    register_tenant(MASHIKI)
    load_residents(cloud, MASHIKI, MASHIKI_RESIDENTS, removed=(REMOVED_RESIDENT,))
    disaster_id = register_disaster()["disaster_id"]
    queue = cloud.queue_url("ledger_build")
    # Two residents per page and never time for a second page: every page is a run of its own.
    ctx = dataclasses.replace(wiring.ledger_context(), page_size=2)
    runs, phases = 0, []
    while True:
        messages = cloud.clients.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"]
        cloud.clients.sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
        message = BuildRequest.model_validate_json(messages[0]["Body"])
        assert message.step == runs
        progress = build_ledger(message, ctx, has_time=lambda: False)
        runs += 1
        phases.append(progress.phase)
        if progress.done:
            break
        checkpoint = wiring.ledger().get_checkpoint(MASHIKI, disaster_id)
        assert checkpoint is not None and checkpoint.phase == progress.phase

    assert "persons" in phases and "households" in phases and runs >= 4
    disaster = wiring.ledger().require_disaster(MASHIKI, disaster_id)
    assert (disaster.status, disaster.households, disaster.persons) == ("open", 3, 5)
    assert household(MASHIKI, disaster_id, "3").members == 2
    assert household(MASHIKI, disaster_id, "1").head_person_id == "1001"
    assert cloud.clients.sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    stored = items(MASHIKI, disaster_id).values()
    assert sorted(i["household_id"] for i in stored if i["entity"] == "directory") == ["1", "2", "3"]
    assert not any(i["entity"] == "stub" for i in stored)


def test_a_build_message_naming_another_municipality_touches_nothing_of_this_one(cloud: Cloud, ledger: str) -> None:
    before = items(MASHIKI, ledger)
    register_tenant(CHIYODA)
    load_residents(cloud, CHIYODA, CHIYODA_RESIDENTS)
    cloud.clients.sqs.send_message(QueueUrl=cloud.queue_url("ledger_build"), MessageBody=json.dumps(
        {"municipality_code": CHIYODA, "disaster_id": ledger}))

    assert build(cloud) == 1

    assert items(MASHIKI, ledger) == before
    assert items(CHIYODA, ledger) == {}


def test_the_sample_build_event_is_handled(cloud: Cloud) -> None:
    result = build_handler(sample("ledger_build/build_requested.json"), FakeContext())
    assert result == {"batchItemFailures": []}  # no such disaster: nothing to build, nothing to retry


# --- Commands through the FIFO worker -------------------------------------------------------------

def test_surveys_set_the_latest_completed_round_and_keep_the_history(cloud: Cloud, ledger: str) -> None:
    accepted(ledger, survey("survey-first", loss_ratio="42.5"))
    apply(cloud)
    first = household(MASHIKI, ledger, "1")
    assert (first.damage_level, first.damage_round, first.version) == ("大規模半壊", "1次調査", 2)

    accepted(ledger, survey("survey-second", round_="2次調査", on="2024-01-20", completed=False))
    accepted(ledger, survey("survey-resurvey", round_="再調査", on="2024-01-15", damage_level="全壊",
                            loss_ratio="55"))
    apply(cloud)

    current = household(MASHIKI, ledger, "1")
    assert (current.damage_level, current.damage_round) == ("全壊", "再調査")  # the incomplete round never counts
    events = wiring.ledger().events(MASHIKI, ledger, "1")
    assert [(e.details["round"], e.details.get("damage_level"), e.details["completed"]) for e in events] == [
        ("1次調査", "大規模半壊", True), ("2次調査", None, False), ("再調査", "全壊", True)]
    audits = [e for e in audit_events(MASHIKI) if e["action"] == "ledger.record_survey"]
    assert len(audits) == 3
    resurvey = next(e for e in audits if e["details"]["command_id"] == "survey-resurvey")
    assert resurvey["details"]["changes"]["damage_level"] == {"before": "大規模半壊", "after": "全壊"}
    assert resurvey["actor"] == "mashiki-bousai-01" and resurvey["reason"] == "住家被害認定調査"

    status, mismatch = send(ledger, survey("survey-bad", damage_level="全壊", loss_ratio="30"))
    assert status == 422 and mismatch["code"] == "VALIDATION_ERROR"


def test_support_decision_payments_and_relief(cloud: Cloud, ledger: str) -> None:
    accepted(ledger, survey("survey-total", damage_level="全壊"))
    accepted(ledger, support("decision-1", "decision", method="repair"))
    accepted(ledger, support("payment-1", "payment", amount=1_000_000))
    accepted(ledger, support("pay-too-much", "payment", amount=1_500_000))
    accepted(ledger, support("relief-given-1", "relief", description="毛布と食料"))
    accepted(ledger, support("decide-single", "decision", household_id="2", method="build_or_buy",
                             circumstance="demolition"))
    apply(cloud)

    first = household(MASHIKI, ledger, "1")
    assert (first.support_decided, first.support_paid) == (2_000_000, 1_000_000)
    assert refusals(MASHIKI) == {"pay-too-much": "LEDGER_PAYMENT_EXCEEDS_DECISION"}
    kinds = [(e.details["kind"], e.details.get("amount")) for e in wiring.ledger().events(MASHIKI, ledger, "1")
             if e.type == "record_support"]
    assert kinds == [("decision", None), ("payment", 1_000_000), ("relief", None)]
    decision = next(e for e in wiring.ledger().events(MASHIKI, ledger, "1") if e.command_id == "decision-1")
    assert (decision.details["decision"]["basic"], decision.details["decision"]["additional"]) == (
        1_000_000, 1_000_000)
    # Household 2 lives alone: 3/4 of 解体 (1,000,000) and of building (2,000,000).
    assert household(MASHIKI, ledger, "2").support_decided == 2_250_000


def test_evacuation_consent_disclosure_correction_non_residents_and_closing(cloud: Cloud, ledger: str) -> None:
    accepted(ledger, {"type": "change_evacuation", "command_id": "evac-household", "household_id": "1",
                      "evacuation": "shelter", "whereabouts": "益城町総合体育館"})
    accepted(ledger, {"type": "change_evacuation", "command_id": "evac-person", "household_id": "1",
                      "person_id": "1002", "evacuation": "hospital", "whereabouts": "熊本市民病院"})
    accepted(ledger, {"type": "record_consent", "command_id": "consent-given-1", "household_id": "1",
                      "person_id": "1001", "given": True, "scope": "社会福祉協議会"})
    accepted(ledger, {"type": "record_disclosure", "command_id": "disclose-1", "household_id": "1",
                      "person_id": "1001", "recipient": "益城町社会福祉協議会", "purpose": "見守り訪問",
                      "items": ["氏名", "避難先"], "on": "2024-01-10", "reason": "本人同意に基づく提供"})
    accepted(ledger, {"type": "correct_person", "command_id": "correction-1", "household_id": "1", "person_id": "1002",
                      "name_kana": "ﾏｼｷ ﾊﾅｴ", "phone": "090-1111-2222", "my_number": MY_NUMBER})
    accepted(ledger, {"type": "add_non_resident", "command_id": "add-visitor", "household_id": "1",
                      "person_id": "X1", "name": "帰省　者", "name_kana": "キセイ　シャ", "address": "福岡市"})
    accepted(ledger, {"type": "add_non_resident", "command_id": "add-household", "household_id": "X7",
                      "person_id": "X2", "name": "旅行　者", "name_kana": "リョコウ　シャ",
                      "dwelling_address": "益城町木山2番地"})
    accepted(ledger, {"type": "close_household", "command_id": "close-household-2", "household_id": "2",
                      "reason": "転出のため"})
    apply(cloud)

    first = household(MASHIKI, ledger, "1")
    assert (first.evacuation, first.whereabouts, first.members, first.single_person) == (
        "shelter", "益城町総合体育館", 3, False)
    record = wiring.ledger().get_person(MASHIKI, ledger, "1", "1002")
    assert record is not None
    hanako = record.person
    assert (hanako.evacuation, hanako.whereabouts, hanako.phone, hanako.name_kana) == (
        "hospital", "熊本市民病院", "090-1111-2222", "マシキ　ハナエ")
    assert hanako.has_my_number and record.my_number_ct is not None
    plain = cloud.clients.kms.decrypt(CiphertextBlob=record.my_number_ct,
                                      EncryptionContext=my_number_context(MASHIKI, ledger, "1002"))["Plaintext"]
    assert plain == MY_NUMBER.encode()
    tarou = wiring.ledger().get_person(MASHIKI, ledger, "1", "1001")
    assert tarou is not None and tarou.person.consent is not None and tarou.person.consent.given
    stored = items(MASHIKI, ledger)
    # The corrected reading replaced the old search key.
    assert keys.search_sk("KANA", "マシキハナエ", "1", "1002") in stored
    assert keys.search_sk("KANA", "マシキハナコ", "1", "1002") not in stored
    visitor = Person.model_validate(stored["H#1#P#X1"])
    assert not visitor.resident and keys.search_sk("KANA", "キセイシャ", "1", "X1") in stored
    new_household = household(MASHIKI, ledger, "X7")
    assert (new_household.head_person_id, new_household.members, new_household.dwelling_address) == (
        "X2", 1, "益城町木山2番地")
    assert household(MASHIKI, ledger, "2").closed
    types = [e.type for e in wiring.ledger().events(MASHIKI, ledger, "1")]
    assert sorted(types) == sorted(["change_evacuation", "change_evacuation", "record_consent", "record_disclosure",
                                    "correct_person", "add_non_resident"])

    audit = audit_events(MASHIKI)
    assert MY_NUMBER not in json.dumps(audit, ensure_ascii=False, default=str)
    correction = next(e for e in audit if e["action"] == "ledger.correct_person")
    assert correction["details"]["changes"]["my_number"] == "set"
    assert correction["details"]["changes"]["phone"] == {"before": "096-286-3111", "after": "090-1111-2222"}
    disclosure = next(e for e in audit if e["action"] == "ledger.record_disclosure")
    assert disclosure["reason"] == "本人同意に基づく提供"
    assert disclosure["details"]["changes"]["disclosed"]["recipient"] == "益城町社会福祉協議会"
    assert MY_NUMBER not in json.dumps(items(MASHIKI, ledger), ensure_ascii=False, default=str)

    # A closed household refuses everything after, at the API and (for what was already queued) in the worker.
    status, body = send(ledger, survey("after-close", household_id="2", damage_level="半壊"))
    assert (status, body["code"]) == (409, "LEDGER_HOUSEHOLD_CLOSED")
    late = envelope(MASHIKI, ledger, survey("queued-before-close", household_id="2", damage_level="半壊"))
    enqueue(cloud, late.model_dump_json(), group=f"{MASHIKI}#{ledger}#2", dedup="late-dedup-1")
    assert apply(cloud) == 1  # a refusal is a processed message
    assert refusals(MASHIKI) == {"queued-before-close": "LEDGER_HOUSEHOLD_CLOSED"}
    status, body = send(ledger, {"type": "add_non_resident", "command_id": "add-again", "household_id": "1",
                                 "person_id": "X1", "name": "重複", "name_kana": "チョウフク"})
    assert (status, body["code"]) == (409, "LEDGER_PERSON_EXISTS")


def test_the_directory_follows_every_command_that_changes_what_the_summary_counts(cloud: Cloud, ledger: str) -> None:
    for command in (
        survey("survey-total", damage_level="全壊"), support("decision-1", "decision", method="repair"),
        support("payment-1", "payment", amount=500_000),
        {"type": "change_evacuation", "command_id": "evac-household-2", "household_id": "2", "evacuation": "shelter"},
        {"type": "change_evacuation", "command_id": "evac-person-1", "household_id": "1", "person_id": "1002",
         "evacuation": "hospital"},  # a person's move is not the household's
        {"type": "correct_person", "command_id": "care-on-1002", "household_id": "1", "person_id": "1002",
         "care_needs": ["要介護"]},
        {"type": "correct_person", "command_id": "care-off-2001", "household_id": "2", "person_id": "2001",
         "care_needs": []},
        {"type": "correct_person", "command_id": "phone-1001", "household_id": "1", "person_id": "1001",
         "phone": "090-0000-0000"},
        {"type": "add_non_resident", "command_id": "add-visitor", "household_id": "3", "person_id": "X1",
         "name": "帰省　者", "name_kana": "キセイ　シャ"},
        {"type": "add_non_resident", "command_id": "add-household", "household_id": "X7", "person_id": "X2",
         "name": "旅行　者", "name_kana": "リョコウ　シャ", "dwelling_address": "益城町木山2番地"},
        {"type": "close_household", "command_id": "close-household-3", "household_id": "3"},
    ):
        accepted(ledger, command)
    assert apply(cloud) == 11
    assert refusals(MASHIKI) == {}

    stored = items(MASHIKI, ledger)
    counted = summarize(MASHIKI, ledger, iter([i for i in stored.values() if i["entity"] in ("household", "person")]),
                        "recount")
    status, summary = call(request("GET", "/disasters/{disaster_id}/summary", {"disaster_id": ledger}))
    assert status == 200
    assert {**summary, "computed_at": "recount"} == counted.model_dump(mode="json")
    assert (summary["households"], summary["persons"], summary["closed_households"]) == (4, 7, 1)
    assert (summary["persons_with_care_needs"], summary["households_with_care_needs"]) == (2, 1)
    assert (summary["support_decided_total"], summary["support_paid_total"]) == (2_000_000, 500_000)
    assert (summary["by_damage_level"]["全壊"], summary["by_evacuation"]["shelter"]) == (1, 1)


def test_the_same_command_twice_is_applied_once(cloud: Cloud, ledger: str) -> None:
    accepted(ledger, survey("survey-total", damage_level="全壊"))
    accepted(ledger, support("decision-1", "decision", method="repair"))
    payment = support("payment-once", "payment", amount=300_000)
    accepted(ledger, payment)
    accepted(ledger, payment)  # FIFO deduplication drops the second send
    apply(cloud)
    # A producer that bypasses the API with its own deduplication ids: the worker's idempotency holds.
    again = envelope(MASHIKI, ledger, payment)
    for n in range(2):
        enqueue(cloud, again.model_dump_json(), group=f"{MASHIKI}#{ledger}#1", dedup=f"replay-{n}")
    assert apply(cloud) == 2

    assert household(MASHIKI, ledger, "1").support_paid == 300_000
    payments = [e for e in wiring.ledger().events(MASHIKI, ledger, "1") if e.command_id == "payment-once"]
    assert len(payments) == 1
    assert len([e for e in audit_events(MASHIKI) if e["details"].get("command_id") == "payment-once"]) == 1


def test_a_command_id_reused_for_another_command_is_refused_not_dropped(cloud: Cloud, ledger: str) -> None:
    accepted(ledger, survey("survey-reused", damage_level="半壊"))
    apply(cloud)
    other = survey("survey-reused", damage_level="全壊")  # the same id, other content
    enqueue(cloud, envelope(MASHIKI, ledger, other).model_dump_json(), group=f"{MASHIKI}#{ledger}#1",
            dedup="reused-1")
    assert apply(cloud) == 1  # consumed, not retried into the DLQ
    assert household(MASHIKI, ledger, "1").damage_level == "半壊"
    refusals = [e for e in audit_events(MASHIKI) if e["action"] == "ledger.command_refused"]
    assert [(e["details"]["command_id"], e["details"]["code"]) for e in refusals] == [
        ("survey-reused", "LEDGER_COMMAND_ID_REUSED")]


def test_a_write_that_slips_in_between_read_and_write_is_not_lost(cloud: Cloud, ledger: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = wiring.ledger_context()
    for command in (survey("survey-total", damage_level="全壊"), support("decision-1", "decision", method="repair")):
        assert apply_command(envelope(MASHIKI, ledger, command), ctx).status == "applied"
    mine = envelope(MASHIKI, ledger, support("payment-mine", "payment", amount=100_000), sent_at="2024-02-01T00:00:00Z")
    theirs = envelope(MASHIKI, ledger, support("payment-theirs", "payment", amount=200_000),
                      sent_at="2024-02-01T00:00:01Z", actor="mashiki-bousai-02")
    original = LedgerRepository.get_household
    reads: list[str] = []

    def read_then_let_another_writer_in(self: LedgerRepository, code: str, disaster_id: str,
                                        household_id: str) -> Household | None:
        found = original(self, code, disaster_id, household_id)
        reads.append("read")
        if len(reads) == 1:  # after my first read, their whole command runs
            assert apply_command(theirs, ctx).status == "applied"
        return found

    monkeypatch.setattr(LedgerRepository, "get_household", read_then_let_another_writer_in)
    outcome = apply_command(mine, ctx)

    assert outcome.status == "applied"
    final = household(MASHIKI, ledger, "1")
    assert final.support_paid == 300_000  # neither payment lost
    assert final.version == 1 + 4  # survey, decision, their payment, my payment (after one retry)
    assert len(reads) >= 3  # my read, their read, my second read


def test_a_poison_message_reaches_the_dlq_while_the_rest_of_its_batch_succeeds(cloud: Cloud, ledger: str) -> None:
    sqs, url = cloud.clients.sqs, cloud.queue_url("ledger_commands")
    accepted(ledger, survey("survey-hh-1", household_id="1", damage_level="半壊"))
    enqueue(cloud, json.dumps({"municipality_code": MASHIKI, "disaster_id": ledger, "command": {"type": "explode"}}),
            group=f"{MASHIKI}#{ledger}#2", dedup="poison-1")
    accepted(ledger, survey("survey-hh-3", household_id="3", damage_level="準半壊"))
    max_receives = TOPOLOGY.queue("ledger_commands").max_receive_count

    handled = 0
    for _ in range(max_receives + 1):
        # Failed messages come back at once instead of after the visibility timeout.
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", [])
        if not messages:
            break
        event = {"Records": [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs", "eventSourceARN": cloud.provisioned.queue_arns["ledger_commands"],
            "awsRegion": "ap-northeast-1"} for m in messages]}
        try:
            failed = {f["itemIdentifier"] for f in updates_handler(event, FakeContext())["batchItemFailures"]}
        except Exception:  # every record failed: Lambda retries the whole batch
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                handled += 1

    assert handled == 2
    assert household(MASHIKI, ledger, "1").damage_level == "半壊"
    assert household(MASHIKI, ledger, "3").damage_level == "準半壊"
    dead = sqs.receive_message(QueueUrl=cloud.provisioned.dlq_urls["ledger_commands"], MaxNumberOfMessages=10,
                               AttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"])["command"]["type"] for m in dead] == ["explode"]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= max_receives
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_the_sample_command_events_are_applied(cloud: Cloud) -> None:
    register_tenant(MASHIKI)
    load_residents(cloud, MASHIKI, MASHIKI_RESIDENTS)
    disaster_id = register_disaster()["disaster_id"]
    build(cloud)
    api_sample = sample("staff_api/post_ledger_command.json")
    api_sample["path"] = api_sample["path"].replace("D20240101-3fa9", disaster_id)
    api_sample["pathParameters"] = {"disaster_id": disaster_id}
    status, queued = call(api_sample)
    assert (status, queued["status"]) == (202, "queued")
    assert apply(cloud) == 1  # the sample's survey; the batch below repeats its command id
    batch = sample("ledger_updates/commands_batch.json")
    for record in batch["Records"]:
        body = json.loads(record["body"])
        body["disaster_id"] = disaster_id
        record["body"] = json.dumps(body, ensure_ascii=False)

    assert updates_handler(batch, FakeContext()) == {"batchItemFailures": []}

    first = household(MASHIKI, disaster_id, "1")
    assert (first.damage_level, first.support_decided) == ("大規模半壊", 500_000 + 1_000_000)
    assert household(MASHIKI, disaster_id, "2").evacuation == "shelter"


# --- Tenant isolation, closed disasters, remote grants --------------------------------------------

def test_a_command_naming_another_municipality_s_household_is_refused(cloud: Cloud, ledger: str) -> None:
    register_tenant(CHIYODA)
    load_residents(cloud, CHIYODA, CHIYODA_RESIDENTS)
    chiyoda_disaster = register_disaster(CHIYODA)["disaster_id"]
    build(cloud)
    mashiki_before = items(MASHIKI, ledger)

    # Household 2 exists only in Mashiki's ledger; Mashiki's disaster id does not exist under Chiyoda.
    status, body = send(chiyoda_disaster, survey("c-survey-2", household_id="2", damage_level="全壊"), code=CHIYODA)
    assert (status, body["code"]) == (404, "LEDGER_HOUSEHOLD_NOT_FOUND")
    status, body = send(ledger, survey("c-survey-m", household_id="1", damage_level="全壊"), code=CHIYODA)
    assert (status, body["code"]) == (404, "LEDGER_DISASTER_NOT_FOUND")
    for n, (disaster_id, household_id) in enumerate(((chiyoda_disaster, "2"), (ledger, "1"))):
        forged = envelope(CHIYODA, disaster_id, survey(f"forged-0{n}", household_id=household_id, damage_level="全壊"),
                          actor="chiyoda-shien-01")
        enqueue(cloud, forged.model_dump_json(), group=f"{CHIYODA}#{disaster_id}#{household_id}", dedup=f"forged-0{n}")
    assert apply(cloud) == 2

    assert refusals(CHIYODA) == {"forged-00": "LEDGER_HOUSEHOLD_NOT_FOUND", "forged-01": "LEDGER_DISASTER_NOT_FOUND"}
    assert items(MASHIKI, ledger) == mashiki_before
    assert refusals(MASHIKI) == {}


def test_a_closed_disaster_refuses_commands_at_the_api_and_in_the_worker(cloud: Cloud, ledger: str) -> None:
    queued = envelope(MASHIKI, ledger, survey("queued-before", damage_level="全壊"))
    status, closed = call(request("POST", "/disasters/{disaster_id}/close", {"disaster_id": ledger},
                                  body={"reason": "災害対応の終了"}))
    assert (status, closed["status"], closed["closed_by"]) == (200, "closed", "mashiki-bousai-01")

    status, body = send(ledger, survey("after-close", damage_level="全壊"))
    assert (status, body["code"]) == (409, "LEDGER_DISASTER_CLOSED")
    enqueue(cloud, queued.model_dump_json(), group=f"{MASHIKI}#{ledger}#1", dedup="queued-before")
    assert apply(cloud) == 1
    assert refusals(MASHIKI) == {"queued-before": "LEDGER_DISASTER_CLOSED"}
    assert household(MASHIKI, ledger, "1").damage_level is None
    status, again = call(request("POST", "/disasters/{disaster_id}/close", {"disaster_id": ledger},
                                 body={"reason": "二重"}))
    assert (status, again["code"]) == (409, "LEDGER_DISASTER_CLOSED")
    assert [e["action"] for e in audit_events(MASHIKI)].count("ledger.disaster_closed") == 1


def grant(disaster_id: str, role: Role, *, hours: int = 24) -> str:
    now = datetime.now(UTC)
    request_ = GrantRequest(grantee_code=CHIYODA, role=role,
                            valid_from=now - timedelta(hours=1), valid_until=now + timedelta(hours=hours),
                            reason="遠隔支援（応援職員）")
    return create_grant(MASHIKI, disaster_id, request_, actor="mashiki-bousai-01", grants=wiring.grants(),
                        audit=wiring.audit()).grant_id


def test_another_municipality_writes_only_through_a_live_editor_grant(cloud: Cloud, ledger: str) -> None:
    register_tenant(CHIYODA)
    command = {"type": "change_evacuation", "command_id": "remote-evac-1", "household_id": "1",
               "evacuation": "relatives"}
    status, body = send(ledger, command, code=CHIYODA, municipality=MASHIKI)
    assert (status, body["code"]) == (403, "FORBIDDEN")
    grant(ledger, "viewer")
    status, body = send(ledger, command, code=CHIYODA, municipality=MASHIKI)
    assert (status, body["code"]) == (403, "FORBIDDEN")
    status, seen = call(request("GET", "/disasters/{disaster_id}", {"disaster_id": ledger}, code=CHIYODA,
                                query={"municipality": MASHIKI}))
    assert status == 200 and seen["disaster_id"] == ledger

    grant_id = grant(ledger, "editor")
    accepted(ledger, command, code=CHIYODA, municipality=MASHIKI)
    # Remote helpers never disclose a protected person (3002) nor move their whereabouts.
    status, body = send(ledger, {"type": "record_disclosure", "command_id": "remote-disclose", "household_id": "3",
                                 "person_id": "3002", "recipient": "民生委員", "purpose": "見守り", "items": ["氏名"],
                                 "on": "2024-01-10"}, code=CHIYODA, municipality=MASHIKI)
    assert (status, body["code"]) == (403, "LEDGER_PROTECTED_PERSON")
    apply(cloud)

    assert household(MASHIKI, ledger, "1").evacuation == "relatives"
    audit = audit_events(MASHIKI)
    remote = [e for e in audit if e["action"] == "remote.ledger.command"]
    assert [(e["actor"], e["details"]["acting_for"], e["details"]["grant_id"]) for e in remote] == [
        ("chiyoda-shien-01", CHIYODA, grant_id)]
    applied = next(e for e in audit if e["action"] == "ledger.change_evacuation")
    assert (applied["actor"], applied["details"]["acting_for"], applied["details"]["grant_id"]) == (
        "chiyoda-shien-01", CHIYODA, grant_id)
    assert any(e["action"] == "remote.ledger.disaster_read" for e in audit)
    assert items(CHIYODA, ledger) == {}  # nothing was written under the helper's code

    revoke_grant(MASHIKI, grant_id, actor="mashiki-bousai-01", reason="支援終了", grants=wiring.grants(),
                 audit=wiring.audit())
    status, body = send(ledger, {**command, "command_id": "remote-evac-2"}, code=CHIYODA, municipality=MASHIKI)
    assert (status, body["code"]) == (403, "FORBIDDEN")


def test_disasters_are_listed_and_read_per_municipality(cloud: Cloud, ledger: str) -> None:
    register_tenant(CHIYODA)
    status, body = call(request("GET", "/disasters", code=CHIYODA))
    assert (status, body) == (200, {"disasters": []})
    status, body = call(request("GET", "/disasters/{disaster_id}", {"disaster_id": ledger}, code=CHIYODA))
    assert (status, body["code"]) == (404, "LEDGER_DISASTER_NOT_FOUND")
    status, body = call(request("POST", "/disasters/{disaster_id}/close", {"disaster_id": ledger}, code=CHIYODA,
                                body={"reason": "他団体"}))
    assert (status, body["code"]) == (404, "LEDGER_DISASTER_NOT_FOUND")
    status, body = call(request("GET", "/disasters/{disaster_id}", {"disaster_id": "not-an-id"}))
    assert status == 422
    registered = [e for e in audit_events(MASHIKI) if e["action"] == "ledger.disaster_registered"]
    assert [e["target"] for e in registered] == [ledger]
