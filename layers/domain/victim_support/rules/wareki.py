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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache


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

# Month and day spellings -> "-MM-DD", read with dictionary look-ups instead of regex or ``date``;
# each table holds only spellings that ``date`` and the regexes read the same way.
_MONTH_DAYS_IN_LEAP_YEAR = ((1, 31), (2, 29), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30),
                            (10, 31), (11, 30), (12, 31))  # fmt: skip
_LEAP_YEAR_DAYS = [(month, day) for month, days in _MONTH_DAYS_IN_LEAP_YEAR for day in range(1, days + 1)]
_COMMON_YEAR_DAYS = [month_day for month_day in _LEAP_YEAR_DAYS if month_day != (2, 29)]


def _spellings(days: list[tuple[int, int]]) -> list[tuple[str, str, str]]:
    """("-MM-DD", month text, day text) for each day, months and days padded or not."""
    return [
        (f"-{month:02d}-{day:02d}", month_text, day_text)
        for month, day in days
        for month_text in {str(month), f"{month:02d}"}
        for day_text in {str(day), f"{day:02d}"}
    ]


# For ``parse_date_iso``, every day of a leap year (29 February is checked against the year apart):
# "MM-DD" of ISO, "MMDD" of YYYYMMDD, "M/D" of YYYY/MM/DD.
_ISO_MONTH_DAY: frozenset[str] = frozenset(f"{month:02d}-{day:02d}" for month, day in _LEAP_YEAR_DAYS)
_COMPACT_MONTH_DAY: dict[str, str] = {f"{m:02d}{d:02d}": f"-{m:02d}-{d:02d}" for m, d in _LEAP_YEAR_DAYS}
_SLASH_MONTH_DAY: dict[str, str] = {f"{month}/{day}": iso for iso, month, day in _spellings(_LEAP_YEAR_DAYS)}
# For ``iso_dates``, every day of a common year (29 February is left to ``parse_date_iso``): what
# follows a 4-digit year ("-MM-DD" of ISO, which maps to "" as the text is the answer; "MMDD";
# "/M/D") and what follows an era year ("M.D" of ``S45.3.12``, "M月D日" of ``昭和45年3月12日``).
_GREGORIAN_MONTH_DAY: dict[str, str] = {
    **{f"/{month}/{day}": iso for iso, month, day in _spellings(_COMMON_YEAR_DAYS)},
    **{f"{month:02d}{day:02d}": f"-{month:02d}-{day:02d}" for month, day in _COMMON_YEAR_DAYS},
    **dict.fromkeys((f"-{month:02d}-{day:02d}" for month, day in _COMMON_YEAR_DAYS), ""),
}
_DOT_MONTH_DAY: dict[str, str] = {f"{month}.{day}": iso for iso, month, day in _spellings(_COMMON_YEAR_DAYS)}
_KANJI_MONTH_DAY: dict[str, str] = {f"{month}月{day}日": iso for iso, month, day in _spellings(_COMMON_YEAR_DAYS)}
_NEN_MONTH_DAY: dict[str, str] = {f"年{month_day}": iso for month_day, iso in _KANJI_MONTH_DAY.items()}


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
    """``parse_date(text).isoformat()``, returning ISO input as it is (the common case, no formatting).

    The Gregorian forms resident systems write (``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYY/MM/DD``) are read
    through the month-day tables above: a look-up and a year check instead of building a ``date``.
    """
    value = text.strip()
    year = value[:4]
    if year.isdigit() and year.isascii() and year != "0000":
        mark = value[4:5]
        month_day: str | None
        if mark == "-":
            if len(value) == 10 and value[5:] in _ISO_MONTH_DAY and value.isascii():
                if value[5:] != "02-29" or _is_leap(int(year)):
                    return value
                raise ValueError("invalid date")
        elif mark == "/":
            month_day = _SLASH_MONTH_DAY.get(value[5:])
            if month_day is not None and (month_day != "-02-29" or _is_leap(int(year))):
                return year + month_day
        elif len(value) == 8:
            month_day = _COMPACT_MONTH_DAY.get(value[4:])
            if month_day is not None and (month_day != "-02-29" or _is_leap(int(year))):
                return year + month_day
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


