"""``victim-support onboarding plan``: a readable table or JSON, without AWS."""

from __future__ import annotations

import argparse
import json

import pytest

from infra.local.cli_onboarding import register


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="victim-support")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_plan_prints_the_schedule_as_a_table_with_the_contract_deadlines(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["onboarding", "plan", "--pattern", "A", "--start", "2027-04", "--today", "2026-08-10"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("No"))
    for column in ("month", "months before", "owner", "title", "activities", "status"):
        assert column in header
    row = next(line for line in lines if line.startswith("1 "))
    assert "2026-11" in row and "5カ月前" in row and "住民情報の自動連携に向けた各種対応" in row
    assert "not_started" in row
    last = next(line for line in lines if line.startswith("12 "))
    assert "2027-04" in last and "利用開始月" in last
    assert "2027-02-01" in out and "契約約款と合意書様式の提出" in out
    assert "2027-03-01" in out and "合意書の郵送" in out
    assert "BOSアカウントの作成" in out
    assert "翌日以降" in out


def test_plan_without_kiosk_lists_ten_steps_and_names_the_omitted_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["onboarding", "plan", "--pattern", "A", "--start", "2027-04", "--no-kiosk", "--today",
                "2026-08-10"]) == 0
    out = capsys.readouterr().out
    numbered = [line.split()[0] for line in out.splitlines() if line.split() and line.split()[0].isdigit()]
    assert numbered == ["1", "2", "3", "4", "5", "7", "8", "9", "10", "12"]
    assert "省略: No 6" in out and "No 11" in out


def test_plan_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["onboarding", "plan", "--pattern", "B", "--start", "2027-02", "--no-kiosk", "--json",
                "--today", "2026-08-10"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["pattern"] == "B"
    assert len(plan["steps"]) == 9
    assert plan["steps"][0] == {
        "no": 1, "key": "hearing_sheet", "title_ja": "事前準備物の準備、提出",
        "title_en": "Prepare and submit the preliminary materials", "activities": ["ヒアリングシートの準備、提出"],
        "owner": "municipality", "kiosk_only": False, "months_before": 5, "month": "2026-09", "compressed": False,
        "status": "not_started", "note": None, "updated_at": None, "updated_by": None, "done_on": None,
        "overdue": False,
    }
    due = {m["key"]: m["due"] for m in plan["milestones"]}
    assert due["contract_forms"] == "2026-12-01"
    assert due["agreement"] == "2027-01-01"


def test_a_start_month_too_near_fails_with_its_code_unless_compressed(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["onboarding", "plan", "--pattern", "B", "--start", "2026-10", "--today", "2026-08-10"]) == 2
    assert "ONBOARDING_START_TOO_NEAR" in capsys.readouterr().err
    assert run(["onboarding", "plan", "--pattern", "B", "--start", "2026-10", "--today", "2026-08-10",
                "--allow-compressed"]) == 0
    out = capsys.readouterr().out
    assert "COMPRESSED" in out
    assert "2026-08*" in out


def test_a_start_month_in_the_past_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["onboarding", "plan", "--pattern", "A", "--start", "2026-01", "--today", "2026-08-10"]) == 2
    assert "ONBOARDING_START_IN_PAST" in capsys.readouterr().err
