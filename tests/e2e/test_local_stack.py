"""End to end over HTTP: the local stack (moto on 127.0.0.1, gateway, queue pollers) driven the way
a municipality's staff and the CLI drive it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.staff_client import ApiError, StaffApiClient

pytestmark = pytest.mark.e2e
MASHIKI = "434434"
REGISTRATION = {"population": 33_000, "pattern": "B", "uses_bcl_issuance_server": False, "start_month": "2026-04"}


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    from infra.local.stack import LocalStack

    with LocalStack() as running:
        operator = StaffApiClient(running.api_url, running.issue_token(None, groups=("operators",)))
        operator.register_municipality(MASHIKI, REGISTRATION)
        yield running


@pytest.fixture
def staff(stack: Any) -> StaffApiClient:
    return StaffApiClient(stack.api_url, stack.issue_token(MASHIKI))


def test_full_then_delta_upload_through_presigned_urls(stack: Any, staff: StaffApiClient, tmp_path: Path) -> None:
    from victim_support.synthetic import generate_residents, write_csv

    full = tmp_path / "住民データ 全件.csv"
    rows = write_csv(full, generate_residents(1_200, MASHIKI, seed=3, bad_share=0.05), encoding="cp932")
    ticket = staff.request_upload(full, "full")
    staff.put_file(ticket, full)
    seen: list[dict[str, Any]] = []
    status = staff.wait(ticket["upload_id"], on_progress=seen.append)

    assert status["status"] == "succeeded", status
    assert status["rows_read"] == rows
    assert status["rows_read"] == status["rows_stored"] + status["rows_rejected"]
    assert status["rows_rejected"] > 0 and status["report_url"]
    assert any(s["status"] == "processing" for s in seen) or seen[0]["status"] == "succeeded"

    delta = tmp_path / "異動.csv"
    write_csv(delta, generate_residents(40, MASHIKI, seed=3, delta=True, base_rows=1_200), encoding="utf-8-sig")
    ticket = staff.request_upload(delta, "delta")
    staff.put_file(ticket, delta)
    status = staff.wait(ticket["upload_id"])
    assert status["status"] == "succeeded", status
    assert status["rows_stored"] > 0
    stack.wait_idle(30)
    assert all(depth == 0 for depth in stack.dlq_depths().values())


def test_presigned_put_with_another_body_is_caught(stack: Any, staff: StaffApiClient, tmp_path: Path) -> None:
    declared = tmp_path / "declared.csv"
    declared.write_bytes("宛名番号,世帯番号\r\n1,1\r\n".encode("cp932"))
    ticket = staff.request_upload(declared, "full")
    other = tmp_path / "other.csv"
    other.write_bytes("宛名番号,世帯番号\r\n2,1\r\n".encode("cp932"))  # same size, other digest
    try:
        staff.put_file(ticket, other)
    except ApiError:
        return  # S3 itself refused the body whose digest differs from the signed one
    status = staff.wait(ticket["upload_id"])
    assert (status["status"], status["failure_code"]) == ("failed", "FILE_CHECKSUM_MISMATCH")


def test_requests_without_a_valid_token_are_refused(stack: Any) -> None:
    anonymous = StaffApiClient(stack.api_url, "not-a-token")
    with pytest.raises(ApiError) as refused:
        anonymous.upload_status(f"{MASHIKI}-x")
    assert refused.value.status == 401


def test_cli_upload_prints_the_job_summary_as_json(tmp_path: Path) -> None:
    from victim_support.synthetic import generate_residents, write_csv

    path = tmp_path / "residents.csv"
    write_csv(path, generate_residents(300, "131016", seed=5, bad_share=0.1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "upload", str(path), "--municipality", "131016",
         "--kind", "full", "--quiet"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["status"] == "succeeded"
    assert summary["rows_read"] == 300 == summary["rows_stored"] + summary["rows_rejected"]
    assert sum(summary["error_codes"].values()) >= summary["rows_rejected"] > 0


def test_the_fee_estimate_defaults_to_the_callers_registration(staff: StaffApiClient) -> None:
    estimate = staff.fee_estimate()
    assert estimate["request"]["population"] == 33_000
    assert estimate["request"]["pattern"] == "B"
    assert estimate["request"]["start_month"] == "2026-04"
    assert [fy["fiscal_year"] for fy in estimate["fiscal_years"]] == [2026, 2027, 2028]
    usage = next(i for i in estimate["fiscal_years"][0]["line_items"] if i["key"] == "usage_fee")
    assert usage["amount"] == 185_000 + 33_000 * 10  # April start: the whole year

    larger = staff.fee_estimate(population=50_000, fiscal_year=2027)
    (year,) = larger["fiscal_years"]
    assert next(i for i in year["line_items"] if i["key"] == "usage_fee")["amount"] == 685_000


def test_a_bad_estimate_input_gets_a_stable_code(staff: StaffApiClient) -> None:
    with pytest.raises(ApiError) as refused:
        staff.fee_estimate(pattern="B", issuance_server="own")
    assert (refused.value.status, refused.value.body["code"]) == (422, "FEES_PATTERN_B_OWN_SERVER")
    with pytest.raises(ApiError) as invalid:
        staff.fee_estimate(start="2026-13")
    assert (invalid.value.status, invalid.value.body["code"]) == (422, "VALIDATION_ERROR")


def test_the_monthly_billing_schedule_writes_the_statements(stack: Any) -> None:
    from datetime import UTC, datetime

    run = stack.run_scheduled("billing", at=datetime(2026, 5, 31, 16, 0, tzinfo=UTC))  # 1 June 01:00 JST
    assert run["month"] == "2026-05"
    (monthly,) = [r for r in run["statements"] if r["municipality_code"] == MASHIKI]
    assert monthly["kind"] == "monthly"
    assert monthly["accrued_for_settlement"] == 515_000 * 2 // 12 - 515_000 // 12  # May's share
