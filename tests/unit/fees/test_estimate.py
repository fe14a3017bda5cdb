from __future__ import annotations

import pytest
from pydantic import ValidationError
from victim_support.errors import DomainError
from victim_support.fees import Estimate, EstimateRequest, LineItem, estimate, parse_request, render_estimate


def _item(items: list[LineItem], key: str) -> LineItem:
    return next(item for item in items if item.key == key)


def test_worked_example_october_2024_in_the_windows_third_year() -> None:
    # The prefecture's window began in 令和4年度 (FY2022): FY2024 is its last year. Joining in October
    # 2024: 6 months (fiscal months 7-12) at the 1/2 rate, the normal rate from 令和7年度.
    result = estimate(EstimateRequest(population=33_000, pattern="B", start_month="2024-10",
                                      prefecture_share=0.5, measure_first_year=2022))
    fy2024, fy2025, fy2026 = result.fiscal_years
    assert (fy2024.fiscal_year, fy2024.label_ja, fy2024.months_of_use, fy2024.rate) == (2024, "令和6年度", 6, "half")
    assert fy2024.period == "2024-10..2025-03"
    usage = _item(fy2024.line_items, "usage_fee")
    assert usage.amount == 184_875 == 369_750 - 369_750 * 6 // 12
    assert "138,750 + 33,000 × 7 = 369,750" in usage.basis
    assert usage.settled is not None and "翌年度当初に精算" in usage.settled
    assert fy2024.total == 184_875
    assert (fy2025.label_ja, fy2025.months_of_use, fy2025.rate, fy2025.total) == ("令和7年度", 12, "normal", 515_000)
    assert (fy2026.rate, fy2026.total) == ("normal", 515_000)
    assert any("FY2022-FY2024" in note for note in result.notes)


def test_without_a_first_year_the_window_is_assumed_to_begin_at_the_start() -> None:
    result = estimate(EstimateRequest(population=33_000, pattern="B", start_month="2024-10", prefecture_share=0.75))
    assert [year.rate for year in result.fiscal_years] == ["three_quarters"] * 3
    assert result.fiscal_years[1].total == 92_500 + 33_000 * 6
    assert any("assumed to begin in FY2024" in note for note in result.notes)


def test_share_just_below_one_half_is_the_normal_rate() -> None:
    result = estimate(EstimateRequest(population=10, pattern="B", start_month="2025-04", prefecture_share=0.4999))
    assert [year.rate for year in result.fiscal_years] == ["normal"] * 3


def test_pattern_a_with_kiosk_lines_and_totals() -> None:
    req = EstimateRequest(population=20_000, pattern="A", start_month="2025-04", fiscal_year=2025, kiosk=True,
                          municipality_class="city", copies=1_000, test_copies=4)
    result = estimate(req)
    (year,) = result.fiscal_years
    items = {item.key: item for item in year.line_items}
    assert items["usage_fee"].amount == 385_000
    assert items["kiosk_operating_contribution"].amount == 1_873_259
    assert items["kiosk_consignment_fee"].amount == 107_000
    assert items["kiosk_consignment_fee"].payee == "store operator via J-LIS (繰替払)"
    assert (items["kiosk_resident_print_fee"].amount, items["kiosk_resident_print_fee"].in_total) == (10_000, False)
    assert items["bcl_issuance_fee"].amount == 0
    assert items["bcl_issuance_fee"].basis.startswith("not charged: 罹災証明書・被災証明書 are not BCL-eligible")
    om = items["operation_maintenance"]
    assert (om.amount, om.low, om.high, om.in_total) == (None, 0, 3_200_000, False)
    assert year.total == 385_000 + 1_873_259 + 107_000
    assert not year.total_is_lower_bound
    one_off = {item.key: item for item in result.one_off}
    assert (one_off["initial_build_cost"].low, one_off["initial_build_cost"].high) == (6_000_000, 16_000_000)
    assert one_off["store_test_kiosk_fee"].amount == 40
    assert one_off["store_test_municipality_share"].amount == 428


