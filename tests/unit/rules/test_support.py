from __future__ import annotations

from calendar import monthrange
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from victim_support.damage import DamageLevel
from victim_support.errors import DomainError
from victim_support.support import (
    ADDITIONAL_FULL,
    ADDITIONAL_MEDIUM_SCALE_HALF,
    BASIC_BY_CIRCUMSTANCE,
    BASIC_BY_LEVEL,
    CAP,
    Circumstance,
    RebuildingMethod,
    SupportDecision,
    add_months,
    decide_support,
    last_application_day,
)

DISASTER = date(2024, 1, 1)
BUILD, REPAIR, RENT = RebuildingMethod.BUILD_OR_BUY, RebuildingMethod.REPAIR, RebuildingMethod.RENT


def decide(
    level: DamageLevel | None,
    method: RebuildingMethod | None,
    *,
    household_size: int = 3,
    circumstance: Circumstance = Circumstance.NONE,
) -> SupportDecision:
    return decide_support(
        level, household_size=household_size, circumstance=circumstance, method=method, disaster_date=DISASTER
    )


# DOMAIN.md's table: (level, circumstance, method) -> (basic, additional) for a household of two or more.
TABLE = [
    (DamageLevel.TOTAL, Circumstance.NONE, BUILD, 1_000_000, 2_000_000),
    (DamageLevel.TOTAL, Circumstance.NONE, REPAIR, 1_000_000, 1_000_000),
    (DamageLevel.TOTAL, Circumstance.NONE, RENT, 1_000_000, 500_000),
    (DamageLevel.TOTAL, Circumstance.NONE, None, 1_000_000, 0),
    (DamageLevel.HALF, Circumstance.DEMOLITION, BUILD, 1_000_000, 2_000_000),
    (DamageLevel.HALF, Circumstance.DEMOLITION, REPAIR, 1_000_000, 1_000_000),
    (DamageLevel.HALF, Circumstance.DEMOLITION, RENT, 1_000_000, 500_000),
    (DamageLevel.HALF, Circumstance.DEMOLITION, None, 1_000_000, 0),
    (DamageLevel.TOTAL, Circumstance.LONG_TERM_EVACUATION, BUILD, 1_000_000, 2_000_000),
    (None, Circumstance.LONG_TERM_EVACUATION, REPAIR, 1_000_000, 1_000_000),
    (DamageLevel.QUASI_HALF, Circumstance.LONG_TERM_EVACUATION, RENT, 1_000_000, 500_000),
    (DamageLevel.LARGE_SCALE_HALF, Circumstance.NONE, BUILD, 500_000, 2_000_000),
    (DamageLevel.LARGE_SCALE_HALF, Circumstance.NONE, REPAIR, 500_000, 1_000_000),
    (DamageLevel.LARGE_SCALE_HALF, Circumstance.NONE, RENT, 500_000, 500_000),
    (DamageLevel.LARGE_SCALE_HALF, Circumstance.NONE, None, 500_000, 0),
    (DamageLevel.MEDIUM_SCALE_HALF, Circumstance.NONE, BUILD, 0, 1_000_000),
    (DamageLevel.MEDIUM_SCALE_HALF, Circumstance.NONE, REPAIR, 0, 500_000),
    (DamageLevel.MEDIUM_SCALE_HALF, Circumstance.NONE, RENT, 0, 250_000),
    (DamageLevel.MEDIUM_SCALE_HALF, Circumstance.NONE, None, 0, 0),
    # 中規模半壊 that was demolished is paid as 解体: full basic and the full additional table.
    (DamageLevel.MEDIUM_SCALE_HALF, Circumstance.DEMOLITION, BUILD, 1_000_000, 2_000_000),
    (DamageLevel.LARGE_SCALE_HALF, Circumstance.DEMOLITION, RENT, 1_000_000, 500_000),
]


@pytest.mark.parametrize(("level", "circumstance", "method", "basic", "additional"), TABLE)
def test_every_figure_of_the_table(
    level: DamageLevel | None,
    circumstance: Circumstance,
    method: RebuildingMethod | None,
    basic: int,
    additional: int,
) -> None:
    decision = decide(level, method, circumstance=circumstance)
    assert decision.eligible
    assert not decision.single_person
    assert (decision.basic, decision.additional, decision.total) == (basic, additional, basic + additional)


