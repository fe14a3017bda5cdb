"""The onboarding schedule (導入スケジュールイメージ) as data, and the plan builder. Pure: no AWS.

The two tables are the seed's, row for row: pattern A has 12 steps, pattern B 11 (B has no automatic
resident linkage and starts the hearing sheet at 5 months before). Each step keeps the seed's No even
when the kiosk-only steps (the seed's ※, 「罹災証明書等のコンビニ交付サービスを利用していない場合、省略可能」)
are omitted, so the municipality and the 証明書交付センター always refer to the same No.

Readings that the seed's text leaves open, written down here:

- ``owner``: the seed marks each cell as 各団体作業 or 証明書交付センター作業 by colour, which the text
  lost. Owners are assigned by reading each activity: work on the municipality's side (hearing sheet,
  its terminals and network, ぴったりサービス registration, linkage data, upload and 公印登録, the function
  test) is "municipality"; building the servers and notifying accounts/URLs is "center"; tests that need
  both (kiosk process and store tests), the auto-linkage work done "on the center's schedule" and the
  start of use are "both".
- Pattern B's table spells step 4 「びったりサービス」; it is the same service as pattern A's
  「ぴったりサービス」 (マイナポータルの申請サービス), so both tables use the correct name.
- Pattern B's step 7 (manual linkage data) sits in the 5カ月前 column of the seed's table, ahead of
  its neighbours; the table is taken as written.
- Contracts (契約締結): the 契約約款と合意書様式 sent by J-LIS are returned by 2 months before the start,
  the signed 合意書 is mailed by 1 month before; the due dates are the first day of the start month
  minus 2 and 1 months. Use starts on the requested day, at the earliest the day after every test
  (the kiosk store test included) is done.
- BOS account: needed before anything else (the documents and the application forms are in the BOS
  library), so it is due by the first day of the first step's month, as are the application forms.
- Start months: one in the past is refused (ONBOARDING_START_IN_PAST). One fewer months ahead than
  the schedule needs (5 for both patterns) is refused (ONBOARDING_START_TOO_NEAR) unless
  ``allow_compressed``: then every step that would fall before the planning month is moved into it,
  and every due date before the planning day onto it, each flagged ``compressed``, so a compressed
  plan never starts out overdue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from victim_support.clock import JST, utc_now
from victim_support.errors import DomainError
from victim_support.onboarding.models import (
    OmittedStep,
    OnboardingPlan,
    Owner,
    Pattern,
    PlanMilestone,
    PlanStep,
    Progress,
    ProgressRecord,
)

_YEAR_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class StepDefinition:
    """What a step is, independent of the pattern's table."""

    key: str
    title_ja: str
    title_en: str
    activities: tuple[str, ...]
    owner: Owner
    kiosk_only: bool = False


@dataclass(frozen=True, slots=True)
class ScheduleStep:
    """One row of a pattern's table."""

    no: int
    months_before: int
    step: StepDefinition

    @property
    def key(self) -> str:
        return self.step.key


