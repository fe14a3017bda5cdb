"""Statements from issuance records: monthly, fiscal year, next-year settlement; CSV and PDF."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pypdf
import pytest
from victim_support import fees
from victim_support.billing.render import statement_csv, statement_pdf
from victim_support.billing.statements import (
    fiscal_year_statement,
    month_label,
    monthly_statement,
    settlement_statement,
)
from victim_support.clock import JST
from victim_support.issuances.models import IssuanceRecord
from victim_support.tenants.models import Municipality

ISSUED_ON = date(2026, 12, 1)


def municipality(**changes: Any) -> Municipality:
    base: dict[str, Any] = {
        "code": "434434", "name": "益城町", "prefecture": "熊本県", "population": 33_000, "pattern": "B",
        "uses_bcl_issuance_server": True, "start_month": "2026-10", "kiosk_issuance": True, "kind": "town",
        "registered_at": "2026-06-01T00:00:00Z", "updated_at": "2026-06-01T00:00:00Z",
    }
    return Municipality.model_validate({**base, **changes})


def record(n: int, **changes: Any) -> IssuanceRecord:
    base: dict[str, Any] = {
        "municipality_code": "434434", "issuance_id": f"i{n}", "channel": "kiosk",
        "issued_at": datetime(2026, 11, 3, 9, n, tzinfo=JST), "certificate_type": "risai", "copies": 1,
        "resident_print_fee_yen": 10, "municipality_consignment_yen": 107,
    }
    return IssuanceRecord.model_validate({**base, **changes})


NOVEMBER = [
    record(1), record(2, copies=2),
    # A municipality charging 300 yen: the resident pays 300 to it, the consignment is 117.
    record(3, certificate_type="higai", certificate_fee_yen=300, resident_print_fee_yen=0,
           municipality_consignment_yen=117),
    record(4, status="voided"),
    record(5, channel="counter", resident_print_fee_yen=0, municipality_consignment_yen=0, copies=2),
]


def lines_by_key(statement: Any) -> dict[str, Any]:
    return {line.key: line for line in statement.lines}


def test_a_month_bills_its_kiosk_copies_and_accrues_its_usage_share() -> None:
    statement = monthly_statement(municipality(), 2026, 11, NOVEMBER, fees.NORMAL_RATE, issued_on=ISSUED_ON)
    lines = lines_by_key(statement)
    annual = 185_000 + 33_000 * 10
    # November is the 8th fiscal month: its share by cumulative floor.
    assert lines["usage_fee"].amount == annual * 8 // 12 - annual * 7 // 12 == 42_917
    assert lines["usage_fee"].settlement == "next_fiscal_year"
    assert lines["kiosk_consignment_risai_107"].quantity == 3
    assert lines["kiosk_consignment_risai_107"].amount == 321
    assert lines["kiosk_consignment_higai_117"].amount == 117
    assert lines["kiosk_resident_print"].amount == 30
    assert lines["kiosk_resident_print"].payer == "resident"
    assert lines["certificate_fee_received"].amount == 300
    assert lines["kiosk_voided"].quantity == 1
    assert lines["kiosk_voided"].amount == 0
    assert lines["copies_counter"].quantity == 2
    assert statement.due_now == 321 + 117
    assert statement.accrued_for_settlement == 42_917
    assert statement.total == 321 + 117 + 42_917
    assert statement.period == "2026-11"
    assert statement.period_ja == "令和8年11月分"


def test_a_month_before_the_start_month_has_no_usage_fee() -> None:
    statement = monthly_statement(municipality(start_month="2027-01"), 2026, 11, [], fees.NORMAL_RATE,
                                  issued_on=ISSUED_ON)
    assert "usage_fee" not in lines_by_key(statement)
    assert statement.total == 0


def test_the_year_prorates_the_usage_fee_and_adds_the_contribution_once() -> None:
    by_month = {(2026, 11): NOVEMBER, (2027, 2): [record(9, issued_at=datetime(2027, 2, 1, tzinfo=JST))]}
    year = fiscal_year_statement(municipality(), 2026, by_month, fees.NORMAL_RATE, issued_on=date(2027, 4, 1))
    lines = lines_by_key(year)
    annual = 515_000
    assert lines["usage_fee"].amount == annual - annual * 6 // 12 == 257_500  # October to March
    assert lines["kiosk_consignment_risai_107"].quantity == 4
    # 町村 with BCL's issuance server (pattern B uses BCL's): 345,481 yen a year, not prorated.
    assert lines["kiosk_operating_contribution"].amount == 345_481
    assert year.due_now == 345_481
    assert year.accrued_for_settlement == 257_500
    assert year.period_ja == fees.fiscal_year_label(2026) == "令和8年度"


def test_the_settlement_asks_for_what_accrued() -> None:
    year = fiscal_year_statement(municipality(), 2026, {}, fees.NORMAL_RATE, issued_on=date(2027, 4, 1))
    settlement = settlement_statement(year, issued_on=date(2027, 4, 1))
    assert settlement.kind == "settlement"
    assert [line.key for line in settlement.lines] == ["usage_fee"]
    assert settlement.due_now == settlement.total == 257_500


def test_the_sum_of_the_monthly_usage_shares_is_the_years_fee() -> None:
    m = municipality(start_month="2026-04", population=123_457)
    months = [(2026, m_) for m_ in range(4, 13)] + [(2027, m_) for m_ in range(1, 4)]
    monthly = sum(monthly_statement(m, y, mo, [], fees.NORMAL_RATE, issued_on=ISSUED_ON).accrued_for_settlement
                  for y, mo in months)
    year = fiscal_year_statement(m, 2026, {}, fees.NORMAL_RATE, issued_on=ISSUED_ON)
    assert monthly == year.accrued_for_settlement == fees.annual_usage_fee(123_457)


def test_pattern_a_accrues_the_bcl_fee_only_for_eligible_types() -> None:
    m = municipality(pattern="A")
    records = [record(1), record(2, certificate_type="juminhyo", bcl_fee_yen=180, copies=2,
                                 municipality_consignment_yen=117, resident_print_fee_yen=0)]
    lines = lines_by_key(monthly_statement(m, 2026, 11, records, fees.NORMAL_RATE, issued_on=ISSUED_ON))
    assert lines["bcl_issuance_juminhyo"].amount == 360
    assert lines["bcl_issuance_juminhyo"].settlement == "next_fiscal_year"
    assert not any(key.startswith("bcl_issuance_risai") for key in lines)


def test_a_blank_cell_of_the_contribution_table_is_never_invented() -> None:
    big_city = municipality(code="141003", name="横浜市", population=3_770_000, kind="designated_city")
    year = fiscal_year_statement(big_city, 2026, {}, fees.NORMAL_RATE, issued_on=ISSUED_ON)
    line = lines_by_key(year)["kiosk_operating_contribution"]
    assert line.amount is None
    assert year.amounts_not_given == ["kiosk_operating_contribution"]
    assert year.due_now == 0


def test_a_municipality_already_doing_kiosk_issuance_pays_no_contribution() -> None:
    year = fiscal_year_statement(municipality(existing_kiosk_issuance=True), 2026, {}, fees.NORMAL_RATE,
                                 issued_on=ISSUED_ON)
    assert lines_by_key(year)["kiosk_operating_contribution"].amount == 0


def test_the_discounted_rate_shows_in_the_basis() -> None:
    statement = monthly_statement(municipality(), 2026, 11, [], fees.HALF_MEASURE_RATE, issued_on=ISSUED_ON)
    annual = 138_750 + 33_000 * 7
    assert lines_by_key(statement)["usage_fee"].amount == annual * 8 // 12 - annual * 7 // 12
    assert "138,750" in lines_by_key(statement)["usage_fee"].basis


def test_csv_has_one_row_per_line_and_the_totals() -> None:
    statement = monthly_statement(municipality(), 2026, 11, NOVEMBER, fees.NORMAL_RATE, issued_on=ISSUED_ON)
    data = statement_csv(statement)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["key"] for r in rows][: len(statement.lines)] == [line.key for line in statement.lines]
    totals = {r["key"]: int(r["金額"]) for r in rows[len(statement.lines):]}
    assert totals == {"total": statement.total, "due_now": statement.due_now,
                      "accrued_for_settlement": statement.accrued_for_settlement}


@pytest.fixture(scope="module")
def november_pdf() -> pypdf.PdfReader:
    statement = monthly_statement(municipality(), 2026, 11, NOVEMBER, fees.NORMAL_RATE, issued_on=ISSUED_ON)
    return pypdf.PdfReader(io.BytesIO(statement_pdf(statement)))


def test_the_pdf_shows_the_municipality_period_and_amounts(november_pdf: pypdf.PdfReader) -> None:
    text = "".join(page.extract_text() for page in november_pdf.pages)
    for expected in ("月次利用明細書", "益城町", "434434", month_label(2026, 11), "321円", "42,917円",
                     "令和8年12月1日"):
        assert expected in text, expected


def test_the_pdf_embeds_a_subset_of_the_mincho_font(november_pdf: pypdf.PdfReader) -> None:
    fonts = []
    for page in november_pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if descriptor is not None:
                descriptor = descriptor.get_object()
                fonts.append((str(font["/BaseFont"]), "/FontFile2" in descriptor))
    assert fonts
    # A subset font's name carries a six-letter tag: ABCDEF+Name.
    assert all(embedded and "+" in name for name, embedded in fonts), fonts
