"""Ledger commands: accepted by the API onto the FIFO queue, applied once each by ``ledger_updates``.

Accepting (``accept_command``) resolves the caller's right to write the ledger (own staff, or an
editor grant), makes the cheap checks (``check``: disaster open, household and person there, the
protected-person rules), encrypts a My Number with KMS so the clear number never travels on the
queue, and sends the command in a ``CommandEnvelope``. Messages are grouped per household
(``message_group_id``), so one household's commands are applied in the order they were accepted
while households proceed in parallel.

Applying (``apply_command``) reads the disaster, household and person, makes the same checks again
(time has passed since the API's), computes the change and writes it in one transaction
(``LedgerRepository.commit``) guarded by the items' versions. A version conflict means another
writer slipped in: the command is read and computed again, at most ``MAX_ATTEMPTS`` times, then the
message is failed so SQS redelivers it. A refusal (any ``DomainError``) is an outcome, not a failure:
it is audited and the message is done; only unexpected errors go back to the queue and, after the
queue's maximum receives, to its DLQ.

Audit details carry the changed fields before and after, never a My Number (only ``"set"``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from victim_support.auth import Caller
from victim_support.clock import iso
from victim_support.damage import SurveyOutcome, current_level
from victim_support.errors import DomainError
from victim_support.ledger.access import audit_remote, resolve_access
from victim_support.ledger.models import (
    AddNonResident,
    ChangeEvacuation,
    CloseHousehold,
    CommandAccepted,
    CommandEnvelope,
    CommandOutcome,
    CorrectPerson,
    Disaster,
    Household,
    HouseholdEvent,
    LedgerCommand,
    Person,
    RecordConsent,
    RecordDisclosure,
    RecordSupport,
    RecordSurvey,
    SharingConsent,
    SupportRecord,
    SurveyRecord,
)
from victim_support.ledger.repository import (
    AlreadyApplied,
    AuditEntry,
    DisasterNotOpen,
    LedgerContext,
    LedgerRepository,
    LedgerWrite,
    PersonRecord,
    VersionConflict,
)
from victim_support.observability import logger
from victim_support.support import decide_support

MAX_ATTEMPTS = 5
HEAD = "世帯主"


class LedgerConflictError(Exception):
    """The item kept changing under the command: the message goes back to the queue."""


def message_group_id(code: str, disaster_id: str, household_id: str) -> str:
    return f"{code}#{disaster_id}#{household_id}"


def deduplication_id(code: str, command_id: str) -> str:
    """Command ids are chosen by each municipality's clients: the code keeps one municipality's id from
    deduplicating another's message (FIFO deduplication is per queue)."""
    return f"{code}#{command_id}"


def _target(disaster_id: str, command: LedgerCommand) -> str:
    person_id = getattr(command, "person_id", None)
    return f"{disaster_id}/{command.household_id}" + (f"/{person_id}" if person_id else "")


# --- Checks made on both sides ---------------------------------------------------------------------

@dataclass(frozen=True)
class LedgerState:
    disaster: Disaster
    household: Household | None
    person: PersonRecord | None


def read_state(ledger: LedgerRepository, code: str, disaster_id: str, command: LedgerCommand) -> LedgerState:
    """Everything a command is checked against, read under ``code`` only (tenant isolation)."""
    disaster = ledger.require_disaster(code, disaster_id)
    household = ledger.get_household(code, disaster_id, command.household_id)
    person_id = getattr(command, "person_id", None)
    person = ledger.get_person(code, disaster_id, command.household_id, person_id) \
        if household is not None and person_id else None
    return LedgerState(disaster, household, person)


