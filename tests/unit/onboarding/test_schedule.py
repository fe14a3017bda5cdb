"""The seed's onboarding tables as data, and the plan laid onto the calendar from them."""

from __future__ import annotations

from datetime import date

import pytest
from victim_support.errors import DomainError
from victim_support.onboarding.models import ProgressRecord
from victim_support.onboarding.schedule import (
    SCHEDULES,
    add_months,
    build_plan,
    lead_months,
)

TODAY = date(2026, 8, 10)

# (No, key, months before, title_ja, activities, kiosk-only) — transcribed from the seed's tables.
TABLE_A = [
    (1, "auto_linkage", 5, "住民情報の自動連携に向けた各種対応",
     ["証明書交付センターから提示するスケジュールに沿って適宜対応実施"], False),
    (2, "hearing_sheet", 4, "事前準備物の準備、提出", ["ヒアリングシートの準備、提出"], False),
    (3, "issuance_server", 3, "証明発行サーバ等の構築", ["証明発行サーバ構築", "各種アカウント作成", "アカウント通知"],
     False),
    (4, "network", 3, "端末構築、ネットワーク設定", ["SSL-VPNソフトウェアのインストール", "FW、DNSの設定確認"], False),
    (5, "pittari_service", 2, "ぴったりサービス関連の事前作業",
     ["ぴったりサービスにサービス登録", "申請管理システムの初期設定、申請状況確認"], False),
    (6, "kiosk_process_test", 2, "罹災証明書等のコンビニ交付に向けた工程試験",
     ["検証環境での動作確認(住民票の写しの発行の再確認)"], True),
    (7, "support_server", 2, "被災者支援サーバの構築",
     ["被災者支援サーバ構築", "被災者支援システムのセットアップ、URLの通知"], False),
    (8, "linkage_data", 2, "各機能のご利用に向けた連携データの準備",
     ["手動連携データ作成のためのシステム改修", "手動連携データの作成"], False),
    (9, "initial_setup", 1, "初期設定", ["手動連携データのアップロード", "公印登録"], False),
    (10, "function_test", 0, "基本機能の動作確認試験", ["被災者台帳作成", "罹災証明書等の発行確認"], False),
    (11, "kiosk_store_test", 0, "罹災証明書等のコンビニ交付に向けた実店舗試験", ["コンビニ等の店舗で発行確認"], True),
    (12, "start", 0, "利用開始", ["利用開始"], False),
]
TABLE_B = [
    (1, "hearing_sheet", 5, "事前準備物の準備、提出", ["ヒアリングシートの準備、提出"], False),
    (2, "issuance_server", 4, "証明発行サーバ等の構築", ["証明発行サーバ構築", "各種アカウント作成", "アカウント通知"],
     False),
    (3, "network", 4, "端末構築、ネットワーク設定", ["SSL-VPNソフトウェアのインストール", "FW、DNSの設定確認"], False),
    (4, "pittari_service", 3, "ぴったりサービス関連の事前作業",
     ["ぴったりサービスにサービス登録", "申請管理システムの初期設定、申請状況確認"], False),
    (5, "kiosk_process_test", 3, "罹災証明書等のコンビニ交付に向けた工程試験",
     ["検証環境での動作確認(住民票の写しの発行の再確認)"], True),
    (6, "support_server", 3, "被災者支援サーバの構築",
     ["被災者支援サーバ構築", "被災者支援システムのセットアップ、URLの通知"], False),
    # The seed's B table puts the manual linkage data in the 5カ月前 column: taken as written.
    (7, "linkage_data", 5, "各機能のご利用に向けた連携データの準備",
     ["手動連携データ作成のためのシステム改修", "手動連携データの作成"], False),
    (8, "initial_setup", 2, "初期設定", ["手動連携データのアップロード", "公印登録"], False),
    (9, "function_test", 1, "基本機能の動作確認試験", ["被災者台帳作成", "罹災証明書等の発行確認"], False),
    (10, "kiosk_store_test", 0, "罹災証明書等のコンビニ交付に向けた実店舗試験", ["コンビニ等の店舗で発行確認"], True),
    (11, "start", 0, "利用開始", ["利用開始"], False),
]


def _rows(pattern: str) -> list[tuple[int, str, int, str, list[str], bool]]:
    return [(r.no, r.key, r.months_before, r.step.title_ja, list(r.step.activities), r.step.kiosk_only)
            for r in SCHEDULES[pattern]]  # type: ignore[index]


