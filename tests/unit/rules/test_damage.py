from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from victim_support.damage import (
    DamageLevel,
    SurveyOutcome,
    SurveyRound,
    current_level,
    level_from_loss_ratio,
    resolve_level,
)
from victim_support.errors import DomainError


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (0, DamageLevel.PARTIAL),
        ("9.99", DamageLevel.PARTIAL),
        ("10", DamageLevel.QUASI_HALF),
        ("19.99", DamageLevel.QUASI_HALF),
        ("20", DamageLevel.HALF),
        ("29.99", DamageLevel.HALF),
        ("30", DamageLevel.MEDIUM_SCALE_HALF),
        ("39.99", DamageLevel.MEDIUM_SCALE_HALF),
        ("40", DamageLevel.LARGE_SCALE_HALF),
        ("40.0", DamageLevel.LARGE_SCALE_HALF),
        (Decimal("40"), DamageLevel.LARGE_SCALE_HALF),
        (40, DamageLevel.LARGE_SCALE_HALF),
        ("49.99", DamageLevel.LARGE_SCALE_HALF),
        ("50", DamageLevel.TOTAL),
        (Decimal("50.000"), DamageLevel.TOTAL),
        (100, DamageLevel.TOTAL),
        ("100.0", DamageLevel.TOTAL),
        (Decimal("39.9999999999999999999"), DamageLevel.MEDIUM_SCALE_HALF),
        (" ３９．９９ ", DamageLevel.MEDIUM_SCALE_HALF),
        (Decimal("-0"), DamageLevel.PARTIAL),
    ],
)
def test_every_boundary_is_exact(ratio: Decimal | int | str, expected: DamageLevel) -> None:
    assert level_from_loss_ratio(ratio) is expected


@pytest.mark.parametrize(
    "ratio",
    [
        -1,
        "-0.01",
        "100.01",
        101,
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        "NaN",
        "inf",
        "",
        "  ",
        "abc",
        "40%",
        "4e1",
        "+40",
        "4_0",
        "1,5",
        ".5",
        True,
        None,
        [40],
    ],
)
def test_invalid_ratios_are_refused_with_the_code(ratio: object) -> None:
    with pytest.raises(DomainError) as raised:
        level_from_loss_ratio(ratio)  # type: ignore[arg-type]
    assert raised.value.code == "DAMAGE_LOSS_RATIO_INVALID"
    assert raised.value.spec.http_status == 422


def test_a_float_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="float"):
        level_from_loss_ratio(39.99)  # type: ignore[arg-type]


def test_levels_carry_certificate_terms_english_names_and_severity() -> None:
    assert [level.value for level in DamageLevel] == [
        "全壊", "大規模半壊", "中規模半壊", "半壊", "準半壊", "準半壊に至らない（一部損壊）",
    ]
    assert DamageLevel.TOTAL.en == "total collapse"
    assert DamageLevel.LARGE_SCALE_HALF.en == "large-scale half collapse"
    assert len({level.en for level in DamageLevel}) == len(DamageLevel)
    assert [level.severity for level in DamageLevel] == [5, 4, 3, 2, 1, 0]
    assert max(DamageLevel, key=lambda level: level.severity) is DamageLevel.TOTAL
    assert DamageLevel("中規模半壊") is DamageLevel.MEDIUM_SCALE_HALF
    assert [survey_round.value for survey_round in SurveyRound] == ["1次調査", "2次調査", "再調査"]


@given(
    st.decimals(min_value=0, max_value=100, allow_nan=False, allow_infinity=False, places=4),
    st.decimals(min_value=0, max_value=100, allow_nan=False, allow_infinity=False, places=4),
)
def test_severity_never_falls_as_the_ratio_grows(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert level_from_loss_ratio(low).severity <= level_from_loss_ratio(high).severity
    # The string a form would send reads the same as the Decimal.
    assert level_from_loss_ratio(f"{high:f}") is level_from_loss_ratio(high)


# current_level

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)


def outcome(
    survey_round: SurveyRound,
    surveyed_on: date,
    level: DamageLevel,
    *,
    completed: bool = True,
    recorded_after: timedelta = timedelta(0),
) -> SurveyOutcome:
    return SurveyOutcome(
        round=survey_round, surveyed_on=surveyed_on, completed=completed, level=level, recorded_at=T0 + recorded_after
    )


def test_no_surveys_or_only_incomplete_ones_give_none() -> None:
    assert current_level([]) is None
    assert current_level([outcome(SurveyRound.FIRST, date(2024, 1, 10), DamageLevel.HALF, completed=False)]) is None