def iso_dates(texts: Iterable[str], earliest: str, latest: str) -> list[str | None]:
    """For each text, ``parse_date_iso(text)`` when that succeeds with a date from ``earliest`` to
    ``latest`` (ISO strings), else None: one loop over a column of a resident file.

    The spellings resident systems write, of a year that lies wholly inside the range (and, for an
    era year, wholly inside its era), are read with two dictionary look-ups and no range check: the
    first four characters (``1977``, ``昭和52``, ``平成9年``, ``S52.``) give the year and the table for
    the rest (``-08-30``, ``0830``, ``/8/30``, ``年8月30日``, ``8月30日``, ``8.30``). Anything else
    (other spellings, one-digit era years in the ``S2.4.1`` form, an era's or the range's first and
    last years, 29 February, errors) goes through ``_iso_date_in`` and so ``parse_date_iso``.
    (Reading a column in C instead, slicing and looking up with ``map``, measured slower than this
    loop; so did a memo of the texts, mostly distinct, and a table of every spelling of every day,
    whose look-ups miss the CPU cache.)
    """
    earliest = max(earliest, "0001-01-01")
    head_of = _date_heads(earliest[:4], latest[:4]).get
    dates: list[str | None] = []
    append = dates.append
    for text in texts:
        head = head_of(text[:4])
        if head is not None:
            month_day = head[1](text[4:])
            if month_day is not None:
                append(head[0] + month_day if month_day else text)  # "": the text is ISO already
                continue
        append(_iso_date_in(text, earliest, latest))
    return dates


def _iso_date_in(text: str, earliest: str, latest: str) -> str | None:
    """``parse_date_iso(text)`` when that is a date from ``earliest`` to ``latest``, else None; plain
    era spellings of an era's first or last year are read without the regex."""
    if text[:1].isascii():  # S45.3.12
        head, _, rest = text.partition(".")
        month_day = _DOT_MONTH_DAY.get(rest)
    else:  # 昭和45年3月12日
        head, _, rest = text.partition("年")
        month_day = _KANJI_MONTH_DAY.get(rest)
    if month_day is not None and (era := _ERA_YEAR.get(head)) is not None:
        iso = era[0] + month_day
        if era[2] <= iso <= era[3]:
            return iso if earliest <= iso <= latest else None
    try:
        iso = parse_date_iso(text)
    except ValueError:
        return None
    return iso if earliest <= iso <= latest else None


_MonthDayOf = Callable[[str], "str | None"]


@lru_cache(maxsize=16)
def _date_heads(earliest_year: str, latest_year: str) -> dict[str, tuple[str, _MonthDayOf]]:
    """First four characters -> (the 4-digit year, the month-day table of the rest), for the years
    strictly between the two (at most 1869 to 2199, to keep the tables small) and the era years among
    them that lie wholly inside their era."""
    years = range(max(int(earliest_year) + 1, 1869), min(int(latest_year), 2200))
    inner = {f"{year:04d}" for year in years}
    gregorian, dot = _GREGORIAN_MONTH_DAY.get, _DOT_MONTH_DAY.get
    kanji, after_nen = _KANJI_MONTH_DAY.get, _NEN_MONTH_DAY.get
    heads: dict[str, tuple[str, _MonthDayOf]] = {year: (year, gregorian) for year in inner}
    for head, (gregorian_year, _leap, first_iso, last_iso) in _ERA_YEAR.items():
        whole_year_in_era = first_iso <= f"{gregorian_year}-01-01" and f"{gregorian_year}-12-31" <= last_iso
        if gregorian_year not in inner or not whole_year_in_era:
            continue
        if head[0].isascii():  # S52 -> "S52.", the dot form; "S2." needs more than four characters
            if len(head) == 3:
                heads[head + "."] = (gregorian_year, dot)
        elif len(head) == 4:  # 昭和52 -> the rest starts with 年
            heads[head] = (gregorian_year, after_nen)
        elif len(head) == 3:  # 平成9 -> "平成9年"
            heads[head + "年"] = (gregorian_year, kanji)
    return heads


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
