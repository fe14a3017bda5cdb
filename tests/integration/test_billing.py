"""The billing run on moto: statements from the registry and the issuance records, stored as CSV and
PDF, the March run with the fiscal-year statement and the settlement, and the special measures taken
from the registry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from victim_support import wiring
from victim_support.clock import JST
from victim_support.issuances.models import IssuanceRecord
from victim_support.tenants.models import MunicipalityRegistration
from victim_support.tenants.service import register_municipality

from functions.billing.handler import billing_month, lambda_handler
from tests.integration.conftest import MASHIKI, Cloud
from tests.integration.lambda_context import FakeContext

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample(path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / path).read_text(encoding="utf-8"))
    return event


def register(code: str, start: str, **extra: Any) -> None:
    registration = MunicipalityRegistration.model_validate({
        "population": 33_000, "pattern": "B", "uses_bcl_issuance_server": True, "start_month": start,
        "kiosk_issuance": True, **extra,
    })
    register_municipality(code, registration, actor="operator", tenants=wiring.tenants(), audit=wiring.audit())


def kiosk_copy(n: int, at: datetime) -> IssuanceRecord:
    return IssuanceRecord(
        municipality_code=MASHIKI, issuance_id=f"k{n}", issued_at=at, channel="kiosk", certificate_type="risai",
        copies=1, resident_print_fee_yen=10, municipality_consignment_yen=107,
    )


def objects(cloud: Cloud) -> dict[str, bytes]:
    s3 = cloud.clients.s3
    bucket = cloud.bucket("billing")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def test_the_scheduled_event_bills_the_month_that_ended_in_jst() -> None:
    # 16:00 UTC on 30 November is 01:00 JST on 1 December: November is billed.
    assert billing_month({"time": "2026-11-30T16:00:00Z"}) == (2026, 11)
    assert billing_month({"time": "2027-01-01T01:00:00Z"}) == (2026, 12)
    assert billing_month(sample("billing/rerun_month.json")) == (2027, 3)


def test_a_month_is_billed_from_the_issuance_records(cloud: Cloud) -> None:
    register(MASHIKI, "2026-10")
    register("131016", "2027-01")  # starts later: nothing to bill in November
    for n in range(3):
        assert wiring.issuances().record(kiosk_copy(n, datetime(2026, 11, 10, 12, n, tzinfo=JST)))
    # 30 November 23:30 JST is still November; 1 December 00:10 JST is not.
    wiring.issuances().record(kiosk_copy(7, datetime(2026, 11, 30, 14, 30, tzinfo=UTC)))
    wiring.issuances().record(kiosk_copy(8, datetime(2026, 11, 30, 15, 10, tzinfo=UTC)))
    assert not wiring.issuances().record(kiosk_copy(0, datetime(2026, 11, 10, 12, 0, tzinfo=JST)))  # retried

    run = lambda_handler(sample("billing/scheduled.json"), FakeContext())  # 2026-11-30T16:00:00Z

    assert run["month"] == "2026-11"
    (ref,) = run["statements"]
    assert ref["municipality_code"] == MASHIKI
    assert ref["due_now"] == 4 * 107
    stored = objects(cloud)
    assert set(stored) == {f"{MASHIKI}/billing/2026-11/monthly.csv", f"{MASHIKI}/billing/2026-11/monthly.pdf",
                           "operator/billing/2026-11/summary.csv"}
    assert stored[f"{MASHIKI}/billing/2026-11/monthly.pdf"].startswith(b"%PDF")
    assert "コンビニ交付委託手数料" in stored[f"{MASHIKI}/billing/2026-11/monthly.csv"].decode("utf-8-sig")
    events = wiring.audit().events(MASHIKI)
    assert any(e["action"] == "billing.monthly_statement" and e["target"] == "2026-11" for e in events)


def test_a_rerun_rewrites_the_same_statements(cloud: Cloud) -> None:
    register(MASHIKI, "2026-10")
    first = lambda_handler({"month": "2026-11"}, FakeContext())
    wiring.issuances().record(kiosk_copy(1, datetime(2026, 11, 20, tzinfo=JST)))
    second = lambda_handler({"month": "2026-11"}, FakeContext())
    assert [r["csv_key"] for r in first["statements"]] == [r["csv_key"] for r in second["statements"]]
    assert second["statements"][0]["due_now"] == 107


def test_march_adds_the_fiscal_year_statement_and_the_settlement(cloud: Cloud) -> None:
    register(MASHIKI, "2026-10")
    wiring.issuances().record(kiosk_copy(1, datetime(2026, 12, 5, tzinfo=JST)))
    run = lambda_handler({"month": "2027-03"}, FakeContext())
    kinds = {r["kind"]: r for r in run["statements"]}
    assert set(kinds) == {"monthly", "fiscal_year", "settlement"}
    annual = 185_000 + 33_000 * 10
    assert kinds["settlement"]["due_now"] == annual - annual * 6 // 12
    assert kinds["fiscal_year"]["due_now"] == 345_481  # 町村, BCL issuance server
    assert kinds["fiscal_year"]["total"] == 345_481 + 107 + kinds["settlement"]["due_now"]
    assert f"{MASHIKI}/billing/FY2026/settlement.pdf" in objects(cloud)


@pytest.mark.parametrize(("joined", "rate_base"), [(22, 185_000), (23, 138_750), (34, 92_500)])
def test_the_special_measure_follows_the_prefectures_share_in_the_registry(
    cloud: Cloud, joined: int, rate_base: int
) -> None:
    """熊本県 has 45 municipalities: 23 is the first count at or above one half, 34 at or above three
    quarters. Shares confirmed in FY2025 apply in FY2026, the first year of the prefecture's window."""
    from victim_support.rules.municipal_codes import lookup
    from victim_support.rules.municipal_codes import municipalities_in_prefecture as count

    assert count("43") == 45
    codes = sorted({c for c in _kumamoto_codes() if lookup(c).is_municipality} - {MASHIKI})
    register(MASHIKI, "2025-04")
    for code in codes[: joined - 1]:
        register(code, "2025-06")
    (ref,) = [r for r in lambda_handler({"month": "2026-04"}, FakeContext())["statements"]
              if r["municipality_code"] == MASHIKI]
    per_resident = {185_000: 10, 138_750: 7, 92_500: 6}[rate_base]
    annual = rate_base + 33_000 * per_resident
    assert ref["accrued_for_settlement"] == annual // 12  # April: the first monthly share


def _kumamoto_codes() -> list[str]:
    from victim_support.rules.municipal_codes import _index, with_check_digit

    return [with_check_digit(jis) for jis in _index().places if jis.startswith("43")] + [
        with_check_digit(jis) for jis in _index().designated if jis.startswith("43")]


def test_the_staff_api_estimates_for_the_callers_municipality(cloud: Cloud) -> None:
    from functions.staff_api.handler import lambda_handler as staff_api

    register(MASHIKI, "2026-10")
    response = staff_api(sample("staff_api/get_fee_estimate.json"), FakeContext())
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    (year,) = body["fiscal_years"]
    assert year["fiscal_year"] == 2027
    items = {item["key"]: item for item in year["line_items"]}
    assert items["usage_fee"]["amount"] == 515_000
    assert items["kiosk_operating_contribution"]["amount"] == 345_481
    assert body["request"]["copies"] == 1200
