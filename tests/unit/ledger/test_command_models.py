"""Ledger command models: what the API accepts and the queue carries."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from victim_support.damage import DamageLevel
from victim_support.ledger.models import (
    AddNonResident,
    BuildRequest,
    CommandEnvelope,
    CorrectPerson,
    DisasterRegistration,
    LedgerCommand,
    RecordSupport,
    RecordSurvey,
)

EVENTS = Path(__file__).resolve().parents[3] / "events"
COMMANDS: TypeAdapter[Any] = TypeAdapter(LedgerCommand)


def command(**fields: Any) -> Any:
    return COMMANDS.validate_python({"command_id": "cmd-00000001", "household_id": "1001", **fields})


def errors(**fields: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        command(**fields)
    return str(caught.value)


SURVEY = {"type": "record_survey", "round": "1次調査", "surveyor": "被害認定班A", "surveyed_on": "2024-01-05",
          "dwelling_address": "益城町木山1番地"}


@pytest.mark.parametrize(("fields", "expected"), [
    ({**SURVEY, "loss_ratio": "42.5"}, "RecordSurvey"),
    ({"type": "change_evacuation", "evacuation": "shelter", "whereabouts": "総合体育館"}, "ChangeEvacuation"),
    ({"type": "record_support", "kind": "decision", "method": "repair", "on": "2024-02-01"}, "RecordSupport"),
    ({"type": "record_consent", "person_id": "2001", "given": True}, "RecordConsent"),
    ({"type": "record_disclosure", "person_id": "2001", "recipient": "社会福祉協議会", "purpose": "見守り",
      "items": ["氏名"], "on": "2024-01-10"}, "RecordDisclosure"),
    ({"type": "correct_person", "person_id": "2001", "phone": "090-1111-2222"}, "CorrectPerson"),
    ({"type": "add_non_resident", "person_id": "X1", "name": "帰省　者", "name_kana": "キセイ　シャ"},
     "AddNonResident"),
    ({"type": "close_household"}, "CloseHousehold"),
])
def test_each_command_type_is_chosen_by_its_type_field(fields: dict[str, Any], expected: str) -> None:
    assert type(command(**fields)).__name__ == expected


def test_an_unknown_type_or_an_unknown_field_is_refused() -> None:
    assert "union_tag_invalid" in errors(type="explode")
    assert "extra_forbidden" in errors(type="close_household", household_name="x")


@pytest.mark.parametrize("bad", [{"command_id": "short"}, {"command_id": "has space in it"},
                                 {"household_id": "12a"}, {"household_id": "1" * 16}, {"household_id": "X"},
                                 {"household_id": "#1"}])
def test_bad_ids_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        COMMANDS.validate_python({"command_id": "cmd-00000001", "household_id": "1001", "type": "close_household",
                                  **bad})


def test_a_survey_level_follows_the_loss_ratio_and_must_agree_with_a_given_level() -> None:
    assert command(**SURVEY, loss_ratio="39.99").level() is DamageLevel.MEDIUM_SCALE_HALF
    assert command(**SURVEY, loss_ratio=Decimal(40)).level() is DamageLevel.LARGE_SCALE_HALF
    assert command(**SURVEY, damage_level="全壊", loss_ratio="50").level() is DamageLevel.TOTAL
    assert command(**SURVEY, damage_level="半壊").level() is DamageLevel.HALF
    assert "DAMAGE_LEVEL_RATIO_MISMATCH" in errors(**SURVEY, damage_level="全壊", loss_ratio="30")
    assert "DAMAGE_LEVEL_OR_RATIO" in errors(**SURVEY)
    assert "less_than_equal" in errors(**SURVEY, loss_ratio="100.5")


def test_a_survey_still_in_progress_may_have_no_finding_yet() -> None:
    survey = command(**{**SURVEY, "round": "2次調査"}, completed=False)
    assert isinstance(survey, RecordSurvey) and survey.level() is None
    assert "DAMAGE_LEVEL_RATIO_MISMATCH" in errors(**SURVEY, completed=False, damage_level="半壊", loss_ratio="45")


def test_support_fields_belong_to_their_kind() -> None:
    payment = command(type="record_support", kind="payment", amount=500_000, on="2024-02-01")
    assert isinstance(payment, RecordSupport) and payment.amount == 500_000
    assert "needs an amount" in errors(type="record_support", kind="payment", on="2024-02-01")
    assert "needs an amount" in errors(type="record_support", kind="payment", amount=0, on="2024-02-01")
    assert "payment only" in errors(type="record_support", kind="decision", amount=1, on="2024-02-01")
    assert "needs a description" in errors(type="record_support", kind="relief", on="2024-02-01")
    assert "less_than_equal" in errors(type="record_support", kind="payment", amount=3_000_001, on="2024-02-01")


def test_people_added_by_hand_get_x_ids_and_readings_are_normalised() -> None:
    added = command(type="add_non_resident", person_id="X12", household_id="X7", name="旅行　者",
                    name_kana="ﾘｮｺｳ ｼｬ")
    assert isinstance(added, AddNonResident) and added.name_kana == "リョコウ　シャ"
    assert "beginning with X" in errors(type="add_non_resident", person_id="12", name="a", name_kana="ア")
    assert "katakana" in errors(type="add_non_resident", person_id="X1", name="a", name_kana="abc")


def test_a_correction_lists_its_changes_and_never_shows_the_my_number() -> None:
    correction = command(type="correct_person", person_id="2001", name_kana="やまだ はなこ", care_needs=["妊産婦"],
                         my_number="123456789018")
    assert isinstance(correction, CorrectPerson)
    assert correction.changes() == {"name_kana": "ヤマダ　ハナコ", "care_needs": ["妊産婦"]}
    assert "123456789018" not in repr(correction) and "123456789018" not in str(correction)
    assert "string_pattern_mismatch" in errors(type="correct_person", person_id="2001", my_number="12345")
    assert "literal_error" in errors(type="correct_person", person_id="2001", care_needs=["unknown"])


def test_the_sample_queue_events_carry_valid_envelopes() -> None:
    for name in ("commands_batch", "record_survey"):
        records = json.loads((EVENTS / "ledger_updates" / f"{name}.json").read_text(encoding="utf-8"))["Records"]
        for record in records:
            envelope = CommandEnvelope.model_validate_json(record["body"])
            code, disaster_id = envelope.municipality_code, envelope.disaster_id
            assert record["attributes"]["MessageGroupId"] == f"{code}#{disaster_id}#{envelope.command.household_id}"
    build = json.loads((EVENTS / "ledger_build" / "build_requested.json").read_text(encoding="utf-8"))
    assert BuildRequest.model_validate_json(build["Records"][0]["body"]).step == 0


def test_envelopes_name_a_municipality_code_and_a_disaster_id() -> None:
    base = {"actor": "a", "sent_at": "2024-01-06T00:00:00.000Z",
            "command": {"type": "close_household", "command_id": "cmd-00000001", "household_id": "1"}}
    CommandEnvelope.model_validate({**base, "municipality_code": "434434", "disaster_id": "D20240101-3fa9"})
    bad: dict[str, str]
    for bad in ({"municipality_code": "43443", "disaster_id": "D20240101-3fa9"},
                {"municipality_code": "434434", "disaster_id": "20240101"}):
        with pytest.raises(ValidationError):
            CommandEnvelope.model_validate({**base, **bad})


def test_a_disaster_registration_needs_its_cause_and_areas() -> None:
    body = json.loads(json.loads((EVENTS / "staff_api" / "post_disaster.json").read_text(encoding="utf-8"))["body"])
    assert DisasterRegistration.model_validate(body).cause == "地震"
    changes: list[dict[str, Any]] = [{"cause": "隕石"}, {"affected_areas": []}, {"municipality_code": "131016"}]
    for change in changes:
        with pytest.raises(ValidationError):
            DisasterRegistration.model_validate({**body, **change})
