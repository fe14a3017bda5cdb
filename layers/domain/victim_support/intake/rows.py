"""Validation of one resident-file row into a ``ResidentRecord``.

Speed matters (a full file may hold hundreds of thousands of rows, parsed inside a Lambda), so a row
takes one of two paths:

- The **fast path** accepts a row only when every field is already in its canonical spelling. A
  pydantic-core schema (a tuple, validated in Rust) checks the free-text fields against patterns:
  ASCII digits in ids, one full-width space between name parts, full-width katakana, no 外字, no
  surrounding spaces. The closed-list fields and dates are dictionary look-ups, cached per file
  because a municipality's values repeat (postal codes, 要配慮者区分, birth dates).
- Any row the fast path does not accept outright goes to the **slow path**, which applies the
  authoritative rule of each field: it normalises what is acceptable (NFKC for full-width digits and
  letters, half-width kana and hiragana, a half-width space in a name, 外字 kept with WARN_GAIJI) and
  names the stable error code for the rest. The fast path accepts nothing the slow path would
  change, so both give the same record; tests hold them to that.

A whole file goes through the **bulk path** (``validate_batches``), the same two paths a batch of
rows at a time: each column is checked in one pass in C (str methods, set and dict look-ups, one
pydantic-core call for a column), dates are read in one loop (``wareki.iso_dates``), and only a
field that fails its column check goes through its rule, for that row alone. Values that repeat and
are costly to work out (postal codes, 要配慮者区分, readings that need normalising) are memoised per
file. The bulk path gives each record as a tuple (``ResidentRow``, ``record_of`` makes it a
ResidentRecord): a dict per row cost as much as checking a column, and the loader builds its
DynamoDB item from the tuple directly.

Decisions:
- 宛名番号/世帯番号 keep their leading zeros as given (after NFKC): they are identifiers of the
  municipality's resident system, which may be fixed-width, and must round-trip to it.
- 氏名 needs at least two space-separated parts (surname and given name; some foreign residents
  have more); runs of half- or full-width spaces become one full-width space.
- 生年月日 must be on or after 1868-01-01 (明治) and not after today in Japan.
- 電話番号 is 10 to 13 characters of digits and single hyphens, starting and ending with a digit;
  full-width digits and dash look-alikes (ー, －, ‐) are normalised to ASCII.
- In a full file 異動区分 and 異動日 are ignored even when the columns are present (a full file is a
  snapshot); in a delta file both are required.
- An empty required field is ROW_REQUIRED whatever the field; a malformed one is the field's code.
  Every failing field of a row is reported, not only the first.
- 方書 too long or holding control characters reports ROW_ADDRESS against ``address_extra``.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import compress, count, islice, product, repeat
from typing import Annotated, Any, Final, Literal

from pydantic import StringConstraints, TypeAdapter, ValidationError
from pydantic_core import SchemaValidator, core_schema
from typing_extensions import TypedDict

from victim_support.intake.headers import COLUMNS, FileKind, HeaderMap
from victim_support.intake.reader import RecordReader
from victim_support.rules.kana import has_private_use, normalize_kana
from victim_support.rules.postal import PostalLookup
from victim_support.rules.wareki import EARLIEST_DATE, iso_dates, parse_date_iso

JST: Final = timezone(timedelta(hours=9))

Sex = Literal["1", "2", "9"]
ChangeType = Literal["add", "update", "remove"]


class ResidentRecord(TypedDict):
    person_id: str
    household_id: str
    name: str  # surname and given name separated by one full-width space
    name_kana: str  # full-width katakana
    birth_date: str  # ISO 8601
    sex: Sex  # 1 male, 2 female, 9 unknown
    relationship: str  # 続柄, from RELATIONSHIPS
    postal_code: str | None  # 7 digits, no hyphen
    address: str
    address_extra: str | None
    phone: str | None
    care_needs: list[str]  # from CARE_NEEDS, in file order, no repeats
    protected: bool  # 支援措置
    change_type: ChangeType | None  # delta files only
    change_date: str | None  # ISO 8601, delta files only


# What the bulk path (``validate_batches``) gives: a ResidentRecord's values in ``RECORD_FIELDS`` order,
# as a tuple. Two differences: an absent postal_code, address_extra or phone is "" (not None), and
# care_needs is a tuple.
ResidentRow = tuple[
    str, str, str, str, str, Sex, str, str, str, str, str, tuple[str, ...], bool, ChangeType | None, str | None,
]  # fmt: skip
RECORD_FIELDS: Final = (
    "person_id", "household_id", "name", "name_kana", "birth_date", "sex", "relationship", "postal_code",
    "address", "address_extra", "phone", "care_needs", "protected", "change_type", "change_date",
)  # fmt: skip
_ROW_INDEX: Final = {name: index for index, name in enumerate(RECORD_FIELDS)}


_OPTIONAL_TEXT: Final = ("postal_code", "address_extra", "phone")


def record_of(row: ResidentRow) -> ResidentRecord:
    """The ResidentRecord a row stands for (None for an absent optional text, care_needs as a new list)."""
    record: dict[str, Any] = dict(zip(RECORD_FIELDS, row, strict=True))
    for name in _OPTIONAL_TEXT:
        record[name] = record[name] or None
    record["care_needs"] = list(row[11])
    return record  # type: ignore[return-value]  # the row's types are the record's, field by field


@dataclass(frozen=True, slots=True)
class RowIssue:
    """A finding about one field of one row. Never carries the field's value (personal data)."""

    line: int
    column: str  # canonical English column name; "" for the row as a whole
    code: str