@pytest.mark.parametrize(("level", "circumstance", "method", "basic", "additional"), TABLE)
def test_a_single_person_household_receives_three_quarters_of_each_amount(
    level: DamageLevel | None,
    circumstance: Circumstance,
    method: RebuildingMethod | None,
    basic: int,
    additional: int,
) -> None:
    decision = decide(level, method, circumstance=circumstance, household_size=1)
    assert decision.single_person
    assert (decision.basic, decision.additional) == (basic * 3 // 4, additional * 3 // 4)
    assert decision.total == decision.basic + decision.additional
    assert any("単数世帯" in line for line in decision.basis)


def test_single_person_figures_written_out() -> None:
    single = {
        (DamageLevel.TOTAL, BUILD): (750_000, 1_500_000),
        (DamageLevel.TOTAL, REPAIR): (750_000, 750_000),
        (DamageLevel.TOTAL, RENT): (750_000, 375_000),
        (DamageLevel.LARGE_SCALE_HALF, BUILD): (375_000, 1_500_000),
        (DamageLevel.MEDIUM_SCALE_HALF, BUILD): (0, 750_000),
        (DamageLevel.MEDIUM_SCALE_HALF, REPAIR): (0, 375_000),
        (DamageLevel.MEDIUM_SCALE_HALF, RENT): (0, 187_500),
    }
    for (level, method), amounts in single.items():
        decision = decide(level, method, household_size=1)
        assert (decision.basic, decision.additional) == amounts


def test_three_quarters_of_every_figure_is_whole_yen() -> None:
    tables: list[dict[DamageLevel, int] | dict[Circumstance, int] | dict[RebuildingMethod, int]] = [
        BASIC_BY_LEVEL, BASIC_BY_CIRCUMSTANCE, ADDITIONAL_FULL, ADDITIONAL_MEDIUM_SCALE_HALF,
    ]
    figures = [figure for table in tables for figure in table.values()] + [CAP]
    assert all(figure * 3 % 4 == 0 for figure in figures)


def test_the_total_is_capped_at_three_million() -> None:
    assert CAP == 3_000_000
    top = decide(DamageLevel.TOTAL, BUILD, circumstance=Circumstance.DEMOLITION)
    assert top.total == 3_000_000
    assert decide(DamageLevel.TOTAL, BUILD, household_size=1).total == 2_250_000


@pytest.mark.parametrize(
    ("level", "reason"),
    [
        (DamageLevel.HALF, "半壊"),
        (DamageLevel.QUASI_HALF, "準半壊"),
        (DamageLevel.PARTIAL, "一部損壊"),
        (None, "被害認定調査"),
    ],
)
def test_ineligible_households_get_zeros_with_a_reason(level: DamageLevel | None, reason: str) -> None:
    for household_size in (1, 4):
        decision = decide(level, BUILD, household_size=household_size)
        assert not decision.eligible
        assert (decision.basic, decision.additional, decision.total) == (0, 0, 0)
        assert len(decision.basis) == 1
        assert decision.basis[0].startswith("支給対象外")
        assert reason in decision.basis[0]


def test_half_collapse_with_demolition_is_paid_as_demolition() -> None:
    decision = decide(DamageLevel.HALF, BUILD, circumstance=Circumstance.DEMOLITION)
    assert (decision.eligible, decision.basic, decision.additional) == (True, 1_000_000, 2_000_000)
    assert decision.basis[0] == "基礎支援金 1,000,000円（解体）"
    assert "全額" in decision.basis[1]


def test_the_most_favourable_basis_is_named() -> None:
    # 大規模半壊 alone pays 500,000; with 長期避難 the 1,000,000 basis applies.
    decision = decide(DamageLevel.LARGE_SCALE_HALF, None, circumstance=Circumstance.LONG_TERM_EVACUATION)
    assert decision.basic == 1_000_000
    assert "長期避難" in decision.basis[0]
    assert "再建方法が未定" in decision.basis[1]
    assert decide(DamageLevel.TOTAL, None, circumstance=Circumstance.DEMOLITION).basis[0] == (
        "基礎支援金 1,000,000円（全壊）"
    )


def test_medium_scale_half_basis_names_its_table() -> None:
    decision = decide(DamageLevel.MEDIUM_SCALE_HALF, RENT)
    assert decision.basis == [
        "基礎支援金なし（中規模半壊）",
        "加算支援金 250,000円（賃借（公営住宅以外）、中規模半壊の額）",
    ]


@pytest.mark.parametrize("household_size", [0, -1, True, False])
def test_household_size_must_be_one_or_more(household_size: int) -> None:
    with pytest.raises(DomainError) as raised:
        decide(DamageLevel.TOTAL, BUILD, household_size=household_size)
    assert raised.value.code == "SUPPORT_HOUSEHOLD_SIZE_INVALID"
    assert raised.value.spec.http_status == 422


def test_the_decision_is_immutable_and_serialisable() -> None:
    decision = decide(DamageLevel.TOTAL, BUILD)
    with pytest.raises(ValueError, match="frozen"):
        decision.total = 0  # type: ignore[misc]
    dumped = decision.model_dump(mode="json")
    assert dumped["basic_deadline"] == "2025-02-01"
    assert SupportDecision.model_validate(dumped) == decision


# Application periods


def test_deadlines_are_thirteen_and_thirty_seven_months_after_the_disaster() -> None:
    decision = decide(DamageLevel.TOTAL, BUILD)
    assert decision.basic_deadline == date(2025, 2, 1)
    assert decision.additional_deadline == date(2027, 2, 1)
    # Counted from the disaster day as its first day, the last days to apply are the day before.
    assert decision.basic_last_day == date(2025, 1, 31)
    assert decision.additional_last_day == date(2027, 1, 31)


def test_ineligible_decisions_carry_the_deadlines_too() -> None:
    decision = decide(None, None)
    assert (decision.basic_deadline, decision.additional_deadline) == (date(2025, 2, 1), date(2027, 2, 1))


@pytest.mark.parametrize(
    ("disaster", "basic_deadline", "additional_deadline", "basic_last", "additional_last"),
    [
        # The month 13 months on has no 31st: its last day.
        (date(2024, 1, 31), date(2025, 2, 28), date(2027, 2, 28), date(2025, 2, 28), date(2027, 2, 28)),
        (date(2023, 1, 31), date(2024, 2, 29), date(2026, 2, 28), date(2024, 2, 29), date(2026, 2, 28)),
        (date(2024, 1, 29), date(2025, 2, 28), date(2027, 2, 28), date(2025, 2, 28), date(2027, 2, 28)),
        (date(2024, 1, 28), date(2025, 2, 28), date(2027, 2, 28), date(2025, 2, 27), date(2027, 2, 27)),
        (date(2024, 3, 31), date(2025, 4, 30), date(2027, 4, 30), date(2025, 4, 30), date(2027, 4, 30)),
        (date(2024, 12, 15), date(2026, 1, 15), date(2028, 1, 15), date(2026, 1, 14), date(2028, 1, 14)),
        (date(2024, 3, 1), date(2025, 4, 1), date(2027, 4, 1), date(2025, 3, 31), date(2027, 3, 31)),
    ],
)
def test_month_end_deadlines(
    disaster: date, basic_deadline: date, additional_deadline: date, basic_last: date, additional_last: date
) -> None:
    decision = decide_support(DamageLevel.TOTAL, household_size=2, method=None, disaster_date=disaster)
    assert (decision.basic_deadline, decision.additional_deadline) == (basic_deadline, additional_deadline)
    assert (decision.basic_last_day, decision.additional_last_day) == (basic_last, additional_last)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(min_value=0, max_value=600))