def check(command: LedgerCommand, state: LedgerState, *, remote: bool) -> None:
    """The refusals the API and the worker both make; DomainError when the command cannot apply."""
    if state.disaster.status == "closed":
        raise DomainError("LEDGER_DISASTER_CLOSED")
    if state.disaster.status != "open":
        raise DomainError("LEDGER_NOT_READY")
    household = state.household
    if household is None:
        if isinstance(command, AddNonResident) and command.household_id.startswith("X"):
            return  # a new household of people added by hand
        raise DomainError("LEDGER_HOUSEHOLD_NOT_FOUND")
    if household.closed:
        raise DomainError("LEDGER_HOUSEHOLD_CLOSED")
    if isinstance(command, AddNonResident):
        if state.person is not None:
            raise DomainError("LEDGER_PERSON_EXISTS")
        return
    if getattr(command, "person_id", None) and state.person is None:
        raise DomainError("LEDGER_PERSON_NOT_FOUND")
    if remote:
        _check_remote(command, household, state.person)


def _check_remote(command: LedgerCommand, household: Household, record: PersonRecord | None) -> None:
    """A remote helper never discloses, learns or moves the whereabouts of a person under 支援措置."""
    protected = record.person.protected if record else household.protected
    if not protected:
        return
    if isinstance(command, RecordDisclosure):
        raise DomainError("LEDGER_PROTECTED_PERSON", "a protected person's disclosure is recorded by own staff only")
    if isinstance(command, CorrectPerson) and (command.address is not None or command.whereabouts is not None):
        raise DomainError("LEDGER_PROTECTED_PERSON", "a protected person's address is changed by own staff only")
    if isinstance(command, ChangeEvacuation) and command.whereabouts:
        raise DomainError("LEDGER_PROTECTED_PERSON", "a protected person's whereabouts are recorded by own staff only")


# --- Accepting ------------------------------------------------------------------------------------

def accept_command(caller: Caller, disaster_id: str, command: LedgerCommand, *, municipality_code: str | None,
                   ctx: LedgerContext) -> CommandAccepted:
    """Check the command and queue it for the worker (202: applied shortly, once)."""
    access = resolve_access(caller, disaster_id, "write", municipality_code=municipality_code, grants=ctx.grants,
                            clock=ctx.clock)
    code = access.municipality_code
    check(command, read_state(ctx.ledger, code, disaster_id, command), remote=access.remote)
    my_number_ct: str | None = None
    if isinstance(command, CorrectPerson):
        if not command.changes() and command.my_number is None:
            raise DomainError("VALIDATION_ERROR", "give at least one field to correct")
        if command.my_number is not None:
            my_number_ct = _encrypt_my_number(ctx, code, disaster_id, command.person_id, command.my_number)
            command = command.model_copy(update={"my_number": None})
    envelope = CommandEnvelope(
        municipality_code=code, disaster_id=disaster_id, actor=access.actor, acting_for=access.acting_for,
        grant_id=access.grant_id, sent_at=accepted_at(ctx.clock()), command=command, my_number_ct=my_number_ct,
    )
    ctx.sqs.send_message(
        QueueUrl=ctx.need(ctx.commands_queue_url, "queue ledger_commands"), MessageBody=envelope.model_dump_json(),
        MessageGroupId=message_group_id(code, disaster_id, command.household_id),
        MessageDeduplicationId=deduplication_id(code, command.command_id),
    )
    audit_remote(access, ctx.audit, action="ledger.command", target=_target(disaster_id, command),
                 details={"command_id": command.command_id, "type": command.type})
    logger.info("ledger command queued", extra={"disaster_id": disaster_id, "command_id": command.command_id,
                                                "type": command.type})
    return CommandAccepted(command_id=command.command_id, household_id=command.household_id)