def test_paid_certificate_costs_the_full_117_and_the_fee_goes_to_the_municipality() -> None:
    result = estimate(EstimateRequest(population=5_000, pattern="B", start_month="2025-04", fiscal_year=2025,
                                      kiosk=True, municipality_class="town_village", copies=100,
                                      certificate_fee_yen=300))
    items = {item.key: item for item in result.fiscal_years[0].line_items}
    assert items["kiosk_consignment_fee"].amount == 11_700
    assert (items["kiosk_certificate_fee"].amount, items["kiosk_certificate_fee"].in_total) == (30_000, False)
    assert "bcl_issuance_fee" not in items
    assert result.fiscal_years[0].total == 185_000 + 50_000 + 345_481 + 11_700


def test_a_blank_contribution_makes_the_total_a_lower_bound() -> None:
    result = estimate(EstimateRequest(population=40_000, pattern="B", start_month="2025-04", fiscal_year=2025,
                                      kiosk=True, municipality_class="city"))
    year = result.fiscal_years[0]
    contribution = _item(year.line_items, "kiosk_operating_contribution")
    assert contribution.amount is None
    assert contribution.amount_text == "記載なし (not given)"
    assert year.total == 585_000
    assert year.total_is_lower_bound


def test_contribution_is_not_prorated_and_already_paid_is_zero() -> None:
    partial = estimate(EstimateRequest(population=8_000, pattern="A", start_month="2026-01", fiscal_year=2025,
                                       kiosk=True, municipality_class="town_village", issuance_server="own"))
    assert _item(partial.fiscal_years[0].line_items, "kiosk_operating_contribution").amount == 690_963
    paid = estimate(EstimateRequest(population=8_000, pattern="A", start_month="2026-01", fiscal_year=2025,
                                    kiosk=True, already_kiosk=True, municipality_class="town_village"))
    assert _item(paid.fiscal_years[0].line_items, "kiosk_operating_contribution").amount == 0


def test_pattern_b_ranges_are_words() -> None:
    result = estimate(EstimateRequest(population=1, pattern="B", start_month="2025-04"))
    build = _item(result.one_off, "initial_build_cost")
    assert (build.amount, build.low, build.high, build.amount_text) == (None, None, None, "数万円～数百万円")
    om = _item(result.fiscal_years[0].line_items, "operation_maintenance")
    assert (om.low, om.high) == (None, None)
    assert [item.key for item in result.one_off] == ["initial_build_cost"]


def test_json_round_trip() -> None:
    result = estimate(EstimateRequest(population=33_000, pattern="A", start_month="2024-10"))
    data = result.model_dump(mode="json")
    assert Estimate.model_validate(data) == result
    assert data["fiscal_years"][0]["line_items"][0]["name_ja"] == "被災者支援システム利用料"


@pytest.mark.parametrize(
    ("data", "code", "fragment"),
    [
        ({"kiosk": True}, "FEES_INPUT_INVALID", "municipality_class"),
        ({"pattern": "B", "issuance_server": "own"}, "FEES_PATTERN_B_OWN_SERVER", "pattern B"),
        ({"copies": 5}, "FEES_INPUT_INVALID", "kiosk"),
        ({"measure_first_year": 2022}, "FEES_INPUT_INVALID", "prefecture_share"),
        ({"fiscal_year": 2023}, "FEES_INPUT_INVALID", "before the fiscal year"),
        ({"population": 0}, "FEES_INPUT_INVALID", "population"),
        ({"start_month": "2024-13"}, "FEES_INPUT_INVALID", "start_month"),
        ({"prefecture_share": 1.5}, "FEES_INPUT_INVALID", "prefecture_share"),
        ({"unknown": 1}, "FEES_INPUT_INVALID", "unknown"),
    ],
)
def test_invalid_requests_have_stable_codes(data: dict[str, object], code: str, fragment: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_request({"population": 100, "pattern": "A", "start_month": "2024-10", **data})
    assert caught.value.code == code
    assert caught.value.detail is not None and fragment in caught.value.detail
    with pytest.raises(ValidationError):
        EstimateRequest.model_validate({"population": 100, "pattern": "A", "start_month": "2024-10", **data})


def test_render_shows_totals_and_not_given_cells() -> None:
    text = render_estimate(estimate(EstimateRequest(population=40_000, pattern="A", start_month="2024-10",
                                                    kiosk=True, municipality_class="city", copies=10)))
    assert "令和6年度 (FY2024)" in text
    assert "記載なし (not given)" in text
    assert "合計 / total (FY2025)" in text
    assert "585,000" in text  # 185,000 + 400,000 for 令和7年度's usage fee
    assert "6,000,000–16,000,000" in text
