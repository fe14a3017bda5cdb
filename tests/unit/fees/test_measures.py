from __future__ import annotations

from fractions import Fraction

import pytest
from victim_support.fees import (
    HALF_MEASURE_RATE,
    NORMAL_RATE,
    THREE_QUARTER_MEASURE_RATE,
    PrefectureMeasure,
    first_application_year,
    measure_rate,
    measure_window,
)

HALF, THREE_QUARTERS = Fraction(1, 2), Fraction(3, 4)


def test_first_application_is_the_year_after_the_first_qualifying_share() -> None:
    assert first_application_year({2020: Fraction(1, 3), 2021: HALF, 2022: THREE_QUARTERS}) == 2022
    assert first_application_year({2021: Fraction(49, 100)}) is None
    assert first_application_year({}) is None


def test_window_is_three_fiscal_years() -> None:
    assert list(measure_window(2022)) == [2022, 2023, 2024]


def test_confirmed_on_the_previous_year_applied_in_the_next() -> None:
    measure = PrefectureMeasure(None, {2021: HALF, 2022: HALF})
    assert measure_rate(measure, 2021) == NORMAL_RATE  # the 2021 share applies from 2022
    assert measure_rate(measure, 2022) == HALF_MEASURE_RATE
    assert measure_rate(measure, 2023) == HALF_MEASURE_RATE
    assert measure_rate(measure, 2024) == NORMAL_RATE  # nothing confirmed for 2023


def test_three_years_in_total_not_per_measure() -> None:
    # 1/2 from FY2022, 3/4 from FY2024: the 3/4 measure does not open a window of its own.
    history = {2021: HALF, 2022: HALF, 2023: THREE_QUARTERS, 2024: THREE_QUARTERS, 2025: THREE_QUARTERS}
    measure = PrefectureMeasure(None, history)
    rates = {year: measure_rate(measure, year) for year in range(2021, 2028)}
    assert rates == {
        2021: NORMAL_RATE,
        2022: HALF_MEASURE_RATE,
        2023: HALF_MEASURE_RATE,
        2024: THREE_QUARTER_MEASURE_RATE,
        2025: NORMAL_RATE,  # the share still holds, but the window has ended
        2026: NORMAL_RATE,
        2027: NORMAL_RATE,
    }


def test_a_share_that_drops_inside_the_window_loses_the_discount_for_that_year() -> None:
    measure = PrefectureMeasure(2022, {2021: HALF, 2022: Fraction(2, 5), 2023: HALF})
    assert [measure_rate(measure, y).name for y in (2022, 2023, 2024)] == ["half", "normal", "half"]


def test_given_first_year_overrides_the_derived_one() -> None:
    # J-LIS knows the prefecture's first application even when the share history is incomplete.
    measure = PrefectureMeasure(2022, dict.fromkeys(range(2019, 2026), HALF))
    assert [measure_rate(measure, y).name for y in range(2020, 2027)] == [
        "normal", "normal", "half", "half", "half", "normal", "normal",
    ]


def test_a_municipality_joining_in_the_third_year_gets_that_year_only() -> None:
    measure = PrefectureMeasure(2022, dict.fromkeys(range(2021, 2027), THREE_QUARTERS))
    assert measure_rate(measure, 2024) == THREE_QUARTER_MEASURE_RATE
    assert measure_rate(measure, 2025) == NORMAL_RATE


@pytest.mark.parametrize("share", [Fraction(-1, 10), Fraction(11, 10)])
def test_a_share_outside_0_1_is_refused(share: Fraction) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        PrefectureMeasure(None, {2024: share})
