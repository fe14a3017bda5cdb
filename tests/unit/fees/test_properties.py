from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st
from victim_support.fees import (
    HALF_MEASURE_RATE,
    NORMAL_RATE,
    THREE_QUARTER_MEASURE_RATE,
    EstimateRequest,
    PrefectureMeasure,
    Rate,
    annual_usage_fee,
    estimate,
    first_application_year,
    measure_rate,
    monthly_usage_share,
    months_of_use,
    prorated_usage_fee,
)

RATES = st.sampled_from([NORMAL_RATE, HALF_MEASURE_RATE, THREE_QUARTER_MEASURE_RATE])
POPULATIONS = st.integers(min_value=0, max_value=40_000_000)
ANNUALS = st.integers(min_value=0, max_value=10**12)
SHARES = st.fractions(min_value=0, max_value=1, max_denominator=200)
HISTORIES = st.dictionaries(st.integers(min_value=2015, max_value=2040), SHARES, max_size=15)
START_MONTHS = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2019, 2040), st.integers(1, 12))


@given(RATES, POPULATIONS, POPULATIONS)
def test_fee_never_falls_as_population_grows(rate: Rate, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert annual_usage_fee(low, rate) <= annual_usage_fee(high, rate)


@given(RATES, POPULATIONS, POPULATIONS, st.integers(2020, 2030), START_MONTHS)
def test_prorated_fee_never_falls_as_population_grows(rate: Rate, a: int, b: int, year: int, start: str) -> None:
    low, high = sorted((a, b))
    months = months_of_use(year, start)
    assert prorated_usage_fee(annual_usage_fee(low, rate), months) <= prorated_usage_fee(
        annual_usage_fee(high, rate), months
    )


@given(POPULATIONS, HISTORIES, st.one_of(st.none(), st.integers(2015, 2040)), st.integers(2010, 2045))
def test_a_discount_never_raises_the_fee(
    population: int, history: dict[int, Fraction], first: int | None, year: int
) -> None:
    rate = measure_rate(PrefectureMeasure(first, history), year)
    assert annual_usage_fee(population, rate) <= annual_usage_fee(population, NORMAL_RATE)


@given(ANNUALS)
def test_the_twelve_monthly_shares_add_up_to_the_annual_fee(annual: int) -> None:
    shares = [monthly_usage_share(annual, k) for k in range(1, 13)]
    assert sum(shares) == annual
    assert all(annual // 12 <= share <= annual // 12 + 1 for share in shares)


@given(ANNUALS, st.integers(1, 12), st.integers(1, 12))
def test_any_period_is_within_one_yen_of_its_exact_share(annual: int, a: int, b: int) -> None:
    # Floor-based: the months first..last get floor(A·last/12) − floor(A·(first−1)/12), so
    # |fee − A·m/12| < 1 for a period of m months.
    first, last = sorted((a, b))
    fee = prorated_usage_fee(annual, range(first, last + 1))
    assert abs(fee - Fraction(annual * (last - first + 1), 12)) < 1


@given(HISTORIES)
def test_the_discount_window_never_exceeds_three_fiscal_years(history: dict[int, Fraction]) -> None:
    measure = PrefectureMeasure(None, history)
    discounted = {year for year in range(2010, 2046) if measure_rate(measure, year) != NORMAL_RATE}
    first = first_application_year(history)
    if first is None:
        assert not discounted
    else:
        assert discounted <= {first, first + 1, first + 2}


@given(st.integers(1, 5_000_000), START_MONTHS, st.one_of(st.none(), st.floats(0.0, 1.0)))
def test_estimate_totals_are_the_sum_of_counted_items(population: int, start: str, share: float | None) -> None:
    result = estimate(EstimateRequest(population=population, pattern="A", start_month=start, prefecture_share=share))
    for year in result.fiscal_years:
        counted = [item.amount for item in year.line_items if item.in_total and item.amount is not None]
        assert year.total == sum(counted)
        assert year.total <= annual_usage_fee(population)  # no kiosk: the usage fee alone, never above normal
