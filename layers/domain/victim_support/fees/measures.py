"""Special measures (特別措置): discounted usage-fee rates while a prefecture's take-up is high.

- Share of the prefecture's municipalities using the system ≥ 1/2 → 138,750 yen + 7 yen per resident;
  ≥ 3/4 → 92,500 yen + 6 yen per resident; where both hold, the larger discount applies. Shares are
  Fractions, so the 1/2 and 3/4 boundaries are exact.
- J-LIS confirms the condition on the previous fiscal year and applies the rate from the next one: the
  rate of fiscal year Y depends on the share confirmed for Y − 1.
- The window is per prefecture: 3 fiscal years in total from the prefecture's first application
  (通算3か年 — not 3 years per measure). A municipality that joins in the window's third year gets that
  one year (or the rest of it, from its start month). Outside the window the normal rate applies even
  if the share still holds.
- The prefecture's first application is the earliest fiscal year Y whose previous year's share was at
  least 1/2, unless it is given (J-LIS knows it; a share history may be incomplete).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from victim_support.fees.tables import (
    HALF_MEASURE_RATE,
    HALF_MEASURE_SHARE,
    MEASURE_WINDOW_YEARS,
    NORMAL_RATE,
    THREE_QUARTER_MEASURE_RATE,
    THREE_QUARTER_MEASURE_SHARE,
    Rate,
)


@dataclass(frozen=True)
class PrefectureMeasure:
    """What J-LIS has confirmed for one prefecture."""

    # Fiscal year of the prefecture's first application; None = derive it from confirmed_shares.
    first_fiscal_year: int | None
    # Fiscal year → share of the prefecture's municipalities using the system in that year.
    confirmed_shares: Mapping[int, Fraction]

    def __post_init__(self) -> None:
        for year, share in self.confirmed_shares.items():
            if not 0 <= share <= 1:
                raise ValueError(f"the share confirmed for {year} must lie between 0 and 1")


def qualifying_rate(share: Fraction) -> Rate:
    """The rate a confirmed share qualifies for, ignoring the window: the larger discount wins."""
    if share >= THREE_QUARTER_MEASURE_SHARE:
        return THREE_QUARTER_MEASURE_RATE
    if share >= HALF_MEASURE_SHARE:
        return HALF_MEASURE_RATE
    return NORMAL_RATE


def first_application_year(confirmed_shares: Mapping[int, Fraction]) -> int | None:
    """The earliest fiscal year Y with share[Y − 1] ≥ 1/2, or None if no year qualifies."""
    qualifying = [year + 1 for year, share in confirmed_shares.items() if share >= HALF_MEASURE_SHARE]
    return min(qualifying, default=None)


def measure_window(first_fiscal_year: int) -> range:
    """The fiscal years in which a prefecture's measures can apply: 3 in total from the first."""
    return range(first_fiscal_year, first_fiscal_year + MEASURE_WINDOW_YEARS)


def measure_rate(measure: PrefectureMeasure, fiscal_year: int) -> Rate:
    """The usage-fee rate for a fiscal year: the share confirmed on the year before decides, within
    the window only; a year without a confirmed share gets the normal rate."""
    first = measure.first_fiscal_year
    if first is None:
        first = first_application_year(measure.confirmed_shares)
    if first is None or fiscal_year not in measure_window(first):
        return NORMAL_RATE
    share = measure.confirmed_shares.get(fiscal_year - 1)
    return NORMAL_RATE if share is None else qualifying_rate(share)
