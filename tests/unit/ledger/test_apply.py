"""Applying ledger commands against an in-memory ledger: the semantics of each command, refusals,
optimistic locking and at-most-once, without AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from victim_support.ledger.commands import (
    MAX_ATTEMPTS,
    LedgerConflictError,
    apply_command,
    deduplication_id,
    message_group_id,
)
from victim_support.ledger.models import CommandEnvelope, Disaster, Household, HouseholdEvent, Person
from victim_support.ledger.repository import (
    AlreadyApplied,
    DisasterNotOpen,
    LedgerContext,
    LedgerWrite,
    PersonRecord,
    VersionConflict,
    event_from_item,
    event_item,
    search_entries,
)

CODE, OTHER = "434434", "131016"
DISASTER = "D20240101-3fa9"
AT = "2024-01-01T08:00:00Z"


@dataclass
class FakeAudit:
    events: list[dict[str, Any]] = field(default_factory=list)

    def record(self, municipality_code: str, **event: Any) -> str:
        self.events.append({"code": municipality_code, **event})
        return "e"


@dataclass
class FakeLedger:
    """The repository's read and commit contract, in memory; ``commit`` checks what the transaction checks."""

    disasters: dict[tuple[str, str], Disaster] = field(default_factory=dict)
    households: dict[tuple[str, str, str], Household] = field(default_factory=dict)
    persons: dict[tuple[str, str, str, str], PersonRecord] = field(default_factory=dict)
    history: dict[tuple[str, str, str], list[HouseholdEvent]] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    commits: int = 0

    def require_disaster(self, code: str, disaster_id: str) -> Disaster:
        from victim_support.errors import DomainError

        found = self.disasters.get((code, disaster_id))
        if found is None:
            raise DomainError("LEDGER_DISASTER_NOT_FOUND")
        return found

    def get_household(self, code: str, disaster_id: str, household_id: str) -> Household | None:
        return self.households.get((code, disaster_id, household_id))

    def get_person(self, code: str, disaster_id: str, household_id: str, person_id: str) -> PersonRecord | None:
        return self.persons.get((code, disaster_id, household_id, person_id))

    def events(self, code: str, disaster_id: str, household_id: str) -> list[HouseholdEvent]:
        return sorted(self.history.get((code, disaster_id, household_id), []), key=lambda e: (e.at, e.command_id))

    def commit(self, write: LedgerWrite) -> None:
        code, disaster_id, household = write.municipality_code, write.disaster_id, write.household
        if self.disasters[(code, disaster_id)].status != "open":
            raise DisasterNotOpen
        hkey = (code, disaster_id, household.household_id)
        if any(e.command_id == write.event.command_id and e.at == write.event.at for e in self.history.get(hkey, [])):
            raise AlreadyApplied
        stored = self.households.get(hkey)
        if (stored is not None) if write.household_is_new else (stored is None or stored.version != household.version):
            raise VersionConflict
        person_key = None
        if write.person_after is not None:
            person_key = (*hkey, write.person_after.person_id)
            stored_person = self.persons.get(person_key)
            expected = write.person.person.version if write.person else None
            if (stored_person.person.version if stored_person else None) != expected:
                raise VersionConflict
        if write.household_is_new:
            self.households[hkey] = household.model_copy(update={"version": 1})
        elif write.household_after is not None:
            self.households[hkey] = write.household_after.model_copy(update={"version": household.version + 1})
        if person_key is not None and write.person_after is not None:
            version = write.person.person.version + 1 if write.person else 1
            ciphertext = write.my_number_ct or (write.person.my_number_ct if write.person else None)
            self.persons[person_key] = PersonRecord(write.person_after.model_copy(update={"version": version}),
                                                    ciphertext)
        self.history.setdefault(hkey, []).append(write.event)
        self.audit.append({"action": write.audit.action, "details": write.audit.details, "actor": write.audit.actor})
        self.commits += 1


def disaster(code: str = CODE, status: str = "open") -> Disaster:
    return Disaster.model_validate({
        "municipality_code": code, "disaster_id": DISASTER, "name": "令和6年能登半島地震", "occurred_on": "2024-01-01",
        "cause": "地震", "affected_areas": ["全域"], "relief_act_applies": True, "status": status,
        "resident_generation": 1, "registered_at": AT, "registered_by": "staff"})


def person(household_id: str, person_id: str, name: str, kana: str, **extra: Any) -> Person:
    return Person.model_validate({"household_id": household_id, "person_id": person_id, "name": name,
                                  "name_kana": kana, "birth_date": "1970-03-12", "address": "益城町木山1番地",
                                  "updated_at": AT, **extra})