def test_add_months_keeps_the_day_or_takes_the_month_end(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    month_end = monthrange(result.year, result.month)[1]
    assert result.day == start.day or (result.day < start.day and result.day == month_end)
    assert last_application_day(start, months) <= result


# Properties

LEVELS = st.one_of(st.none(), st.sampled_from(DamageLevel))
CIRCUMSTANCES = st.sampled_from(Circumstance)
METHODS = st.one_of(st.none(), st.sampled_from(RebuildingMethod))


@given(LEVELS, CIRCUMSTANCES, METHODS, st.integers(min_value=1, max_value=20))
def test_total_never_exceeds_three_million(
    level: DamageLevel | None, circumstance: Circumstance, method: RebuildingMethod | None, household_size: int
) -> None:
    decision = decide(level, method, circumstance=circumstance, household_size=household_size)
    assert 0 <= decision.total <= 3_000_000
    assert decision.total == decision.basic + decision.additional
    assert decision.eligible or decision.total == 0


@given(LEVELS, CIRCUMSTANCES, METHODS, st.integers(min_value=2, max_value=20))
def test_a_single_person_never_gets_more_than_three_quarters_of_a_larger_household(
    level: DamageLevel | None, circumstance: Circumstance, method: RebuildingMethod | None, household_size: int
) -> None:
    single = decide(level, method, circumstance=circumstance, household_size=1)
    multi = decide(level, method, circumstance=circumstance, household_size=household_size)
    assert single.total * 4 <= multi.total * 3
    assert single.eligible == multi.eligible
    assert multi == decide(level, method, circumstance=circumstance, household_size=2)  # size beyond 1 does not matter


def test_plain_strings_of_the_enums_are_accepted() -> None:
    decision = decide_support(
        "中規模半壊",  # type: ignore[arg-type]
        household_size=2,
        circumstance="none",  # type: ignore[arg-type]
        method="rent",  # type: ignore[arg-type]
        disaster_date=DISASTER,
    )
    assert (decision.basic, decision.additional) == (0, 250_000)