# 続柄 as resident record systems write them; generous but closed. Compared after NFKC and with
# spaces removed, so 妻（未届） matches 妻(未届).
RELATIONSHIPS: Final = frozenset(
    {
        "世帯主", "本人", "妻", "夫", "妻(未届)", "夫(未届)", "未届の妻", "未届の夫",
        "子", "長男", "二男", "次男", "三男", "四男", "五男", "六男",
        "長女", "二女", "次女", "三女", "四女", "五女", "六女",
        "養子", "養女", "養父", "養母", "夫の子", "妻の子", "子の妻", "子の夫", "子の子",
        "父", "母", "義父", "義母", "夫の父", "夫の母", "妻の父", "妻の母",
        "孫", "孫の妻", "孫の夫", "曾孫", "ひ孫", "玄孫",
        "祖父", "祖母", "曾祖父", "曾祖母", "夫の祖父", "夫の祖母", "妻の祖父", "妻の祖母",
        "兄", "弟", "姉", "妹", "兄の妻", "弟の妻", "姉の夫", "妹の夫",
        "義兄", "義弟", "義姉", "義妹", "夫の兄", "夫の弟", "夫の姉", "夫の妹",
        "妻の兄", "妻の弟", "妻の姉", "妻の妹",
        "伯父", "叔父", "伯母", "叔母", "おじ", "おば", "甥", "姪", "おい", "めい",
        "いとこ", "従兄弟", "従姉妹", "兄弟", "姉妹",
        "同居人", "縁故者", "使用人", "里子", "その他",
    }
)  # fmt: skip
CARE_NEEDS: Final = ("高齢者", "障害者", "要介護", "乳幼児", "妊産婦", "難病", "外国人", "その他")

_SEX_CODE: Final[dict[str, Sex]] = {"1": "1", "男": "1", "M": "1", "2": "2", "女": "2", "F": "2", "9": "9"}
_PROTECTED: Final = {"": False, "0": False, "無": False, "1": True, "有": True}
_CHANGE_TYPE: Final[dict[str, ChangeType]] = {
    "追加": "add", "更新": "update", "削除": "remove", "add": "add", "update": "update", "remove": "remove",
}  # fmt: skip
_CARE_NEEDS_SET: Final = frozenset(CARE_NEEDS)

FIELD_CODE: Final = {
    "person_id": "ROW_PERSON_ID",
    "household_id": "ROW_HOUSEHOLD_ID",
    "name": "ROW_NAME",
    "name_kana": "ROW_NAME_KANA",
    "birth_date": "ROW_BIRTH_DATE",
    "sex": "ROW_SEX",
    "relationship": "ROW_RELATIONSHIP",
    "postal_code": "ROW_POSTAL_CODE",
    "address": "ROW_ADDRESS",
    "address_extra": "ROW_ADDRESS",
    "phone": "ROW_PHONE",
    "care_needs": "ROW_CARE_NEEDS",
    "protected": "ROW_PROTECTED",
    "change_type": "ROW_CHANGE_TYPE",
    "change_date": "ROW_CHANGE_DATE",
}

NAME_MAX = 100
ADDRESS_MAX = 200
PHONE_MIN, PHONE_MAX = 10, 13

# ---------------------------------------------------------------------------------------------
# Fast path schema: canonical spellings only, checked in Rust. Patterns use [0-9] because the Rust
# regex \d is Unicode; anchors without whitespace at the ends mean "already stripped".
_PUA = r"\x{E000}-\x{F8FF}\x{F0000}-\x{10FFFF}"
_NAME_PART = rf"[^\s{_PUA}\x00-\x1F]+"
_TEXT_EDGE = rf"[^\s{_PUA}\x00-\x1F]"
_TEXT = rf"{_TEXT_EDGE}(?:[^{_PUA}\x00-\x1F]*{_TEXT_EDGE})?"
_KATAKANA = "[\u30a1-\u30fe\u31f0-\u31ff]+"

_CanonicalId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}$")]
_CanonicalName = Annotated[
    str, StringConstraints(max_length=NAME_MAX, pattern=rf"^{_NAME_PART}(?:\u3000{_NAME_PART})+$")
]
_CanonicalKana = Annotated[str, StringConstraints(max_length=NAME_MAX, pattern=f"^{_KATAKANA}(?:\u3000{_KATAKANA})?$")]
_CanonicalAddress = Annotated[str, StringConstraints(max_length=ADDRESS_MAX, pattern=f"^{_TEXT}$")]
_CanonicalAddressExtra = Annotated[str, StringConstraints(max_length=ADDRESS_MAX, pattern=f"^(?:{_TEXT})?$")]
_CanonicalPhone = Annotated[str, StringConstraints(max_length=PHONE_MAX, pattern=r"^(?:[0-9]+(?:-[0-9]+)*)?$")]

