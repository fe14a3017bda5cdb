"""Estimate-only costs, paid to the municipality's own resident-system vendor or the store operator.

- Initial build cost (システム構築費用, one-off, including changes to the resident system): pattern A
  6,000,000–16,000,000 yen (may be less where BCL is already in place); pattern B "数万円～数百万円"
  (tens of thousands to a few million yen) — the seed gives no figures for B, so its bounds are text
  with low/high None.
- Operation and maintenance (システム関連運用保守費用): 0 to about 10–20 % of the build cost per year.
  For pattern A the range is 0–3,200,000 yen per year (20 % of the high end of the build cost); for
  pattern B it is text only, for the same reason.
- Real-store test (実店舗試験費用, A and B): the kiosk fee × test copies — 10 yen put into the kiosk
  plus 107 yen borne by the municipality per copy, paid to the store operator doing kiosk issuance.
"""

from __future__ import annotations

from dataclasses import dataclass

from victim_support.fees.kiosk import Pattern
from victim_support.fees.tables import (
    MUNICIPALITY_SHARE_WHEN_FREE,
    OPERATION_MAINTENANCE_EN,
    OPERATION_MAINTENANCE_JA,
    OPERATION_MAINTENANCE_PERCENT,
    PATTERN_A_BUILD_COST,
    PATTERN_B_BUILD_COST_EN,
    PATTERN_B_BUILD_COST_JA,
    RESIDENT_PRINT_FEE,
)


@dataclass(frozen=True)
class CostRange:
    """A range in yen; low/high None where the source gives words, not figures."""

    low: int | None
    high: int | None
    text_ja: str
    text_en: str
    basis: str


def initial_build_cost(pattern: Pattern) -> CostRange:
    if pattern == "A":
        low, high = PATTERN_A_BUILD_COST
        return CostRange(
            low,
            high,
            "600万円～1600万円",
            f"{low:,}-{high:,} yen",
            "including resident-system changes (住民情報システム改修含む); may be less where BCL is already in "
            "place (BCLを既に導入済みの団体は少なくなることもある)",
        )
    return CostRange(
        None,
        None,
        PATTERN_B_BUILD_COST_JA,
        PATTERN_B_BUILD_COST_EN,
        "including resident-system changes (住民情報システム改修含む); the seed gives words, no figures",
    )


def operation_maintenance_range(pattern: Pattern) -> CostRange:
    """Per fiscal year; the upper bound for A is the high percentage of the high build cost."""
    if pattern == "A":
        high_percent = OPERATION_MAINTENANCE_PERCENT[1]
        build_high = PATTERN_A_BUILD_COST[1]
        high = build_high * high_percent // 100
        return CostRange(
            0,
            high,
            OPERATION_MAINTENANCE_JA,
            OPERATION_MAINTENANCE_EN,
            f"0 to {high_percent} % of the highest build cost ({build_high:,}) = 0-{high:,} yen per year",
        )
    return CostRange(
        None,
        None,
        OPERATION_MAINTENANCE_JA,
        OPERATION_MAINTENANCE_EN,
        "percentages of the pattern B build cost, which the seed gives only in words",
    )


@dataclass(frozen=True)
class StoreTestCost:
    """The one-off real-store test: both parts are borne by the municipality, paid to the store operator."""

    kiosk_fee: int  # 10 yen per copy put into the kiosk
    municipality_share: int  # 107 yen per copy

    @property
    def total(self) -> int:
        return self.kiosk_fee + self.municipality_share


def real_store_test_cost(test_copies: int) -> StoreTestCost:
    if test_copies < 0:
        raise ValueError("test copies must not be negative")
    return StoreTestCost(RESIDENT_PRINT_FEE * test_copies, MUNICIPALITY_SHARE_WHEN_FREE * test_copies)
