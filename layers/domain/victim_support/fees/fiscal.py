"""Fiscal years (年度): 1 April to 31 March, named by the calendar year they start in.

Fiscal months count from April (1) to March (12). A start month is written ``YYYY-MM``.
"""

from __future__ import annotations

import re
from datetime import date

from victim_support.rules.wareki import era_of

_YEAR_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
YEAR_MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def _check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")


def fiscal_year_of(year: int, month: int) -> int:
    """The fiscal year a calendar month belongs to: (2025, 3) → 2024, (2025, 4) → 2025."""
    _check_month(month)
    return year if month >= 4 else year - 1


def fiscal_month(year: int, month: int) -> int:
    """The month's place in its fiscal year: April = 1 … March = 12."""
    _check_month(month)
    return (month - 4) % 12 + 1


def calendar_month(fiscal_year: int, fiscal_month: int) -> tuple[int, int]:
    """(year, month) of a fiscal month; the inverse of fiscal_year_of and fiscal_month."""
    if not 1 <= fiscal_month <= 12:
        raise ValueError(f"fiscal month must be 1-12, got {fiscal_month}")
    month = (fiscal_month + 2) % 12 + 1
    return (fiscal_year if month >= 4 else fiscal_year + 1), month


def parse_year_month(text: str) -> tuple[int, int]:
    """``"2024-10"`` → (2024, 10); ValueError for anything else."""
    match = _YEAR_MONTH.fullmatch(text)
    if match is None:
        raise ValueError(f"expected YYYY-MM, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def fiscal_year_label(fiscal_year: int) -> str:
    """``令和7年度``. The era is the one in force on 1 May of the starting year, so FY2019 is
    ``令和元年度`` (as government documents name it after the era change), FY1989 ``平成元年度``."""
    era = era_of(date(fiscal_year, 5, 1))
    era_year = fiscal_year - era.first_day.year + 1
    return f"{era.name}{'元' if era_year == 1 else era_year}年度"