# The free-text columns, in this order, go through the schema; the others are look-ups.
_CHECKED_FIELDS: Final = (
    "person_id",
    "household_id",
    "name",
    "name_kana",
    "address",
    "address_extra",
    "phone",
)
_LOOKUP_FIELDS: Final = {
    "full": ("birth_date", "sex", "relationship", "postal_code", "care_needs", "protected"),
    "delta": ("birth_date", "sex", "relationship", "postal_code", "care_needs", "protected",
              "change_type", "change_date"),
}  # fmt: skip
_CANONICAL_FREE_TEXT = (
    _CanonicalId, _CanonicalId, _CanonicalName, _CanonicalKana, _CanonicalAddress, _CanonicalAddressExtra,
    _CanonicalPhone,
)  # fmt: skip
# The schema only checks (no constraint transforms a value), so a row that passes is used as given.
# ``.validator`` is the Rust validator itself: TypeAdapter's Python wrapper costs a third of the call.


def _canonical_row_validator(kind: FileKind) -> Any:
    item_types = (*_CANONICAL_FREE_TEXT, *(str for _ in _LOOKUP_FIELDS[kind]))
    row_type: Any = tuple.__class_getitem__(item_types)  # tuple[...] built at run time
    return TypeAdapter(row_type).validator


_CANONICAL_ROW: Final = {kind: _canonical_row_validator(kind) for kind in ("full", "delta")}


# The batch path checks the same patterns a column at a time, in one Rust call per column: a value
# that fails its pattern comes back as None instead of raising (``on_error="default"``), so the call
# names the rows that need their rule without building a ValidationError.
def _column_check(pattern: str, max_length: int | None = None) -> SchemaValidator:
    item = core_schema.str_schema(pattern=pattern, max_length=max_length)
    return SchemaValidator(
        core_schema.list_schema(core_schema.with_default_schema(item, default=None, on_error="default"))
    )


_COLUMN_CHECK: Final = {
    "person_id": _column_check(r"^[0-9]{1,15}$"),
    "household_id": _column_check(r"^[0-9]{1,15}$"),
    "name": _column_check(rf"^{_NAME_PART}(?:\u3000{_NAME_PART})+$", NAME_MAX),
    "name_kana": _column_check(f"^{_KATAKANA}(?:\u3000{_KATAKANA})?$", NAME_MAX),
    "address": _column_check(f"^{_TEXT}$", ADDRESS_MAX),
    "address_extra": _column_check(f"^(?:{_TEXT})?$", ADDRESS_MAX),
}


# Cheaper still, for the ASCII columns: one Rust regex over the whole column joined by "\n" (an ASCII
# string needs no UTF-8 copy), with a count of the "\n" so that no value holds one itself.
def _joined_check(item_pattern: str) -> Callable[[str, int], bool]:
    """Whether ``joined`` (``count`` values joined by newlines) holds values that each match the pattern."""
    validator = SchemaValidator(core_schema.str_schema(pattern=f"^{item_pattern}(?:\n{item_pattern})*$"))

    def column_ok(joined: str, count: int) -> bool:
        return joined.count("\n") == count - 1 and validator.isinstance_python(joined)

    return column_ok


_IDS_OK: Final = _joined_check("[0-9]{1,15}")
# 10 to 13 digits and hyphens starting and ending with a digit, or empty; "--" is ruled out apart.
_PHONES_OK: Final = _joined_check(f"(?:[0-9][0-9-]{{{PHONE_MIN - 2},{PHONE_MAX - 2}}}[0-9])?")


def _unchecked(checked: Sequence[object]) -> list[int]:
    """The indexes of the Nones (what a column check gives a value that fails it)."""
    return list(compress(count(), map(operator.is_, checked, repeat(None))))


# Cheaper whole-column checks first, each only ever stricter than the column's pattern (a column
# that fails one goes through the per-value check above). ``str.isprintable`` is False for control,
# private-use (外字), format, unassigned and separator characters, so "printable and no ASCII space"
# means no character the patterns refuse and no whitespace at all (nothing to strip).
def _text_column_ok(texts: Sequence[str], max_length: int) -> bool:
    """Whether every value is free text as stored (or empty): printable, no spaces, not too long."""
    joined = "".join(texts)
    return joined.isprintable() and " " not in joined and max(map(len, texts)) <= max_length


# A stored phone number's shape (digits as 9): empty, or 10 to 13 digits in groups joined by single
# hyphens. The 522 shapes are listed, so a column is checked with one set look-up a value.
_DIGITS_AS_NINE: Final = str.maketrans("012345678", "999999999")
_PHONE_SHAPES: Final = frozenset(
    {"", *(
        shape
        for length in range(PHONE_MIN, PHONE_MAX + 1)
        for shape in map("".join, product("9-", repeat=length))
        if shape[0] == "9" == shape[-1] and "--" not in shape
    )}
)  # fmt: skip


def _unstored_phones(phones: Sequence[str]) -> list[int]:
    """The indexes of the values that are neither a phone number as stored nor empty."""
    joined = "\n".join(phones)
    if "--" not in joined and _PHONES_OK(joined, len(phones)):
        return []
    shapes = joined.translate(_DIGITS_AS_NINE).split("\n")  # "\n": in no accepted value
    if len(shapes) != len(phones):
        return [index for index, phone in enumerate(phones) if phone.translate(_DIGITS_AS_NINE) not in _PHONE_SHAPES]
    if _PHONE_SHAPES.issuperset(shapes):
        return []
    return list(compress(count(), map(operator.not_, map(_PHONE_SHAPES.__contains__, shapes))))