def test_a_second_survey_changes_the_level_and_keeps_the_history() -> None:
    first = outcome(SurveyRound.FIRST, date(2024, 1, 10), DamageLevel.HALF)
    second = outcome(SurveyRound.SECOND, date(2024, 2, 5), DamageLevel.LARGE_SCALE_HALF, recorded_after=timedelta(1))
    history = (second, first)  # the order given does not matter
    assert current_level(history) is second
    assert history == (second, first)


def test_a_resurvey_changes_the_level_again() -> None:
    surveys = [
        outcome(SurveyRound.FIRST, date(2024, 1, 10), DamageLevel.HALF),
        outcome(SurveyRound.SECOND, date(2024, 2, 5), DamageLevel.MEDIUM_SCALE_HALF),
        outcome(SurveyRound.RESURVEY, date(2024, 3, 1), DamageLevel.TOTAL),
    ]
    current = current_level(surveys)
    assert current is not None
    assert current.round is SurveyRound.RESURVEY
    assert current.level is DamageLevel.TOTAL


def test_an_incomplete_later_round_does_not_count() -> None:
    done = outcome(SurveyRound.FIRST, date(2024, 1, 10), DamageLevel.HALF)
    pending = outcome(SurveyRound.SECOND, date(2024, 2, 5), DamageLevel.TOTAL, completed=False)
    assert current_level([done, pending]) is done


def test_a_later_first_survey_entry_counts_by_date_not_by_round() -> None:
    second = outcome(SurveyRound.SECOND, date(2024, 2, 5), DamageLevel.LARGE_SCALE_HALF)
    later_first = outcome(SurveyRound.FIRST, date(2024, 2, 20), DamageLevel.TOTAL)
    assert current_level([later_first, second]) is later_first


def test_same_survey_date_is_ordered_by_record_time_then_by_position() -> None:
    day = date(2024, 2, 5)
    early = outcome(SurveyRound.SECOND, day, DamageLevel.HALF)
    late = outcome(SurveyRound.RESURVEY, day, DamageLevel.MEDIUM_SCALE_HALF, recorded_after=timedelta(hours=2))
    assert current_level([late, early]) is late
    twin_a = outcome(SurveyRound.SECOND, day, DamageLevel.HALF)
    twin_b = outcome(SurveyRound.SECOND, day, DamageLevel.QUASI_HALF)
    assert current_level([twin_a, twin_b]) is twin_b
    assert current_level(iter([twin_b, twin_a])) is twin_a  # any iterable, read once


def test_survey_outcomes_are_immutable() -> None:
    survey = outcome(SurveyRound.FIRST, date(2024, 1, 10), DamageLevel.HALF)
    with pytest.raises(AttributeError):
        survey.level = DamageLevel.TOTAL  # type: ignore[misc]


# resolve_level


def test_resolve_level_from_either_input() -> None:
    assert resolve_level(DamageLevel.HALF, None) is DamageLevel.HALF
    assert resolve_level(None, "45") is DamageLevel.LARGE_SCALE_HALF
    assert resolve_level(None, Decimal("9.99")) is DamageLevel.PARTIAL


def test_resolve_level_accepts_both_when_they_agree() -> None:
    assert resolve_level(DamageLevel.LARGE_SCALE_HALF, "40.0") is DamageLevel.LARGE_SCALE_HALF
    assert resolve_level(DamageLevel.TOTAL, 100) is DamageLevel.TOTAL


def test_resolve_level_refuses_neither() -> None:
    with pytest.raises(DomainError) as raised:
        resolve_level(None, None)
    assert raised.value.code == "DAMAGE_LEVEL_OR_RATIO"


def test_resolve_level_refuses_both_when_they_disagree() -> None:
    with pytest.raises(DomainError) as raised:
        resolve_level(DamageLevel.LARGE_SCALE_HALF, "39.99")
    assert raised.value.code == "DAMAGE_LEVEL_RATIO_MISMATCH"
    assert "medium-scale half collapse" in str(raised.value)


def test_resolve_level_reports_an_invalid_ratio_as_such() -> None:
    with pytest.raises(DomainError) as raised:
        resolve_level(DamageLevel.TOTAL, "150")
    assert raised.value.code == "DAMAGE_LOSS_RATIO_INVALID"


def test_record_times_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SurveyOutcome(
            round=SurveyRound.FIRST,
            surveyed_on=date(2024, 1, 10),
            completed=True,
            level=DamageLevel.HALF,
            recorded_at=datetime(2024, 1, 10, 9, 0),  # naive on purpose
        )
