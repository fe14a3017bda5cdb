"""Onboarding: apply (利用申し込み), move a step or milestone, and the checklist both sides share.

Every change is audited with who made it and the values before and after. Who may move what is
decided here: the operator anything, municipal staff only their own municipality's steps and
milestones that the municipality does (owner "municipality" or "both").
"""

from __future__ import annotations

from datetime import date
from typing import Any

from victim_support.audit import AuditLog
from victim_support.auth import Caller
from victim_support.clock import JST, Clock, iso, utc_now
from victim_support.errors import DomainError
from victim_support.onboarding.models import (
    BOS_ACCOUNT_BY_STATUS,
    BOS_STATUS,
    ApplicationList,
    ApplicationRequest,
    ApplicationSummary,
    Checklist,
    OnboardingApplication,
    ProgressItem,
    ProgressKind,
    ProgressRecord,
    ProgressUpdate,
    StepStatus,
)
from victim_support.onboarding.repository import OnboardingRepository, StoredOnboarding
from victim_support.onboarding.schedule import BOS_ACCOUNT as BOS_MILESTONE
from victim_support.onboarding.schedule import MILESTONES, build_plan, check_start, schedule_step
from victim_support.rules import municipal_codes

# Application fields whose change is a change of plan (re-checked against the day it is made).
_PLAN_FIELDS = ("pattern", "start_month")


def apply(
    code: str, request: ApplicationRequest, *, actor: str, repository: OnboardingRepository, audit: AuditLog,
    clock: Clock = utc_now,
) -> Checklist:
    """Create or update a municipality's application (operator). The code must name a municipality;
    it need not be registered as a tenant yet (applying comes before registration)."""
    info = municipal_codes.lookup(code)
    if not info.is_municipality:
        raise DomainError("ONBOARDING_NOT_A_MUNICIPALITY", f"{code} is a {info.kind}")
    now = clock()
    today = now.astimezone(JST).date()
    stored = repository.get(code)
    before = stored.application if stored else None
    if request.expected_version is not None and (before.version if before else 0) != request.expected_version:
        raise DomainError("CONFLICT", "the application changed since it was read")

    if before is not None and all(getattr(before, f) == getattr(request, f) for f in _PLAN_FIELDS):
        # An unchanged schedule keeps the day it was accepted, so editing (say) the BOS status of an
        # application whose start month has come near does not suddenly refuse it.
        planned_on, compressed = before.planned_on, before.compressed
    else:
        planned_on = today
        compressed = check_start(request.pattern, request.start_month, today,
                                 allow_compressed=request.allow_compressed)

    stamp = iso(now)
    application = OnboardingApplication(
        municipality_code=code, municipality_name=info.name, prefecture=info.prefecture,
        pattern=request.pattern, start_month=request.start_month, kiosk=request.kiosk,
        existing_kiosk=request.existing_kiosk, bos_account=request.bos_account, compressed=compressed,
        planned_on=planned_on, created_at=before.created_at if before else stamp,
        created_by=before.created_by if before else actor, updated_at=stamp, updated_by=actor,
        version=(before.version if before else 0) + 1,
    )
    bos_item = None
    if before is None or before.bos_account != application.bos_account:
        bos_item = _bos_progress(stored, application, actor, stamp, today, note=None)
    repository.save(code, application=application, application_expected=before.version if before else None,
                    progress=bos_item,
                    progress_expected=_version_of(stored, "milestone", BOS_MILESTONE) if bos_item else None)
    audit.record(code, actor=actor, action="onboarding.application.updated" if before else "onboarding.applied",
                 target=f"onboarding/{code}", reason="operator application",
                 details={"before": _audited_application(before), "after": _audited_application(application)})
    return checklist(code, repository=repository, clock=clock)


def update_progress(
    code: str, kind: ProgressKind, key: str, update: ProgressUpdate, *, caller: Caller,
    repository: OnboardingRepository, audit: AuditLog, clock: Clock = utc_now,
) -> Checklist:
    """Move one step or milestone of a municipality's checklist."""
    if not caller.is_operator and caller.municipality_code != code:
        raise DomainError("FORBIDDEN", "staff may update only their own municipality's checklist")
    stored = _require(repository, code)
    application = stored.application
    owner = _owner_of(application, kind, key)
    if not caller.is_operator and owner == "center":
        raise DomainError("FORBIDDEN", f"{key} is 証明書交付センター work; only the operator updates it")

    now = clock()
    today, stamp = now.astimezone(JST).date(), iso(now)
    previous = (stored.steps if kind == "step" else stored.milestones).get(key)
    if kind == "milestone" and key == BOS_MILESTONE:
        # The application's bos_account is the BOS milestone's status: both change in one transaction.
        bos_account = BOS_ACCOUNT_BY_STATUS[update.status]
        changed_application = application.model_copy(update={
            "bos_account": bos_account, "updated_at": stamp, "updated_by": caller.username,
            "version": application.version + 1})
        item = _bos_progress(stored, changed_application, caller.username, stamp, today, note=update.note)
        repository.save(code, application=changed_application, application_expected=application.version,
                        progress=item, progress_expected=previous.version if previous else None)
    else:
        item = _next_progress(kind, key, previous, update.status, update.note, caller.username, stamp, today)
        repository.save(code, progress=item, progress_expected=previous.version if previous else None)
    audit.record(code, actor=caller.username, action=f"onboarding.{kind}.updated", target=f"onboarding/{code}/{key}",
                 reason="operator update" if caller.is_operator else "municipality update",
                 details={"before": _audited_progress(previous), "after": _audited_progress(item)})
    return checklist(code, repository=repository, clock=clock)