_SEX_TEXTS: Final = frozenset(_SEX_CODE)
_PROTECTED_TEXTS: Final = frozenset(_PROTECTED)
_CHANGE_TYPE_TEXTS: Final = frozenset(_CHANGE_TYPE)
_REQUIRED: Final[dict[FileKind, frozenset[str]]] = {
    "full": frozenset(column.name for column in COLUMNS if "full" in column.required_in),
    "delta": frozenset(column.name for column in COLUMNS if "delta" in column.required_in),
}
_CACHE_LIMIT = 1 << 17  # entries per look-up cache; a file with more distinct values starts over


# ---------------------------------------------------------------------------------------------
# Slow path: the authoritative rule of each field. Each takes the stripped value and returns the
# stored value or raises _Rejected with the error code.
class _Rejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_DASHES: Final = str.maketrans(dict.fromkeys("ー‐‑–—−―－", "-"))


def _nfkc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


_CONTROL = re.compile("[\x00-\x1f]")


def _has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _id_rule(code: str) -> Callable[[str], str]:
    def rule(value: str) -> str:
        value = _nfkc(value)
        if not (value.isascii() and value.isdigit() and 1 <= len(value) <= 15):
            raise _Rejected(code)
        return value

    return rule


def _name_rule(value: str) -> str:
    parts = value.split()  # str.split() splits on every Unicode space, U+3000 included
    if len(parts) < 2 or len(value) > NAME_MAX or _has_control(value):
        raise _Rejected("ROW_NAME")
    return "\u3000".join(parts)


def _kana_rule(value: str) -> str:
    try:
        kana = normalize_kana(value)
    except ValueError:
        raise _Rejected("ROW_NAME_KANA") from None
    if len(kana) > NAME_MAX:
        raise _Rejected("ROW_NAME_KANA")
    return kana


def _sex_rule(value: str) -> str:
    sex = _SEX_CODE.get(_nfkc(value).upper())
    if sex is None:
        raise _Rejected("ROW_SEX")
    return sex


def _relationship_rule(value: str) -> str:
    relationship = "".join(_nfkc(value).split())
    if relationship not in RELATIONSHIPS:
        raise _Rejected("ROW_RELATIONSHIP")
    return relationship


def _postal_format_rule(value: str) -> str:
    normalized = _nfkc(value).translate(_DASHES)
    digits = normalized.replace("-", "", 1) if len(normalized) == 8 and normalized[3] == "-" else normalized
    if not (len(digits) == 7 and digits.isascii() and digits.isdigit()):
        raise _Rejected("ROW_POSTAL_CODE")
    return digits


def _address_rule(value: str) -> str:
    if len(value) > ADDRESS_MAX or _has_control(value):
        raise _Rejected("ROW_ADDRESS")
    return value  # 外字 are kept and reported as a warning


def _phone_rule(value: str) -> str:
    phone = _nfkc(value).translate(_DASHES)
    parts = phone.split("-")
    if not (PHONE_MIN <= len(phone) <= PHONE_MAX and phone.isascii() and all(part.isdigit() for part in parts)):
        raise _Rejected("ROW_PHONE")
    return phone


def _care_needs_rule(value: str) -> tuple[str, ...]:
    needs: list[str] = []
    for part in _nfkc(value).split(";"):
        need = part.strip()
        if not need:
            continue
        if need not in _CARE_NEEDS_SET:
            raise _Rejected("ROW_CARE_NEEDS")
        if need not in needs:
            needs.append(need)
    return tuple(needs)


def _protected_rule(value: str) -> bool:
    protected = _PROTECTED.get(_nfkc(value))
    if protected is None:
        raise _Rejected("ROW_PROTECTED")
    return protected


def _change_type_rule(value: str) -> ChangeType:
    change_type = _CHANGE_TYPE.get(_nfkc(value).lower())
    if change_type is None:
        raise _Rejected("ROW_CHANGE_TYPE")
    return change_type


def _date_rule(code: str, earliest: str = "0000", latest: str = "9999") -> Callable[[str], str]:
    def rule(value: str) -> str:
        try:
            iso = parse_date_iso(value)
        except ValueError:
            raise _Rejected(code) from None
        if not earliest <= iso <= latest:
            raise _Rejected(code)
        return iso

    return rule


_GAIJI_FIELDS: Final = frozenset({"name", "address", "address_extra"})


# Memo fillers of the batch path: the stored value of a raw value its rule accepts without an issue,
# else None (the row then goes through the rule itself).
def _memo_name(text: str) -> str | None:
    value = text.strip()
    if not value or has_private_use(value):  # 外字: a warning to report
        return None
    try:
        return _name_rule(value)
    except _Rejected:
        return None


