from __future__ import annotations

import pytest
from victim_support.fees import (
    calendar_month,
    fiscal_month,
    fiscal_year_label,
    fiscal_year_of,
    monthly_usage_share,
    months_of_use,
    parse_year_month,
    prorated_usage_fee,
)


@pytest.mark.parametrize(
    ("year", "month", "fy", "fm"),
    [(2025, 3, 2024, 12), (2025, 4, 2025, 1), (2024, 10, 2024, 7), (2025, 1, 2024, 10), (2024, 12, 2024, 9)],
)
def test_fiscal_year_and_month(year: int, month: int, fy: int, fm: int) -> None:
    assert fiscal_year_of(year, month) == fy
    assert fiscal_month(year, month) == fm
    assert calendar_month(fy, fm) == (year, month)


def test_calendar_month_inverts_for_every_month() -> None:
    for month in range(1, 13):
        assert calendar_month(fiscal_year_of(2030, month), fiscal_month(2030, month)) == (2030, month)
    with pytest.raises(ValueError, match="1-12"):
        calendar_month(2024, 13)
    with pytest.raises(ValueError, match="1-12"):
        fiscal_month(2024, 0)


def test_fiscal_year_labels() -> None:
    assert fiscal_year_label(2025) == "令和7年度"
    assert fiscal_year_label(2024) == "令和6年度"
    assert fiscal_year_label(2019) == "令和元年度"
    assert fiscal_year_label(2018) == "平成30年度"


def test_parse_year_month() -> None:
    assert parse_year_month("2024-10") == (2024, 10)
    for bad in ("2024-13", "2024-1", "24-10", "2024/10", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_year_month(bad)


def test_monthly_shares_by_cumulative_floor() -> None:
    # 515,000 / 12 = 42,916.67: floor(A·k/12) − floor(A·(k−1)/12) gives 42,916 or 42,917.
    shares = [monthly_usage_share(515_000, k) for k in range(1, 13)]
    assert shares == [42_916, 42_917, 42_917, 42_916, 42_917, 42_917] * 2
    assert sum(shares) == 515_000
    with pytest.raises(ValueError, match="1-12"):
        monthly_usage_share(515_000, 13)


def test_months_of_use_from_the_start_month() -> None:
    assert months_of_use(2024, "2024-10") == (7, 8, 9, 10, 11, 12)
    assert months_of_use(2024, "2025-03") == (12,)
    assert months_of_use(2024, "2024-04") == tuple(range(1, 13))
    assert months_of_use(2025, "2024-10") == tuple(range(1, 13))
    assert months_of_use(2023, "2024-10") == ()


def test_prorated_fee_is_the_sum_of_the_months_shares() -> None:
    assert prorated_usage_fee(369_750, months_of_use(2024, "2024-10")) == 184_875
    assert prorated_usage_fee(515_000, range(1, 13)) == 515_000
    assert prorated_usage_fee(515_000, ()) == 0
    with pytest.raises(ValueError, match="twice"):
        prorated_usage_fee(515_000, [1, 1])