def accepted_at(moment: datetime) -> str:
    """Milliseconds: the acceptance time orders a household's history and breaks ties between surveys."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _encrypt_my_number(ctx: LedgerContext, code: str, disaster_id: str, person_id: str, my_number: str) -> str:
    blob = ctx.kms.encrypt(
        KeyId=ctx.need(ctx.data_key_id, "key data"), Plaintext=my_number.encode("ascii"),
        EncryptionContext=my_number_context(code, disaster_id, person_id),
    )["CiphertextBlob"]
    return base64.b64encode(blob).decode("ascii")


def my_number_context(code: str, disaster_id: str, person_id: str) -> dict[str, str]:
    """The KMS encryption context: a ciphertext decrypts only for the person it was made for."""
    return {"municipality_code": code, "disaster_id": disaster_id, "person_id": person_id}


# --- Applying -------------------------------------------------------------------------------------

def apply_command(envelope: CommandEnvelope, ctx: LedgerContext) -> CommandOutcome:
    """Apply one command at most once; see the module docstring for conflicts and refusals."""
    command = envelope.command
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            write = plan(envelope, ctx)
        except DomainError as error:
            return _refuse(envelope, error, ctx)
        try:
            ctx.ledger.commit(write)
        except (VersionConflict, DisasterNotOpen):
            logger.info("ledger write conflict, reading again", extra={"attempt": attempt})
            continue
        except AlreadyApplied:
            logger.info("ledger command applied before", extra={"command_id": command.command_id})
            return CommandOutcome(command_id=command.command_id, household_id=command.household_id,
                                  status="duplicate")
        logger.info("ledger command applied", extra={"command_id": command.command_id, "type": command.type})
        return CommandOutcome(command_id=command.command_id, household_id=command.household_id, status="applied")
    raise LedgerConflictError(f"command {command.command_id} conflicted {MAX_ATTEMPTS} times")


def _refuse(envelope: CommandEnvelope, error: DomainError, ctx: LedgerContext) -> CommandOutcome:
    command = envelope.command
    ctx.audit.record(
        envelope.municipality_code, actor=envelope.actor, action="ledger.command_refused",
        target=_target(envelope.disaster_id, command), reason=command.reason,
        details={"command_id": command.command_id, "type": command.type, "code": error.code,
                 **_remote_details(envelope)},
    )
    logger.info("ledger command refused", extra={"command_id": command.command_id, "code": error.code})
    return CommandOutcome(command_id=command.command_id, household_id=command.household_id, status="refused",
                          code=error.code, detail=error.detail)


def refuse_reused_command_id(envelope: CommandEnvelope, ctx: LedgerContext) -> CommandOutcome:
    """A command whose id was applied before with other content: refused and audited, never applied
    (the id's first command stands; a retry with the same content is answered by idempotency)."""
    return _refuse(envelope, DomainError("LEDGER_COMMAND_ID_REUSED"), ctx)


def _remote_details(envelope: CommandEnvelope) -> dict[str, Any]:
    return {"acting_for": envelope.acting_for, "grant_id": envelope.grant_id} if envelope.grant_id else {}


@dataclass
class Change:
    """What one command changes, before it becomes a ``LedgerWrite``."""

    details: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)
    household_after: Household | None = None
    new_household: Household | None = None
    person_after: Person | None = None
    my_number_ct: bytes | None = None


@dataclass(frozen=True)
class Applying:
    """The inputs of one command's change."""

    envelope: CommandEnvelope
    state: LedgerState
    ledger: LedgerRepository
    now: str

    @property
    def household(self) -> Household:
        assert self.state.household is not None  # check() refused a missing household already
        return self.state.household

    @property
    def person(self) -> Person:
        assert self.state.person is not None  # check() refused a missing person already
        return self.state.person.person


def plan(envelope: CommandEnvelope, ctx: LedgerContext) -> LedgerWrite:
    """Read, check and compute one command's write (DomainError when it is refused)."""
    code, disaster_id, command = envelope.municipality_code, envelope.disaster_id, envelope.command
    state = read_state(ctx.ledger, code, disaster_id, command)
    check(command, state, remote=envelope.grant_id is not None)
    now = iso(ctx.clock())
    change = _APPLY[command.type](command, Applying(envelope, state, ctx.ledger, now))
    household = change.new_household or state.household
    assert household is not None  # check() let a missing household through only with a new one
    person_id = getattr(command, "person_id", None)
    return LedgerWrite(
        municipality_code=code, disaster_id=disaster_id, household=household,
        household_after=change.household_after, household_is_new=change.new_household is not None,
        person=state.person, person_after=change.person_after, my_number_ct=change.my_number_ct,
        event=HouseholdEvent(
            household_id=command.household_id, command_id=command.command_id, type=command.type,
            # The acceptance time, not now: a redelivered command gets the same event key and cannot apply twice.
            at=envelope.sent_at, applied_at=now, actor=envelope.actor, acting_for=envelope.acting_for,
            grant_id=envelope.grant_id, reason=command.reason, person_id=person_id, details=change.details,
        ),
        audit=AuditEntry(
            municipality_code=code, actor=envelope.actor, action=f"ledger.{command.type}",
            target=_target(disaster_id, command), reason=command.reason, at=now,
            details={"command_id": command.command_id, "disaster_id": disaster_id,
                     "household_id": command.household_id, **({"person_id": person_id} if person_id else {}),
                     "changes": change.changes, **_remote_details(envelope)},
        ),
    )