STEPS: dict[str, StepDefinition] = {s.key: s for s in (
    StepDefinition("auto_linkage", "住民情報の自動連携に向けた各種対応",
                   "Preparations for the automatic linkage of resident information",
                   ("証明書交付センターから提示するスケジュールに沿って適宜対応実施",), "both"),
    StepDefinition("hearing_sheet", "事前準備物の準備、提出", "Prepare and submit the preliminary materials",
                   ("ヒアリングシートの準備、提出",), "municipality"),
    StepDefinition("issuance_server", "証明発行サーバ等の構築", "Build the certificate issuance server",
                   ("証明発行サーバ構築", "各種アカウント作成", "アカウント通知"), "center"),
    StepDefinition("network", "端末構築、ネットワーク設定", "Terminal build and network settings",
                   ("SSL-VPNソフトウェアのインストール", "FW、DNSの設定確認"), "municipality"),
    StepDefinition("pittari_service", "ぴったりサービス関連の事前作業",
                   "Preparations for ぴったりサービス (Mynaportal online applications)",
                   ("ぴったりサービスにサービス登録", "申請管理システムの初期設定、申請状況確認"), "municipality"),
    StepDefinition("kiosk_process_test", "罹災証明書等のコンビニ交付に向けた工程試験",
                   "Process test for kiosk issuance of disaster certificates",
                   ("検証環境での動作確認(住民票の写しの発行の再確認)",), "both", kiosk_only=True),
    StepDefinition("support_server", "被災者支援サーバの構築", "Build the victim support server",
                   ("被災者支援サーバ構築", "被災者支援システムのセットアップ、URLの通知"), "center"),
    StepDefinition("linkage_data", "各機能のご利用に向けた連携データの準備",
                   "Prepare the linkage data for each function",
                   ("手動連携データ作成のためのシステム改修", "手動連携データの作成"), "municipality"),
    StepDefinition("initial_setup", "初期設定", "Initial setup",
                   ("手動連携データのアップロード", "公印登録"), "municipality"),
    StepDefinition("function_test", "基本機能の動作確認試験", "Basic function test",
                   ("被災者台帳作成", "罹災証明書等の発行確認"), "municipality"),
    StepDefinition("kiosk_store_test", "罹災証明書等のコンビニ交付に向けた実店舗試験",
                   "Real-store test of kiosk issuance of disaster certificates",
                   ("コンビニ等の店舗で発行確認",), "both", kiosk_only=True),
    StepDefinition("start", "利用開始", "Start of use", ("利用開始",), "both"),
)}

# (No, key, months before the start month), exactly as the seed's tables.
_TABLE_A = (
    (1, "auto_linkage", 5), (2, "hearing_sheet", 4), (3, "issuance_server", 3), (4, "network", 3),
    (5, "pittari_service", 2), (6, "kiosk_process_test", 2), (7, "support_server", 2), (8, "linkage_data", 2),
    (9, "initial_setup", 1), (10, "function_test", 0), (11, "kiosk_store_test", 0), (12, "start", 0),
)
_TABLE_B = (
    (1, "hearing_sheet", 5), (2, "issuance_server", 4), (3, "network", 4), (4, "pittari_service", 3),
    (5, "kiosk_process_test", 3), (6, "support_server", 3), (7, "linkage_data", 5), (8, "initial_setup", 2),
    (9, "function_test", 1), (10, "kiosk_store_test", 0), (11, "start", 0),
)


def _rows(table: tuple[tuple[int, str, int], ...]) -> tuple[ScheduleStep, ...]:
    return tuple(ScheduleStep(no, months, STEPS[key]) for no, key, months in table)


SCHEDULES: dict[Pattern, tuple[ScheduleStep, ...]] = {"A": _rows(_TABLE_A), "B": _rows(_TABLE_B)}

# The tests whose completion opens the start of use (「実店舗試験含む各種試験終了の翌日以降」).
TEST_STEPS = frozenset({"kiosk_process_test", "function_test", "kiosk_store_test"})

USE_START_RULE_JA = "実店舗試験含む各種試験終了の翌日以降の希望日から利用開始"
KIOSK_OMITTED_REASON = "罹災証明書等のコンビニ交付サービスを利用していない場合、省略可能"


@dataclass(frozen=True, slots=True)
class MilestoneDefinition:
    key: str
    title_ja: str
    title_en: str
    owner: Owner


BOS_ACCOUNT = "bos_account"
APPLICATION_FORMS = "application_forms"
CONTRACT_FORMS = "contract_forms"
AGREEMENT = "agreement"

MILESTONES: dict[str, MilestoneDefinition] = {m.key: m for m in (
    MilestoneDefinition(BOS_ACCOUNT, "BOSアカウントの作成", "Create a BOS account", "municipality"),
    MilestoneDefinition(APPLICATION_FORMS, "参加申込書・利用申込書の提出", "Submit the application forms",
                        "municipality"),
    MilestoneDefinition(CONTRACT_FORMS, "契約約款と合意書様式の提出", "Return the contract terms and agreement form",
                        "both"),
    MilestoneDefinition(AGREEMENT, "合意書の郵送", "Mail the signed agreement", "both"),
)}