def checklist(code: str, *, repository: OnboardingRepository, clock: Clock = utc_now) -> Checklist:
    """The checklist of one municipality; the operator and the municipality get the same one."""
    return _checklist(_require(repository, code), clock)


def list_applications(*, repository: OnboardingRepository, clock: Clock = utc_now) -> ApplicationList:
    summaries = []
    for stored in repository.all():
        plan = _checklist(stored, clock).plan
        next_step = next((s.key for s in plan.steps if s.status != "done"), None)
        summaries.append(ApplicationSummary(application=stored.application, progress=plan.progress,
                                            next_step=next_step))
    return ApplicationList(applications=summaries)


# --- helpers ------------------------------------------------------------------------------------------------


def _require(repository: OnboardingRepository, code: str) -> StoredOnboarding:
    stored = repository.get(code)
    if stored is None:
        raise DomainError("ONBOARDING_APPLICATION_NOT_FOUND", code)
    return stored


def _checklist(stored: StoredOnboarding, clock: Clock) -> Checklist:
    application = stored.application
    milestones: dict[str, ProgressRecord] = dict(stored.milestones)
    bos = milestones.get(BOS_MILESTONE) or ProgressRecord()
    milestones[BOS_MILESTONE] = bos.model_copy(update={"status": BOS_STATUS[application.bos_account]})
    plan = build_plan(
        application.pattern, application.start_month, application.kiosk,
        today=clock().astimezone(JST).date(), planned_on=application.planned_on,
        existing_kiosk=application.existing_kiosk, allow_compressed=application.compressed,
        steps_progress=stored.steps, milestones_progress=milestones,
    )
    return Checklist(application=application, plan=plan)


def _owner_of(application: OnboardingApplication, kind: ProgressKind, key: str) -> str:
    if kind == "milestone":
        milestone = MILESTONES.get(key)
        if milestone is None:
            raise DomainError("ONBOARDING_MILESTONE_UNKNOWN", key)
        return milestone.owner
    row = schedule_step(application.pattern, key)
    if row is None:
        raise DomainError("ONBOARDING_STEP_UNKNOWN", f"pattern {application.pattern} has no step {key!r}")
    if row.step.kiosk_only and not application.kiosk:
        raise DomainError("ONBOARDING_STEP_OMITTED", f"No {row.no} {key}")
    return row.step.owner


def _next_progress(
    kind: ProgressKind, key: str, previous: ProgressItem | None, status: StepStatus, note: str | None, actor: str,
    stamp: str, today: date,
) -> ProgressItem:
    if status == "done":
        done_on = previous.done_on if previous and previous.status == "done" and previous.done_on else today
    else:
        done_on = None
    return ProgressItem(kind=kind, key=key, status=status, note=note, updated_at=stamp, updated_by=actor,
                        done_on=done_on, version=(previous.version if previous else 0) + 1)


def _bos_progress(
    stored: StoredOnboarding | None, application: OnboardingApplication, actor: str, stamp: str, today: date,
    note: str | None,
) -> ProgressItem:
    previous = stored.milestones.get(BOS_MILESTONE) if stored else None
    keep_note = note if note is not None else (previous.note if previous else None)
    return _next_progress("milestone", BOS_MILESTONE, previous, BOS_STATUS[application.bos_account], keep_note,
                          actor, stamp, today)


def _version_of(stored: StoredOnboarding | None, kind: ProgressKind, key: str) -> int | None:
    if stored is None:
        return None
    item = (stored.steps if kind == "step" else stored.milestones).get(key)
    return item.version if item else None


def _audited_application(application: OnboardingApplication | None) -> dict[str, Any] | None:
    if application is None:
        return None
    return application.model_dump(mode="json", include={"pattern", "start_month", "kiosk", "existing_kiosk",
                                                        "bos_account", "compressed", "planned_on", "version"})


def _audited_progress(item: ProgressItem | None) -> dict[str, Any] | None:
    # Notes are free text and may name people: the audit keeps the status and whether the note
    # changed; the note itself stays on the progress item.
    if item is None:
        return None
    return {"status": item.status, "done_on": item.done_on.isoformat() if item.done_on else None,
            "has_note": item.note is not None, "version": item.version}
