"""Onboarding models, by boundary: the plan (pure output), API bodies and views, stored items."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Pattern = Literal["A", "B"]
Owner = Literal["municipality", "center", "both"]
StepStatus = Literal["not_started", "in_progress", "done"]
BosAccount = Literal["none", "requested", "active"]
ProgressKind = Literal["step", "milestone"]

YEAR_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
MUNICIPALITY_CODE = r"^\d{6}$"

# The BOS account milestone and the application's ``bos_account`` are one fact seen two ways.
BOS_STATUS: dict[BosAccount, StepStatus] = {"none": "not_started", "requested": "in_progress", "active": "done"}
BOS_ACCOUNT_BY_STATUS: dict[StepStatus, BosAccount] = {status: account for account, status in BOS_STATUS.items()}


# --- Progress as recorded (input to the plan builder, stored per step / milestone) ---------------------------


class ProgressRecord(BaseModel):
    """Where one step or milestone stands, who moved it last and when."""

    status: StepStatus = "not_started"
    note: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    done_on: date | None = Field(default=None, description="JST date the status became done")
    version: int = 0


# --- The plan (build_plan's output; also the body of the checklist) ----------------------------------------


class PlanStep(BaseModel):
    """One row of the seed's schedule, placed on the calendar, with its progress."""

    no: int = Field(description="The seed's No (kept when kiosk-only steps are omitted)")
    key: str
    title_ja: str
    title_en: str
    activities: list[str] = Field(description="The seed's bullets (ja)")
    owner: Owner = Field(description="Who does it: municipality, center (証明書交付センター) or both")
    kiosk_only: bool = Field(description="Only when 罹災証明書等のコンビニ交付 is used (the seed's ※)")
    months_before: int = Field(description="Months before the start month (0 = the start month)")
    month: str = Field(description="Calendar month YYYY-MM the step is scheduled in")
    compressed: bool = Field(default=False, description="Moved later than the seed's schedule to fit")
    status: StepStatus = "not_started"
    note: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    done_on: date | None = None
    overdue: bool = Field(default=False, description="Its month is past and it is not done")


class PlanMilestone(BaseModel):
    """A procedure with a due date outside the step table (BOS account, application forms, contracts)."""

    key: str
    title_ja: str
    title_en: str
    description_ja: str
    owner: Owner
    due: date
    compressed: bool = Field(default=False, description="Due later than the seed's rule to fit")
    status: StepStatus = "not_started"
    note: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    done_on: date | None = None
    overdue: bool = Field(default=False, description="Its due date is past and it is not done")


class OmittedStep(BaseModel):
    no: int
    key: str
    title_ja: str
    reason: str


class Progress(BaseModel):
    """Counts over the plan's steps and milestones."""

    done: int
    in_progress: int
    not_started: int
    total: int
    percent: int = Field(description="done / total, rounded down")
    overdue: int


class OnboardingPlan(BaseModel):
    pattern: Pattern
    start_month: str
    kiosk: bool = Field(description="罹災証明書等のコンビニ交付 is used (kiosk-only steps kept)")
    existing_kiosk: bool = Field(description="The municipality already offers コンビニ交付 (BOS procedure)")
    planned_on: date = Field(description="The day the schedule was laid out from")
    as_of: date = Field(description="The day overdue flags refer to")
    lead_months: int = Field(description="Months the seed's schedule needs before the start month")
    months_ahead: int = Field(description="Months from planned_on's month to the start month")
    compressed: bool
    steps: list[PlanStep]
    omitted_steps: list[OmittedStep]
    milestones: list[PlanMilestone]
    use_start_rule_ja: str
    earliest_use_start: date | None = Field(
        default=None, description="The day after the last test was done, once every test is done")
    progress: Progress


# --- API bodies and views -----------------------------------------------------------------------------------


class ApplicationRequest(BaseModel):
    """PUT /onboarding/applications/{code} body (operator)."""

    model_config = ConfigDict(extra="forbid")

    pattern: Pattern = Field(description="導入パターン")
    start_month: str = Field(pattern=YEAR_MONTH, description="利用開始月 YYYY-MM")
    kiosk: bool = Field(description="罹災証明書等のコンビニ交付を利用するか")
    existing_kiosk: bool = Field(default=False, description="コンビニ交付を既に導入しているか (BOS procedure)")
    bos_account: BosAccount = Field(default="none", description="BOSアカウント: none, requested or active")
    allow_compressed: bool = Field(
        default=False, description="Accept a start month fewer months ahead than the schedule needs")
    expected_version: int | None = Field(
        default=None, ge=0, description="Refuse with CONFLICT unless the stored version is this one")


class ProgressUpdate(BaseModel):
    """PUT .../steps/{key} and .../milestones/{key} body."""

    model_config = ConfigDict(extra="forbid")

    status: StepStatus
    note: str | None = Field(default=None, max_length=500)


class OnboardingApplication(BaseModel):
    """An application (利用申し込み) as stored and returned."""

    municipality_code: str = Field(pattern=MUNICIPALITY_CODE)
    municipality_name: str
    prefecture: str
    pattern: Pattern
    start_month: str = Field(pattern=YEAR_MONTH)
    kiosk: bool
    existing_kiosk: bool
    bos_account: BosAccount
    compressed: bool = Field(description="Accepted with fewer months ahead than the schedule needs")
    planned_on: date = Field(description="The day the start month was accepted; the schedule is laid out from it")
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    version: int


class Checklist(BaseModel):
    """The one checklist both sides see: the application and its plan with progress."""

    application: OnboardingApplication
    plan: OnboardingPlan


class ApplicationSummary(BaseModel):
    application: OnboardingApplication
    progress: Progress
    next_step: str | None = Field(description="Key of the first step that is not done")


class ApplicationList(BaseModel):
    applications: list[ApplicationSummary]


# --- Stored items -------------------------------------------------------------------------------------------


class ProgressItem(ProgressRecord):
    """A step's or milestone's progress as stored (pk = code, sk = STEP#<key> / MILESTONE#<key>)."""

    kind: ProgressKind
    key: str
