"""Fee estimate for one municipality: one-off costs and the costs of each fiscal year.

The boundary models (pydantic) take the request and return line items with who pays whom, the basis
of each figure and when it is settled. ``total`` of a fiscal year is the sum of the municipality's
definite amounts; ranges (operation and maintenance) and what residents pay are shown beside it but not
added. A kiosk contribution the seed does not give (a blank cell) makes the total a lower bound.

Request rules: kiosk use needs ``municipality_class`` (FEES_INPUT_INVALID); pattern B can only use BCL's
issuance server (FEES_PATTERN_B_OWN_SERVER); ``copies`` (kiosk copies of 罹災証明書・被災証明書 per
fiscal year, used as given for every estimated year, a partial first year included) need kiosk use;
``measure_first_year`` needs ``prefecture_share``; ``fiscal_year`` must not precede the start month's
fiscal year. ``test_copies`` (the one-off real-store test) may be given without kiosk use.

Prefecture share: ``prefecture_share`` is the share J-LIS confirmed for every fiscal year before each
estimated year, taken as a constant. Without ``measure_first_year`` the prefecture's window is assumed
to begin in the fiscal year of the start month — the best case; give the prefecture's first
application year to get the real window.

The seed's worked example is garbled in the source ("joining in October 令和6 with the measure in
force: 令和6年度's 6 months at the discounted rate, then normal fees from 令和7年度"). It is read as:
the prefecture's 3-year window began in 令和4年度 (FY2022), so FY2024 is its third and last year; the
municipality that starts in October 2024 pays the discounted rate for October 2024 – March 2025
(fiscal months 7–12) and the normal rate from FY2025. With a population of 33,000 and the 1/2 measure
that is 369,750 − floor(369,750 × 6 / 12) = 184,875 yen for FY2024 and 185,000 + 330,000 = 515,000 yen
for FY2025.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from victim_support.errors import DomainError
from victim_support.fees.fiscal import (
    YEAR_MONTH_PATTERN,
    calendar_month,
    fiscal_year_label,
    fiscal_year_of,
    parse_year_month,
)
from victim_support.fees.kiosk import (
    CertificateType,
    IssuanceServer,
    MunicipalityClass,
    bcl_issuance_fee,
    kiosk_copy_charge,
    kiosk_operating_contribution,
)
from victim_support.fees.measures import PrefectureMeasure, first_application_year, measure_rate, measure_window
from victim_support.fees.ranges import initial_build_cost, operation_maintenance_range, real_store_test_cost
from victim_support.fees.tables import (
    BCL_ISSUANCE_FEE,
    KIOSK_CONSIGNMENT_FEE,
    MUNICIPALITY_SHARE_WHEN_FREE,
    NORMAL_RATE,
    RESIDENT_PRINT_FEE,
    Rate,
)
from victim_support.fees.usage import annual_usage_fee, months_of_use, prorated_usage_fee

MUNICIPALITY = "municipality (団体)"
RESIDENT = "resident (住民)"
JLIS = "J-LIS (地方公共団体情報システム機構)"
STORE_VIA_JLIS = "store operator via J-LIS (繰替払)"
STORE = "store operator (コンビニ事業者)"
VENDOR = "resident-system vendor (住民情報システムベンダ)"
NOT_GIVEN = "記載なし (not given)"
SETTLED_USAGE = "翌年度当初に精算 / settled at the start of the next fiscal year"
SETTLED_BCL = "翌年度精算 / settled in the next fiscal year"

# Fiscal years estimated when none is asked for: the start year and the two following.
DEFAULT_YEARS = 3

_RATE_LABELS = {
    "normal": "通常料金 / normal rate",
    "half": "特別措置 1/2以上 / special measure, share ≥ 1/2",
    "three_quarters": "特別措置 3/4以上 / special measure, share ≥ 3/4",
}


class EstimateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    population: int = Field(ge=1, le=40_000_000, description="住民基本台帳人口")
    pattern: Literal["A", "B"] = Field(description="導入パターン")
    start_month: str = Field(pattern=YEAR_MONTH_PATTERN, description="利用開始月 YYYY-MM")
    fiscal_year: int | None = Field(
        default=None, ge=2000, le=2200, description="one fiscal year; None = the start year and the two following"
    )
    prefecture_share: float | None = Field(
        default=None, ge=0.0, le=1.0, description="share of the prefecture's municipalities using the system"
    )
    measure_first_year: int | None = Field(
        default=None, ge=2000, le=2200, description="fiscal year of the prefecture's first special measure"
    )
    kiosk: bool = Field(default=False, description="罹災証明書・被災証明書をコンビニ交付する")
    already_kiosk: bool = Field(default=False, description="コンビニ交付導入団体 (contribution already paid)")
    municipality_class: MunicipalityClass | None = None
    issuance_server: IssuanceServer = "bcl"
    certificate_fee_yen: int = Field(default=0, ge=0, le=100_000, description="0 = issued free")
    copies: int = Field(default=0, ge=0, le=100_000_000, description="kiosk copies per fiscal year")
    test_copies: int = Field(default=0, ge=0, le=100_000, description="real-store test copies (one-off)")

    @model_validator(mode="after")
    def _consistent(self) -> EstimateRequest:
        year, month = parse_year_month(self.start_month)
        if not 2000 <= year <= 2200:
            raise PydanticCustomError("FEES_INPUT_INVALID", "start_month must lie in the years 2000-2200")
        if self.pattern == "B" and self.issuance_server == "own":
            raise PydanticCustomError(
                "FEES_PATTERN_B_OWN_SERVER",
                "pattern B can only use BCL's issuance server (issuance_server must be 'bcl')",
            )
        if self.kiosk and self.municipality_class is None:
            raise PydanticCustomError(
                "FEES_INPUT_INVALID",
                "municipality_class (town_village, city or designated_city) is required when kiosk is used",
            )
        if self.copies and not self.kiosk:
            raise PydanticCustomError("FEES_INPUT_INVALID", "copies are kiosk copies: they need kiosk")
        if self.measure_first_year is not None and self.prefecture_share is None:
            raise PydanticCustomError("FEES_INPUT_INVALID", "measure_first_year needs prefecture_share")
        start_fiscal_year = fiscal_year_of(year, month)
        if self.fiscal_year is not None and self.fiscal_year < start_fiscal_year:
            raise PydanticCustomError(
                "FEES_INPUT_INVALID",
                "fiscal_year {fiscal_year} is before the fiscal year of the start month ({start})",
                {"fiscal_year": self.fiscal_year, "start": start_fiscal_year},
            )
        return self

    @property
    def start_fiscal_year(self) -> int:
        return fiscal_year_of(*parse_year_month(self.start_month))

    @property
    def estimated_years(self) -> list[int]:
        if self.fiscal_year is not None:
            return [self.fiscal_year]
        return list(range(self.start_fiscal_year, self.start_fiscal_year + DEFAULT_YEARS))


class LineItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    name_ja: str
    name_en: str
    amount: int | None  # None: a range (low/high) or a figure the seed does not give
    low: int | None = None
    high: int | None = None
    amount_text: str | None = None  # the seed's words where it gives no figure
    payer: str
    payee: str
    basis: str
    settled: str | None = None
    in_total: bool  # part of the municipality's total (an in_total item without amount makes it a lower bound)


class FiscalYearEstimate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fiscal_year: int
    label_ja: str
    period: str  # first and last month in use, "2024-10..2025-03"
    months_of_use: int
    rate: str
    line_items: list[LineItem]
    total: int
    total_is_lower_bound: bool


class Estimate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request: EstimateRequest
    one_off: list[LineItem]
    fiscal_years: list[FiscalYearEstimate]
    notes: list[str]


def request_error(exc: ValidationError) -> DomainError:
    """A DomainError with the first FEES_ code among the errors (else FEES_INPUT_INVALID) and all messages."""
    errors = exc.errors(include_url=False)
    code = next((e["type"] for e in errors if str(e["type"]).startswith("FEES_")), "FEES_INPUT_INVALID")
    parts = []
    for error in errors:
        where = ".".join(str(part) for part in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return DomainError(code, detail="; ".join(parts))


def parse_request(data: Mapping[str, object]) -> EstimateRequest:
    """Validate a request; DomainError with a FEES_ code if it is not valid."""
    try:
        return EstimateRequest.model_validate(dict(data))
    except ValidationError as exc:
        raise request_error(exc) from None


def _measure(req: EstimateRequest) -> PrefectureMeasure | None:
    if req.prefecture_share is None:
        return None
    share = Fraction(str(req.prefecture_share))  # exact decimal: 0.5 is 1/2, 0.75 is 3/4
    years = req.estimated_years
    # The share as confirmed on each fiscal year from the one before the start up to the last estimated.
    confirmed = dict.fromkeys(range(req.start_fiscal_year - 1, years[-1]), share)
    return PrefectureMeasure(req.measure_first_year, confirmed)


def _first_year(measure: PrefectureMeasure) -> int | None:
    if measure.first_fiscal_year is not None:
        return measure.first_fiscal_year
    return first_application_year(measure.confirmed_shares)


def _period(fiscal_year: int, months: tuple[int, ...]) -> str:
    if not months:
        return ""
    first, last = calendar_month(fiscal_year, months[0]), calendar_month(fiscal_year, months[-1])
    return f"{first[0]:04d}-{first[1]:02d}..{last[0]:04d}-{last[1]:02d}"


def _usage_item(req: EstimateRequest, fiscal_year: int, months: tuple[int, ...], rate: Rate,
                measure: PrefectureMeasure | None) -> LineItem:
    annual = annual_usage_fee(req.population, rate)
    amount = prorated_usage_fee(annual, months)
    basis = (f"A = {rate.base:,} + {req.population:,} × {rate.per_resident} = {annual:,} yen/year "
             f"({_RATE_LABELS[rate.name]})")
    if len(months) == 12:
        basis += f"; 12 months: {amount:,}"
    else:
        basis += (f"; {len(months)} months in use ({_period(fiscal_year, months)}, fiscal months "
                  f"{months[0]}-{months[-1]}): Σ floor(A·k/12) − floor(A·(k−1)/12) = "
                  f"{annual:,} − floor({annual:,}×{months[0] - 1}/12) = {amount:,}")
    if measure is not None:
        share = measure.confirmed_shares.get(fiscal_year - 1)
        first = _first_year(measure)
        if share is not None:
            basis += f"; share confirmed for FY{fiscal_year - 1}: {share}"
        if first is not None:
            window = measure_window(first)
            basis += f"; measure window FY{window[0]}-FY{window[-1]}"
    return LineItem(key="usage_fee", name_ja="被災者支援システム利用料", name_en="system usage fee", amount=amount,
                    payer=MUNICIPALITY, payee=JLIS, basis=basis, settled=SETTLED_USAGE, in_total=True)


def _kiosk_items(req: EstimateRequest) -> list[LineItem]:
    assert req.municipality_class is not None  # checked by EstimateRequest
    contribution = kiosk_operating_contribution(req.municipality_class, req.population, req.issuance_server,
                                                already_paid=req.already_kiosk)
    items = [LineItem(
        key="kiosk_operating_contribution", name_ja="コンビニ交付運営負担金", name_en="kiosk operating contribution",
        amount=contribution.amount, amount_text=NOT_GIVEN if contribution.status == "not_given" else None,
        payer=MUNICIPALITY, payee=JLIS,
        basis=f"{contribution.basis_ja} / {contribution.basis_en}; per fiscal year, not prorated",
        in_total=True,
    )]
    charge = kiosk_copy_charge(req.certificate_fee_yen)
    if req.certificate_fee_yen == 0:
        consignment_basis = (f"{req.copies:,} copies × {charge.municipality_consignment} (certificate issued free: "
                             f"{KIOSK_CONSIGNMENT_FEE} − {RESIDENT_PRINT_FEE} paid by the resident)")
    else:
        consignment_basis = (f"{req.copies:,} copies × {charge.municipality_consignment} (certificate fee "
                             f"{req.certificate_fee_yen:,} yen charged: full fee as for other certificates)")
    items.append(LineItem(
        key="kiosk_consignment_fee", name_ja="コンビニ交付委託手数料（団体負担）",
        name_en="kiosk consignment fee (municipality)", amount=req.copies * charge.municipality_consignment,
        payer=MUNICIPALITY, payee=STORE_VIA_JLIS, basis=consignment_basis, in_total=True,
    ))
    if req.certificate_fee_yen == 0:
        items.append(LineItem(
            key="kiosk_resident_print_fee", name_ja="印刷費用（住民負担）", name_en="printing fee (resident)",
            amount=req.copies * charge.resident_pays, payer=RESIDENT, payee=STORE,
            basis=f"{req.copies:,} copies × {charge.resident_pays}; paid by residents, not in the total",
            in_total=False,
        ))
    else:
        items.append(LineItem(
            key="kiosk_certificate_fee", name_ja="交付手数料（住民負担）", name_en="certificate fee (resident)",
            amount=req.copies * charge.resident_pays, payer=RESIDENT, payee=MUNICIPALITY,
            basis=f"{req.copies:,} copies × {charge.resident_pays}; paid by residents to the municipality, "
                  "not in the total",
            in_total=False,
        ))
    return items


def _bcl_item(req: EstimateRequest) -> LineItem:
    copies = req.copies if req.kiosk else 0
    amount = sum(bcl_issuance_fee(req.pattern, t, copies)
                 for t in (CertificateType.DAMAGE, CertificateType.DISASTER_AFFECTED))
    return LineItem(
        key="bcl_issuance_fee", name_ja="BCL証明発行機能利用料", name_en="BCL issuance fee", amount=amount,
        payer=MUNICIPALITY, payee=JLIS,
        basis=f"not charged: 罹災証明書・被災証明書 are not BCL-eligible types ({BCL_ISSUANCE_FEE} yen/copy "
              "only for BCL's 住民票の写し・印鑑登録証明書・税証明)",
        settled=SETTLED_BCL, in_total=True,
    )


def _maintenance_item(req: EstimateRequest) -> LineItem:
    cost = operation_maintenance_range(req.pattern)
    return LineItem(
        key="operation_maintenance", name_ja="システム関連運用保守費用", name_en="operation and maintenance",
        amount=None, low=cost.low, high=cost.high,
        amount_text=None if cost.low is not None else cost.text_ja,
        payer=MUNICIPALITY, payee=VENDOR,
        basis=f"{cost.text_ja} / {cost.text_en}; {cost.basis}; estimate only, not in the total",
        in_total=False,
    )


def _one_off(req: EstimateRequest) -> list[LineItem]:
    build = initial_build_cost(req.pattern)
    items = [LineItem(
        key="initial_build_cost", name_ja="システム構築費用", name_en="initial build cost", amount=None,
        low=build.low, high=build.high,
        amount_text=None if build.low is not None else build.text_ja,
        payer=MUNICIPALITY, payee=VENDOR, basis=f"{build.text_ja} / {build.text_en}; {build.basis}; estimate only",
        in_total=False,
    )]
    if req.kiosk or req.test_copies:
        test = real_store_test_cost(req.test_copies)
        items += [
            LineItem(key="store_test_kiosk_fee", name_ja="実店舗試験費用（端末に投入する経費）",
                     name_en="real-store test: fee put into the kiosk", amount=test.kiosk_fee,
                     payer=MUNICIPALITY, payee=STORE, basis=f"{req.test_copies:,} test copies × {RESIDENT_PRINT_FEE}",
                     in_total=True),
            LineItem(key="store_test_municipality_share", name_ja="実店舗試験費用（自治体負担）",
                     name_en="real-store test: municipality's share", amount=test.municipality_share,
                     payer=MUNICIPALITY, payee=STORE,
                     basis=f"{req.test_copies:,} test copies × {MUNICIPALITY_SHARE_WHEN_FREE}", in_total=True),
        ]
    return items


def _fiscal_year(req: EstimateRequest, fiscal_year: int, measure: PrefectureMeasure | None) -> FiscalYearEstimate:
    months = months_of_use(fiscal_year, req.start_month)
    rate = NORMAL_RATE if measure is None else measure_rate(measure, fiscal_year)
    items = [_usage_item(req, fiscal_year, months, rate, measure)]
    if req.kiosk:
        items += _kiosk_items(req)
    if req.pattern == "A":
        items.append(_bcl_item(req))
    items.append(_maintenance_item(req))
    counted = [item for item in items if item.in_total]
    return FiscalYearEstimate(
        fiscal_year=fiscal_year, label_ja=fiscal_year_label(fiscal_year), period=_period(fiscal_year, months),
        months_of_use=len(months), rate=rate.name, line_items=items,
        total=sum(item.amount for item in counted if item.amount is not None),
        total_is_lower_bound=any(item.amount is None for item in counted),
    )


def _notes(req: EstimateRequest, measure: PrefectureMeasure | None, years: list[FiscalYearEstimate]) -> list[str]:
    notes = [
        "total = the municipality's definite payments of the fiscal year; ranges (operation and maintenance) "
        "and what residents pay are shown but not added",
        "usage fee: 12 monthly shares floor(A·k/12) − floor(A·(k−1)/12) (April = 1), summed over the months in "
        "use; settled at the start of the next fiscal year",
    ]
    if measure is not None:
        first = _first_year(measure)
        if req.measure_first_year is None and first is not None:
            notes.append(f"special measure window assumed to begin in FY{first} (the start's fiscal year); give "
                         "the prefecture's first application year (measure_first_year) for its real window")
        if first is None:
            notes.append("prefecture share below 1/2: no special measure, normal rate")
        else:
            window = measure_window(first)
            notes.append(f"special measure window of the prefecture: FY{window[0]}-FY{window[-1]} (通算3か年); "
                         "normal rate outside it even if the share holds")
    if req.kiosk:
        notes.append("kiosk operating contribution: a yearly amount; the seed says nothing of proration, so it is "
                     "counted in full for every fiscal year of use")
        if any(item.key == "kiosk_operating_contribution" and item.amount is None
               for year in years for item in year.line_items):
            notes.append("the seed gives no kiosk operating contribution for this class with BCL's issuance "
                         "server (記載なし): totals are lower bounds")
    if req.pattern == "A":
        notes.append("initial build cost may be less where BCL is already in place")
    return notes


def estimate(req: EstimateRequest) -> Estimate:
    """One-off costs and, per fiscal year, the line items and the municipality's total."""
    measure = _measure(req)
    years = [_fiscal_year(req, year, measure) for year in req.estimated_years]
    return Estimate(request=req, one_off=_one_off(req), fiscal_years=years, notes=_notes(req, measure, years))
