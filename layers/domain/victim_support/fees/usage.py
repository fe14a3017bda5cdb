"""The usage fee (被災者支援システム利用料), paid to J-LIS.

Rate: 185,000 yen + population × 10 yen per fiscal year (or a special-measure rate, see measures).
It is prorated monthly from the start month (利用開始月から月割) and settled at the start of the next
fiscal year (翌年度当初に精算).

Rounding: the annual usage fee A is divided into 12 monthly shares by cumulative floor — fiscal month k
(April = 1) gets floor(A·k/12) − floor(A·(k−1)/12) — so the 12 shares add up to A exactly and any
period's fee is the sum of its months' shares. Prorating from the start month = the sum of the shares
of the months in use. A period of m months differs from A·m/12 by less than 1 yen.
"""

from __future__ import annotations

from collections.abc import Iterable

from victim_support.fees.fiscal import fiscal_month, fiscal_year_of, parse_year_month
from victim_support.fees.tables import NORMAL_RATE, Rate


def annual_usage_fee(population: int, rate: Rate = NORMAL_RATE) -> int:
    """base + population × per_resident, yen per fiscal year."""
    if population < 0:
        raise ValueError("population must not be negative")
    return rate.base + population * rate.per_resident


def monthly_usage_share(annual: int, fiscal_month: int) -> int:
    """Fiscal month k's share of an annual fee: floor(A·k/12) − floor(A·(k−1)/12)."""
    if annual < 0:
        raise ValueError("annual fee must not be negative")
    if not 1 <= fiscal_month <= 12:
        raise ValueError(f"fiscal month must be 1-12, got {fiscal_month}")
    return annual * fiscal_month // 12 - annual * (fiscal_month - 1) // 12


def months_of_use(fiscal_year: int, start_month: str) -> tuple[int, ...]:
    """Fiscal months (1..12) of the fiscal year in which the system is in use, from ``YYYY-MM`` on.

    All 12 for a fiscal year after the start's, none for one before it.
    """
    year, month = parse_year_month(start_month)
    start_fiscal_year = fiscal_year_of(year, month)
    if fiscal_year < start_fiscal_year:
        return ()
    first = fiscal_month(year, month) if fiscal_year == start_fiscal_year else 1
    return tuple(range(first, 13))


def prorated_usage_fee(annual: int, fiscal_months: Iterable[int]) -> int:
    """The sum of the monthly shares of the given fiscal months (each at most once)."""
    months = list(fiscal_months)
    if len(set(months)) != len(months):
        raise ValueError("a fiscal month is counted twice")
    return sum(monthly_usage_share(annual, k) for k in months)
