"""Every figure of the seed's fee tables, reproduced through the engine's functions."""

from __future__ import annotations

from fractions import Fraction

import pytest
from victim_support.fees import (
    BCL_ELIGIBLE_TYPES,
    BCL_ISSUANCE_FEE,
    HALF_MEASURE_RATE,
    KIOSK_CONSIGNMENT_FEE,
    MUNICIPALITY_SHARE_WHEN_FREE,
    NORMAL_RATE,
    RESIDENT_PRINT_FEE,
    THREE_QUARTER_MEASURE_RATE,
    CertificateType,
    MunicipalityClass,
    annual_usage_fee,
    bcl_issuance_fee,
    initial_build_cost,
    kiosk_copy_charge,
    kiosk_operating_contribution,
    municipality_class_of,
    operation_maintenance_range,
    qualifying_rate,
    real_store_test_cost,
)


def test_usage_fee_is_185000_plus_10_per_resident() -> None:
    assert NORMAL_RATE == ("normal", 185_000, 10)
    assert annual_usage_fee(0) == 185_000
    assert annual_usage_fee(33_000) == 185_000 + 330_000
    assert annual_usage_fee(1_000_000, NORMAL_RATE) == 10_185_000


def test_special_measure_rows() -> None:
    assert HALF_MEASURE_RATE == ("half", 138_750, 7)
    assert THREE_QUARTER_MEASURE_RATE == ("three_quarters", 92_500, 6)
    # The seed's percentages: 25 % / 30 % off and 50 % / 40 % off.
    assert HALF_MEASURE_RATE.base == 185_000 * 75 // 100
    assert HALF_MEASURE_RATE.per_resident == 10 * 70 // 100
    assert THREE_QUARTER_MEASURE_RATE.base == 185_000 // 2
    assert THREE_QUARTER_MEASURE_RATE.per_resident == 10 * 60 // 100
    assert annual_usage_fee(33_000, HALF_MEASURE_RATE) == 138_750 + 231_000
    assert annual_usage_fee(33_000, THREE_QUARTER_MEASURE_RATE) == 92_500 + 198_000


@pytest.mark.parametrize(
    ("share", "rate"),
    [
        (Fraction(0), NORMAL_RATE),
        (Fraction(1, 2) - Fraction(1, 10**9), NORMAL_RATE),
        (Fraction(1, 2), HALF_MEASURE_RATE),
        (Fraction(3, 4) - Fraction(1, 10**9), HALF_MEASURE_RATE),
        (Fraction(3, 4), THREE_QUARTER_MEASURE_RATE),
        (Fraction(1), THREE_QUARTER_MEASURE_RATE),
        (Fraction(21, 42), HALF_MEASURE_RATE),  # 21 of 42 municipalities: exactly 1/2
        (Fraction(20, 42), NORMAL_RATE),
        (Fraction(33, 44), THREE_QUARTER_MEASURE_RATE),  # exactly 3/4
        (Fraction(32, 44), HALF_MEASURE_RATE),
    ],
)
def test_share_boundaries_are_exact_and_the_larger_discount_wins(share: Fraction, rate: object) -> None:
    assert qualifying_rate(share) == rate


TOWN, CITY, DESIGNATED = MunicipalityClass.TOWN_VILLAGE, MunicipalityClass.CITY, MunicipalityClass.DESIGNATED_CITY

# (class, population, with BCL's issuance server, with own issuance server); None = blank in the seed
CONTRIBUTION_ROWS = [
    (TOWN, 8_000, 345_481, 690_963),
    (CITY, 20_000, 1_873_259, 2_218_741),
    (CITY, 40_000, None, 2_218_741),
    (CITY, 100_000, None, 2_728_000),
    (CITY, 300_000, None, 4_787_037),
    (DESIGNATED, 700_000, None, 7_842_593),
    (DESIGNATED, 1_500_000, None, 9_879_630),
]


@pytest.mark.parametrize(("klass", "population", "with_bcl", "with_own"), CONTRIBUTION_ROWS)
def test_kiosk_contribution_table(
    klass: MunicipalityClass, population: int, with_bcl: int | None, with_own: int
) -> None:
    bcl = kiosk_operating_contribution(klass, population, "bcl")
    own = kiosk_operating_contribution(klass, population, "own")
    assert own.amount == with_own
    assert own.status == "charged"
    assert f"{with_own:,}" in own.basis_ja
    assert bcl.amount == with_bcl
    if with_bcl is None:
        assert bcl.status == "not_given"
        assert "記載なし" in bcl.basis_ja
        assert "not given" in bcl.basis_en
    else:
        assert bcl.status == "charged"