def _diff(before: BaseModel, after: BaseModel, fields: Iterable[str]) -> dict[str, Any]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {name: {"before": old.get(name), "after": new.get(name)}
            for name in fields if old.get(name) != new.get(name)}


def _household_change(a: Applying, details: dict[str, Any], **updates: Any) -> Change:
    """A change of household fields; no write of the household when nothing differs."""
    after = a.household.model_copy(update={**updates, "updated_at": a.now})
    changes = _diff(a.household, after, updates)
    return Change(details=details, changes=changes, household_after=after if changes else None)


def _record_survey(command: LedgerCommand, a: Applying) -> Change:
    assert isinstance(command, RecordSurvey)
    record = SurveyRecord(round=command.round, surveyor=command.surveyor, surveyed_on=command.surveyed_on,
                          dwelling_address=command.dwelling_address, completed=command.completed,
                          damage_level=command.level(), loss_ratio=command.loss_ratio)
    rounds = [(SurveyRecord.model_validate(e.details), e.at)
              for e in a.ledger.events(a.envelope.municipality_code, a.envelope.disaster_id, command.household_id)
              if e.type == "record_survey" and e.command_id != command.command_id]
    rounds.append((record, a.envelope.sent_at))
    # The household shows the latest completed round over its whole history: a 再調査 dated later
    # replaces the level, an incomplete round never does, and every round stays in the history.
    completed = [(SurveyOutcome(round=r.round, surveyed_on=r.surveyed_on, completed=True, level=r.damage_level,
                                recorded_at=datetime.fromisoformat(at)), r)
                 for r, at in rounds if r.completed and r.damage_level is not None]
    current = current_level(outcome for outcome, _ in completed)
    updates: dict[str, Any] = {"damage_level": None, "damage_round": None}
    if current is not None:
        shown = next(r for outcome, r in completed if outcome is current)
        updates = {"damage_level": current.level, "damage_round": current.round,
                   "dwelling_address": shown.dwelling_address}
    return _household_change(a, record.model_dump(mode="json"), **updates)


def _change_evacuation(command: LedgerCommand, a: Applying) -> Change:
    assert isinstance(command, ChangeEvacuation)
    details = {"evacuation": command.evacuation, "whereabouts": command.whereabouts}
    if command.person_id is None:
        return _household_change(a, details, evacuation=command.evacuation, whereabouts=command.whereabouts)
    after = a.person.model_copy(update={"evacuation": command.evacuation, "whereabouts": command.whereabouts,
                                        "updated_at": a.now})
    return Change(details=details, changes=_diff(a.person, after, ("evacuation", "whereabouts")), person_after=after)


def _record_support(command: LedgerCommand, a: Applying) -> Change:
    assert isinstance(command, RecordSupport)
    household = a.household
    if command.kind == "decision":
        decision = decide_support(household.damage_level, household_size=household.members,
                                  circumstance=command.circumstance, method=command.method,
                                  disaster_date=a.state.disaster.occurred_on)
        record = SupportRecord(kind="decision", on=command.on, level=household.damage_level, decision=decision)
        return _household_change(a, record.model_dump(mode="json"), support_decided=decision.total)
    if command.kind == "payment":
        amount = command.amount or 0
        if household.support_paid + amount > household.support_decided:
            raise DomainError("LEDGER_PAYMENT_EXCEEDS_DECISION",
                              f"decided {household.support_decided} yen, paid {household.support_paid} yen, "
                              f"this payment {amount} yen")
        record = SupportRecord(kind="payment", on=command.on, amount=amount)
        return _household_change(a, record.model_dump(mode="json"), support_paid=household.support_paid + amount)
    record = SupportRecord(kind="relief", on=command.on, description=command.description)
    return Change(details=record.model_dump(mode="json"), changes={"relief": command.description})


