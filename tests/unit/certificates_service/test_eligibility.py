"""Who can be certified: the ledger facts a request is checked against, and the request's own rules."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from victim_support.certificates.requests import CertificateRequestBody, LedgerFacts, check_eligibility
from victim_support.damage import DamageLevel
from victim_support.errors import DomainError
from victim_support.ledger.models import Disaster, Household, Person

DISASTER = Disaster(municipality_code="434434", disaster_id="D20240101-3fa9", name="令和6年能登半島地震",
                    occurred_on=date(2024, 1, 1), cause="地震", affected_areas=["全域"], relief_act_applies=True,
                    status="open", resident_generation=1, registered_at="t", registered_by="u")
SURVEYED = Household(household_id="1", head_person_id="1001", head_name="益城　太郎", dwelling_address="益城町1",
                     members=1, single_person=True, damage_level=DamageLevel.HALF, updated_at="t")
PERSON = Person(household_id="1", person_id="1001", name="益城　太郎", name_kana="マシキ　タロウ", updated_at="t")


def refusal(kind: str, facts: LedgerFacts, person_id: str | None = None) -> str | None:
    try:
        check_eligibility(kind, facts, person_id=person_id)  # type: ignore[arg-type]
    except DomainError as error:
        return error.code
    return None


def test_a_surveyed_household_can_have_both_certificates() -> None:
    facts = LedgerFacts(DISASTER, SURVEYED, (PERSON,))
    assert refusal("risai", facts) is None
    assert refusal("higai", facts, "1001") is None


def test_a_risai_certificate_needs_a_completed_survey() -> None:
    unsurveyed = SURVEYED.model_copy(update={"damage_level": None})
    assert refusal("risai", LedgerFacts(DISASTER, unsurveyed)) == "CERTIFICATE_NOT_SURVEYED"
    # A 被災証明書 certifies that the household was affected: no survey needed.
    assert refusal("higai", LedgerFacts(DISASTER, unsurveyed)) is None


@pytest.mark.parametrize(("facts", "person_id", "code"), [
    (LedgerFacts(None, None), None, "LEDGER_DISASTER_NOT_FOUND"),
    (LedgerFacts(DISASTER.model_copy(update={"status": "building"}), SURVEYED), None, "LEDGER_NOT_READY"),
    (LedgerFacts(DISASTER, None), None, "LEDGER_HOUSEHOLD_NOT_FOUND"),
    (LedgerFacts(DISASTER, SURVEYED, (PERSON,)), "9999", "LEDGER_PERSON_NOT_FOUND"),
], ids=["no-ledger", "building", "no-household", "no-person"])
def test_a_ledger_entry_is_needed(facts: LedgerFacts, person_id: str | None, code: str) -> None:
    assert refusal("higai", facts, person_id) == code


def test_a_closed_disaster_still_certifies_what_its_ledger_holds() -> None:
    closed = DISASTER.model_copy(update={"status": "closed"})
    assert refusal("risai", LedgerFacts(closed, SURVEYED)) is None


def test_a_higai_request_needs_what_was_affected_and_a_risai_request_has_none() -> None:
    CertificateRequestBody(kind="higai", household_id="1", affected="自家用車")
    CertificateRequestBody(kind="risai", household_id="1", copies=10, members=True)
    for bad in ({"kind": "higai", "household_id": "1"},
                {"kind": "risai", "household_id": "1", "affected": "家財"},
                {"kind": "risai", "household_id": "1", "person_id": "1001"},
                {"kind": "risai", "household_id": "1", "copies": 11},
                {"kind": "risai", "household_id": "../2"},
                {"kind": "higai", "household_id": "1", "affected": "改行\nあり"}):
        with pytest.raises(ValidationError):
            CertificateRequestBody.model_validate(bad)
