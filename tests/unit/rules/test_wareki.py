from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from victim_support.rules import wareki
from victim_support.rules.wareki import parse_date, parse_date_iso, to_wareki


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-26", date(2025, 11, 26)),
        ("20251126", date(2025, 11, 26)),
        ("2025/11/26", date(2025, 11, 26)),
        ("2025/1/5", date(2025, 1, 5)),
        (" 2025-11-26 ", date(2025, 11, 26)),
        ("R7.11.26", date(2025, 11, 26)),
        ("S45.3.12", date(1970, 3, 12)),
        ("R元.5.1", date(2019, 5, 1)),
        ("令和7年11月26日", date(2025, 11, 26)),
        ("昭和45年3月12日", date(1970, 3, 12)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("H3.4.5", date(1991, 4, 5)),
        ("平成3年4月5日", date(1991, 4, 5)),
        ("T10.1.1", date(1921, 1, 1)),
        ("大正10年1月1日", date(1921, 1, 1)),
        ("M40.6.30", date(1907, 6, 30)),
        ("明治40年6月30日", date(1907, 6, 30)),
        ("r7.11.26", date(2025, 11, 26)),
        ("S45/3/12", date(1970, 3, 12)),
    ],
)
def test_parse_date_accepts_every_documented_form(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["２０２５－１１－２６", "２０２５１１２６", "Ｒ７．１１．２６", "令和７年１１月２６日", "㋿7年11月26日"]
)
def test_parse_date_tolerates_full_width_digits_and_letters(text: str) -> None:
    assert parse_date(text) == date(2025, 11, 26)


@pytest.mark.parametrize(
    ("first_day_text", "first_day", "previous_day_in_same_era"),
    [
        ("令和元年5月1日", date(2019, 5, 1), "令和元年4月30日"),
        ("平成元年1月8日", date(1989, 1, 8), "平成元年1月7日"),
        ("昭和元年12月25日", date(1926, 12, 25), "昭和元年12月24日"),
        ("大正元年7月30日", date(1912, 7, 30), "大正元年7月29日"),
    ],
)
def test_each_era_starts_on_its_first_day_and_not_before(
    first_day_text: str, first_day: date, previous_day_in_same_era: str
) -> None:
    assert parse_date(first_day_text) == first_day
    with pytest.raises(ValueError, match="invalid date"):
        parse_date(previous_day_in_same_era)


@pytest.mark.parametrize(
    ("last_day_text", "last_day", "next_day_in_same_era"),
    [
        ("平成31年4月30日", date(2019, 4, 30), "平成31年5月1日"),
        ("昭和64年1月7日", date(1989, 1, 7), "昭和64年1月8日"),
        ("大正15年12月24日", date(1926, 12, 24), "大正15年12月25日"),
        ("明治45年7月29日", date(1912, 7, 29), "明治45年7月30日"),
    ],
)
def test_each_era_ends_on_its_last_day_and_not_after(
    last_day_text: str, last_day: date, next_day_in_same_era: str
) -> None:
    assert parse_date(last_day_text) == last_day
    with pytest.raises(ValueError, match="invalid date"):
        parse_date(next_day_in_same_era)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "平成32年1月1日",
        "昭和64年2月1日",
        "R0.1.1",
        "R7.13.1",
        "2025-02-30",
        "2025-W48-3",
        "20251301",
        "R7年11.26",
        "R7.11.26日",
        "2025/11-26",
        "X7.1.1",
    ],
)
def test_parse_date_rejects_invalid_dates_without_quoting_them(text: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid date$"):
        parse_date(text)


def test_parse_date_iso_returns_iso_text_for_every_form() -> None:
    assert parse_date_iso("1970-03-12") == "1970-03-12"
    assert parse_date_iso("19700312") == "1970-03-12"
    assert parse_date_iso("S45.3.12") == "1970-03-12"
    with pytest.raises(ValueError, match="invalid date"):
        parse_date_iso("1970-02-31")
    with pytest.raises(ValueError, match="invalid date"):
        parse_date_iso("19700231")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 11, 26), "令和7年11月26日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1912, 7, 29), "明治45年7月29日"),
    ],
)
def test_to_wareki_writes_era_dates_with_gannen(day: date, expected: str) -> None:
    assert to_wareki(day) == expected


def test_to_wareki_refuses_dates_before_meiji() -> None:
    with pytest.raises(ValueError, match="明治"):
        to_wareki(date(1867, 12, 31))


@given(st.dates(min_value=date(1868, 1, 1), max_value=date(2200, 12, 31)))
def test_to_wareki_and_parse_date_round_trip(day: date) -> None:
    assert parse_date(to_wareki(day)) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%Y%m%d")) == day
    assert parse_date_iso(day.strftime("%Y/%m/%d")) == day.isoformat()


_ERA_MARKS = ["R", "H", "S", "T", "M", "令和", "平成", "昭和", "大正", "明治", "r", "X", ""]
_ERA_YEARS = ["元", "0", "1", "01", "2", "9", "15", "31", "45", "64", "99", "100", ""]
_MONTHS = ["0", "1", "01", "2", "02", "4", "12", "13", ""]
_DAYS = ["0", "1", "01", "7", "8", "28", "29", "30", "31", "32", ""]
_FORMS = ["{m}{y}.{mo}.{d}", "{m}{y}年{mo}月{d}日", "{m}{y}.{mo}.{d}.", "{m}{y}年{mo}月{d}", "{m}{y}年{mo}月{d}日日"]


def _iso_or_error(text: str, *, via_date: bool) -> str:
    try:
        return parse_date(text).isoformat() if via_date else parse_date_iso(text)
    except ValueError as error:
        return f"error: {error}"


