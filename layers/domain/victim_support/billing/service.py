"""The operator's billing run: every registered municipality's statements for one month.

Run on the first of each month for the month that ended; when that month is March it also writes
each municipality's fiscal-year statement and the next-year settlement (翌年度当初に精算). A run
writes the same keys for the same month, so running it again replaces its own output and nothing
else (safe to retry).

The special measures need the share of each prefecture's municipalities that use the system; J-LIS
knows it from its own registry, and so do we: a municipality uses the system in a fiscal year when
it is registered with a start month up to that year's March.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING

from pydantic import BaseModel

from victim_support import fees
from victim_support.audit import AuditLog
from victim_support.billing.statements import (
    Statement,
    fiscal_year_statement,
    monthly_statement,
    settlement_statement,
)
from victim_support.clock import JST, Clock, utc_now
from victim_support.issuances.models import IssuanceRecord
from victim_support.issuances.repository import IssuanceRepository
from victim_support.rules.municipal_codes import municipalities_in_prefecture
from victim_support.tenants.models import Municipality
from victim_support.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

OPERATOR_PREFIX = "operator"


class StatementRef(BaseModel):
    municipality_code: str
    kind: str
    period: str
    csv_key: str
    pdf_key: str
    total: int
    due_now: int
    accrued_for_settlement: int


class BillingRun(BaseModel):
    month: str
    statements: list[StatementRef]
    summary_key: str


def previous_month(moment_jst: date) -> tuple[int, int]:
    """The month that ended before ``moment_jst``'s month."""
    return (moment_jst.year - 1, 12) if moment_jst.month == 1 else (moment_jst.year, moment_jst.month - 1)


def _fy_end(fiscal_year: int) -> str:
    return f"{fiscal_year + 1:04d}-03"


def prefecture_measure(prefecture_code: str, registry: Sequence[Municipality], up_to_fiscal_year: int
                       ) -> fees.PrefectureMeasure:
    """The measure of one prefecture from the registry: its share in every fiscal year before
    ``up_to_fiscal_year`` (the year a share is confirmed on is the year before it applies)."""
    members = [m for m in registry if m.code[:2] == prefecture_code]
    total = municipalities_in_prefecture(prefecture_code)
    if not members:
        return fees.PrefectureMeasure(first_fiscal_year=None, confirmed_shares={})
    first = min(fees.fiscal_year_of(*map(int, m.start_month.split("-"))) for m in members)
    shares = {
        fy: Fraction(sum(1 for m in members if m.start_month <= _fy_end(fy)), total)
        for fy in range(first, up_to_fiscal_year)
    }
    return fees.PrefectureMeasure(first_fiscal_year=None, confirmed_shares=shares)


def usage_rate(municipality: Municipality, fiscal_year: int, registry: Sequence[Municipality]) -> fees.Rate:
    return fees.measure_rate(prefecture_measure(municipality.code[:2], registry, fiscal_year), fiscal_year)


@dataclass(frozen=True)
class StatementStore:
    """Statements in the billing bucket under ``<code>/billing/<period>/`` (SSE-KMS by bucket default)."""

    s3: S3Client
    bucket: str

    def key(self, statement: Statement, suffix: str) -> str:
        return f"{statement.municipality_code}/billing/{statement.period}/{statement.kind}.{suffix}"

    def put(self, statement: Statement) -> StatementRef:
        from victim_support.billing.render import statement_csv, statement_pdf  # reportlab: only billing needs it

        csv_key, pdf_key = self.key(statement, "csv"), self.key(statement, "pdf")
        self.s3.put_object(Bucket=self.bucket, Key=csv_key, Body=statement_csv(statement),
                           ContentType="text/csv; charset=utf-8")
        self.s3.put_object(Bucket=self.bucket, Key=pdf_key, Body=statement_pdf(statement),
                           ContentType="application/pdf")
        return StatementRef(
            municipality_code=statement.municipality_code, kind=statement.kind, period=statement.period,
            csv_key=csv_key, pdf_key=pdf_key, total=statement.total, due_now=statement.due_now,
            accrued_for_settlement=statement.accrued_for_settlement,
        )

    def put_summary(self, month: str, refs: Iterable[StatementRef]) -> str:
        key = f"{OPERATOR_PREFIX}/billing/{month}/summary.csv"
        lines = ["municipality_code,kind,period,total,due_now,accrued_for_settlement"]
        lines += [f"{r.municipality_code},{r.kind},{r.period},{r.total},{r.due_now},{r.accrued_for_settlement}"
                  for r in refs]
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=("\r\n".join(lines) + "\r\n").encode("utf-8-sig"),
                           ContentType="text/csv; charset=utf-8")
        return key


def statements_for(municipality: Municipality, year: int, month: int, registry: Sequence[Municipality],
                   issuances: IssuanceRepository, *, issued_on: date) -> list[Statement]:
    """The statements one municipality gets for the month that ended (none before its start month)."""
    if municipality.start_month > f"{year:04d}-{month:02d}":
        return []
    fiscal_year = fees.fiscal_year_of(year, month)
    rate = usage_rate(municipality, fiscal_year, registry)
    records = list(issuances.month(municipality.code, year, month))
    statements = [monthly_statement(municipality, year, month, records, rate, issued_on=issued_on)]
    if fees.fiscal_month(year, month) == 12:
        by_month: dict[tuple[int, int], list[IssuanceRecord]] = defaultdict(list)
        by_month[(year, month)] = records
        for fm in range(1, 12):
            y, m = fees.calendar_month(fiscal_year, fm)
            by_month[(y, m)] = list(issuances.month(municipality.code, y, m))
        year_statement = fiscal_year_statement(municipality, fiscal_year, by_month, rate, issued_on=issued_on)
        statements += [year_statement, settlement_statement(year_statement, issued_on=issued_on)]
    return statements


def run_billing(year: int, month: int, *, tenants: TenantRepository, issuances: IssuanceRepository,
                store: StatementStore, audit: AuditLog, actor: str = "billing", clock: Clock = utc_now
                ) -> BillingRun:
    issued_on = clock().astimezone(JST).date()
    registry = tenants.all()
    refs: list[StatementRef] = []
    for municipality in registry:
        for statement in statements_for(municipality, year, month, registry, issuances, issued_on=issued_on):
            ref = store.put(statement)
            refs.append(ref)
            audit.record(municipality.code, actor=actor, action=f"billing.{statement.kind}_statement",
                         target=statement.period, reason="scheduled billing run",
                         details={"total": statement.total, "due_now": statement.due_now,
                                  "csv_key": ref.csv_key, "pdf_key": ref.pdf_key})
    period = f"{year:04d}-{month:02d}"
    return BillingRun(month=period, statements=refs, summary_key=store.put_summary(period, refs))
