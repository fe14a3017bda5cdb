"""Onboarding applications and the shared checklist through the staff API, against the topology on moto."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from victim_support import wiring
from victim_support.auth import Caller
from victim_support.onboarding import service
from victim_support.onboarding.models import ApplicationRequest, ProgressUpdate
from victim_support.onboarding.schedule import add_months, format_month, jst_today

from tests.integration.conftest import CHIYODA, MASHIKI, Cloud
from tests.integration.lambda_context import FakeContext

EVENTS = Path(__file__).resolve().parents[2] / "events"
KUMAMOTO_PREFECTURE = "430005"


def months_ahead(months: int) -> str:
    today = jst_today()
    return format_month(*add_months(today.year, today.month, months))


def call(method: str, path: str, *, groups: str = "staff", code: str | None = MASHIKI, user: str = "mashiki-bousai-01",
         body: Any = None) -> tuple[int, Any]:
    """The staff API as API Gateway calls it: a REST proxy event with Cognito claims."""
    from functions.staff_api.handler import lambda_handler

    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / "staff_api" / "get_upload.json").read_text()))
    event.update(httpMethod=method, path=path, resource=path, pathParameters=None,
                 body=None if body is None else json.dumps(body, ensure_ascii=False))
    event["requestContext"].update(httpMethod=method, resourcePath=path, path=f"/prod{path}")
    claims = event["requestContext"]["authorizer"]["claims"]
    claims.update({"cognito:groups": groups, "cognito:username": user})
    if code is None:
        claims.pop("custom:municipality_code", None)
    else:
        claims["custom:municipality_code"] = code
    resp = lambda_handler(event, FakeContext())
    return resp["statusCode"], json.loads(resp["body"]) if resp.get("body") else None


def as_operator(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return call(method, path, groups="operators", code=None, user="operator-1", body=body)


def apply(code: str = MASHIKI, **overrides: Any) -> dict[str, Any]:
    body = {"pattern": "A", "start_month": months_ahead(6), "kiosk": True, **overrides}
    status, checklist = as_operator("PUT", f"/onboarding/applications/{code}", body)
    assert status == 200, checklist
    return checklist  # type: ignore[no-any-return]


def step(checklist: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in checklist["plan"]["steps"] if s["key"] == key)


def audit_events(code: str, action_prefix: str) -> list[dict[str, Any]]:
    return [e for e in wiring.audit().events(code) if e["action"].startswith(action_prefix)]


def test_the_operator_creates_reads_and_updates_an_application(cloud: Cloud) -> None:
    created = apply(pattern="A", kiosk=True)
    application = created["application"]
    assert application["municipality_code"] == MASHIKI
    assert application["municipality_name"] == "益城町"
    assert (application["version"], application["created_by"], application["bos_account"]) == (1, "operator-1",
                                                                                               "none")
    assert len(created["plan"]["steps"]) == 12

    updated = apply(pattern="B", kiosk=False, bos_account="requested", start_month=months_ahead(7))
    assert updated["application"]["version"] == 2
    assert updated["application"]["created_at"] == application["created_at"]
    assert [s["no"] for s in updated["plan"]["steps"]] == [1, 2, 3, 4, 6, 7, 8, 9, 11]
    assert next(m for m in updated["plan"]["milestones"] if m["key"] == "bos_account")["status"] == "in_progress"

    status, read = as_operator("GET", f"/onboarding/applications/{MASHIKI}")
    assert status == 200
    assert read == updated

    events = audit_events(MASHIKI, "onboarding.")
    actions = sorted(e["action"] for e in events)
    assert actions == ["onboarding.application.updated", "onboarding.applied"]
    change = next(e for e in events if e["action"] == "onboarding.application.updated")
    assert change["actor"] == "operator-1"
    assert change["details"]["before"]["pattern"] == "A"
    assert change["details"]["after"]["pattern"] == "B"
    assert change["details"]["after"]["kiosk"] is False


def test_a_start_month_too_near_is_refused_unless_compression_is_allowed(cloud: Cloud) -> None:
    body = {"pattern": "A", "start_month": months_ahead(3), "kiosk": True}
    status, error = as_operator("PUT", f"/onboarding/applications/{MASHIKI}", body)
    assert (status, error["code"]) == (422, "ONBOARDING_START_TOO_NEAR")
    status, error = as_operator("PUT", f"/onboarding/applications/{MASHIKI}", {**body, "start_month": "2020-01"})
    assert (status, error["code"]) == (422, "ONBOARDING_START_IN_PAST")

    status, checklist = as_operator("PUT", f"/onboarding/applications/{MASHIKI}", {**body, "allow_compressed": True})
    assert status == 200, checklist
    assert checklist["application"]["compressed"] is True
    assert checklist["plan"]["compressed"] is True
    assert checklist["plan"]["progress"]["overdue"] == 0


def test_only_municipality_codes_may_apply(cloud: Cloud) -> None:
    body = {"pattern": "A", "start_month": months_ahead(6), "kiosk": True}
    status, error = as_operator("PUT", f"/onboarding/applications/{KUMAMOTO_PREFECTURE}", body)
    assert (status, error["code"]) == (422, "ONBOARDING_NOT_A_MUNICIPALITY")
    status, error = as_operator("PUT", "/onboarding/applications/434435", body)
    assert (status, error["code"]) == (422, "MUNICIPALITY_CODE_INVALID")


def test_a_stale_expected_version_is_a_conflict(cloud: Cloud) -> None:
    apply()
    status, error = as_operator("PUT", f"/onboarding/applications/{MASHIKI}", {
        "pattern": "A", "start_month": months_ahead(6), "kiosk": False, "expected_version": 0})
    assert (status, error["code"]) == (409, "CONFLICT")


def test_the_operator_and_the_municipality_see_the_same_checklist(cloud: Cloud) -> None:
    apply()
    call("PUT", f"/onboarding/applications/{MASHIKI}/steps/hearing_sheet", body={"status": "in_progress"})
    status_staff, staff_view = call("GET", "/onboarding")
    status_operator, operator_view = as_operator("GET", f"/onboarding/applications/{MASHIKI}")
    assert status_staff == status_operator == 200
    assert staff_view == operator_view
    assert step(staff_view, "hearing_sheet")["status"] == "in_progress"


def test_staff_move_their_own_step_and_the_change_is_audited(cloud: Cloud) -> None:
    apply()
    status, checklist = call("PUT", f"/onboarding/applications/{MASHIKI}/steps/hearing_sheet",
                             body={"status": "done", "note": "ヒアリングシート提出済み"})
    assert status == 200, checklist
    moved = step(checklist, "hearing_sheet")
    assert moved["status"] == "done"
    assert moved["note"] == "ヒアリングシート提出済み"
    assert moved["updated_by"] == "mashiki-bousai-01"
    assert moved["done_on"] == jst_today().isoformat()
    assert checklist["plan"]["progress"]["done"] == 1

    [event] = audit_events(MASHIKI, "onboarding.step.")
    assert event["actor"] == "mashiki-bousai-01"
    assert event["target"] == f"onboarding/{MASHIKI}/hearing_sheet"
    assert "before" not in event["details"]  # a step never moved before has no previous state
    assert event["details"]["after"]["status"] == "done"
    assert "ヒアリング" not in json.dumps(event, ensure_ascii=False)  # free-text notes stay out of the audit

    call("PUT", f"/onboarding/applications/{MASHIKI}/steps/hearing_sheet", body={"status": "in_progress"})
    second = [e for e in audit_events(MASHIKI, "onboarding.step.") if e["details"].get("before")]
    assert second[0]["details"]["before"]["status"] == "done"
    assert second[0]["details"]["after"]["status"] == "in_progress"


def test_staff_cannot_move_a_center_step_but_the_operator_can(cloud: Cloud) -> None:
    apply()
    status, error = call("PUT", f"/onboarding/applications/{MASHIKI}/steps/issuance_server", body={"status": "done"})
    assert (status, error["code"]) == (403, "FORBIDDEN")
    status, checklist = as_operator("PUT", f"/onboarding/applications/{MASHIKI}/steps/issuance_server",
                                    body={"status": "done"})
    assert status == 200
    assert step(checklist, "issuance_server")["updated_by"] == "operator-1"
    status, checklist = call("PUT", f"/onboarding/applications/{MASHIKI}/steps/kiosk_store_test",
                             body={"status": "in_progress"})
    assert status == 200  # owner "both": either side moves it


def test_staff_of_another_municipality_can_neither_read_nor_move_the_checklist(cloud: Cloud) -> None:
    apply()
    chiyoda = {"code": CHIYODA, "user": "chiyoda-bousai-01"}
    status, error = call("GET", "/onboarding", **chiyoda)
    assert (status, error["code"]) == (404, "ONBOARDING_APPLICATION_NOT_FOUND")
    status, error = call("GET", f"/onboarding/applications/{MASHIKI}", **chiyoda)
    assert (status, error["code"]) == (403, "FORBIDDEN")
    status, error = call("GET", "/onboarding/applications", **chiyoda)
    assert (status, error["code"]) == (403, "FORBIDDEN")
    status, error = call("PUT", f"/onboarding/applications/{MASHIKI}/steps/hearing_sheet",
                         body={"status": "done"}, **chiyoda)
    assert (status, error["code"]) == (403, "FORBIDDEN")
    status, error = call("PUT", f"/onboarding/applications/{MASHIKI}", **chiyoda,
                         body={"pattern": "B", "start_month": months_ahead(6), "kiosk": True})
    assert (status, error["code"]) == (403, "FORBIDDEN")
    status, unchanged = call("GET", "/onboarding")
    assert step(unchanged, "hearing_sheet")["status"] == "not_started"
    assert unchanged["application"]["version"] == 1
    assert audit_events(CHIYODA, "onboarding.") == []


def test_a_step_omitted_without_kiosk_issuance_cannot_be_moved(cloud: Cloud) -> None:
    apply(pattern="B", kiosk=False)
    status, error = call("PUT", f"/onboarding/applications/{MASHIKI}/steps/kiosk_store_test", body={"status": "done"})
    assert (status, error["code"]) == (409, "ONBOARDING_STEP_OMITTED")
    status, error = as_operator("PUT", f"/onboarding/applications/{MASHIKI}/steps/kiosk_process_test",
                                body={"status": "done"})
    assert (status, error["code"]) == (409, "ONBOARDING_STEP_OMITTED")
    status, error = call("PUT", f"/onboarding/applications/{MASHIKI}/steps/auto_linkage", body={"status": "done"})
    assert (status, error["code"]) == (404, "ONBOARDING_STEP_UNKNOWN")  # pattern B has no auto-linkage
    status, error = call("PUT", f"/onboarding/applications/{MASHIKI}/steps/hearing_sheet", body={"status": "finished"})
    assert (status, error["code"]) == (422, "VALIDATION_ERROR")


def test_the_bos_milestone_and_the_applications_bos_account_move_together(cloud: Cloud) -> None:
    apply()
    status, checklist = call("PUT", f"/onboarding/applications/{MASHIKI}/milestones/bos_account",
                             body={"status": "in_progress", "note": "資料提供申込書を提出"})
    assert status == 200, checklist
    assert checklist["application"]["bos_account"] == "requested"
    assert checklist["application"]["version"] == 2
    bos = next(m for m in checklist["plan"]["milestones"] if m["key"] == "bos_account")
    assert (bos["status"], bos["note"]) == ("in_progress", "資料提供申込書を提出")

    status, checklist = call("PUT", f"/onboarding/applications/{MASHIKI}/milestones/agreement", body={"status": "done"})
    assert status == 200
    status, error = call("PUT", f"/onboarding/applications/{MASHIKI}/milestones/lunch", body={"status": "done"})
    assert (status, error["code"]) == (404, "ONBOARDING_MILESTONE_UNKNOWN")
    assert len(audit_events(MASHIKI, "onboarding.milestone.")) == 2


def test_the_operator_lists_every_application_with_its_progress(cloud: Cloud) -> None:
    apply(MASHIKI)
    apply(CHIYODA, pattern="B", kiosk=False)
    call("PUT", f"/onboarding/applications/{MASHIKI}/steps/auto_linkage", body={"status": "done"})
    status, listing = as_operator("GET", "/onboarding/applications")
    assert status == 200
    summaries = {s["application"]["municipality_code"]: s for s in listing["applications"]}
    assert list(summaries) == [CHIYODA, MASHIKI]
    assert summaries[MASHIKI]["progress"]["done"] == 1
    assert summaries[MASHIKI]["progress"]["total"] == 16
    assert summaries[MASHIKI]["next_step"] == "hearing_sheet"
    assert summaries[CHIYODA]["progress"]["total"] == 13
    assert summaries[CHIYODA]["next_step"] == "hearing_sheet"


def test_a_step_left_undone_past_its_month_shows_as_overdue(cloud: Cloud) -> None:
    repository, audit = wiring.onboarding(), wiring.audit()

    def at(day: date) -> Any:
        return lambda: datetime(day.year, day.month, day.day, 3, tzinfo=UTC)

    service.apply(MASHIKI, ApplicationRequest(pattern="A", start_month="2027-02", kiosk=True), actor="operator-1",
                  repository=repository, audit=audit, clock=at(date(2026, 8, 10)))
    staff = Caller(subject="s", username="mashiki-bousai-01", municipality_code=MASHIKI, groups=frozenset({"staff"}))
    service.update_progress(MASHIKI, "step", "hearing_sheet", ProgressUpdate(status="done"), caller=staff,
                            repository=repository, audit=audit, clock=at(date(2026, 10, 5)))
    checklist = service.checklist(MASHIKI, repository=repository, clock=at(date(2026, 11, 20)))
    assert checklist.application.planned_on == date(2026, 8, 10)
    assert {s.key for s in checklist.plan.steps if s.overdue} == {"auto_linkage"}
    assert next(s for s in checklist.plan.steps if s.key == "hearing_sheet").done_on == date(2026, 10, 5)
    # Months later the schedule itself is unchanged (laid out from the day it was accepted).
    later = service.checklist(MASHIKI, repository=repository, clock=at(date(2027, 1, 15)))
    assert [s.month for s in later.plan.steps] == [s.month for s in checklist.plan.steps]
    assert {s.key for s in later.plan.steps if s.overdue} == {
        "auto_linkage", "issuance_server", "network", "pittari_service", "kiosk_process_test", "support_server",
        "linkage_data"}
    # Editing the application without touching its schedule is not refused as "too near" later on.
    edited = service.apply(MASHIKI, ApplicationRequest(pattern="A", start_month="2027-02", kiosk=True,
                                                       bos_account="active"),
                           actor="operator-1", repository=repository, audit=audit, clock=at(date(2027, 1, 15)))
    assert (edited.application.planned_on, edited.application.compressed) == (date(2026, 8, 10), False)
    assert edited.plan.milestones[0].status == "done"


@pytest.mark.parametrize("path", ["/onboarding/applications", f"/onboarding/applications/{MASHIKI}"])
def test_operator_routes_refuse_municipal_staff(cloud: Cloud, path: str) -> None:
    apply()
    status, error = call("GET", path)
    assert (status, error["code"]) == (403, "FORBIDDEN")
