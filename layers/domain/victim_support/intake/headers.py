"""The resident file's header: Japanese or English column names, in any order.

A column whose name is not in the layout is reported (WARN_UNKNOWN_COLUMN) and ignored. A required
column that is missing fails the file with FILE_MISSING_COLUMNS. A column given twice (``氏名`` and
``name``, or ``氏名`` twice) fails the file with the same code, its detail starting ``duplicate:``:
the file cannot be read unambiguously, which is the same situation for the uploader as a missing
column (the layout is wrong), and the catalog's codes stay few.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from victim_support.errors import DomainError

FileKind = Literal["full", "delta"]

UNKNOWN_COLUMN_WARNING = "WARN_UNKNOWN_COLUMN"


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # canonical English name, used everywhere in code
    ja: str
    required_in: frozenset[FileKind]


_BOTH: frozenset[FileKind] = frozenset({"full", "delta"})
_DELTA: frozenset[FileKind] = frozenset({"delta"})
_NEITHER: frozenset[FileKind] = frozenset()

COLUMNS: tuple[Column, ...] = (
    Column("person_id", "宛名番号", _BOTH),
    Column("household_id", "世帯番号", _BOTH),
    Column("name", "氏名", _BOTH),
    Column("name_kana", "氏名カナ", _BOTH),
    Column("birth_date", "生年月日", _BOTH),
    Column("sex", "性別", _BOTH),
    Column("relationship", "続柄", _BOTH),
    Column("postal_code", "郵便番号", _NEITHER),
    Column("address", "住所", _BOTH),
    Column("address_extra", "方書", _NEITHER),
    Column("phone", "電話番号", _NEITHER),
    Column("care_needs", "要配慮者区分", _NEITHER),
    Column("protected", "支援措置", _NEITHER),
    Column("change_type", "異動区分", _DELTA),
    Column("change_date", "異動日", _DELTA),
)
COLUMN_BY_NAME: Mapping[str, Column] = {column.name: column for column in COLUMNS}

_COLUMN_BY_HEADER: dict[str, Column] = {
    **{column.ja: column for column in COLUMNS},
    **{column.name: column for column in COLUMNS},
}


@dataclass(frozen=True, slots=True)
class UnknownColumn:
    position: int  # 0-based
    header: str  # as written (a column title, never personal data)
    code: str = UNKNOWN_COLUMN_WARNING


@dataclass(frozen=True, slots=True)
class HeaderMap:
    index: Mapping[str, int]  # canonical name -> 0-based position, only for columns present
    width: int  # number of header fields: every row must have exactly this many
    unknown: tuple[UnknownColumn, ...]


def normalize_header(text: str) -> str:
    """NFKC, no BOM or surrounding spaces; English names case- and separator-insensitive."""
    cleaned = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip()
    if cleaned.isascii():
        return cleaned.lower().replace(" ", "_").replace("-", "_")
    return cleaned.replace(" ", "")


def label(name: str) -> str:
    """``氏名 (name)``: how a column is named in messages to municipal staff."""
    return f"{COLUMN_BY_NAME[name].ja} ({name})"


def map_headers(header: list[str], kind: FileKind) -> HeaderMap:
    index: dict[str, int] = {}
    duplicates: list[str] = []
    unknown: list[UnknownColumn] = []
    for position, title in enumerate(header):
        column = _COLUMN_BY_HEADER.get(normalize_header(title))
        if column is None:
            unknown.append(UnknownColumn(position, title.strip()))
        elif column.name in index:
            duplicates.append(column.name)
        else:
            index[column.name] = position
    if duplicates:
        raise DomainError("FILE_MISSING_COLUMNS", detail="duplicate: " + ", ".join(map(label, duplicates)))
    missing = [column.name for column in COLUMNS if kind in column.required_in and column.name not in index]
    if missing:
        raise DomainError("FILE_MISSING_COLUMNS", detail="missing: " + ", ".join(map(label, missing)))
    return HeaderMap(index=index, width=len(header), unknown=tuple(unknown))
