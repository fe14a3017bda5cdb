"""Kiosk issuance (コンビニ交付) costs and the BCL issuance fee.

- Consignment fee (コンビニ交付委託手数料): 117 yen per copy, paid via J-LIS to the store operator
  (繰替払). Where the municipality issues the certificate free, the resident pays 10 yen for printing
  and the municipality 107 yen; where it charges a fee, the resident pays that fee (which goes to the
  municipality) and the municipality pays the full 117 yen, as for other certificates.
- BCL issuance fee (BCL証明発行機能利用料): 180 yen per copy, pattern A only, and only for BCL's
  resident-record copy, seal registration and tax certificates; 罹災証明書 and 被災証明書 are not
  charged. Settled in the next fiscal year.
- Kiosk operating contribution (コンビニ交付運営負担金): by the municipality's class and population
  and by issuance server (BCL's or its own), yen per fiscal year. Blank cells of the seed's table are
  reported as "not given", never filled in. A municipality already doing kiosk issuance
  (コンビニ交付導入団体) has paid it already (no extra charge). The seed gives the contribution per
  year and says nothing of proration, so it is charged in full for any fiscal year of use, not prorated.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from victim_support.fees.tables import (
    BCL_ISSUANCE_FEE,
    CITY_POPULATION_BOUNDS,
    DESIGNATED_CITY_POPULATION_BOUND,
    KIOSK_CONSIGNMENT_FEE,
    KIOSK_CONTRIBUTION_CITY_30K_TO_50K,
    KIOSK_CONTRIBUTION_CITY_50K_TO_150K,
    KIOSK_CONTRIBUTION_CITY_150K_AND_OVER,
    KIOSK_CONTRIBUTION_CITY_UNDER_30K,
    KIOSK_CONTRIBUTION_DESIGNATED_1M_AND_OVER,
    KIOSK_CONTRIBUTION_DESIGNATED_UNDER_1M,
    KIOSK_CONTRIBUTION_TOWN_VILLAGE,
    MUNICIPALITY_SHARE_WHEN_FREE,
    RESIDENT_PRINT_FEE,
)

IssuanceServer = Literal["bcl", "own"]
Pattern = Literal["A", "B"]


@dataclass(frozen=True)
class KioskCopyCharge:
    """Who pays what for one kiosk copy, in yen."""

    resident_pays: int
    municipality_consignment: int
    municipality_receives: int


def kiosk_copy_charge(certificate_fee_yen: int) -> KioskCopyCharge:
    """The split of one kiosk copy; certificate_fee_yen 0 means the municipality issues it free."""
    if certificate_fee_yen < 0:
        raise ValueError("the certificate fee must not be negative")
    if certificate_fee_yen == 0:
        return KioskCopyCharge(RESIDENT_PRINT_FEE, MUNICIPALITY_SHARE_WHEN_FREE, 0)
    return KioskCopyCharge(certificate_fee_yen, KIOSK_CONSIGNMENT_FEE, certificate_fee_yen)


class CertificateType(StrEnum):
    DAMAGE = "risai"  # 罹災証明書
    DISASTER_AFFECTED = "higai"  # 被災証明書
    RESIDENT_RECORD = "juminhyo"  # 住民票の写し
    SEAL_REGISTRATION = "inkan"  # 印鑑登録証明書
    TAX = "tax"  # 税証明


BCL_ELIGIBLE_TYPES: frozenset[CertificateType] = frozenset(
    {CertificateType.RESIDENT_RECORD, CertificateType.SEAL_REGISTRATION, CertificateType.TAX}
)


def bcl_issuance_fee(pattern: Pattern, certificate_type: CertificateType, copies: int) -> int:
    """180 yen × copies for pattern A and a BCL-eligible type, else 0."""
    if copies < 0:
        raise ValueError("copies must not be negative")
    if pattern != "A" or certificate_type not in BCL_ELIGIBLE_TYPES:
        return 0
    return BCL_ISSUANCE_FEE * copies


class MunicipalityClass(StrEnum):
    TOWN_VILLAGE = "town_village"  # 町村
    CITY = "city"  # 市 (and Tokyo's 特別区)
    DESIGNATED_CITY = "designated_city"  # 指定都市


_CLASS_OF_KIND = {
    "town": MunicipalityClass.TOWN_VILLAGE,
    "village": MunicipalityClass.TOWN_VILLAGE,
    "city": MunicipalityClass.CITY,
    # Tokyo's special wards are municipalities in their own right and count as cities (a designated
    # city's administrative ward is not a municipality: callers check is_municipality first).
    "ward": MunicipalityClass.CITY,
    "designated_city": MunicipalityClass.DESIGNATED_CITY,
} | {c.value: c for c in MunicipalityClass}


def municipality_class_of(kind: str) -> MunicipalityClass:
    """The contribution class of a tenant-registry kind (town, village, city, ward, designated_city)."""
    try:
        return _CLASS_OF_KIND[kind]
    except KeyError:
        raise ValueError(f"no kiosk contribution class for the kind {kind!r}") from None


ContributionStatus = Literal["charged", "not_given", "already_paid", "not_used"]


@dataclass(frozen=True)
class Contribution:
    """The kiosk operating contribution for one fiscal year; amount None when the seed gives none."""

    amount: int | None
    status: ContributionStatus
    basis_ja: str
    basis_en: str


def _contribution_row(
    municipality_class: MunicipalityClass, population: int
) -> tuple[tuple[int | None, int], str, str]:
    """(the table row's two cells, row label ja, row label en)."""
    if municipality_class is MunicipalityClass.TOWN_VILLAGE:
        return KIOSK_CONTRIBUTION_TOWN_VILLAGE, "町村", "town/village"
    if municipality_class is MunicipalityClass.DESIGNATED_CITY:
        if population < DESIGNATED_CITY_POPULATION_BOUND:
            return KIOSK_CONTRIBUTION_DESIGNATED_UNDER_1M, "指定都市（人口100万未満）", "designated city, < 1,000,000"
        return KIOSK_CONTRIBUTION_DESIGNATED_1M_AND_OVER, "指定都市（人口100万以上）", "designated city, ≥ 1,000,000"
    low, middle, high = CITY_POPULATION_BOUNDS
    if population < low:
        return KIOSK_CONTRIBUTION_CITY_UNDER_30K, "市（人口3万未満）", "city, < 30,000"
    if population < middle:
        return KIOSK_CONTRIBUTION_CITY_30K_TO_50K, "市（人口3万以上5万未満）", "city, 30,000 to < 50,000"
    if population < high:
        return KIOSK_CONTRIBUTION_CITY_50K_TO_150K, "市（人口5万以上15万未満）", "city, 50,000 to < 150,000"
    return KIOSK_CONTRIBUTION_CITY_150K_AND_OVER, "市（人口15万以上）", "city, ≥ 150,000"


def kiosk_operating_contribution(
    municipality_class: MunicipalityClass,
    population: int,
    server: IssuanceServer,
    *,
    uses_kiosk: bool = True,
    already_paid: bool = False,
) -> Contribution:
    """The contribution for one fiscal year (not prorated)."""
    if population < 0:
        raise ValueError("population must not be negative")
    if not uses_kiosk:
        return Contribution(0, "not_used", "コンビニ交付を利用しない", "kiosk issuance not used")
    if already_paid:
        return Contribution(
            0,
            "already_paid",
            "コンビニ交付導入団体は既に負担済み（追加負担ではない）",
            "already paid as a municipality already doing kiosk issuance (no extra charge)",
        )
    (with_bcl, with_own), label_ja, label_en = _contribution_row(municipality_class, population)
    amount = with_bcl if server == "bcl" else with_own
    server_ja = "BCL証明書発行サーバ" if server == "bcl" else "自庁証明書発行サーバ"
    server_en = "BCL's issuance server" if server == "bcl" else "own issuance server"
    if amount is None:
        return Contribution(
            None,
            "not_given",
            f"コンビニ交付運営負担金 {label_ja}・{server_ja}: 記載なし",
            f"kiosk operating contribution, {label_en}, {server_en}: not given in the source table",
        )
    return Contribution(
        amount,
        "charged",
        f"コンビニ交付運営負担金 {label_ja}・{server_ja}: {amount:,}円/年",
        f"kiosk operating contribution, {label_en}, {server_en}: {amount:,} yen per year",
    )
