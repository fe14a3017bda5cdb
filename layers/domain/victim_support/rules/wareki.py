"""Japanese era dates (和暦).

Resident files write dates as ISO (``2025-11-26``), ``YYYYMMDD``, ``YYYY/MM/DD`` or in an era form
(``R7.11.26``, ``令和7年11月26日``, ``R元.5.1``); certificates print them in the era form. Era
boundaries are the day the era began, so ``昭和64年1月7日`` is valid and ``昭和64年2月1日`` is not.

明治 is taken to start on 1868-01-01: the era was proclaimed in October 1868 but applied to the whole
year, and nobody in a resident file is older than that.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Era:
    name: str  # 令和
    letter: str  # R
    first_day: date
    last_day: date | None  # None for the current era


ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1), None),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 24)),
    Era("明治", "M", date(1868, 1, 1), date(1912, 7, 29)),
)
EARLIEST_DATE = ERAS[-1].first_day

_ERA_BY_MARK: dict[str, Era] = {mark: era for era in ERAS for mark in (era.name, era.letter)}

# Era forms after NFKC and upper-casing: a letter or kanji era, the year (or 元), then the month and
# day either after one repeated separator (. / -) or as 年月日.
_ERA_DATE = re.compile(
    r"([RHSTM]|令和|平成|昭和|大正|明治)\s*(元|[0-9]{1,3})"
    r"(?:([./-])([0-9]{1,2})\3([0-9]{1,2})|\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日)"
)
_GREGORIAN_DATE = re.compile(r"([0-9]{4})(?:([/-])([0-9]{1,2})\2([0-9]{1,2})|年([0-9]{1,2})月([0-9]{1,2})日)")

# The two era spellings resident systems write most (``S45.3.12`` and ``昭和45年3月12日``: ASCII
# digits, no spaces, year not zero-padded) are read with ``str.partition`` and dictionary look-ups
# instead of NFKC and the regex above. The tables hold only spellings the regex reads the same way;
# anything else (full-width digits, ``S45/3/12``, spaces, lower case, year 0 or over 99) takes the
# regex path.


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# "S45" or "昭和45" (also "S元", "昭和元") -> (4-digit year, leap year, era's first and last ISO day)
_ERA_YEAR: dict[str, tuple[str, bool, str, str]] = {
    mark + text: (
        f"{era.first_day.year + number - 1:04d}",
        _is_leap(era.first_day.year + number - 1),
        era.first_day.isoformat(),
        era.last_day.isoformat() if era.last_day is not None else "9999-12-31",
    )
    for era in ERAS
    for mark in (era.name, era.letter)
    for number in range(1, 100)
    for text in ((str(number), "元") if number == 1 else (str(number),))
}
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# month text -> (2-digit month, days in a common year, days in a leap year)
_ERA_MONTH: dict[str, tuple[str, int, int]] = {
    text: (f"{n:02d}", _MONTH_DAYS[n - 1], 29 if n == 2 else _MONTH_DAYS[n - 1])
    for n in range(1, 13)
    for text in {str(n), f"{n:02d}"}
}
# day text -> (2-digit day, day); with "日" appended for the 年月日 form
_ERA_DAY: dict[str, tuple[str, int]] = {text: (f"{n:02d}", n) for n in range(1, 32) for text in {str(n), f"{n:02d}"}}
_ERA_DAY_KANJI: dict[str, tuple[str, int]] = {text + "日": day for text, day in _ERA_DAY.items()}


def parse_date(text: str) -> date:
    """Parse any date form a resident file may use; raise ValueError (without the value) if invalid."""
    value = text.strip()
    try:
        # Fast paths: the shapes resident systems write most, without NFKC or regex.
        if len(value) == 10 and value[4] == "-" and value[7] == "-" and value[5] != "W" and value.isascii():
            return date.fromisoformat(value)
        if len(value) == 8 and value.isascii() and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if (iso := _parse_era_plain(value)) is not None:
            return date.fromisoformat(iso)
        return _parse_slow(value)
    except ValueError:
        # The standard library's messages quote the input; a birth date is personal data.
        raise ValueError("invalid date") from None


def parse_date_iso(text: str) -> str:
    """``parse_date(text).isoformat()``, returning ISO input as it is (the common case, no formatting)."""
    value = text.strip()
    if len(value) == 10 and value[4] == "-" and value[7] == "-" and value[5] != "W" and value.isascii():
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError("invalid date") from None
        return value
    if len(value) == 8 and value.isascii() and value.isdigit():
        iso = f"{value[:4]}-{value[4:6]}-{value[6:]}"
        try:
            date.fromisoformat(iso)
        except ValueError:
            raise ValueError("invalid date") from None
        return iso
    try:
        era_iso = _parse_era_plain(value)
    except ValueError:
        raise ValueError("invalid date") from None
    return era_iso if era_iso is not None else parse_date(value).isoformat()


def _parse_era_plain(value: str) -> str | None:
    """The ISO date of a plain era spelling (see ``_ERA_YEAR``); None when it is not one, ValueError
    when it is one but names no day of its era. Same result as ``_parse_slow`` for every value it reads."""
    head, dot, rest = value.partition(".")
    if dot:
        month_text, _, day_text = rest.partition(".")
        day = _ERA_DAY.get(day_text)
    else:
        head, nen, rest = value.partition("年")
        if not nen:
            return None
        month_text, _, day_text = rest.partition("月")
        day = _ERA_DAY_KANJI.get(day_text)
    year = _ERA_YEAR.get(head)
    month = _ERA_MONTH.get(month_text)
    if year is None or month is None or day is None:
        return None
    yyyy, leap, first_iso, last_iso = year
    mm, common_days, leap_days = month
    dd, day_number = day
    if day_number > (leap_days if leap else common_days):
        raise ValueError("no such day")
    iso = f"{yyyy}-{mm}-{dd}"
    if not first_iso <= iso <= last_iso:
        raise ValueError("date lies outside its era")
    return iso


def _parse_slow(value: str) -> date:
    normalized = unicodedata.normalize("NFKC", value).upper()
    if len(normalized) == 8 and normalized.isascii() and normalized.isdigit():
        return date(int(normalized[:4]), int(normalized[4:6]), int(normalized[6:]))
    if normalized[:1].isdigit() and (match := _GREGORIAN_DATE.fullmatch(normalized)) is not None:
        year, _, month1, day1, month2, day2 = match.groups()
        return date(int(year), int(month1 or month2), int(day1 or day2))
    if (match := _ERA_DATE.fullmatch(normalized)) is None:
        raise ValueError("not a recognised date form")
    mark, year_text, _, month1, day1, month2, day2 = match.groups()
    era = _ERA_BY_MARK[mark]
    era_year = 1 if year_text == "元" else int(year_text)
    if era_year < 1:
        raise ValueError("era year must be 1 or more")
    result = date(era.first_day.year + era_year - 1, int(month1 or month2), int(day1 or day2))
    if result < era.first_day or (era.last_day is not None and result > era.last_day):
        raise ValueError("date lies outside its era")
    return result


def era_of(d: date) -> Era:
    for era in ERAS:
        if d >= era.first_day:
            return era
    raise ValueError("date is before the 明治 era")


def to_wareki(d: date) -> str:
    """``令和7年11月26日``; the first year of an era is written ``元年``."""
    era = era_of(d)
    era_year = d.year - era.first_day.year + 1
    year_text = "元" if era_year == 1 else str(era_year)
    return f"{era.name}{year_text}年{d.month}月{d.day}日"