@pytest.fixture
def fake() -> FakeLedger:
    ledger = FakeLedger()
    ledger.disasters[(CODE, DISASTER)] = disaster()
    ledger.disasters[(OTHER, DISASTER)] = disaster(OTHER)
    ledger.households[(CODE, DISASTER, "1")] = Household(
        household_id="1", head_person_id="1001", head_name="益城　太郎", dwelling_address="益城町木山1番地", members=2,
        single_person=False, updated_at=AT)
    ledger.households[(CODE, DISASTER, "3")] = Household(
        household_id="3", head_person_id="3001", head_name="宮園　次郎", dwelling_address="益城町宮園5-6", members=1,
        single_person=True, protected=True, updated_at=AT)
    for p in (person("1", "1001", "益城　太郎", "マシキ　タロウ", relationship="世帯主"),
              person("1", "1002", "益城　花子", "マシキ　ハナコ", relationship="妻"),
              person("3", "3001", "宮園　次郎", "ミヤゾノ　ジロウ", protected=True)):
        ledger.persons[(CODE, DISASTER, p.household_id, p.person_id)] = PersonRecord(p)
    return ledger


class Clock:
    def __init__(self) -> None:
        self.tick = 0

    def __call__(self) -> datetime:
        self.tick += 1
        return datetime(2024, 1, 6, 0, 0, self.tick % 60, tzinfo=UTC)


def context(ledger: FakeLedger, audit: FakeAudit | None = None) -> LedgerContext:
    unused = cast(Any, None)
    return LedgerContext(ledger=cast(Any, ledger), audit=cast(Any, audit or FakeAudit()), tenants=unused,
                         grants=unused, dynamodb=unused, bulk_dynamodb=unused, sqs=unused, kms=unused, clock=Clock())


SENT = iter(f"2024-01-06T00:{m:02d}:00.000Z" for m in range(60))


def envelope(command: dict[str, Any], *, code: str = CODE, sent_at: str | None = None, **extra: Any) -> CommandEnvelope:
    return CommandEnvelope.model_validate({"municipality_code": code, "disaster_id": DISASTER, "actor": "staff-01",
                                           "sent_at": sent_at or next(SENT), "command": command, **extra})


def survey(command_id: str, on: str, round_: str = "1次調査", completed: bool = True, **finding: Any) -> dict[str, Any]:
    return {"type": "record_survey", "command_id": command_id, "household_id": "1", "round": round_,
            "surveyor": "班A", "surveyed_on": on, "dwelling_address": "益城町木山1番地", "completed": completed,
            **finding}


def run(ledger: FakeLedger, command: dict[str, Any], audit: FakeAudit | None = None, **extra: Any) -> Any:
    return apply_command(envelope(command, **extra), context(ledger, audit))


def hh(ledger: FakeLedger, household_id: str = "1") -> Household:
    return ledger.households[(CODE, DISASTER, household_id)]


def test_messages_are_grouped_per_household_and_deduplicated_per_municipality() -> None:
    assert message_group_id(CODE, DISASTER, "12") == f"{CODE}#{DISASTER}#12"
    assert deduplication_id(CODE, "cmd-1") != deduplication_id(OTHER, "cmd-1")


def test_the_latest_completed_survey_sets_the_level(fake: FakeLedger) -> None:
    assert run(fake, survey("survey-0001", "2024-01-05", loss_ratio="25")).status == "applied"
    assert (hh(fake).damage_level, hh(fake).damage_round) == ("半壊", "1次調査")
    run(fake, survey("survey-0002", "2024-01-20", "2次調査", completed=False))
    assert hh(fake).damage_level == "半壊" and hh(fake).version == 2  # an incomplete round changes nothing
    run(fake, survey("survey-0003", "2024-01-10", "2次調査", damage_level="大規模半壊"))
    assert (hh(fake).damage_level, hh(fake).damage_round) == ("大規模半壊", "2次調査")
    # Entered later but surveyed earlier than the current round: the survey date decides.
    run(fake, survey("survey-0004", "2024-01-08", "再調査", damage_level="全壊"))
    assert hh(fake).damage_level == "大規模半壊"
    assert len(fake.events(CODE, DISASTER, "1")) == 4


