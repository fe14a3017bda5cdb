"""The application status machine: forward one step at a time; 判定済 needs a match (and a damage level for
a 罹災証明書)."""

from __future__ import annotations

import itertools

import pytest
from victim_support.damage import DamageLevel
from victim_support.errors import DomainError
from victim_support.ledger.applications import STATUS_ORDER, check_transition


@pytest.mark.parametrize(("current", "target"), list(itertools.pairwise(STATUS_ORDER)))
def test_each_next_step_is_allowed(current: str, target: str) -> None:
    check_transition(current, target, matched=True, kind="罹災証明書",  # type: ignore[arg-type]
                     damage_level=DamageLevel.HALF)


@pytest.mark.parametrize(("current", "target"), [
    (a, b) for a, b in itertools.product(STATUS_ORDER, repeat=2)
    if STATUS_ORDER.index(b) != STATUS_ORDER.index(a) + 1
])
def test_skipping_staying_or_going_back_is_refused(current: str, target: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_transition(current, target, matched=True, kind="罹災証明書",  # type: ignore[arg-type]
                         damage_level=DamageLevel.HALF)
    assert caught.value.code == "APPLICATION_TRANSITION_INVALID"


def test_judged_needs_a_match() -> None:
    with pytest.raises(DomainError) as caught:
        check_transition("調査中", "判定済", matched=False, kind="被災証明書", damage_level=None)
    assert caught.value.code == "APPLICATION_NOT_MATCHED"


def test_a_damage_certificate_is_judged_only_after_a_survey() -> None:
    with pytest.raises(DomainError) as caught:
        check_transition("調査中", "判定済", matched=True, kind="罹災証明書", damage_level=None)
    assert caught.value.code == "APPLICATION_NOT_SURVEYED"
    check_transition("調査中", "判定済", matched=True, kind="被災証明書", damage_level=None)


def test_addresses_match_when_one_side_leaves_out_the_prefecture_but_not_on_block_numbers_alone() -> None:
    from victim_support.ledger.applications import same_address
    from victim_support.rules.normalize import address_key

    ledger = address_key("益城町宮園1丁目2番3号")
    assert same_address(ledger, address_key("熊本県上益城郡益城町宮園１－２－３"))
    assert same_address(address_key("宮園1-2-3"), ledger)
    assert not same_address(ledger, address_key("益城町宮園1-2-30"))
    assert not same_address(address_key("1-2-3"), ledger)