def test_pattern_a_is_the_seeds_table_of_12_steps() -> None:
    assert len(SCHEDULES["A"]) == 12
    assert _rows("A") == TABLE_A


def test_pattern_b_is_the_seeds_table_of_11_steps_without_auto_linkage() -> None:
    assert len(SCHEDULES["B"]) == 11
    assert _rows("B") == TABLE_B
    assert "auto_linkage" not in {r.key for r in SCHEDULES["B"]}


def test_every_step_has_an_owner_and_an_english_title() -> None:
    for pattern in ("A", "B"):
        for row in SCHEDULES[pattern]:
            assert row.step.owner in ("municipality", "center", "both")
            assert row.step.title_en
    owners = {r.key: r.step.owner for r in SCHEDULES["A"]}
    assert owners["issuance_server"] == owners["support_server"] == "center"
    assert owners["hearing_sheet"] == owners["initial_setup"] == "municipality"
    assert owners["kiosk_store_test"] == "both"


def test_both_patterns_need_five_months() -> None:
    assert lead_months("A") == lead_months("B") == 5


@pytest.mark.parametrize(("year", "month", "shift", "expected"), [
    (2027, 2, -5, (2026, 9)),
    (2027, 1, -1, (2026, 12)),
    (2026, 12, 1, (2027, 1)),
    (2027, 3, -15, (2025, 12)),
    (2027, 6, 0, (2027, 6)),
])
def test_month_arithmetic_crosses_year_boundaries(year: int, month: int, shift: int, expected: tuple[int, int]) -> None:
    assert add_months(year, month, shift) == expected


def test_steps_are_placed_back_from_the_start_month_across_the_year_boundary() -> None:
    plan = build_plan("A", "2027-02", True, today=TODAY)
    months = {s.no: s.month for s in plan.steps}
    assert months == {1: "2026-09", 2: "2026-10", 3: "2026-11", 4: "2026-11", 5: "2026-12", 6: "2026-12",
                      7: "2026-12", 8: "2026-12", 9: "2027-01", 10: "2027-02", 11: "2027-02", 12: "2027-02"}
    plan_b = build_plan("B", "2027-02", True, today=TODAY)
    assert {s.no: s.month for s in plan_b.steps} == {
        1: "2026-09", 2: "2026-10", 3: "2026-10", 4: "2026-11", 5: "2026-11", 6: "2026-11", 7: "2026-09",
        8: "2026-12", 9: "2027-01", 10: "2027-02", 11: "2027-02"}


@pytest.mark.parametrize(("pattern", "kept", "omitted"), [
    ("A", [1, 2, 3, 4, 5, 7, 8, 9, 10, 12], [6, 11]),
    ("B", [1, 2, 3, 4, 6, 7, 8, 9, 11], [5, 10]),
])
def test_without_kiosk_issuance_the_kiosk_only_steps_are_omitted_and_numbers_kept(
    pattern: str, kept: list[int], omitted: list[int],
) -> None:
    plan = build_plan(pattern, "2027-04", False, today=TODAY)  # type: ignore[arg-type]
    assert [s.no for s in plan.steps] == kept
    assert [o.no for o in plan.omitted_steps] == omitted
    assert all("省略可能" in o.reason for o in plan.omitted_steps)
    assert len(build_plan(pattern, "2027-04", True, today=TODAY).steps) == len(kept) + 2  # type: ignore[arg-type]


def test_contract_deadlines_are_the_first_of_the_start_month_minus_two_and_one_months() -> None:
    due = {m.key: m.due for m in build_plan("A", "2027-04", True, today=TODAY).milestones}
    assert due["contract_forms"] == date(2027, 2, 1)
    assert due["agreement"] == date(2027, 3, 1)
    due_b = {m.key: m.due for m in build_plan("B", "2027-01", True, today=TODAY).milestones}
    assert (due_b["contract_forms"], due_b["agreement"]) == (date(2026, 11, 1), date(2026, 12, 1))


