"""Online applications on moto through the staff API: receipt (idempotent), automatic and manual matching
to the ledger, the status machine, and tenant isolation of the application routes."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from victim_support.damage import DamageLevel

from tests.integration.conftest import CHIYODA, MASHIKI, Cloud
from tests.integration.test_billing import sample
from tests.integration.test_ledger_queries import (
    D,
    LedgerFixture,
    audit_events,
    call,
    disaster,
    event,
    household,
    person,
    put_grant,
    seed_mashiki,
)

APP = "PITARI-2026-000123"


def submission(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(sample("staff_api/post_application.json")["body"])
    return {**body, **changes}


def post(body: dict[str, Any], code: str = MASHIKI) -> tuple[int, Any]:
    return call(event("POST", "/applications", code=code, body=body))


def get(application_id: str = APP, code: str = MASHIKI, **query: str) -> tuple[int, Any]:
    return call(event("GET", "/applications/{application_id}", {"application_id": application_id}, code=code,
                      query=query))


def set_status(status: str, application_id: str = APP, code: str = MASHIKI, **query: str) -> tuple[int, Any]:
    return call(event("POST", "/applications/{application_id}/status", {"application_id": application_id},
                      code=code, query=query, body={"status": status}))


def match(household_id: str, person_id: str, application_id: str = APP, code: str = MASHIKI,
          **query: str) -> tuple[int, Any]:
    return call(event("POST", "/applications/{application_id}/match", {"application_id": application_id},
                      code=code, query=query, body={"household_id": household_id, "person_id": person_id}))


def add_namesake(address: str = "益城町広崎9-9") -> None:
    """Another ヤマダ タロウ born the same day, in another household."""
    LedgerFixture().household(
        MASHIKI, D, household("1009", "山田　太郎", address, 1),
        [person("1009", "200009", "山田　太郎", "ヤマダ　タロウ", date(1970, 3, 12), address)])


def test_the_sample_application_is_received_and_matched_automatically(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = call(sample("staff_api/post_application.json"))
    assert status == 201, body
    assert body["status"] == "受付"
    assert (body["match"], body["household_id"], body["person_id"]) == ("auto", "1001", "200001")
    assert body["match_candidates"] == 1
    (received,) = [e for e in audit_events(MASHIKI) if e["action"] == "application.received"]
    assert received["target"] == APP
    assert "山田" not in json.dumps(received, ensure_ascii=False)


def test_posting_the_same_application_again_answers_the_first_result(cloud: Cloud) -> None:
    seed_mashiki()
    _, first = post(submission())
    status, again = post(submission(copies=5, applicant_kana="サトウ"))
    assert status == 200
    assert again == first
    assert [e["action"] for e in audit_events(MASHIKI)].count("application.received") == 1


def test_namesakes_are_told_apart_by_the_applicants_address(cloud: Cloud) -> None:
    seed_mashiki()
    add_namesake()
    _, body = post(submission())  # 宮園1丁目2番3号 is only the first one's
    assert (body["match"], body["person_id"], body["match_candidates"]) == ("auto", "200001", 2)


def test_an_ambiguous_application_waits_in_the_matching_queue_until_staff_match_it(cloud: Cloud) -> None:
    seed_mashiki()
    add_namesake()
    _, body = post(submission(address="熊本市中央区手取本町1-1"))  # neither namesake's address
    assert (body["match"], body["household_id"], body["match_candidates"]) == ("pending", None, 2)
    _, unknown = post(submission(application_id="PITARI-2026-000124", applicant_kana="ゴンベエ"))
    assert (unknown["match"], unknown["match_candidates"]) == ("pending", 0)

    status, queue = call(sample("staff_api/get_applications_pending.json"))
    assert status == 200
    assert [a["application_id"] for a in queue["applications"]] == [APP, "PITARI-2026-000124"]

    status, body = match("1009", "200009")
    assert status == 200
    assert (body["match"], body["household_id"], body["person_id"]) == ("manual", "1009", "200009")
    assert body["matched_by"] == "mashiki-bousai-01"
    _, queue = call(sample("staff_api/get_applications_pending.json"))
    assert [a["application_id"] for a in queue["applications"]] == ["PITARI-2026-000124"]
    status, body = match("1009", "999999")
    assert (status, body["code"]) == (404, "LEDGER_PERSON_NOT_FOUND")
    assert any(e["action"] == "application.matched" for e in audit_events(MASHIKI))


def test_an_application_for_an_unknown_disaster_is_refused(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = post(submission(disaster_id="D20261126-0000"))
    assert (status, body["code"]) == (404, "LEDGER_DISASTER_NOT_FOUND")


def test_while_the_ledger_is_built_applications_wait_for_staff(cloud: Cloud) -> None:
    LedgerFixture().disaster(disaster(status="building"))
    _, body = post(submission())
    assert body["match"] == "pending"


def test_the_status_moves_forward_one_step_at_a_time(cloud: Cloud) -> None:
    seed_mashiki()
    add_namesake()
    post(submission(address="熊本市中央区手取本町1-1"))  # pending
    status, body = call(sample("staff_api/post_application_status.json"))  # → 調査中
    assert (status, body["status"]) == (200, "調査中")
    status, body = set_status("交付可")
    assert (status, body["code"]) == (409, "APPLICATION_TRANSITION_INVALID")
    status, body = set_status("判定済")
    assert (status, body["code"]) == (409, "APPLICATION_NOT_MATCHED")
    match("1009", "200009")  # not surveyed yet
    status, body = set_status("判定済")
    assert (status, body["code"]) == (409, "APPLICATION_NOT_SURVEYED")
    match("1001", "200001")  # 半壊 after the 2次調査
    for step in ("判定済", "交付可", "交付済"):
        status, body = set_status(step)
        assert (status, body["status"]) == (200, step)
    assert [h["status"] for h in body["history"]] == ["受付", "調査中", "判定済", "交付可", "交付済"]
    status, body = set_status("受付")
    assert (status, body["code"]) == (409, "APPLICATION_TRANSITION_INVALID")
    status, body = match("1009", "200009")
    assert (status, body["code"]) == (409, "APPLICATION_MATCH_LOCKED")
    changes = [e for e in audit_events(MASHIKI) if e["action"] == "application.status_changed"]
    assert len(changes) == 4


def test_a_disaster_certificate_needs_a_match_but_no_survey(cloud: Cloud) -> None:
    seed_mashiki()
    post(submission(certificate_kind="被災証明書", applicant_kana="やまもと　じろう", birth_date="1990-10-01",
                    address="益城町惣領1-1"))
    assert set_status("調査中")[0] == 200
    status, body = set_status("判定済")
    assert (status, body["status"]) == (200, "判定済")
    assert body["household_id"] == "1004"
    _, view = call(event("GET", "/disasters/{disaster_id}/households/{household_id}",
                         {"disaster_id": D, "household_id": "1004"}))
    assert view["household"]["damage_level"] is None


def test_an_unknown_application_is_not_found(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = get("PITARI-0")
    assert (status, body["code"]) == (404, "APPLICATION_NOT_FOUND")
    status, body = set_status("調査中", "PITARI-0")
    assert (status, body["code"]) == (404, "APPLICATION_NOT_FOUND")


# --- Tenant isolation ----------------------------------------------------------------------------

def test_another_municipality_cannot_post_into_a_ledger_it_does_not_own(cloud: Cloud) -> None:
    seed_mashiki()
    put_grant(role="editor", hours_until=24)
    status, body = post(submission(), code=CHIYODA)
    assert (status, body["code"]) == (404, "LEDGER_DISASTER_NOT_FOUND")


@pytest.mark.parametrize("route", ["get", "list"])
def test_another_municipality_reads_applications_only_through_a_live_grant(cloud: Cloud, route: str) -> None:
    seed_mashiki()
    post(submission())

    def as_chiyoda(**query: str) -> tuple[int, Any]:
        if route == "get":
            return get(code=CHIYODA, **query)
        return call(event("GET", "/applications", code=CHIYODA, query={"disaster_id": D, **query}))

    assert as_chiyoda()[0] == 404
    assert as_chiyoda(municipality=MASHIKI)[0] == 403
    put_grant(hours_from=-48, hours_until=-24)
    put_grant(revoked=True, hours_until=48)
    assert as_chiyoda(municipality=MASHIKI)[0] == 403
    put_grant(hours_until=24)
    status, body = as_chiyoda(municipality=MASHIKI)
    assert status == 200
    application = body if route == "get" else body["applications"][0]
    assert application["application_id"] == APP
    remote = [e for e in audit_events(MASHIKI) if e["action"].startswith("remote.")]
    assert [e["details"]["acting_for"] for e in remote] == [CHIYODA]


def test_an_unknown_application_of_another_municipality_is_refused_like_a_known_one(cloud: Cloud) -> None:
    seed_mashiki()
    status, body = get("PITARI-0", code=CHIYODA, municipality=MASHIKI)
    assert (status, body["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize("write", ["match", "status"])
def test_a_viewer_grant_cannot_write_and_an_editor_grant_can(cloud: Cloud, write: str) -> None:
    seed_mashiki()
    add_namesake()
    post(submission(address="熊本市中央区手取本町1-1"))

    def as_chiyoda() -> tuple[int, Any]:
        if write == "match":
            return match("1001", "200001", code=CHIYODA, municipality=MASHIKI)
        return set_status("調査中", code=CHIYODA, municipality=MASHIKI)

    assert as_chiyoda()[0] == 403
    put_grant(role="viewer", hours_until=24)
    status, body = as_chiyoda()
    assert (status, body["code"]) == (403, "FORBIDDEN")
    put_grant(role="editor", hours_from=-48, hours_until=-24)  # expired
    assert as_chiyoda()[0] == 403
    put_grant(role="editor", hours_until=30)
    status, body = as_chiyoda()
    assert status == 200, body
    _, own = get()
    assert own == body
    audited = [e for e in audit_events(MASHIKI) if e["action"] in ("application.matched", "application.status_changed")]
    assert audited[0]["details"]["acting_for"] == CHIYODA
    assert audited[0]["actor"] == "chiyoda-shien-01"


def test_a_ledger_level_is_what_judgement_reads(cloud: Cloud) -> None:
    """The damage level comes from the matched household item, as the ledger core keeps it."""
    seed_mashiki()
    ledger = LedgerFixture()
    ledger.household(MASHIKI, D, household("1010", "鈴木　一", "益城町安永1-1", 1,
                                           damage_level=DamageLevel.LARGE_SCALE_HALF),
                     [person("1010", "200010", "鈴木　一", "スズキ　ハジメ", date(1960, 1, 1), "益城町安永1-1")])
    body = copy.deepcopy(submission(applicant_kana="すずき はじめ", birth_date="1960-01-01"))
    _, application = post(body)
    assert application["household_id"] == "1010"
    set_status("調査中")
    assert set_status("判定済")[1]["status"] == "判定済"
