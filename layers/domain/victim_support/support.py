"""被災者生活再建支援金 (support payments for rebuilding a victim's life), as the ledger tracks them.

Pure rules in integer yen. Each rule, once:

1. Eligibility. A household is eligible when its dwelling is 全壊, 大規模半壊 or 中規模半壊, or when it
   demolished the dwelling (解体) or is a long-term evacuation household (長期避難), whatever the
   damage level and even without a survey. 半壊 without 解体/長期避難, 準半壊, 一部損壊 and "no survey"
   are not eligible: every amount is 0 and the basis says why.
2. Basic support (基礎支援金) by damage: 全壊 1,000,000; 解体 1,000,000; 長期避難 1,000,000;
   大規模半壊 500,000; 中規模半壊 none. When more than one applies, the most favourable is paid
   (半壊 + 解体 gets 1,000,000).
3. Additional support (加算支援金) by rebuilding method: build or buy (建設・購入) 2,000,000, repair (補修)
   1,000,000, rent outside public housing (賃借（公営住宅以外）) 500,000. A household that is eligible
   only as 中規模半壊 gets 1,000,000 / 500,000 / 250,000 instead; every other eligible household (including
   中規模半壊 with 解体 or 長期避難) gets the full amounts. No method yet (``method=None``) means no
   additional support for now; it is decided when the household applies with its plan.
4. Cap: basic + additional is at most 3,000,000 (the cap is taken from the additional support).
5. Single-person household (単数世帯, household_size == 1): 3/4 of every amount and of the cap
   (2,250,000). 3/4 of every figure in the tables is a whole yen amount, checked when the module loads.
6. Application periods: basic 13 months, additional 37 months from the disaster date.
   ``basic_deadline`` / ``additional_deadline`` are the disaster date plus that many months, the same
   day of the month, or the month's last day when that month has no such day (2024-01-31 + 13 months
   is 2025-02-28). ``basic_last_day`` / ``additional_last_day`` are the last days an application is
   accepted when the period is counted as the Cabinet Order counts it (災害があった日から起算して: the
   disaster day is day one, so the period ends the day before the corresponding day, or on the last
   day of the month that has no corresponding day; 民法第143条). For a disaster on 2024-01-01 that is
   2025-01-31 and 2027-01-31, the dates published for the 2024 Noto earthquake before extensions.
   Prefectures may extend the periods; a decision does not know of extensions.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from victim_support.damage import DamageLevel
from victim_support.errors import DomainError

BASIC_APPLICATION_MONTHS = 13
ADDITIONAL_APPLICATION_MONTHS = 37
CAP = 3_000_000


class Circumstance(StrEnum):
    """What, besides the damage level, makes a household eligible for the full basic support."""

    NONE = "none"
    DEMOLITION = "demolition"  # 解体: the dwelling had to be demolished
    LONG_TERM_EVACUATION = "long_term_evacuation"  # 長期避難: uninhabitable for a long time

    @property
    def ja(self) -> str:
        return _CIRCUMSTANCE_JA[self]


class RebuildingMethod(StrEnum):
    BUILD_OR_BUY = "build_or_buy"  # 建設・購入
    REPAIR = "repair"  # 補修
    RENT = "rent"  # 賃借（公営住宅以外）

    @property
    def ja(self) -> str:
        return _METHOD_JA[self]


_CIRCUMSTANCE_JA: dict[Circumstance, str] = {
    Circumstance.NONE: "なし",
    Circumstance.DEMOLITION: "解体",
    Circumstance.LONG_TERM_EVACUATION: "長期避難",
}
_METHOD_JA: dict[RebuildingMethod, str] = {
    RebuildingMethod.BUILD_OR_BUY: "建設・購入",
    RebuildingMethod.REPAIR: "補修",
    RebuildingMethod.RENT: "賃借（公営住宅以外）",
}

BASIC_BY_LEVEL: dict[DamageLevel, int] = {
    DamageLevel.TOTAL: 1_000_000,
    DamageLevel.LARGE_SCALE_HALF: 500_000,
    DamageLevel.MEDIUM_SCALE_HALF: 0,  # eligible, but for additional support only
}
BASIC_BY_CIRCUMSTANCE: dict[Circumstance, int] = {
    Circumstance.DEMOLITION: 1_000_000,
    Circumstance.LONG_TERM_EVACUATION: 1_000_000,
}
ADDITIONAL_FULL: dict[RebuildingMethod, int] = {
    RebuildingMethod.BUILD_OR_BUY: 2_000_000,
    RebuildingMethod.REPAIR: 1_000_000,
    RebuildingMethod.RENT: 500_000,
}
ADDITIONAL_MEDIUM_SCALE_HALF: dict[RebuildingMethod, int] = {
    RebuildingMethod.BUILD_OR_BUY: 1_000_000,
    RebuildingMethod.REPAIR: 500_000,
    RebuildingMethod.RENT: 250_000,
}

_ALL_FIGURES = (
    *BASIC_BY_LEVEL.values(),
    *BASIC_BY_CIRCUMSTANCE.values(),
    *ADDITIONAL_FULL.values(),
    *ADDITIONAL_MEDIUM_SCALE_HALF.values(),
    CAP,
)
# Rule 5 relies on this: a figure whose 3/4 is not whole yen would need a rounding rule the law does not give.
if any(figure * 3 % 4 for figure in _ALL_FIGURES):
    raise AssertionError("3/4 of a support figure is not a whole yen amount")


class SupportDecision(BaseModel):
    """The support a household is entitled to now; amounts in yen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    eligible: bool
    basic: int
    additional: int
    total: int
    single_person: bool
    basis: list[str]  # the rules applied (or why not eligible), in Japanese for the counter
    basic_deadline: date
    additional_deadline: date
    basic_last_day: date
    additional_last_day: date


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` months, on the same day or the month's last day when it has no such day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def last_application_day(disaster_date: date, months: int) -> date:
    """The last day of a period of ``months`` months that starts on (and counts) the disaster day."""
    corresponding = add_months(disaster_date, months)
    if corresponding.day != disaster_date.day:  # the final month has no corresponding day: its last day
        return corresponding
    return corresponding - timedelta(days=1)


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def decide_support(
    level: DamageLevel | None,
    *,
    household_size: int,
    circumstance: Circumstance = Circumstance.NONE,
    method: RebuildingMethod | None,
    disaster_date: date,
) -> SupportDecision:
    """Decide basic and additional support per the rules in the module docstring.

    ``level`` is the current damage level (None when no survey is completed); ``household_size`` the
    number of household members at the disaster (1 or more, ``SUPPORT_HOUSEHOLD_SIZE_INVALID``).
    """
    if isinstance(household_size, bool) or not isinstance(household_size, int) or household_size < 1:
        raise DomainError("SUPPORT_HOUSEHOLD_SIZE_INVALID")
    single_person = household_size == 1
    # Plain strings from a request compare by identity below only once they are members.
    level = None if level is None else DamageLevel(level)
    circumstance = Circumstance(circumstance)
    method = None if method is None else RebuildingMethod(method)

    def decision(eligible: bool, basic: int, additional: int, basis: list[str]) -> SupportDecision:
        return SupportDecision(
            eligible=eligible,
            basic=basic,
            additional=additional,
            total=basic + additional,
            single_person=single_person,
            basis=basis,
            basic_deadline=add_months(disaster_date, BASIC_APPLICATION_MONTHS),
            additional_deadline=add_months(disaster_date, ADDITIONAL_APPLICATION_MONTHS),
            basic_last_day=last_application_day(disaster_date, BASIC_APPLICATION_MONTHS),
            additional_last_day=last_application_day(disaster_date, ADDITIONAL_APPLICATION_MONTHS),
        )

    # Every basis the household has, with its basic amount; the first of equal amounts is named.
    bases: list[tuple[int, str]] = []
    if level is not None and level in BASIC_BY_LEVEL:
        bases.append((BASIC_BY_LEVEL[level], level.value))
    if circumstance in BASIC_BY_CIRCUMSTANCE:
        bases.append((BASIC_BY_CIRCUMSTANCE[circumstance], circumstance.ja))
    if not bases:
        reason = "被害認定調査の結果がありません" if level is None else f"{level.value}（解体・長期避難に当たらない）"
        return decision(False, 0, 0, [f"支給対象外: {reason}"])

    basic, basic_label = max(bases, key=lambda basis: basis[0])
    medium_only = level is DamageLevel.MEDIUM_SCALE_HALF and circumstance is Circumstance.NONE
    table = ADDITIONAL_MEDIUM_SCALE_HALF if medium_only else ADDITIONAL_FULL
    basis = [f"基礎支援金 {_yen(basic)}（{basic_label}）" if basic else f"基礎支援金なし（{basic_label}）"]
    if method is None:
        additional = 0
        basis.append("加算支援金: 再建方法が未定のため0円")
    else:
        additional = table[method]
        table_label = "中規模半壊の額" if medium_only else "全額"
        basis.append(f"加算支援金 {_yen(additional)}（{method.ja}、{table_label}）")

    cap = CAP
    if single_person:
        basic, additional, cap = basic * 3 // 4, additional * 3 // 4, cap * 3 // 4
        basis.append(f"単数世帯: 各額の3/4（基礎 {_yen(basic)}、加算 {_yen(additional)}）")
    if basic + additional > cap:
        additional = cap - basic
        basis.append(f"上限 {_yen(cap)} を適用（加算 {_yen(additional)}）")
    return decision(True, basic, additional, basis)