def test_the_bos_account_and_the_application_forms_come_before_every_step() -> None:
    plan = build_plan("A", "2027-04", True, today=TODAY)
    milestones = {m.key: m for m in plan.milestones}
    assert milestones["bos_account"].due == milestones["application_forms"].due == date(2026, 11, 1)
    assert min(s.month for s in plan.steps) == "2026-11"
    assert "資料提供申込書" in milestones["bos_account"].description_ja
    assert "機密保持誓約書" in milestones["bos_account"].description_ja
    existing = build_plan("A", "2027-04", True, today=TODAY, existing_kiosk=True)
    assert "ライブラリ参照ユーザ" in existing.milestones[0].description_ja
    assert "資料提供申込書" not in existing.milestones[0].description_ja


def test_a_step_is_overdue_when_its_month_is_past_and_it_is_not_done() -> None:
    progress = {"hearing_sheet": ProgressRecord(status="done", done_on=date(2026, 10, 20)),
                "issuance_server": ProgressRecord(status="in_progress")}
    plan = build_plan("A", "2027-02", True, planned_on=TODAY, today=date(2026, 11, 15), steps_progress=progress)
    overdue = {s.key for s in plan.steps if s.overdue}
    assert overdue == {"auto_linkage"}  # 2026-09, not done; hearing sheet (2026-10) is done
    assert not next(s for s in plan.steps if s.key == "issuance_server").overdue  # this month: not yet
    later = build_plan("A", "2027-02", True, planned_on=TODAY, today=date(2026, 12, 1), steps_progress=progress)
    assert {s.key for s in later.steps if s.overdue} == {"auto_linkage", "issuance_server", "network"}
    milestones = {m.key: m.overdue for m in later.milestones}
    assert milestones == {"bos_account": True, "application_forms": True, "contract_forms": False,
                          "agreement": False}
    assert later.progress.overdue == 5
    assert later.progress.done == 1
    assert later.progress.total == 16


def test_a_plan_laid_out_on_time_has_nothing_overdue() -> None:
    plan = build_plan("B", "2027-01", True, today=TODAY)
    assert plan.progress.overdue == 0
    assert not plan.compressed
    assert plan.months_ahead == 5


def test_a_start_month_fewer_than_five_months_ahead_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        build_plan("A", "2026-12", True, today=TODAY)
    assert caught.value.code == "ONBOARDING_START_TOO_NEAR"
    assert build_plan("A", "2027-01", True, today=TODAY).months_ahead == 5


def test_a_start_month_in_the_past_is_refused_even_when_compression_is_allowed() -> None:
    with pytest.raises(DomainError) as caught:
        build_plan("A", "2026-07", True, today=TODAY, allow_compressed=True)
    assert caught.value.code == "ONBOARDING_START_IN_PAST"


def test_a_malformed_start_month_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        build_plan("A", "2027-13", True, today=TODAY)
    assert caught.value.code == "ONBOARDING_START_MONTH_INVALID"


def test_a_compressed_plan_moves_early_work_into_the_current_month_and_flags_it() -> None:
    plan = build_plan("A", "2026-10", True, today=TODAY, allow_compressed=True)
    assert plan.compressed
    assert plan.months_ahead == 2
    moved = {s.no for s in plan.steps if s.compressed}
    assert moved == {1, 2, 3, 4}  # 5, 4, 3, 3 months before would fall before 2026-08
    assert all(s.month == "2026-08" for s in plan.steps if s.compressed)
    assert next(s for s in plan.steps if s.no == 5).month == "2026-08"  # 2 months before: on time
    due = {m.key: (m.due, m.compressed) for m in plan.milestones}
    assert due["bos_account"] == (TODAY, True)
    assert due["contract_forms"] == (date(2026, 8, 10), True)
    assert due["agreement"] == (date(2026, 9, 1), False)
    assert plan.progress.overdue == 0  # a compressed plan never starts out overdue


def test_use_can_start_the_day_after_the_last_test_is_done() -> None:
    done = {"kiosk_process_test": ProgressRecord(status="done", done_on=date(2026, 12, 10)),
            "function_test": ProgressRecord(status="done", done_on=date(2027, 2, 3))}
    plan = build_plan("A", "2027-02", True, today=TODAY, steps_progress=done)
    assert plan.earliest_use_start is None  # the store test is not done yet
    done["kiosk_store_test"] = ProgressRecord(status="done", done_on=date(2027, 2, 5))
    assert build_plan("A", "2027-02", True, today=TODAY, steps_progress=done).earliest_use_start == date(2027, 2, 6)
    without_kiosk = build_plan("A", "2027-02", False, today=TODAY, steps_progress=done)
    assert without_kiosk.earliest_use_start == date(2027, 2, 4)  # only the function test counts
