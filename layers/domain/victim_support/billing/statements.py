"""Statements built from the issuance records and the usage fee (pure: no AWS here).

Three kinds, per municipality:

- **monthly** (毎月): the kiosk consignment fees of the month's printed copies, which J-LIS advances to
  the store operators and recovers from the municipality (繰替払) — due now; and, for the record, the
  month's share of the usage fee and the BCL issuance fees, which accrue for the settlement.
- **fiscal year** (年度): the twelve months together, with the kiosk operating contribution for the
  year (annual, not prorated; "not given" where the seed's table is blank).
- **settlement** (翌年度当初に精算): issued at the start of the next fiscal year for the one that ended:
  the usage fee for the months of use and the BCL issuance fees, which the seed settles then.

Amounts are integer yen; the usage fee's monthly shares follow the fee engine's single rounding rule,
so a fiscal year's months add up to its prorated fee exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from victim_support import fees
from victim_support.issuances.models import IssuanceRecord
from victim_support.rules.wareki import to_wareki
from victim_support.tenants.models import Municipality

StatementKind = Literal["monthly", "fiscal_year", "settlement"]
Settlement = Literal["due_now", "next_fiscal_year", "annual", "information"]

J_LIS = "J-LIS"
STORE_VIA_J_LIS = "store operator via J-LIS (繰替払)"

CERTIFICATE_NAMES = {
    fees.CertificateType.DAMAGE: "罹災証明書",
    fees.CertificateType.DISASTER_AFFECTED: "被災証明書",
    fees.CertificateType.RESIDENT_RECORD: "住民票の写し",
    fees.CertificateType.SEAL_REGISTRATION: "印鑑登録証明書",
    fees.CertificateType.TAX: "税証明",
}


class StatementLine(BaseModel):
    key: str
    name_ja: str
    name_en: str
    quantity: int | None = None
    unit_yen: int | None = None
    amount: int | None = Field(description="None: the seed gives no figure (記載なし)")
    payer: str = "municipality"
    payee: str
    settlement: Settlement
    basis: str


class Statement(BaseModel):
    kind: StatementKind
    municipality_code: str
    municipality_name: str
    period: str = Field(description="YYYY-MM for a month, FYYYYY for a fiscal year")
    period_ja: str
    fiscal_year: int
    issued_on: date
    lines: list[StatementLine]
    total: int = Field(description="Everything the municipality bears for the period (definite amounts)")
    due_now: int = Field(description="What the municipality pays on this statement")
    accrued_for_settlement: int = Field(description="Accrued this period, settled at the start of the next FY")
    amounts_not_given: list[str] = Field(default_factory=list, description="Lines the seed gives no figure for")

    @property
    def title_ja(self) -> str:
        return {"monthly": "月次利用明細書", "fiscal_year": "年度利用明細書",
                "settlement": "翌年度精算書"}[self.kind]


def month_label(year: int, month: int) -> str:
    return to_wareki(date(year, month, 1)).split("月")[0] + "月分"


def annual_fee(municipality: Municipality, rate: fees.Rate) -> int:
    return fees.annual_usage_fee(municipality.population, rate)


def _usage_line(municipality: Municipality, rate: fees.Rate, fiscal_year: int, fiscal_months: tuple[int, ...],
                *, settlement: Settlement) -> StatementLine:
    annual = annual_fee(municipality, rate)
    amount = fees.prorated_usage_fee(annual, fiscal_months)
    months = f"{len(fiscal_months)} month(s)"
    return StatementLine(
        key="usage_fee", name_ja="被災者支援システム利用料", name_en="Victim support system usage fee",
        quantity=len(fiscal_months), amount=amount, payee=J_LIS, settlement=settlement,
        basis=(f"{rate.base:,} + {municipality.population:,} × {rate.per_resident} = {annual:,} yen/year "
               f"({rate.name} rate, FY{fiscal_year}); {months} of use, monthly shares by cumulative floor"),
    )


def _kiosk_lines(records: Iterable[IssuanceRecord], pattern: str) -> list[StatementLine]:
    """Kiosk copies grouped by certificate type and price; counter/online copies counted for the record."""
    consignment: dict[tuple[fees.CertificateType, int], int] = defaultdict(int)
    printing: dict[int, int] = defaultdict(int)
    certificate_fees: dict[int, int] = defaultdict(int)
    bcl: dict[fees.CertificateType, int] = defaultdict(int)
    other_channels: dict[str, int] = defaultdict(int)
    voided = 0
    for record in records:
        if record.status == "voided":
            voided += record.copies
            continue
        if record.channel != "kiosk":
            other_channels[record.channel] += record.copies
        else:
            consignment[(record.certificate_type, record.municipality_consignment_yen)] += record.copies
            if record.resident_print_fee_yen:
                printing[record.resident_print_fee_yen] += record.copies
        if record.certificate_fee_yen:
            certificate_fees[record.certificate_fee_yen] += record.copies
        if record.bcl_fee_yen:
            bcl[record.certificate_type] += record.copies * record.bcl_fee_yen
    lines: list[StatementLine] = []
    for (kind, unit), copies in sorted(consignment.items()):
        name = CERTIFICATE_NAMES[kind]
        lines.append(StatementLine(
            key=f"kiosk_consignment_{kind.value}_{unit}", name_ja=f"コンビニ交付委託手数料（{name}）",
            name_en=f"Kiosk consignment fee ({kind.value})", quantity=copies, unit_yen=unit, amount=copies * unit,
            payee=STORE_VIA_J_LIS, settlement="due_now",
            basis=(f"{fees.KIOSK_CONSIGNMENT_FEE} yen/copy; free certificate: municipality "
                   f"{fees.MUNICIPALITY_SHARE_WHEN_FREE} + resident {fees.RESIDENT_PRINT_FEE}"
                   if unit == fees.MUNICIPALITY_SHARE_WHEN_FREE else
                   f"{fees.KIOSK_CONSIGNMENT_FEE} yen/copy (certificate charged to the resident)"),
        ))
    for unit, copies in sorted(printing.items()):
        lines.append(StatementLine(
            key="kiosk_resident_print", name_ja="住民負担（印刷費）", name_en="Paid by residents at the kiosk",
            quantity=copies, unit_yen=unit, amount=copies * unit, payer="resident", payee="store operator",
            settlement="information", basis="paid into the kiosk by the resident; not billed to the municipality",
        ))
    for unit, copies in sorted(certificate_fees.items()):
        lines.append(StatementLine(
            key="certificate_fee_received", name_ja="証明書交付手数料（収入）",
            name_en="Certificate fees received from residents", quantity=copies, unit_yen=unit,
            amount=copies * unit, payer="resident", payee="municipality", settlement="information",
            basis="the municipality's own fee per copy",
        ))
    for kind, amount in sorted(bcl.items()):
        lines.append(StatementLine(
            key=f"bcl_issuance_{kind.value}", name_ja=f"BCL証明発行機能利用料（{CERTIFICATE_NAMES[kind]}）",
            name_en=f"BCL issuance function fee ({kind.value})", quantity=amount // fees.BCL_ISSUANCE_FEE,
            unit_yen=fees.BCL_ISSUANCE_FEE, amount=amount, payee=J_LIS, settlement="next_fiscal_year",
            basis=f"pattern {pattern}: {fees.BCL_ISSUANCE_FEE} yen/copy for BCL-eligible types; settled next FY",
        ))
    for channel, copies in sorted(other_channels.items()):
        lines.append(StatementLine(
            key=f"copies_{channel}", name_ja={"counter": "窓口交付", "online": "オンライン交付"}[channel],
            name_en=f"Copies issued ({channel})", quantity=copies, amount=0, payee="-", settlement="information",
            basis="no system fee per copy outside kiosks",
        ))
    if voided:
        lines.append(StatementLine(
            key="kiosk_voided", name_ja="印刷失敗（課金なし）", name_en="Failed kiosk prints (not charged)",
            quantity=voided, amount=0, payee="-", settlement="information",
            basis="a failed print voids its charge",
        ))
    return lines


def _contribution_line(municipality: Municipality, fiscal_year: int) -> StatementLine | None:
    if not municipality.kiosk_issuance:
        return None
    contribution = fees.kiosk_operating_contribution(
        fees.municipality_class_of(municipality.kind), municipality.population,
        "bcl" if municipality.uses_bcl_issuance_server or municipality.pattern == "B" else "own",
        uses_kiosk=True, already_paid=municipality.existing_kiosk_issuance,
    )
    return StatementLine(
        key="kiosk_operating_contribution", name_ja="コンビニ交付運営負担金",
        name_en="Kiosk operating contribution", amount=contribution.amount, payee=J_LIS, settlement="annual",
        basis=f"FY{fiscal_year}: {contribution.basis_en} ({contribution.status})",
    )


# Which lines a statement asks to be paid: a month's kiosk fees (繰替払) monthly; the annual
# contribution on the year's statement (the year's kiosk fees were paid month by month).
_DUE_ON: dict[StatementKind, frozenset[Settlement]] = {
    "monthly": frozenset({"due_now"}),
    "fiscal_year": frozenset({"annual"}),
    "settlement": frozenset({"due_now"}),
}


def _borne(lines: Iterable[StatementLine], settlements: frozenset[Settlement]) -> int:
    return sum(line.amount or 0 for line in lines if line.settlement in settlements and line.payer == "municipality")


def _finish(kind: StatementKind, municipality: Municipality, period: str, period_ja: str, fiscal_year: int,
            issued_on: date, lines: list[StatementLine]) -> Statement:
    return Statement(
        kind=kind, municipality_code=municipality.code, municipality_name=municipality.name, period=period,
        period_ja=period_ja, fiscal_year=fiscal_year, issued_on=issued_on, lines=lines,
        total=_borne(lines, frozenset({"due_now", "annual", "next_fiscal_year"})),
        due_now=_borne(lines, _DUE_ON[kind]), accrued_for_settlement=_borne(lines, frozenset({"next_fiscal_year"})),
        amounts_not_given=[line.key for line in lines if line.amount is None],
    )


def monthly_statement(municipality: Municipality, year: int, month: int, records: Iterable[IssuanceRecord],
                      rate: fees.Rate, *, issued_on: date) -> Statement:
    fiscal_year = fees.fiscal_year_of(year, month)
    fiscal_month = fees.fiscal_month(year, month)
    lines: list[StatementLine] = []
    if fiscal_month in fees.months_of_use(fiscal_year, municipality.start_month):
        lines.append(_usage_line(municipality, rate, fiscal_year, (fiscal_month,), settlement="next_fiscal_year"))
    lines += _kiosk_lines(records, municipality.pattern)
    return _finish("monthly", municipality, f"{year:04d}-{month:02d}", month_label(year, month), fiscal_year,
                   issued_on, lines)


def fiscal_year_statement(municipality: Municipality, fiscal_year: int,
                          records_by_month: Mapping[tuple[int, int], Iterable[IssuanceRecord]], rate: fees.Rate,
                          *, issued_on: date) -> Statement:
    months_in_use = fees.months_of_use(fiscal_year, municipality.start_month)
    lines: list[StatementLine] = []
    if months_in_use:
        lines.append(_usage_line(municipality, rate, fiscal_year, months_in_use, settlement="next_fiscal_year"))
    all_records = [r for fm in range(1, 13) for r in records_by_month.get(fees.calendar_month(fiscal_year, fm), ())]
    lines += _kiosk_lines(all_records, municipality.pattern)
    contribution = _contribution_line(municipality, fiscal_year)
    if contribution is not None and months_in_use:
        lines.append(contribution)
    return _finish("fiscal_year", municipality, f"FY{fiscal_year}", fees.fiscal_year_label(fiscal_year), fiscal_year,
                   issued_on, lines)


def settlement_statement(year_statement: Statement, *, issued_on: date) -> Statement:
    """The next-year settlement of a fiscal year: what accrued during it becomes due."""
    lines = [line.model_copy(update={"settlement": "due_now"})
             for line in year_statement.lines if line.settlement == "next_fiscal_year"]
    return Statement(
        kind="settlement", municipality_code=year_statement.municipality_code,
        municipality_name=year_statement.municipality_name, period=year_statement.period,
        period_ja=year_statement.period_ja + "分 翌年度精算", fiscal_year=year_statement.fiscal_year,
        issued_on=issued_on, lines=lines, total=_borne(lines, frozenset({"due_now"})),
        due_now=_borne(lines, frozenset({"due_now"})), accrued_for_settlement=0,
    )