def test_support_decision_uses_the_current_level_and_household_size(fake: FakeLedger) -> None:
    run(fake, survey("survey-0001", "2024-01-05", damage_level="大規模半壊"))
    decided = run(fake, {"type": "record_support", "command_id": "decide-0001", "household_id": "1", "kind": "decision",
                         "method": "build_or_buy", "on": "2024-02-01"})
    assert decided.status == "applied" and hh(fake).support_decided == 2_500_000
    refused = run(fake, {"type": "record_support", "command_id": "pay-00000001", "household_id": "1",
                         "kind": "payment", "amount": 2_500_001, "on": "2024-02-02"})
    assert (refused.status, refused.code) == ("refused", "LEDGER_PAYMENT_EXCEEDS_DECISION")
    run(fake, {"type": "record_support", "command_id": "pay-00000002", "household_id": "1", "kind": "payment",
               "amount": 2_500_000, "on": "2024-02-02"})
    assert hh(fake).support_paid == 2_500_000


def test_a_correction_refreshes_the_head_name_and_records_my_number_as_set_only(fake: FakeLedger) -> None:
    outcome = run(fake, {"type": "correct_person", "command_id": "correct-0001", "household_id": "1",
                         "person_id": "1001", "name": "益城　太朗"}, my_number_ct="AQID")
    assert outcome.status == "applied"
    record = fake.persons[(CODE, DISASTER, "1", "1001")]
    assert record.person.name == "益城　太朗" and record.person.has_my_number and record.my_number_ct == b"\x01\x02\x03"
    assert hh(fake).head_name == "益城　太朗"
    changes = fake.audit[-1]["details"]["changes"]
    assert changes == {"name": {"before": "益城　太郎", "after": "益城　太朗"}, "my_number": "set"}


def test_non_residents_join_a_household_or_start_one(fake: FakeLedger) -> None:
    run(fake, {"type": "add_non_resident", "command_id": "add-00000001", "household_id": "1", "person_id": "X1",
               "name": "帰省　者", "name_kana": "キセイ　シャ"})
    assert hh(fake).members == 3
    run(fake, {"type": "add_non_resident", "command_id": "add-00000002", "household_id": "X9", "person_id": "X2",
               "name": "旅行　者", "name_kana": "リョコウ　シャ", "address": "福岡市"})
    created = hh(fake, "X9")
    assert (created.members, created.single_person, created.head_person_id, created.dwelling_address) == (
        1, True, "X2", "福岡市")
    again = run(fake, {"type": "add_non_resident", "command_id": "add-00000003", "household_id": "1",
                       "person_id": "X1", "name": "同一", "name_kana": "ドウイツ"})
    assert again.code == "LEDGER_PERSON_EXISTS"
    unknown = run(fake, {"type": "add_non_resident", "command_id": "add-00000004", "household_id": "77",
                         "person_id": "X3", "name": "不明", "name_kana": "フメイ"})
    assert unknown.code == "LEDGER_HOUSEHOLD_NOT_FOUND"


@pytest.mark.parametrize(("command", "extra", "code"), [
    ({"type": "close_household", "household_id": "404"}, {}, "LEDGER_HOUSEHOLD_NOT_FOUND"),
    ({"type": "record_consent", "household_id": "1", "person_id": "9999", "given": True}, {},
     "LEDGER_PERSON_NOT_FOUND"),
    ({"type": "record_disclosure", "household_id": "3", "person_id": "3001", "recipient": "民生委員",
      "purpose": "見守り", "items": ["氏名"], "on": "2024-01-10"},
     {"grant_id": "434434-abc", "acting_for": OTHER}, "LEDGER_PROTECTED_PERSON"),
    ({"type": "change_evacuation", "household_id": "3", "evacuation": "shelter", "whereabouts": "体育館"},
     {"grant_id": "434434-abc", "acting_for": OTHER}, "LEDGER_PROTECTED_PERSON"),
    ({"type": "correct_person", "household_id": "1", "person_id": "1001"}, {}, "VALIDATION_ERROR"),
])
def test_refusals_are_outcomes_and_audited(fake: FakeLedger, command: dict[str, Any], extra: dict[str, Any],
                                           code: str) -> None:
    audit = FakeAudit()
    outcome = run(fake, {"command_id": "refused-0001", **command}, audit, **extra)
    assert (outcome.status, outcome.code) == ("refused", code)
    assert [e["details"]["code"] for e in audit.events if e["action"] == "ledger.command_refused"] == [code]
    assert fake.commits == 0


def test_own_staff_may_record_a_protected_person_s_disclosure(fake: FakeLedger) -> None:
    outcome = run(fake, {"type": "record_disclosure", "command_id": "disclose-01", "household_id": "3",
                         "person_id": "3001", "recipient": "警察署", "purpose": "安否確認", "items": ["氏名"],
                         "on": "2024-01-10"})
    assert outcome.status == "applied"
    assert fake.audit[-1]["details"]["changes"]["disclosed"]["protected"] is True