@pytest.mark.parametrize(
    ("klass", "population", "with_bcl", "with_own"),
    [
        (CITY, 29_999, 1_873_259, 2_218_741),
        (CITY, 30_000, None, 2_218_741),
        (CITY, 49_999, None, 2_218_741),
        (CITY, 50_000, None, 2_728_000),
        (CITY, 149_999, None, 2_728_000),
        (CITY, 150_000, None, 4_787_037),
        (DESIGNATED, 999_999, None, 7_842_593),
        (DESIGNATED, 1_000_000, None, 9_879_630),
        (TOWN, 1, 345_481, 690_963),
        (TOWN, 200_000, 345_481, 690_963),  # towns are one row whatever their size
    ],
)
def test_kiosk_contribution_population_boundaries(
    klass: MunicipalityClass, population: int, with_bcl: int | None, with_own: int
) -> None:
    assert kiosk_operating_contribution(klass, population, "bcl").amount == with_bcl
    assert kiosk_operating_contribution(klass, population, "own").amount == with_own


def test_already_doing_kiosk_issuance_has_paid_and_not_using_kiosk_pays_nothing() -> None:
    paid = kiosk_operating_contribution(CITY, 40_000, "bcl", already_paid=True)
    assert (paid.amount, paid.status) == (0, "already_paid")
    assert "負担済み" in paid.basis_ja
    unused = kiosk_operating_contribution(DESIGNATED, 1_500_000, "own", uses_kiosk=False)
    assert (unused.amount, unused.status) == (0, "not_used")


def test_consignment_fee_is_117_split_10_and_107_when_free() -> None:
    assert KIOSK_CONSIGNMENT_FEE == 117 == RESIDENT_PRINT_FEE + MUNICIPALITY_SHARE_WHEN_FREE
    free = kiosk_copy_charge(0)
    assert (free.resident_pays, free.municipality_consignment, free.municipality_receives) == (10, 107, 0)
    paid = kiosk_copy_charge(300)
    assert (paid.resident_pays, paid.municipality_consignment, paid.municipality_receives) == (300, 117, 300)
    with pytest.raises(ValueError, match="negative"):
        kiosk_copy_charge(-1)


def test_bcl_issuance_fee_is_180_for_pattern_a_eligible_types_only() -> None:
    assert BCL_ISSUANCE_FEE == 180
    assert frozenset(
        {CertificateType.RESIDENT_RECORD, CertificateType.SEAL_REGISTRATION, CertificateType.TAX}
    ) == BCL_ELIGIBLE_TYPES
    for certificate in CertificateType:
        expected = 180 * 7 if certificate in BCL_ELIGIBLE_TYPES else 0
        assert bcl_issuance_fee("A", certificate, 7) == expected
        assert bcl_issuance_fee("B", certificate, 7) == 0
    assert bcl_issuance_fee("A", CertificateType.DAMAGE, 1000) == 0
    assert bcl_issuance_fee("A", CertificateType.DISASTER_AFFECTED, 1000) == 0


def test_initial_and_maintenance_ranges() -> None:
    a = initial_build_cost("A")
    assert (a.low, a.high) == (6_000_000, 16_000_000)
    assert "600万円～1600万円" in a.text_ja
    b = initial_build_cost("B")
    assert (b.low, b.high) == (None, None)  # words only in the seed: no invented bounds
    assert b.text_ja == "数万円～数百万円"
    om_a = operation_maintenance_range("A")
    assert (om_a.low, om_a.high) == (0, 3_200_000)
    assert "20 %" in om_a.basis and "16,000,000" in om_a.basis
    om_b = operation_maintenance_range("B")
    assert (om_b.low, om_b.high) == (None, None)
    assert "10～20%" in om_b.text_ja


def test_real_store_test_is_10_into_the_kiosk_plus_107_per_copy() -> None:
    test = real_store_test_cost(3)
    assert (test.kiosk_fee, test.municipality_share, test.total) == (30, 321, 351)
    assert real_store_test_cost(0).total == 0


@pytest.mark.parametrize(
    ("kind", "klass"),
    [("town", TOWN), ("village", TOWN), ("city", CITY), ("ward", CITY), ("designated_city", DESIGNATED)],
)
def test_municipality_class_of_registry_kinds(kind: str, klass: MunicipalityClass) -> None:
    assert municipality_class_of(kind) is klass


def test_a_prefecture_has_no_contribution_class() -> None:
    with pytest.raises(ValueError, match="prefecture"):
        municipality_class_of("prefecture")