_BOS_NEW_JA = ("コンビニ交付未導入: J-LISへ「資料提供申込書」、「機密保持誓約書」を提出し、BOSアカウントを取得。"
               "クラウド型被災者支援システム導入に当たっては、必ずBOSアカウントを作成してください。")
_BOS_EXISTING_JA = ("コンビニ交付既導入: 「アカウント管理ユーザ(貴団体コンビニ交付所管部署等)」でログインし、"
                    "必要なアカウントを作成(例: 防災担当職員を「ライブラリ参照ユーザ」として追加)。")
_FORMS_JA = ("BOSライブラリの『[20-03] 01.共通.zip』に含まれる申込書(自治体基盤クラウドシステムサービス参加申込書、"
             "クラウド型被災者支援システム利用申込書)を提出。提出後、証明書交付センターから作業等の詳細を案内。")
_CONTRACT_FORMS_JA = "利用開始2か月前まで: 締結が必要な契約約款と合意書様式をJ-LISから送付、団体から提出。"
_AGREEMENT_JA = "利用開始1か月前まで: 団体にて合意書を作成し、J-LISへ郵送。受領後、J-LISから合意承諾書を返送。"


# --- Month arithmetic ---------------------------------------------------------------------------------------


def parse_month(text: str) -> tuple[int, int]:
    """``"YYYY-MM"`` → (year, month); ONBOARDING_START_MONTH_INVALID otherwise."""
    match = _YEAR_MONTH.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise DomainError("ONBOARDING_START_MONTH_INVALID", f"expected YYYY-MM, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """(year, month) moved by ``months`` (negative goes back), across year boundaries."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def format_month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_of(day: date) -> str:
    return format_month(day.year, day.month)


def months_between(earlier: tuple[int, int], later: tuple[int, int]) -> int:
    """Whole months from one (year, month) to another (negative when ``later`` is before)."""
    return (later[0] - earlier[0]) * 12 + (later[1] - earlier[1])


def first_day(year: int, month: int) -> date:
    return date(year, month, 1)


def jst_today() -> date:
    return utc_now().astimezone(JST).date()


def lead_months(pattern: Pattern) -> int:
    """How many months before the start month the pattern's first step begins."""
    return max(step.months_before for step in schedule(pattern))


def schedule(pattern: Pattern) -> tuple[ScheduleStep, ...]:
    try:
        return SCHEDULES[pattern]
    except KeyError:
        raise DomainError("VALIDATION_ERROR", f"unknown pattern {pattern!r} (A or B)") from None


def schedule_step(pattern: Pattern, key: str) -> ScheduleStep | None:
    return next((s for s in schedule(pattern) if s.key == key), None)


# --- The plan -----------------------------------------------------------------------------------------------


def check_start(pattern: Pattern, start_month: str, planned_on: date, *, allow_compressed: bool) -> bool:
    """Whether the schedule must be compressed to fit; raises when the start month cannot be used."""
    start = parse_month(start_month)
    ahead = months_between((planned_on.year, planned_on.month), start)
    if ahead < 0:
        raise DomainError("ONBOARDING_START_IN_PAST", f"{start_month} is before {month_of(planned_on)}")
    lead = lead_months(pattern)
    if ahead >= lead:
        return False
    if not allow_compressed:
        raise DomainError("ONBOARDING_START_TOO_NEAR",
                          f"pattern {pattern} needs {lead} months before the start month; {start_month} is "
                          f"{ahead} month(s) after {month_of(planned_on)}")
    return True


def build_plan(
    pattern: Pattern,
    start_month: str,
    kiosk: bool,
    *,
    today: date | None = None,
    planned_on: date | None = None,
    existing_kiosk: bool = False,
    allow_compressed: bool = False,
    steps_progress: Mapping[str, ProgressRecord] | None = None,
    milestones_progress: Mapping[str, ProgressRecord] | None = None,
) -> OnboardingPlan:
    """The seed's schedule for ``pattern`` laid onto the calendar back from ``start_month``.

    ``planned_on`` (default ``today``) is the day the schedule is laid out from: the start month is
    checked and compressed against it. ``today`` (default: today in JST) is the day overdue flags
    refer to. A stored application keeps its ``planned_on``, so its plan does not change as time
    passes; only the overdue flags do.
    """
    today = today or jst_today()
    planned_on = planned_on or today
    compressed = check_start(pattern, start_month, planned_on, allow_compressed=allow_compressed)
    start = parse_month(start_month)
    floor_month = (planned_on.year, planned_on.month)
    steps_progress = steps_progress or {}
    milestones_progress = milestones_progress or {}

    steps: list[PlanStep] = []
    omitted: list[OmittedStep] = []
    for row in schedule(pattern):
        if row.step.kiosk_only and not kiosk:
            omitted.append(OmittedStep(no=row.no, key=row.key, title_ja=row.step.title_ja,
                                       reason=KIOSK_OMITTED_REASON))
            continue
        month = add_months(*start, -row.months_before)
        moved = months_between(floor_month, month) < 0
        if moved:
            month = floor_month
        record = steps_progress.get(row.key) or ProgressRecord()
        steps.append(PlanStep(
            no=row.no, key=row.key, title_ja=row.step.title_ja, title_en=row.step.title_en,
            activities=list(row.step.activities), owner=row.step.owner, kiosk_only=row.step.kiosk_only,
            months_before=row.months_before, month=format_month(*month), compressed=moved,
            status=record.status, note=record.note, updated_at=record.updated_at, updated_by=record.updated_by,
            done_on=record.done_on,
            overdue=record.status != "done" and months_between((today.year, today.month), month) < 0,
        ))

    first_step_month = first_day(*add_months(*start, -lead_months(pattern)))
    dues = {
        BOS_ACCOUNT: (first_step_month, _BOS_EXISTING_JA if existing_kiosk else _BOS_NEW_JA),
        APPLICATION_FORMS: (first_step_month, _FORMS_JA),
        CONTRACT_FORMS: (first_day(*add_months(*start, -2)), _CONTRACT_FORMS_JA),
        AGREEMENT: (first_day(*add_months(*start, -1)), _AGREEMENT_JA),
    }
    milestones: list[PlanMilestone] = []
    for key, (due, description) in dues.items():
        definition = MILESTONES[key]
        moved = due < planned_on
        due = max(due, planned_on)
        record = milestones_progress.get(key) or ProgressRecord()
        milestones.append(PlanMilestone(
            key=key, title_ja=definition.title_ja, title_en=definition.title_en, description_ja=description,
            owner=definition.owner, due=due, compressed=moved, status=record.status, note=record.note,
            updated_at=record.updated_at, updated_by=record.updated_by, done_on=record.done_on,
            overdue=record.status != "done" and due < today,
        ))

    return OnboardingPlan(
        pattern=pattern, start_month=start_month, kiosk=kiosk, existing_kiosk=existing_kiosk,
        planned_on=planned_on, as_of=today, lead_months=lead_months(pattern),
        months_ahead=months_between(floor_month, start), compressed=compressed, steps=steps,
        omitted_steps=omitted, milestones=milestones, use_start_rule_ja=USE_START_RULE_JA,
        earliest_use_start=_earliest_use_start(steps), progress=progress_of(steps, milestones),
    )


def _earliest_use_start(steps: list[PlanStep]) -> date | None:
    tests = [s for s in steps if s.key in TEST_STEPS]
    if not tests or any(s.status != "done" or s.done_on is None for s in tests):
        return None
    return max(s.done_on for s in tests if s.done_on is not None) + timedelta(days=1)


def progress_of(steps: list[PlanStep], milestones: list[PlanMilestone]) -> Progress:
    items: list[PlanStep | PlanMilestone] = [*steps, *milestones]
    done = sum(1 for i in items if i.status == "done")
    in_progress = sum(1 for i in items if i.status == "in_progress")
    total = len(items)
    return Progress(done=done, in_progress=in_progress, not_started=total - done - in_progress, total=total,
                    percent=done * 100 // total if total else 0, overdue=sum(1 for i in items if i.overdue))
