"""Ledger queries on moto through the staff API: search, household view, summary, export, remote-support
grants, and tenant isolation of every route these add.

Fixture ledgers are written straight into the table in the ledger's storage convention, so these tests
do not depend on the build worker.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from victim_support import wiring
from victim_support.damage import DamageLevel, SurveyRound
from victim_support.dynamo.attributes import to_item
from victim_support.ledger import keys
from victim_support.ledger.access import Grant
from victim_support.ledger.export import WITHHELD
from victim_support.ledger.models import Disaster, Household, Person, SharingConsent
from victim_support.ledger.repository import directory_item
from victim_support.rules.normalize import address_key, birth_key, kana_key, name_key

from tests.integration.conftest import CHIYODA, MASHIKI, Cloud
from tests.integration.staff_events import as_caller, call_staff, staff_event
from tests.integration.test_billing import sample

D = "D20261126-3fa9"
AT = "2026-11-26T09:00:00Z"


# --- Helpers (shared with test_applications) ------------------------------------------------------

event = staff_event
call = call_staff


def audit_events(code: str) -> list[dict[str, Any]]:
    return wiring.audit().events(code, limit=500)


def disaster(code: str = MASHIKI, disaster_id: str = D, status: str = "open") -> Disaster:
    return Disaster.model_validate({
        "municipality_code": code, "disaster_id": disaster_id, "name": "令和8年益城町地震", "occurred_on": "2026-11-26",
        "cause": "地震", "affected_areas": ["宮園", "木山"], "relief_act_applies": True, "status": status,
        "resident_generation": 1, "registered_at": AT, "registered_by": "mashiki-bousai-01"})


def person(household_id: str, person_id: str, name: str, kana: str, birth: date, address: str,
           **extra: Any) -> Person:
    return Person.model_validate({"household_id": household_id, "person_id": person_id, "name": name,
                                  "name_kana": kana, "birth_date": birth, "address": address, "updated_at": AT,
                                  **extra})


def household(household_id: str, head: str, dwelling: str, members: int, **extra: Any) -> Household:
    return Household.model_validate({"household_id": household_id, "head_name": head, "dwelling_address": dwelling,
                                     "members": members, "single_person": members == 1, "updated_at": AT, **extra})


class LedgerFixture:
    """Writes ledger items as the ledger core stores them."""

    def __init__(self) -> None:
        self.client = wiring.ledger_reader()._client
        self.table = wiring.ledger_reader()._table

    def put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.table, Item=to_item(item))

    def disaster(self, value: Disaster) -> None:
        self.put({**value.model_dump(mode="json"), "pk": keys.disaster_pk(value.municipality_code),
                  "sk": keys.disaster_sk(value.disaster_id), "entity": "disaster"})

    def household(self, code: str, disaster_id: str, head: Household, members: list[Person],
                  events: Sequence[dict[str, Any]] = ()) -> None:
        pk = keys.household_pk(code, disaster_id, head.household_id)
        self.put({**head.model_dump(mode="json"), "pk": pk, "sk": keys.household_sk(head.household_id),
                  "entity": "household"})
        self.client.put_item(TableName=self.table, Item=directory_item(
            code, disaster_id, head, person_ids=[m.person_id for m in members],
            care_ids=[m.person_id for m in members if m.care_needs]))
        for member in members:
            hh, pid = member.household_id, member.person_id
            extra = {"my_number_ct": "AQICAHh-ciphertext"} if member.has_my_number else {}
            self.put({**member.model_dump(mode="json"), **extra, "pk": pk, "sk": keys.person_sk(hh, pid),
                      "entity": "person"})
            fields: list[tuple[keys.SearchField, str]] = [("KANA", kana_key(member.name_kana)),
                                                          ("NAME", name_key(member.name)),
                                                          ("ADDR", address_key(member.address))]
            if member.birth_date:
                fields.append(("BIRTH", birth_key(member.birth_date)))
            for field, key in fields:
                self.put({"pk": keys.search_pk(code, disaster_id, field, key, hh),
                          "sk": keys.search_sk(field, key, hh, pid), "entity": "search", "field": field,
                          "key": key, "household_id": hh, "person_id": pid, "protected": member.protected,
                          "resident": member.resident, "name": member.name, "name_kana": member.name_kana,
                          "birth_date": member.birth_date.isoformat() if member.birth_date else None})
        for number, data in enumerate(events):
            command_id = f"cmd-{head.household_id}-{number:04d}"
            self.put({**data, "command_id": command_id, "household_id": head.household_id, "applied_at": data["at"],
                      "pk": pk, "sk": keys.event_sk(head.household_id, data["at"], command_id), "entity": "event"})


def seed_mashiki(code: str = MASHIKI) -> None:
    """Four households: the Yamadas (surveyed, with history), a protected household, a household whose
    name CP932 cannot hold, and one not surveyed."""
    ledger = LedgerFixture()
    ledger.disaster(disaster(code))
    ledger.household(
        code, D,
        household("1001", "山田　太郎", "益城町宮園1丁目2番3号", 2, evacuation="shelter", damage_level=DamageLevel.HALF,
                  damage_round=SurveyRound.SECOND, support_decided=0, certificate="issued"),
        [person("1001", "200001", "山田　太郎", "ヤマダ　タロウ", date(1970, 3, 12), "益城町宮園1丁目2番3号",
                sex="1", relationship="世帯主", phone="096-111-1111", care_needs=["高齢者"], care_reason="通院",
                has_my_number=True, consent=SharingConsent(given=True, scope="社会福祉協議会", recorded_at=AT)),
         person("1001", "200002", "山田　花子", "ヤマダ　ハナコ", date(1972, 5, 1), "益城町宮園1丁目2番3号",
                sex="2", relationship="妻")],
        [  # written out of order on purpose: the view sorts by time
            {"type": "record_support", "at": "2026-12-10T01:00:00Z", "actor": "mashiki-02", "kind": "relief",
             "description": "毛布", "on": "2026-12-10"},
            {"type": "record_survey", "at": "2026-11-28T01:00:00Z", "actor": "surveyor-01", "round": "1次調査",
             "damage_level": "準半壊", "surveyed_on": "2026-11-28", "dwelling_address": "益城町宮園1丁目2番3号",
             "completed": True},
            {"type": "change_evacuation", "at": "2026-11-26T12:00:00Z", "actor": "mashiki-02",
             "evacuation": "shelter", "whereabouts": "益城町総合体育館"},
            {"type": "record_survey", "at": "2026-12-05T01:00:00Z", "actor": "surveyor-02", "round": "2次調査",
             "damage_level": "半壊", "surveyed_on": "2026-12-05", "dwelling_address": "益城町宮園1丁目2番3号",
             "completed": True},
            {"type": "correct_person", "at": "2026-12-01T01:00:00Z", "actor": "mashiki-02", "person_id": "200001",
             "my_number": "123456789018", "my_number_ct": "AQICAHh-ciphertext", "phone": "096-111-1111"},
            {"type": "record_consent", "at": "2026-12-02T01:00:00Z", "actor": "mashiki-02", "person_id": "200001",
             "given": True, "scope": "社会福祉協議会"},
            {"type": "record_disclosure", "at": "2026-12-03T01:00:00Z", "actor": "mashiki-02",
             "person_id": "200001", "recipient": "社会福祉協議会", "purpose": "見守り", "items": ["氏名", "電話番号"],
             "on": "2026-12-03"},
        ],
    )
    ledger.household(
        code, D,
        household("1002", "佐藤　美咲", "益城町木山2番地の5", 1, protected=True, evacuation="relatives",
                  whereabouts="熊本市内の親族宅",
                  damage_level=DamageLevel.TOTAL, damage_round=SurveyRound.FIRST, support_decided=750_000,
                  support_paid=750_000),
        [person("1002", "200003", "佐藤　美咲", "サトウ　ミサキ", date(1985, 7, 7), "益城町木山2番地の5",
                whereabouts="熊本市内の親族宅", phone="090-2222-2222", protected=True, care_needs=["妊産婦"])],
        [{"type": "change_evacuation", "at": "2026-11-27T01:00:00Z", "actor": "mashiki-02",
          "evacuation": "relatives", "whereabouts": "熊本市内の親族宅", "person_id": "200003"}],
    )
    ledger.household(
        code, D,
        household("1003", "𠮷田　一郎", "益城町宮園5-6", 1, evacuation="at_home", damage_level=DamageLevel.PARTIAL,
                  damage_round=SurveyRound.FIRST),
        [person("1003", "200004", "𠮷田　一郎", "ヨシダ　イチロウ", date(1950, 1, 20), "益城町宮園5-6",
                care_needs=["高齢者", "要介護"])],
    )
    ledger.household(
        code, D, household("1004", "山本　次郎", "益城町惣領1-1", 1),
        [person("1004", "200005", "山本　次郎", "ﾔﾏﾓﾄ ｼﾞﾛｳ", date(1990, 10, 1), "益城町惣領1-1")],
    )


def put_grant(grantee: str = CHIYODA, *, role: str = "viewer", hours_from: float = -1, hours_until: float = 24,
              revoked: bool = False, disaster_id: str = D) -> Grant:
    now = datetime.now(UTC)
    grant = Grant(grant_id=f"{MASHIKI}-{role}{int(hours_until)}", grantor_code=MASHIKI, grantee_code=grantee,
                  disaster_id=disaster_id, role=role,
                  valid_from=now + timedelta(hours=hours_from), valid_until=now + timedelta(hours=hours_until),
                  reason="遠隔支援", created_by="mashiki-bousai-01", created_at=AT,
                  revoked_at=AT if revoked else None)
    wiring.grants().put(grant)
    return grant


def search(query: dict[str, str], code: str = MASHIKI) -> tuple[int, Any]:
    return call(event("GET", "/disasters/{disaster_id}/persons", {"disaster_id": D}, code=code, query=query))


def found(body: dict[str, Any]) -> list[str]:
    return [r["person_id"] for r in body["results"]]


# --- Search --------------------------------------------------------------------------------------

def test_the_sample_search_by_hiragana_finds_full_width_katakana_records(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(sample("staff_api/get_ledger_persons.json"))  # kana=やまだ
    assert status == 200
    assert found(body) == ["200001", "200002"]
    assert body["results"][0] == {"person_id": "200001", "household_id": "1001", "name": "山田　太郎",
                                  "name_kana": "ヤマダ　タロウ", "birth_date": "1970-03-12",
                                  "address": "益城町宮園1丁目2番3号", "protected": False, "withheld": []}


@pytest.mark.parametrize(("query", "expected"), [
    ({"kana": "ﾔﾏﾀﾞ ﾀﾛｳ"}, ["200001"]),
    ({"kana": "やま"}, ["200001", "200002", "200005"]),  # a half-width record is found too
    ({"kana": "やまもと じろう"}, ["200005"]),
    ({"name": "山田 太郎"}, ["200001"]),
    ({"name": "山田　花子"}, ["200002"]),
    ({"name": "山田"}, ["200001", "200002"]),
    ({"birth": "S45.3.12"}, ["200001"]),
    ({"birth": "昭和45年3月12日"}, ["200001"]),
    ({"birth": "1970"}, ["200001"]),
    ({"address": "益城町宮園１－２－３"}, ["200001", "200002"]),
    ({"address": "益城町宮園一丁目2番地の3"}, ["200001", "200002"]),
    ({"address": "益城町宮園"}, ["200001", "200002", "200004"]),
    ({"kana": "やまだ", "birth": "S47.5.1"}, ["200002"]),
    ({"name": "山田", "address": "益城町宮園1-2-3"}, ["200001", "200002"]),
    ({"kana": "やまだ", "birth": "1999"}, []),
])
def test_search_normalises_every_criterion(cloud: Cloud, query: dict[str, str], expected: list[str]) -> None:
    seed_mashiki()
    status, body = search(query)
    assert status == 200, body
    assert found(body) == expected


def test_search_pages_with_a_cursor(cloud: Cloud) -> None:
    seed_mashiki()
    seen: list[str] = []
    query = {"kana": "やま", "limit": "1"}
    for _ in range(5):
        status, body = search(query)
        assert status == 200
        seen += found(body)
        if not body["next_cursor"]:
            break
        query = {**query, "cursor": body["next_cursor"]}
    assert seen == ["200001", "200002", "200005"]
    # An address search reads every address shard and pages through them merged in key order.
    assert len({keys.search_pk(MASHIKI, D, "ADDR", "益城町", h) for h in ("1001", "1002", "1003", "1004")}) > 1
    seen, query = [], {"address": "益城町", "limit": "2"}
    for _ in range(5):
        status, body = search(query)
        assert status == 200
        seen += found(body)
        if not body["next_cursor"]:
            break
        query = {**query, "cursor": body["next_cursor"]}
    assert seen == ["200001", "200002", "200004", "200005", "200003"]  # 宮園 < 惣領 < 木山 in code points
    combined = {"kana": "やま", "address": "益城町", "limit": "2"}
    _, first = search(combined)
    _, second = search({**combined, "cursor": first["next_cursor"]})
    assert found(first) + found(second) == ["200001", "200002", "200005"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(("query", "code"), [
    ({}, "LEDGER_SEARCH_INVALID"),
    ({"birth": "someday"}, "LEDGER_SEARCH_INVALID"),
    ({"kana": "やま", "cursor": "bm9wZQ"}, "LEDGER_CURSOR_INVALID"),
    ({"kana": "やま", "limit": "101"}, "VALIDATION_ERROR"),
])
def test_a_bad_search_is_refused_clearly(cloud: Cloud, query: dict[str, str], code: str) -> None:
    seed_mashiki()
    status, body = search(query)
    assert status == 422
    assert body["code"] == code


def test_a_ledger_still_being_built_is_not_searched(cloud: Cloud) -> None:
    LedgerFixture().disaster(disaster(status="building"))
    status, body = search({"kana": "やまだ"})
    assert (status, body["code"]) == (409, "LEDGER_NOT_READY")


# --- Household view ------------------------------------------------------------------------------

def test_the_household_view_has_members_and_history_in_time_order_and_no_my_number(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(sample("staff_api/get_ledger_household.json"))  # household 1001
    assert status == 200
    assert body["household"]["damage_level"] == "半壊"
    assert body["household"]["damage_round"] == "2次調査"
    assert [m["person_id"] for m in body["members"]] == ["200001", "200002"]
    assert body["members"][0]["has_my_number"] is True
    history = body["history"]
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)
    assert [e["type"] for e in history] == ["change_evacuation", "record_survey", "correct_person", "record_consent",
                                            "record_disclosure", "record_survey", "record_support"]
    surveys = [e["details"] for e in history if e["type"] == "record_survey"]
    assert [(s["round"], s["damage_level"]) for s in surveys] == [("1次調査", "準半壊"), ("2次調査", "半壊")]
    text = json.dumps(body, ensure_ascii=False)
    assert "123456789018" not in text
    assert "ciphertext" not in text
    assert "my_number_ct" not in text
    assert not body["protected"]
    assert not any(e["action"] == "ledger.protected_viewed" for e in audit_events(MASHIKI))


def test_an_unknown_household_is_not_found(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(event("GET", "/disasters/{disaster_id}/households/{household_id}",
                              {"disaster_id": D, "household_id": "100"}))
    assert (status, body["code"]) == (404, "LEDGER_HOUSEHOLD_NOT_FOUND")


def test_own_staff_see_a_protected_household_and_the_view_is_audited_with_ids_only(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(event("GET", "/disasters/{disaster_id}/households/{household_id}",
                              {"disaster_id": D, "household_id": "1002"}))
    assert status == 200
    assert body["protected"] is True
    assert body["members"][0]["address"] == "益城町木山2番地の5"
    assert body["members"][0]["withheld"] == []
    (audited,) = [e for e in audit_events(MASHIKI) if e["action"] == "ledger.protected_viewed"]
    assert audited["target"] == "1002"
    assert audited["details"]["person_ids"] == ["200003"]
    assert audited["actor"] == "mashiki-bousai-01"
    assert "佐藤" not in json.dumps(audited, ensure_ascii=False)
    assert "木山" not in json.dumps(audited, ensure_ascii=False)


# --- Summary -------------------------------------------------------------------------------------

def test_the_summary_counts_households_and_persons_without_identifying_anyone(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(sample("staff_api/get_ledger_summary.json"))
    assert status == 200
    assert (body["households"], body["persons"]) == (4, 5)
    assert body["by_damage_level"] == {"全壊": 1, "大規模半壊": 0, "中規模半壊": 0, "半壊": 1, "準半壊": 0,
                                       "準半壊に至らない（一部損壊）": 1, "未調査": 1}
    assert body["by_evacuation"]["shelter"] == 1
    assert body["by_evacuation"]["relatives"] == 1
    assert body["by_evacuation"]["at_home"] == 1
    assert body["by_evacuation"]["unknown"] == 1
    assert (body["households_with_care_needs"], body["persons_with_care_needs"]) == (3, 3)
    assert (body["support_decided_total"], body["support_paid_total"]) == (750_000, 750_000)
    assert body["households_support_decided"] == 1
    text = json.dumps(body, ensure_ascii=False)
    assert "山田" not in text and "1001" not in text


# --- Export --------------------------------------------------------------------------------------

def download(cloud: Cloud, body: dict[str, Any], encoding: str) -> list[list[str]]:
    data = requests.get(body["url"], timeout=10).content
    assert data == cloud.clients.s3.get_object(Bucket=cloud.bucket("reports"), Key=body["key"])["Body"].read()
    return list(csv.reader(io.StringIO(data.decode(encoding))))


def test_the_export_in_cp932_withholds_protected_addresses_replaces_what_cp932_lacks_and_is_audited(
        cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(sample("staff_api/get_ledger_export.json"))
    assert status == 200, body
    assert body["key"].startswith(f"{MASHIKI}/exports/{D}/") and body["key"].endswith(".csv")
    assert (body["rows"], body["withheld_rows"], body["replaced_characters"]) == (5, 1, 1)  # 𠮷 of 𠮷田
    rows = download(cloud, body, "cp932")
    header, *data = rows
    assert header[:4] == ["世帯番号", "宛名番号", "氏名", "氏名カナ"]
    by_person = {row[1]: dict(zip(header, row, strict=True)) for row in data}
    assert set(by_person) == {"200001", "200002", "200003", "200004", "200005"}
    sato = by_person["200003"]
    assert (sato["住所"], sato["居所"], sato["電話番号"], sato["被災住家の所在地"]) == (WITHHELD,) * 4
    assert sato["氏名"] == "佐藤　美咲"
    assert by_person["200004"]["氏名"] == "〓田　一郎"
    assert by_person["200001"]["住所"] == "益城町宮園1丁目2番3号"
    assert by_person["200001"]["住家の被害の程度"] == "半壊"
    assert "123456789018" not in json.dumps(rows, ensure_ascii=False)
    (audited,) = [e for e in audit_events(MASHIKI) if e["action"] == "ledger.exported"]
    assert audited["details"]["rows"] == 5
    assert audited["details"]["key"] == body["key"]
    head = cloud.clients.s3.head_object(Bucket=cloud.bucket("reports"), Key=body["key"])
    assert head["ContentType"].startswith("text/csv")


def test_the_export_in_utf8_keeps_every_character_and_still_withholds(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(event("GET", "/disasters/{disaster_id}/export", {"disaster_id": D},
                              query={"encoding": "utf-8"}))
    assert status == 200
    assert body["replaced_characters"] == 0
    header, *data = download(cloud, body, "utf-8-sig")
    by_person = {row[1]: dict(zip(header, row, strict=True)) for row in data}
    assert by_person["200004"]["氏名"] == "𠮷田　一郎"
    assert by_person["200003"]["住所"] == WITHHELD


# --- Grant routes --------------------------------------------------------------------------------

def grant_body(role: str = "viewer", grantee: str = CHIYODA) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"grantee_code": grantee, "role": role, "valid_from": (now - timedelta(hours=1)).isoformat(),
            "valid_until": (now + timedelta(days=7)).isoformat(), "reason": "窓口応援"}


def test_grants_are_given_listed_held_and_revoked(cloud: Cloud) -> None:
    seed_mashiki()
    status, created = call(sample("staff_api/post_ledger_grant.json"))  # a window in 2026
    assert status == 201
    assert created["grantee_code"] == CHIYODA
    status, live = call(event("POST", "/disasters/{disaster_id}/grants", {"disaster_id": D},
                              body=grant_body("editor")))
    assert status == 201
    status, listed = call(event("GET", "/disasters/{disaster_id}/grants", {"disaster_id": D}))
    assert status == 200
    assert {g["grant_id"] for g in listed["grants"]} == {created["grant_id"], live["grant_id"]}
    assert next(g for g in listed["grants"] if g["grant_id"] == live["grant_id"])["live_now"] is True
    status, held = call(as_caller(sample("staff_api/get_grants_held.json"), CHIYODA))
    assert status == 200
    assert {g["grant_id"] for g in held["grants"]} == {created["grant_id"], live["grant_id"]}
    status, revoked = call(event("POST", "/disasters/{disaster_id}/grants/{grant_id}/revoke",
                                 {"disaster_id": D, "grant_id": live["grant_id"]}, body={"reason": "応援終了"}))
    assert status == 200
    assert revoked["revoked_at"]
    _, held = call(event("GET", "/grants", code=CHIYODA))
    assert next(g for g in held["grants"] if g["grant_id"] == live["grant_id"])["live_now"] is False
    actions = [e["action"] for e in audit_events(MASHIKI)]
    assert actions.count("ledger.grant_created") == 2
    assert "ledger.grant_revoked" in actions


def test_a_grant_needs_a_disaster_of_the_grantors(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(event("POST", "/disasters/{disaster_id}/grants", {"disaster_id": D}, code=CHIYODA,
                              body=grant_body(grantee="011002")))
    assert (status, body["code"]) == (404, "LEDGER_DISASTER_NOT_FOUND")
    status, body = call(event("POST", "/disasters/{disaster_id}/grants", {"disaster_id": D},
                              body=grant_body(grantee=MASHIKI)))
    assert (status, body["code"]) == (422, "LEDGER_GRANT_INVALID")


def test_another_municipality_cannot_list_or_revoke_a_grant_it_did_not_give(cloud: Cloud) -> None:
    seed_mashiki()
    grant = put_grant()
    _, listed = call(event("GET", "/disasters/{disaster_id}/grants", {"disaster_id": D}, code=CHIYODA))
    assert listed["grants"] == []
    status, body = call(event("POST", "/disasters/{disaster_id}/grants/{grant_id}/revoke",
                              {"disaster_id": D, "grant_id": grant.grant_id}, code=CHIYODA, body={"reason": "x"}))
    assert (status, body["code"]) == (404, "LEDGER_GRANT_NOT_FOUND")
    _, held = call(event("GET", "/grants"))
    assert held["grants"] == []  # 益城町 holds nothing: it gave the grant


# --- Tenant isolation and remote reads -----------------------------------------------------------

READ_ROUTES = [
    ("/disasters/{disaster_id}/persons", {"disaster_id": D}, {"kana": "やまだ"}),
    ("/disasters/{disaster_id}/households/{household_id}", {"disaster_id": D, "household_id": "1001"}, {}),
    ("/disasters/{disaster_id}/summary", {"disaster_id": D}, {}),
    ("/disasters/{disaster_id}/export", {"disaster_id": D}, {}),
]


@pytest.mark.parametrize(("resource", "params", "query"), READ_ROUTES)
def test_another_municipality_reads_a_ledger_only_through_a_live_grant(
        cloud: Cloud, resource: str, params: dict[str, str], query: dict[str, str]) -> None:
    seed_mashiki()

    def as_chiyoda(**extra: str) -> tuple[int, Any]:
        return call(event("GET", resource, params, code=CHIYODA, query={**query, **extra}))

    status, body = as_chiyoda()  # its own ledger has no such disaster
    assert (status, body["code"]) == (404, "LEDGER_DISASTER_NOT_FOUND")
    status, body = as_chiyoda(municipality=MASHIKI)
    assert (status, body["code"]) == (403, "FORBIDDEN")
    put_grant(hours_from=-48, hours_until=-24)  # expired
    put_grant(revoked=True, hours_until=48)
    put_grant(disaster_id="D20261201-0b0b", hours_until=72)
    assert as_chiyoda(municipality=MASHIKI)[0] == 403

    grant = put_grant(hours_until=24)  # live viewer
    status, body = as_chiyoda(municipality=MASHIKI)
    assert status == 200, body
    remote = [e for e in audit_events(MASHIKI) if e["action"].startswith("remote.")]
    assert len(remote) == 1
    assert remote[0]["details"]["acting_for"] == CHIYODA
    assert remote[0]["details"]["grant_id"] == grant.grant_id
    assert remote[0]["actor"] == "chiyoda-shien-01"
    assert audit_events(CHIYODA) == []


def test_a_remote_helper_sees_a_protected_person_without_anything_that_locates_them(cloud: Cloud) -> None:
    seed_mashiki()
    put_grant(hours_until=24)
    status, view = call(event("GET", "/disasters/{disaster_id}/households/{household_id}",
                              {"disaster_id": D, "household_id": "1002"}, code=CHIYODA,
                              query={"municipality": MASHIKI}))
    assert status == 200
    (member,) = view["members"]
    assert member["name"] == "佐藤　美咲"
    assert (member["address"], member["whereabouts"], member["phone"]) == ("", "", "")
    assert set(member["withheld"]) == {"address", "whereabouts", "phone"}
    assert (view["household"]["dwelling_address"], view["household"]["whereabouts"]) == ("", "")
    assert "木山" not in json.dumps(view, ensure_ascii=False)
    assert "親族宅" not in json.dumps(view, ensure_ascii=False)
    audited = [e for e in audit_events(MASHIKI) if e["action"] == "ledger.protected_viewed"]
    assert audited[0]["details"]["acting_for"] == CHIYODA

    _, by_kana = search({"kana": "さとう", "municipality": MASHIKI}, code=CHIYODA)
    assert by_kana["results"][0]["withheld"] == ["address"]
    assert by_kana["results"][0]["address"] == ""
    _, by_address = search({"address": "益城町木山", "municipality": MASHIKI}, code=CHIYODA)
    assert by_address["results"] == []  # the match alone would confirm where she lives
    _, own = search({"address": "益城町木山"})
    assert found(own) == ["200003"]


def test_a_grant_does_not_let_a_helper_give_grants_on_the_grantors_ledger(cloud: Cloud) -> None:
    seed_mashiki()
    put_grant(hours_until=24)
    status, body = call(event("POST", "/disasters/{disaster_id}/grants", {"disaster_id": D}, code=CHIYODA,
                              query={"municipality": MASHIKI}, body=grant_body(grantee="011002")))
    assert status == 404  # grants are given only for the caller's own disasters
    assert body["code"] == "LEDGER_DISASTER_NOT_FOUND"


# --- With the real ledger build ------------------------------------------------------------------

def test_a_ledger_built_from_residents_is_searched_viewed_counted_exported_and_matched(cloud: Cloud) -> None:
    from tests.integration import test_ledger as core

    core.register_tenant(MASHIKI)
    core.load_residents(cloud, MASHIKI, core.MASHIKI_RESIDENTS, removed=(core.REMOVED_RESIDENT,))
    disaster_id = str(core.register_disaster()["disaster_id"])
    assert core.build(cloud) == 1
    core.accepted(disaster_id, core.survey("survey-0001", damage_level="半壊"))
    core.accepted(disaster_id, {"type": "correct_person", "command_id": "correct-0001", "household_id": "1",
                                "person_id": "1001", "my_number": core.MY_NUMBER})
    assert core.apply(cloud) == 2
    ledger = {"disaster_id": disaster_id}

    _, found_by_kana = call(event("GET", "/disasters/{disaster_id}/persons", ledger, query={"kana": "ましき"}))
    assert found(found_by_kana) == ["1001", "1002"]
    _, by_birth = call(event("GET", "/disasters/{disaster_id}/persons", ledger, query={"birth": "S25.1.20"}))
    assert found(by_birth) == ["2001"]

    _, view = call(event("GET", "/disasters/{disaster_id}/households/{household_id}",
                         {**ledger, "household_id": "1"}))
    assert sorted(e["type"] for e in view["history"]) == ["correct_person", "record_survey"]  # same second
    (surveyed,) = [e for e in view["history"] if e["type"] == "record_survey"]
    assert surveyed["details"]["damage_level"] == "半壊"
    assert view["members"][0]["has_my_number"] is True
    assert core.MY_NUMBER not in json.dumps(view)

    put_grant(hours_until=24, disaster_id=disaster_id)
    _, remote = call(event("GET", "/disasters/{disaster_id}/households/{household_id}",
                           {**ledger, "household_id": "3"}, code=CHIYODA, query={"municipality": MASHIKI}))
    assert remote["protected"] is True
    assert {m["address"] for m in remote["members"]} == {""}
    assert remote["household"]["dwelling_address"] == ""

    _, summary = call(event("GET", "/disasters/{disaster_id}/summary", ledger))
    assert (summary["households"], summary["persons"]) == (3, 5)
    assert (summary["by_damage_level"]["半壊"], summary["by_damage_level"]["未調査"]) == (1, 2)

    _, exported = call(event("GET", "/disasters/{disaster_id}/export", ledger))
    assert (exported["rows"], exported["withheld_rows"]) == (5, 2)

    _, application = call(event("POST", "/applications", body=submission_for(
        disaster_id, kana="ﾏｼｷ ﾀﾛｳ", birth="1970-03-12", address=core.ADDRESS)))
    assert (application["match"], application["household_id"], application["person_id"]) == ("auto", "1", "1001")


def submission_for(disaster_id: str, *, kana: str, birth: str, address: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(sample("staff_api/post_application.json")["body"])
    return {**body, "disaster_id": disaster_id, "applicant_kana": kana, "birth_date": birth, "address": address}


# Every staff route under a disaster, with a body it accepts: another municipality, without a live
# grant, must get nothing of 益城町's ledger through any of them, and change nothing.
_COMMAND = {"type": "record_survey", "command_id": "isolation-1", "household_id": "1001", "round": "1次調査",
            "surveyor": "班", "surveyed_on": "2026-11-27", "dwelling_address": "益城町木山1", "completed": True,
            "damage_level": "全壊"}
# (path parameters besides the disaster, query, body): for a GET the second item is its query.
DISASTER_ROUTE_CALLS: dict[tuple[str, str], tuple[dict[str, str], Any]] = {
    ("GET", "/disasters/{disaster_id}"): ({}, None),
    ("POST", "/disasters/{disaster_id}/close"): ({}, {"reason": "終了"}),
    ("POST", "/disasters/{disaster_id}/commands"): ({}, _COMMAND),
    ("GET", "/disasters/{disaster_id}/persons"): ({}, {"kana": "やまだ"}),
    ("GET", "/disasters/{disaster_id}/households/{household_id}"): ({"household_id": "1001"}, None),
    ("GET", "/disasters/{disaster_id}/summary"): ({}, None),
    ("GET", "/disasters/{disaster_id}/export"): ({}, None),
    ("POST", "/disasters/{disaster_id}/grants"): ({}, "grant"),
    ("GET", "/disasters/{disaster_id}/grants"): ({}, None),
    ("POST", "/disasters/{disaster_id}/grants/{grant_id}/revoke"): ({"grant_id": "G-isolation"}, {"reason": "x"}),
    ("POST", "/disasters/{disaster_id}/certificates"): ({}, {"kind": "risai", "household_id": "1001"}),
}


def test_the_isolation_table_names_every_disaster_route() -> None:
    from infra.topology import TOPOLOGY

    routes = {(r.method, r.path) for r in TOPOLOGY.routes if r.path.startswith("/disasters/{disaster_id}")}
    assert routes == set(DISASTER_ROUTE_CALLS)


@pytest.mark.parametrize("route", sorted(DISASTER_ROUTE_CALLS), ids=lambda r: f"{r[0]} {r[1]}")
def test_no_disaster_route_reaches_another_municipalitys_ledger_without_a_grant(
        cloud: Cloud, route: tuple[str, str]) -> None:
    seed_mashiki()
    method, resource = route
    extra, given = DISASTER_ROUTE_CALLS[route]
    body = grant_body(grantee="011002") if given == "grant" else given if method == "POST" else None
    search = given if method == "GET" and given else {}
    params = {"disaster_id": D, **extra}
    before = wiring.ledger().get_household(MASHIKI, D, "1001")
    for acting in ({}, {"municipality": MASHIKI}):  # as itself, then claiming to act for 益城町
        status, answer = call(event(method, resource, params, code=CHIYODA, query={**search, **acting} or None,
                                    body=body))
        if route == ("GET", "/disasters/{disaster_id}/grants"):
            assert (status, answer) == (200, {"grants": []})  # always the caller's own grants: none
        else:
            assert status in (403, 404), (acting, status, answer)
        assert "山田" not in json.dumps(answer, ensure_ascii=False)
    assert wiring.ledger().get_household(MASHIKI, D, "1001") == before
    disaster = wiring.ledger().get_disaster(MASHIKI, D)
    assert disaster is not None and disaster.status == "open"
    assert wiring.grants().given_by(MASHIKI) == []  # and no grant given in its name
    for queue in ("ledger_commands", "certificate_requests"):  # nothing was sent on for 益城町
        attributes = cloud.clients.sqs.get_queue_attributes(
            QueueUrl=cloud.queue_url(queue), AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0", queue