def _record_consent(command: LedgerCommand, a: Applying) -> Change:
    assert isinstance(command, RecordConsent)
    consent = SharingConsent(given=command.given, scope=command.scope, recorded_at=a.envelope.sent_at)
    after = a.person.model_copy(update={"consent": consent, "updated_at": a.now})
    return Change(details={"given": command.given, "scope": command.scope},
                  changes=_diff(a.person, after, ("consent",)), person_after=after)


def _record_disclosure(command: LedgerCommand, a: Applying) -> Change:
    assert isinstance(command, RecordDisclosure)
    person = a.person
    details = {"recipient": command.recipient, "purpose": command.purpose, "items": command.items,
               "on": command.on.isoformat(), "protected": person.protected,
               "consent_given": person.consent.given if person.consent else None}
    return Change(details=details, changes={"disclosed": details})


def _correct_person(command: LedgerCommand, a: Applying) -> Change:
    assert isinstance(command, CorrectPerson)
    updates = command.changes()
    ciphertext = base64.b64decode(a.envelope.my_number_ct) if a.envelope.my_number_ct else None
    if not updates and ciphertext is None:
        raise DomainError("VALIDATION_ERROR", "give at least one field to correct")
    person = a.person
    after = person.model_copy(update={**updates, "updated_at": a.now,
                                      "has_my_number": person.has_my_number or ciphertext is not None})
    changes = _diff(person, after, updates)
    if ciphertext is not None:
        changes["my_number"] = "set"
    household_after = None
    if person.person_id == a.household.head_person_id and "name" in changes:
        household_after = a.household.model_copy(update={"head_name": after.name, "updated_at": a.now})
    # The history shows the new values (never My Number: only that it was set).
    details = {**{name: change["after"] for name, change in changes.items() if name != "my_number"},
               "fields": sorted(changes)}
    return Change(details=details, changes=changes, person_after=after,
                  household_after=household_after, my_number_ct=ciphertext)


def _add_non_resident(command: LedgerCommand, a: Applying) -> Change:
    assert isinstance(command, AddNonResident)
    new_household = a.state.household is None
    person = Person(
        household_id=command.household_id, person_id=command.person_id, name=command.name,
        name_kana=command.name_kana, birth_date=command.birth_date, sex=command.sex,
        relationship=HEAD if new_household else "", address=command.address, whereabouts=command.whereabouts,
        phone=command.phone, notes=command.notes, resident=False, updated_at=a.now,
    )
    details = {"person_id": command.person_id, "new_household": new_household}
    if new_household:
        household = Household(
            household_id=command.household_id, head_person_id=command.person_id, head_name=command.name,
            dwelling_address=command.dwelling_address or command.address, members=1, single_person=True,
            updated_at=a.now,
        )
        return Change(details=details, changes={"person_added": command.person_id, "household_added": True},
                      new_household=household, person_after=person)
    members = a.household.members + 1
    change = _household_change(a, details, members=members, single_person=members == 1)
    change.changes["person_added"] = command.person_id
    change.person_after = person
    return change


def _close_household(command: LedgerCommand, a: Applying) -> Change:
    assert isinstance(command, CloseHousehold)
    return _household_change(a, {}, closed=True)


_APPLY: dict[str, Callable[[LedgerCommand, Applying], Change]] = {
    "record_survey": _record_survey,
    "change_evacuation": _change_evacuation,
    "record_support": _record_support,
    "record_consent": _record_consent,
    "record_disclosure": _record_disclosure,
    "correct_person": _correct_person,
    "add_non_resident": _add_non_resident,
    "close_household": _close_household,
}