def test_closed_households_and_disasters_refuse_and_other_municipalities_never_apply(fake: FakeLedger) -> None:
    run(fake, {"type": "close_household", "command_id": "close-00001", "household_id": "1"})
    assert run(fake, {"type": "close_household", "command_id": "close-00002", "household_id": "1"}).code == (
        "LEDGER_HOUSEHOLD_CLOSED")
    # The same household id under another municipality's code: that ledger has no such household.
    other = run(fake, {"type": "change_evacuation", "command_id": "evac-000001", "household_id": "3",
                       "evacuation": "shelter"}, code=OTHER)
    assert other.code == "LEDGER_HOUSEHOLD_NOT_FOUND" and hh(fake, "3").evacuation == "unknown"
    fake.disasters[(CODE, DISASTER)] = disaster(status="closed")
    assert run(fake, {"type": "change_evacuation", "command_id": "evac-000002", "household_id": "3",
                      "evacuation": "shelter"}).code == "LEDGER_DISASTER_CLOSED"
    fake.disasters[(CODE, DISASTER)] = disaster(status="building")
    assert run(fake, {"type": "change_evacuation", "command_id": "evac-000003", "household_id": "3",
                      "evacuation": "shelter"}).code == "LEDGER_NOT_READY"


def test_a_redelivered_command_is_applied_once(fake: FakeLedger) -> None:
    again = envelope({"type": "change_evacuation", "command_id": "evac-000001", "household_id": "1",
                      "evacuation": "shelter"})
    assert apply_command(again, context(fake)).status == "applied"
    assert apply_command(again, context(fake)).status == "duplicate"
    assert hh(fake).version == 2 and fake.commits == 1


def test_a_concurrent_write_between_read_and_commit_is_retried_without_losing_either(fake: FakeLedger) -> None:
    fake.households[(CODE, DISASTER, "1")] = hh(fake).model_copy(update={"support_decided": 1_000_000})
    theirs = envelope({"type": "record_support", "command_id": "pay-theirs1", "household_id": "1", "kind": "payment",
                       "amount": 200_000, "on": "2024-02-01"})
    original = fake.get_household
    calls = 0

    def interleaved(code: str, disaster_id: str, household_id: str) -> Household | None:
        nonlocal calls
        calls += 1
        found = original(code, disaster_id, household_id)
        if calls == 1:
            fake.get_household = original  # type: ignore[method-assign]
            assert apply_command(theirs, context(fake)).status == "applied"
            fake.get_household = interleaved  # type: ignore[method-assign]
        return found

    fake.get_household = interleaved  # type: ignore[method-assign]
    mine = run(fake, {"type": "record_support", "command_id": "pay-mine001", "household_id": "1", "kind": "payment",
                      "amount": 100_000, "on": "2024-02-01"})
    assert mine.status == "applied"
    assert hh(fake).support_paid == 300_000 and hh(fake).version == 3 and calls == 2


def test_a_household_that_keeps_changing_fails_the_message_after_bounded_attempts(fake: FakeLedger) -> None:
    attempts = 0

    def always_conflicting(write: LedgerWrite) -> None:
        nonlocal attempts
        attempts += 1
        raise VersionConflict

    fake.commit = always_conflicting  # type: ignore[method-assign]
    with pytest.raises(LedgerConflictError):
        run(fake, {"type": "close_household", "command_id": "close-00001", "household_id": "1"})
    assert attempts == MAX_ATTEMPTS


def test_events_are_stored_flat_and_read_back_whole() -> None:
    event = HouseholdEvent(household_id="1", command_id="survey-0001", type="record_survey", at=AT, applied_at=AT,
                           actor="staff", details={"round": "1次調査", "damage_level": "半壊", "kind": "x",
                                                   "actor": "not me"})
    item = event_item(CODE, DISASTER, event)
    assert item["round"] == {"S": "1次調査"} and item["actor"] == {"S": "staff"}
    assert item["sk"] == {"S": f"H#1#E#{AT}#survey-0001"}
    back = event_from_item(item)
    assert back.details == {"round": "1次調査", "damage_level": "半壊", "kind": "x"} and back.actor == "staff"


def test_search_entries_cover_every_non_empty_key() -> None:
    entries = search_entries(person("1", "1001", "益城　太郎", "マシキ　タロウ", protected=True))
    assert [(e.field, e.key) for e in entries] == [("KANA", "マシキタロウ"), ("NAME", "益城太郎"),
                                                   ("BIRTH", "1970-03-12"), ("ADDR", "益城町木山1")]
    assert all(e.protected for e in entries)
    no_birth = person("1", "X1", "帰省　者", "キセイ　シャ", birth_date=None, address="")
    assert [e.field for e in search_entries(no_birth)] == ["KANA", "NAME"]