@given(
    st.sampled_from(_ERA_MARKS),
    st.sampled_from(_ERA_YEARS),
    st.sampled_from(_MONTHS),
    st.sampled_from(_DAYS),
    st.sampled_from(_FORMS),
)
def test_the_plain_era_reading_agrees_with_the_regex_reading(
    mark: str, year: str, month: str, day: str, form: str
) -> None:
    text = form.format(m=mark, y=year, mo=month, d=day)
    try:
        expected = wareki._parse_slow(text).isoformat()
    except ValueError:
        expected = None
    try:
        plain = wareki._parse_era_plain(text)
    except ValueError:
        assert expected is None, text  # the plain reading rejects only what the regex reading rejects
    else:
        assert plain is None or plain == expected, text
    assert _iso_or_error(text, via_date=False) == _iso_or_error(text, via_date=True)


@given(st.dates(min_value=date(1868, 1, 1), max_value=date(2099, 12, 31)))
def test_era_dates_in_letter_form_parse_to_the_same_day(day: date) -> None:
    letter = {era.name: era.letter for era in wareki.ERAS}
    kanji = to_wareki(day)
    era_year = kanji[2:].split("年")[0]
    assert parse_date_iso(kanji) == day.isoformat()
    assert parse_date_iso(f"{letter[kanji[:2]]}{era_year}.{day.month}.{day.day}") == day.isoformat()
    assert parse_date(kanji) == day


# -- iso_dates: a column at a time, the same answers as parse_date_iso -----------------------------
def _spellings(day: date) -> list[str]:
    era = wareki.era_of(day)
    era_year = day.year - era.first_day.year + 1
    years = [str(era_year), f"{era_year:02d}", *(["元"] if era_year == 1 else [])]
    months, days = {str(day.month), f"{day.month:02d}"}, {str(day.day), f"{day.day:02d}"}
    return [
        day.isoformat(),
        day.strftime("%Y%m%d"),
        *(f"{day.year}/{m}/{d}" for m in months for d in days),
        *(f"{day.year}-{m}-{d}" for m in months for d in days),
        *(f"{mark}{y}.{m}.{d}" for mark in (era.letter, era.name, era.letter.lower()) for y in years
          for m in months for d in days),
        *(f"{mark}{y}年{m}月{d}日" for mark in (era.name, era.letter) for y in years for m in months for d in days),
        f"{day.year}年{day.month}月{day.day}日",
        f" {day.isoformat()} ",
        to_wareki(day).replace("1", "１"),
    ]  # fmt: skip


def _expected(text: str, earliest: str, latest: str) -> str | None:
    try:
        iso = parse_date_iso(text)
    except ValueError:
        return None
    return iso if earliest <= iso <= latest else None


_RANGES = [("1868-01-01", "2025-11-26"), ("0000", "9999"), ("1989-01-08", "2019-04-30"), ("2024-02-29", "2024-03-01")]
_EDGE_DAYS = [
    date(1868, 1, 1), date(1868, 12, 31), date(1869, 1, 1), date(1912, 7, 29), date(1912, 7, 30),
    date(1926, 12, 24), date(1926, 12, 25), date(1989, 1, 7), date(1989, 1, 8), date(2000, 2, 29),
    date(1900, 2, 28), date(2019, 4, 30), date(2019, 5, 1), date(2024, 2, 29), date(2025, 11, 26),
    date(2025, 11, 27), date(2199, 12, 31), date(2200, 1, 1),
]  # fmt: skip
_JUNK = ["", " ", "x", "2025-02-29", "20230229", "2023/2/29", "S64.1.8", "H元.1.7", "R0.5.1", "1970-2-3",
         "1970/03-12", "19701312", "S45.3.12.", "昭和45年3月12", "2025-W48-3", "0000-01-01", "00000101",
         "0000/1/1", "９９９９-01-01", "1970-03-12\n", "令和7年11月26日日", "M45.7.30", "T15.12.25"]  # fmt: skip


@pytest.mark.parametrize(("earliest", "latest"), _RANGES)
def test_iso_dates_agrees_with_parse_date_iso_on_every_spelling_of_edge_days(earliest: str, latest: str) -> None:
    texts = [text for day in _EDGE_DAYS for text in _spellings(day)] + _JUNK
    assert wareki.iso_dates(texts, earliest, latest) == [_expected(text, earliest, latest) for text in texts]


@given(
    st.lists(st.dates(min_value=date(1868, 1, 1), max_value=date(2300, 12, 31)), max_size=20),
    st.lists(st.text(alphabet="0123456789-/.年月日元RHSTMrs令和平成昭和 ", max_size=12), max_size=10),
    st.sampled_from(_RANGES),
    st.randoms(use_true_random=False),
)
def test_iso_dates_agrees_with_parse_date_iso(
    days: list[date], junk: list[str], date_range: tuple[str, str], random: Any
) -> None:
    texts = [random.choice(_spellings(day)) for day in days] + junk
    random.shuffle(texts)
    earliest, latest = date_range
    assert wareki.iso_dates(texts, earliest, latest) == [_expected(text, earliest, latest) for text in texts]


@pytest.mark.parametrize("text", ["2025/02/29", "2025/2/29", "20250229", "2025-02-29", "2025/13/1", "2025/0/1"])
def test_parse_date_iso_refuses_impossible_days_in_every_gregorian_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid date$"):
        parse_date_iso(text)


@pytest.mark.parametrize(("text", "iso"), [("2024/2/29", "2024-02-29"), ("20240229", "2024-02-29"),
                                           ("2000-02-29", "2000-02-29"), ("2024/02/9", "2024-02-09")])  # fmt: skip
def test_parse_date_iso_reads_leap_days_and_unpadded_days(text: str, iso: str) -> None:
    assert parse_date_iso(text) == iso
