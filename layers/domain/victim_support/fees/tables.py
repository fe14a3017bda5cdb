"""Every figure of the seed's fee tables (4. 費用について), written down once.

The other modules of the package compute with these names only, so a figure that J-LIS revises is
changed here and nowhere else. Amounts are integer yen; shares are exact fractions.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final, NamedTuple


class Rate(NamedTuple):
    """A usage-fee rate: a base amount per fiscal year plus an amount per resident per fiscal year."""

    name: str
    base: int
    per_resident: int


# 被災者支援システム利用料: 185,000円 + (人口 × 10円) / 年
NORMAL_RATE: Final = Rate("normal", 185_000, 10)
# 特別措置 (discounts): 都道府県内の1/2以上の市区町村が利用 → 138,750円 (25% off) + 7円 (30% off)
HALF_MEASURE_RATE: Final = Rate("half", 138_750, 7)
# 都道府県内の3/4以上の市区町村が利用 → 92,500円 (50% off) + 6円 (40% off)
THREE_QUARTER_MEASURE_RATE: Final = Rate("three_quarters", 92_500, 6)

HALF_MEASURE_SHARE: Final = Fraction(1, 2)
THREE_QUARTER_MEASURE_SHARE: Final = Fraction(3, 4)
# 適用期間: 都道府県単位で初回適用から通算3か年
MEASURE_WINDOW_YEARS: Final = 3

# コンビニ交付委託手数料 117円/通; for a free certificate the resident pays 10円 (printing) and the
# municipality 107円.
KIOSK_CONSIGNMENT_FEE: Final = 117
RESIDENT_PRINT_FEE: Final = 10
MUNICIPALITY_SHARE_WHEN_FREE: Final = 107

# BCL証明発行機能利用料 180円/通 (pattern A only, BCL's 住民票の写し・印鑑登録証明書・税証明 only)
BCL_ISSUANCE_FEE: Final = 180

# コンビニ交付運営負担金 (yen per year): (with BCL's issuance server, with the municipality's own).
# None is a blank cell of the seed: no figure is given, and none is made up.
KIOSK_CONTRIBUTION_TOWN_VILLAGE: Final = (345_481, 690_963)
KIOSK_CONTRIBUTION_CITY_UNDER_30K: Final = (1_873_259, 2_218_741)
KIOSK_CONTRIBUTION_CITY_30K_TO_50K: Final = (None, 2_218_741)
KIOSK_CONTRIBUTION_CITY_50K_TO_150K: Final = (None, 2_728_000)
KIOSK_CONTRIBUTION_CITY_150K_AND_OVER: Final = (None, 4_787_037)
KIOSK_CONTRIBUTION_DESIGNATED_UNDER_1M: Final = (None, 7_842_593)
KIOSK_CONTRIBUTION_DESIGNATED_1M_AND_OVER: Final = (None, 9_879_630)
CITY_POPULATION_BOUNDS: Final = (30_000, 50_000, 150_000)
DESIGNATED_CITY_POPULATION_BOUND: Final = 1_000_000

# システム構築費用 (one-off, to the municipality's resident-system vendor)
PATTERN_A_BUILD_COST: Final = (6_000_000, 16_000_000)  # 600万円～1600万円
PATTERN_B_BUILD_COST_JA: Final = "数万円～数百万円"
PATTERN_B_BUILD_COST_EN: Final = "tens of thousands to a few million yen"
# システム関連運用保守費用: 0円～構築費用の10～20%程度/年
OPERATION_MAINTENANCE_PERCENT: Final = (10, 20)
OPERATION_MAINTENANCE_JA: Final = "0円～構築費用の10～20%程度/年"
OPERATION_MAINTENANCE_EN: Final = "0 to about 10-20 % of the build cost per year"