def _memo_kana(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    try:
        return _kana_rule(value)
    except _Rejected:
        return None


def _memo_care_needs(text: str) -> tuple[str, ...] | None:
    try:
        return _care_needs_rule(text)
    except _Rejected:
        return None


class RowValidator:
    """Validates the rows of one file: one header map, one kind, one municipality."""

    def __init__(
        self,
        header_map: HeaderMap,
        kind: FileKind,
        municipality_code: str,
        postal: PostalLookup,
        *,
        today: date | None = None,
    ) -> None:
        self.kind = kind
        self.width = header_map.width
        self._municipality_code = municipality_code
        self._postal = postal
        self._required = _REQUIRED[kind]
        # An absent optional column reads position ``width``: the "" padded onto such rows.
        self._pad = any(name not in header_map.index for name in _CHECKED_FIELDS + _LOOKUP_FIELDS[kind])
        self._all_fields = _CHECKED_FIELDS + _LOOKUP_FIELDS[kind]
        self._pick_all = operator.itemgetter(*(header_map.index.get(n, self.width) for n in self._all_fields))
        self._canonical_row = _CANONICAL_ROW[kind]
        latest_birth = (today or datetime.now(JST).date()).isoformat()
        self._earliest_birth, self._latest_birth = EARLIEST_DATE.isoformat(), latest_birth
        self._rules: dict[str, Callable[[str], object]] = {
            "person_id": _id_rule("ROW_PERSON_ID"),
            "household_id": _id_rule("ROW_HOUSEHOLD_ID"),
            "name": _name_rule,
            "name_kana": _kana_rule,
            "birth_date": _date_rule("ROW_BIRTH_DATE", EARLIEST_DATE.isoformat(), latest_birth),
            "sex": _sex_rule,
            "relationship": _relationship_rule,
            "postal_code": self._postal_rule,
            "address": _address_rule,
            "address_extra": _address_rule,
            "phone": _phone_rule,
            "care_needs": _care_needs_rule,
            "protected": _protected_rule,
            "change_type": _change_type_rule,
            "change_date": _date_rule("ROW_CHANGE_DATE"),
        }
        # Fast-path caches: canonical value -> stored value. Only successes are cached.
        self._birth_dates: dict[str, str] = {}
        self._change_dates: dict[str, str] = {}
        self._postal_codes: dict[str, str | None] = {"": None}
        self._care_needs: dict[str, tuple[str, ...]] = {"": ()}
        self._postal_verdicts: dict[str, str | None] = {}
        # Batch path: the position of every column (``width``, a padded blank column, when absent),
        # and memos of raw value -> stored value for the look-up columns whose values repeat (None for
        # a value that needs its rule).
        self._position: dict[str, int] = {name: header_map.index[name] for name in self._all_fields
                                          if name in header_map.index}  # fmt: skip
        self._column_of: dict[str, int] = {name: header_map.index.get(name, self.width) for name in self._all_fields}
        self._postal_memo: dict[str, str | None] = {"": ""}
        self._care_memo: dict[str, tuple[str, ...] | None] = {"": ()}
        # Names and readings not as stored -> what the rule stores (None: it must see them).
        self._normalized_memos: dict[str, tuple[dict[str, str | None], Callable[[str], str | None]]] = {
            "name": ({}, _memo_name),
            "name_kana": ({}, _memo_kana),
        }

    def validate_batches(
        self, records: Iterable[tuple[int, list[str]]], batch_size: int = 256
    ) -> Iterator[tuple[Sequence[int], list[ResidentRow | None], list[Sequence[RowIssue]]]]:
        """(lines, rows, issues) of each ``batch_size`` records (line, fields), in order: the bulk path.
        For each record, ``record_of(row)`` and ``list(issues)`` are what ``validate`` gives.

        A ``RecordReader`` (what ``iter_records`` returns) hands over its records a batch at a time.
        256 rows keep a batch's strings in the CPU cache between the column passes; on the parse
        benchmark 1024 was about a quarter slower and 64 no faster.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if isinstance(records, RecordReader):
            while True:
                lines, fields = records.next_batch(batch_size)
                if not fields:
                    return
                yield lines, *self.validate_batch(lines, fields)
        source = iter(records)
        while batch := list(islice(source, batch_size)):
            lines, fields_of_lines = zip(*batch, strict=True)
            yield lines, *self.validate_batch(lines, fields_of_lines)

    def validate_rows(
        self, records: Iterable[tuple[int, list[str]]], batch_size: int = 256
    ) -> Iterator[tuple[int, ResidentRow | None, Sequence[RowIssue]]]:
        """``validate_batches`` a record at a time: (line, row, issues)."""
        for lines, rows, issues in self.validate_batches(records, batch_size):
            yield from zip(lines, rows, issues, strict=True)

    def validate_stream(
        self, records: Iterable[tuple[int, list[str]]], batch_size: int = 256
    ) -> Iterator[tuple[int, ResidentRecord | None, list[RowIssue]]]:
        """``validate_rows`` with the records and issues ``validate`` gives."""
        for line, row, issues in self.validate_rows(records, batch_size):
            yield line, None if row is None else record_of(row), list(issues)

    def validate_many(
        self, rows: Sequence[tuple[int, list[str]]]
    ) -> list[tuple[ResidentRecord | None, list[RowIssue]]]:
        """``[validate(line, fields) for line, fields in rows]``, checked a column at a time."""
        return [(record, issues) for _line, record, issues in self.validate_stream(rows, max(len(rows), 1))]

    def validate(self, line: int, fields: list[str]) -> tuple[ResidentRecord | None, list[RowIssue]]:
        """The record (None when any ROW_* error) and the issues; WARN_GAIJI accompanies a record."""
        if len(fields) != self.width:
            return None, [RowIssue(line, "", "ROW_COLUMN_COUNT")]
        if self._pad:
            fields = [*fields, ""]
        values = self._pick_all(fields)
        try:
            self._canonical_row.validate_python(values)
        except ValidationError:
            return self._validate_slowly(line, fields)
        (person_id, household_id, name, name_kana, address, address_extra, phone,
         birth_text, sex_text, relationship, postal_text, care_text, protected_text) = values[:13]  # fmt: skip
        # Each look-up below falls back to a cache filler on a miss; any failure means "not canonical".
        birth_date = self._birth_dates.get(birth_text) or self._cache_birth_date(birth_text)
        sex = _SEX_CODE.get(sex_text)
        postal_code = self._postal_codes.get(postal_text, "")
        if postal_code == "":
            postal_code = self._cache_postal_code(postal_text)
        care_needs = self._care_needs.get(care_text)
        if care_needs is None:
            care_needs = self._cache_care_needs(care_text)
        protected = _PROTECTED.get(protected_text)
        if (
            not birth_date
            or sex is None
            or relationship not in RELATIONSHIPS
            or postal_code == ""
            or care_needs is None
            or protected is None
            or (phone and len(phone) < PHONE_MIN)
        ):
            return self._validate_slowly(line, fields)
        change_type: ChangeType | None = None
        change_date: str | None = None
        if self.kind == "delta":
            change_type = _CHANGE_TYPE.get(values[13])
            change_date = self._change_dates.get(values[14]) or self._cache_change_date(values[14])
            if change_type is None or change_date is None:
                return self._validate_slowly(line, fields)
        record: ResidentRecord = {
            "person_id": person_id,
            "household_id": household_id,
            "name": name,
            "name_kana": name_kana,
            "birth_date": birth_date,
            "sex": sex,
            "relationship": relationship,
            "postal_code": postal_code,
            "address": address,
            "address_extra": address_extra or None,
            "phone": phone or None,
            "care_needs": list(care_needs),
            "protected": protected,
            "change_type": change_type,
            "change_date": change_date,
        }
        return record, []

    # -- batch path ------------------------------------------------------------------------------
    def validate_batch(
        self, lines: Sequence[int], batch: Sequence[list[str]]
    ) -> tuple[list[ResidentRow | None], list[Sequence[RowIssue]]]:
        """Rows and issues of one batch of records (their lines and fields, as ``RecordReader.next_batch``
        gives them), in order; records of the wrong width are rejected whole."""
        width = self.width
        try:
            columns = list(zip(*batch, strict=True))  # ValueError: records of different widths
        except ValueError:
            columns = []
        if len(columns) == width:
            return self._validate_columns(lines, batch, columns)
        fitting = [index for index, fields in enumerate(batch) if len(fields) == width]
        rows: list[ResidentRow | None] = [None] * len(batch)
        issues: list[Sequence[RowIssue]] = [[RowIssue(line, "", "ROW_COLUMN_COUNT")] for line in lines]
        if fitting:
            fitting_batch = [batch[index] for index in fitting]
            fitting_rows, fitting_issues = self._validate_columns(
                [lines[index] for index in fitting], fitting_batch, list(zip(*fitting_batch, strict=True))
            )
            for index, row, row_issues in zip(fitting, fitting_rows, fitting_issues, strict=True):
                rows[index] = row
                issues[index] = row_issues
        return rows, issues

    def _validate_columns(
        self, lines: Sequence[int], batch: Sequence[list[str]], columns: list[tuple[str, ...]]
    ) -> tuple[list[ResidentRow | None], list[Sequence[RowIssue]]]:
        """Records of the right width (``columns``: the batch transposed), each column checked at once.
        A field no check can accept as it stands goes through its authoritative rule (``_recheck``),
        as in ``_validate_slowly``.

        Every check is one pass over a column in C (str methods, set and dict look-ups, pydantic-core
        over a whole column); Python runs per value only for values that need their rule and, in the
        dates, for the one parse each value needs.
        """
        count = len(batch)
        columns.append(("",) * count)  # position ``width``: the absent optional columns
        column_of = self._column_of
        failing: dict[str, list[int]] = {}

        person_ids, household_ids = columns[column_of["person_id"]], columns[column_of["household_id"]]
        for field, ids in (("person_id", person_ids), ("household_id", household_ids)):
            if not _IDS_OK("\n".join(ids), len(ids)):
                failing[field] = _unchecked(_COLUMN_CHECK[field].validate_python(ids))
        names = self._normalized("name", columns[column_of["name"]], failing)
        kanas = self._normalized("name_kana", columns[column_of["name_kana"]], failing)
        addresses = columns[column_of["address"]]
        if not (all(addresses) and _text_column_ok(addresses, ADDRESS_MAX)):
            checked = _COLUMN_CHECK["address"].validate_python(addresses)
            if not all(checked):
                failing["address"] = _unchecked(checked)
        extras = columns[column_of["address_extra"]]
        if not _text_column_ok(extras, ADDRESS_MAX) and (unchecked := _unchecked(
            _COLUMN_CHECK["address_extra"].validate_python(extras)
        )):  # fmt: skip
            failing["address_extra"] = unchecked
        phones = columns[column_of["phone"]]
        if unstored := _unstored_phones(phones):
            failing["phone"] = unstored

        birth_dates = iso_dates(columns[column_of["birth_date"]], self._earliest_birth, self._latest_birth)
        if None in birth_dates:
            failing["birth_date"] = _unchecked(birth_dates)
        sex_texts = columns[column_of["sex"]]
        if not _SEX_TEXTS.issuperset(sex_texts):
            failing["sex"] = [index for index, text in enumerate(sex_texts) if text not in _SEX_TEXTS]
        relationships = columns[column_of["relationship"]]
        if not RELATIONSHIPS.issuperset(relationships):
            failing["relationship"] = [index for index, text in enumerate(relationships) if text not in RELATIONSHIPS]
        postal_codes = self._look_up("postal_code", columns[column_of["postal_code"]], self._postal_memo, failing)
        care_needs = self._look_up("care_needs", columns[column_of["care_needs"]], self._care_memo, failing)
        protected_texts = columns[column_of["protected"]]
        protected: Iterable[bool | None] = repeat(False)
        if any(protected_texts):
            if not _PROTECTED_TEXTS.issuperset(protected_texts):
                failing["protected"] = [
                    index for index, text in enumerate(protected_texts) if text not in _PROTECTED_TEXTS
                ]
            protected = map(_PROTECTED.get, protected_texts)
        change_types: Iterable[ChangeType | None] = repeat(None)
        change_dates: Iterable[str | None] = repeat(None)
        if self.kind == "delta":
            change_texts = columns[column_of["change_type"]]
            if not _CHANGE_TYPE_TEXTS.issuperset(change_texts):
                failing["change_type"] = [
                    index for index, text in enumerate(change_texts) if text not in _CHANGE_TYPE_TEXTS
                ]
            change_types = map(_CHANGE_TYPE.get, change_texts)
            change_dates = iso_dates(columns[column_of["change_date"]], "0000", "9999")
            if None in change_dates:
                failing["change_date"] = _unchecked(change_dates)

        # One tuple per record, in RECORD_FIELDS order.
        rows: list[Any] = list(zip(
            person_ids, household_ids, names, kanas, birth_dates,
            map(_SEX_CODE.get, sex_texts), relationships, postal_codes, addresses,
            extras, phones, care_needs, protected, change_types, change_dates,
            strict=False,  # protected, change_types and change_dates may repeat without end
        ))  # fmt: skip
        issues: list[Sequence[RowIssue]] = [()] * count
        if failing:
            # The failing fields of each row, in column order (the order _validate_slowly reports in).
            fields_of: dict[int, list[str]] = {}
            for name in self._all_fields:
                for index in failing.get(name, ()):
                    fields_of.setdefault(index, []).append(name)
            for index, fields in fields_of.items():
                rows[index], issues[index] = self._recheck(lines[index], batch[index], rows[index], fields)
        return rows, issues

    def _normalized(self, field: str, texts: tuple[str, ...], failing: dict[str, list[int]]) -> list[str | None]:
        """The stored 氏名 or 氏名カナ of each raw value: checked as stored, the column in one call;
        the others normalised by the rule (a half-width space; half-width kana or hiragana) through a
        memo, as they repeat. The rows of values the rule must see (refused, empty, or with 外字) are
        added to ``failing``."""
        values: list[str | None] = _COLUMN_CHECK[field].validate_python(texts)
        if all(values):
            return values
        memo, fill = self._normalized_memos[field]
        if len(memo) > _CACHE_LIMIT:
            memo.clear()
        rejected: list[int] = []
        for index in _unchecked(values):
            text = texts[index]
            value = memo[text] if text in memo else memo.setdefault(text, fill(text))
            if value is None:
                rejected.append(index)
            values[index] = value
        if rejected:
            failing[field] = rejected
        return values

    def _recheck(
        self, line: int, fields: list[str], row: ResidentRow, names: list[str]
    ) -> tuple[ResidentRow | None, list[RowIssue]]:
        """``_validate_slowly`` for a record whose other fields the batch checks accepted (so their
        rules would give what the row holds and report nothing): only the fields ``names`` are run."""
        issues: list[RowIssue] = []
        values: list[object] = list(row)
        for name in names:
            value = fields[self._position[name]].strip()
            stored: object = None
            if not value:
                if name in self._required:
                    issues.append(RowIssue(line, name, "ROW_REQUIRED"))
            else:
                try:
                    stored = self._rules[name](value)
                except _Rejected as rejection:
                    issues.append(RowIssue(line, name, rejection.code))
                    continue
                if name in _GAIJI_FIELDS and has_private_use(value):
                    issues.append(RowIssue(line, name, "WARN_GAIJI"))
            if name == "care_needs":
                stored = stored or ()
            elif name == "protected":
                stored = bool(stored)
            elif name in _OPTIONAL_TEXT:
                stored = stored or ""
            values[_ROW_INDEX[name]] = stored
        if any(issue.code.startswith("ROW_") for issue in issues):
            return None, issues
        return tuple(values), issues  # type: ignore[return-value]  # each rule returns its field's stored type

    def _look_up(
        self, field: str, column: tuple[str, ...], memo: dict[str, Any], failing: dict[str, list[int]]
    ) -> list[Any]:
        """The stored value of each raw value through the field's memo, where None marks a value its
        rule must see: those rows are added to ``failing[field]``. Only values new to the memo are
        computed; a memo past ``_CACHE_LIMIT`` entries starts over."""
        values = list(map(memo.get, column))
        if None not in values:
            return values
        if len(memo) > _CACHE_LIMIT:
            memo.clear()
            memo[""] = "" if field == "postal_code" else ()
        fill = self._memo_postal_code if field == "postal_code" else _memo_care_needs
        rejected: list[int] = []
        for index in _unchecked(values):
            text = column[index]
            if text in memo:
                value = memo[text]
            else:
                value = memo[text] = fill(text)
            if value is None:
                rejected.append(index)
            else:
                values[index] = value
        if rejected:
            failing[field] = rejected
        return values

    def _memo_postal_code(self, text: str) -> str | None:
        if len(text) not in (7, 8) or not text.isascii():
            return None
        digits = text if len(text) == 7 else text[:3] + text[4:] if text[3] == "-" else ""
        if digits.isdigit():  # 1234567 or 123-4567: what the rule's format step gives, without it
            return digits if self._postal_problem(digits) is None else None
        try:
            return self._postal_rule(text)
        except _Rejected:
            return None

    # -- fast-path cache fillers: return "" when the value needs the slow path --------------------
    def _cache_birth_date(self, text: str) -> str:
        try:
            iso = parse_date_iso(text)
        except ValueError:
            return ""
        if not self._earliest_birth <= iso <= self._latest_birth:
            return ""
        if len(self._birth_dates) > _CACHE_LIMIT:
            self._birth_dates.clear()
        self._birth_dates[text] = iso
        return iso

    def _cache_change_date(self, text: str) -> str | None:
        try:
            iso = self._rules["change_date"](text)
        except _Rejected:
            return None
        assert isinstance(iso, str)
        if len(self._change_dates) > _CACHE_LIMIT:
            self._change_dates.clear()
        self._change_dates[text] = iso
        return iso

    def _cache_care_needs(self, text: str) -> tuple[str, ...] | None:
        try:
            needs = _care_needs_rule(text)
        except _Rejected:
            return None
        if len(self._care_needs) > _CACHE_LIMIT:
            self._care_needs.clear()
        self._care_needs[text] = needs
        return needs

    def _cache_postal_code(self, text: str) -> str | None:
        # Only the canonical spellings (1234567, 123-4567) are cached; the slow path handles others.
        if len(text) not in (7, 8) or not text.isascii():
            return ""
        try:
            code = self._postal_rule(text)
        except _Rejected:
            return ""
        if len(self._postal_codes) > _CACHE_LIMIT:
            self._postal_codes.clear()
            self._postal_codes[""] = None
        self._postal_codes[text] = code
        return code

    def _postal_rule(self, value: str) -> str:
        code = _postal_format_rule(value)
        if (problem := self._postal_problem(code)) is not None:
            raise _Rejected(problem)
        return code

    def _postal_problem(self, code: str) -> str | None:
        """The error code of a 7-digit postal code this file may not use, None when it may."""
        if code not in self._postal_verdicts:
            if not self._postal.municipalities_of(code):
                self._postal_verdicts[code] = "ROW_POSTAL_CODE_UNKNOWN"
            elif not self._postal.belongs_to(code, self._municipality_code):
                self._postal_verdicts[code] = "ROW_POSTAL_CODE_MUNICIPALITY"
            else:
                self._postal_verdicts[code] = None
        return self._postal_verdicts[code]

    def _validate_slowly(self, line: int, fields: list[str]) -> tuple[ResidentRecord | None, list[RowIssue]]:
        """Every field through its authoritative rule; all problems of the row are reported."""
        issues: list[RowIssue] = []
        stored: dict[str, object] = {}
        for field, raw in zip(self._all_fields, self._pick_all(fields), strict=True):
            value = raw.strip()
            if not value:
                if field in self._required:
                    issues.append(RowIssue(line, field, "ROW_REQUIRED"))
                stored[field] = None
                continue
            try:
                stored[field] = self._rules[field](value)
            except _Rejected as rejection:
                issues.append(RowIssue(line, field, rejection.code))
                continue
            if field in _GAIJI_FIELDS and has_private_use(value):
                issues.append(RowIssue(line, field, "WARN_GAIJI"))
        if any(issue.code.startswith("ROW_") for issue in issues):
            return None, issues
        return self._record(stored), issues

    def _record(self, stored: dict[str, object]) -> ResidentRecord:
        care_needs = stored["care_needs"]
        record = {
            **stored,
            "care_needs": list(care_needs) if isinstance(care_needs, tuple) else [],
            "protected": bool(stored["protected"]),
            "change_type": stored.get("change_type"),
            "change_date": stored.get("change_date"),
        }
        return record  # type: ignore[return-value]  # each rule returns its field's stored type
