"""Damage to a dwelling (住家の被害認定) as a 罹災証明書 certifies it.

Damage levels follow the economic-loss ratio of the dwelling (住家の損害割合, in percent):

==========================  ==========================
ratio r (percent)           level
==========================  ==========================
r >= 50                     全壊 (total collapse)
40 <= r < 50                大規模半壊
30 <= r < 40                中規模半壊
20 <= r < 30                半壊
10 <= r < 20                準半壊
r < 10                      準半壊に至らない（一部損壊）
==========================  ==========================

Ratios are read as ``Decimal`` so the boundaries are exact: ``"39.99"`` is 中規模半壊 and ``"40"``,
``"40.0"`` and ``Decimal("40")`` are 大規模半壊. A ``float`` is refused with ``TypeError``: it is a
programming error, not bad input, because a binary float cannot carry a value such as 39.99 exactly.
Anything else outside 0..100 (negative, over 100, NaN, infinity, not a number) is a
``DomainError("DAMAGE_LOSS_RATIO_INVALID")``.

A household may be surveyed several times (1次調査 exterior, 2次調査 interior on request, 再調査 when
the resident disputes the result). What a certificate shows is the latest *completed* round, see
``current_level``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from victim_support.errors import DomainError


class DamageLevel(StrEnum):
    """住家の被害の程度; the values are the terms printed on the certificate."""

    TOTAL = "全壊"
    LARGE_SCALE_HALF = "大規模半壊"
    MEDIUM_SCALE_HALF = "中規模半壊"
    HALF = "半壊"
    QUASI_HALF = "準半壊"
    PARTIAL = "準半壊に至らない（一部損壊）"

    @property
    def en(self) -> str:
        """The English name, for logs and English-language screens."""
        return _LEVEL_EN[self]

    @property
    def severity(self) -> int:
        """0 for 一部損壊 up to 5 for 全壊, so levels can be compared and sorted."""
        return _SEVERITY[self]


_LEVEL_EN: dict[DamageLevel, str] = {
    DamageLevel.TOTAL: "total collapse",
    DamageLevel.LARGE_SCALE_HALF: "large-scale half collapse",
    DamageLevel.MEDIUM_SCALE_HALF: "medium-scale half collapse",
    DamageLevel.HALF: "half collapse",
    DamageLevel.QUASI_HALF: "quasi-half collapse",
    DamageLevel.PARTIAL: "partial damage (less than quasi-half collapse)",
}
_SEVERITY: dict[DamageLevel, int] = {
    DamageLevel.PARTIAL: 0,
    DamageLevel.QUASI_HALF: 1,
    DamageLevel.HALF: 2,
    DamageLevel.MEDIUM_SCALE_HALF: 3,
    DamageLevel.LARGE_SCALE_HALF: 4,
    DamageLevel.TOTAL: 5,
}


class SurveyRound(StrEnum):
    """住家の被害認定調査 rounds."""

    FIRST = "1次調査"  # exterior
    SECOND = "2次調査"  # interior, on the resident's request
    RESURVEY = "再調査"  # when the resident disputes a result

    @property
    def en(self) -> str:
        return _ROUND_EN[self]


_ROUND_EN: dict[SurveyRound, str] = {
    SurveyRound.FIRST: "first survey (exterior)",
    SurveyRound.SECOND: "second survey (interior)",
    SurveyRound.RESURVEY: "re-survey",
}

# Lower bound of each level, checked from the most severe down.
_THRESHOLDS: tuple[tuple[Decimal, DamageLevel], ...] = (
    (Decimal(50), DamageLevel.TOTAL),
    (Decimal(40), DamageLevel.LARGE_SCALE_HALF),
    (Decimal(30), DamageLevel.MEDIUM_SCALE_HALF),
    (Decimal(20), DamageLevel.HALF),
    (Decimal(10), DamageLevel.QUASI_HALF),
)
_HUNDRED = Decimal(100)
# Plain decimal notation only: Decimal() alone would also take "4e1", "+40", "4_0" and "NaN".
_RATIO_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def parse_loss_ratio(ratio_percent: Decimal | int | str) -> Decimal:
    """The loss ratio as an exact ``Decimal`` in 0..100; see the module docstring for what is refused.

    Strings may carry surrounding spaces and full-width digits (``"３９．９９"``).
    """
    if isinstance(ratio_percent, float):
        raise TypeError("pass the loss ratio as Decimal, int or str, not float (floats are inexact)")
    if isinstance(ratio_percent, bool) or not isinstance(ratio_percent, Decimal | int | str):
        raise DomainError("DAMAGE_LOSS_RATIO_INVALID", "the loss ratio must be a number")
    if isinstance(ratio_percent, str):
        text = unicodedata.normalize("NFKC", ratio_percent).strip()
        if _RATIO_TEXT.fullmatch(text) is None:
            raise DomainError("DAMAGE_LOSS_RATIO_INVALID", "the loss ratio must be a decimal number such as 39.99")
        value = Decimal(text)
    else:
        value = Decimal(ratio_percent)
    if not value.is_finite():
        raise DomainError("DAMAGE_LOSS_RATIO_INVALID", "the loss ratio must be finite")
    if value < 0 or value > _HUNDRED:
        raise DomainError("DAMAGE_LOSS_RATIO_INVALID", "the loss ratio must be between 0 and 100 percent")
    return value


def level_from_loss_ratio(ratio_percent: Decimal | int | str) -> DamageLevel:
    """The damage level of an economic-loss ratio in percent.

    ``level_from_loss_ratio("39.99")`` is 中規模半壊, ``level_from_loss_ratio(40)`` is 大規模半壊.
    """
    value = parse_loss_ratio(ratio_percent)
    for lower_bound, level in _THRESHOLDS:
        if value >= lower_bound:
            return level
    return DamageLevel.PARTIAL


@dataclass(frozen=True, slots=True)
class SurveyOutcome:
    """One survey round of one dwelling. ``level`` is meaningful only when ``completed``."""

    round: SurveyRound
    surveyed_on: date
    completed: bool
    level: DamageLevel
    recorded_at: datetime

    def __post_init__(self) -> None:
        # Naive and aware datetimes cannot be compared, and current_level compares record times.
        if self.recorded_at.utcoffset() is None:
            raise ValueError("recorded_at must be timezone-aware")


def current_level(surveys: Iterable[SurveyOutcome]) -> SurveyOutcome | None:
    """The round a certificate shows: the latest completed one; None when no round is completed.

    Ordering: by ``surveyed_on``, then by ``recorded_at``; the round's kind does not rank it, so a
    1次調査 re-entered with a later survey date than a 2次調査 is the current one (the newest
    finding on site wins). Rounds with equal date and record time: the later one in ``surveys``.
    Incomplete rounds never count. The history is read, never changed.
    """
    latest: SurveyOutcome | None = None
    for survey in surveys:
        if not survey.completed:
            continue
        if latest is None or (survey.surveyed_on, survey.recorded_at) >= (latest.surveyed_on, latest.recorded_at):
            latest = survey
    return latest


def resolve_level(level: DamageLevel | None, loss_ratio: Decimal | int | str | None) -> DamageLevel:
    """The level from a level, a loss ratio, or both when they agree.

    Neither given: ``DAMAGE_LEVEL_OR_RATIO``. Both given and the ratio maps to another level:
    ``DAMAGE_LEVEL_RATIO_MISMATCH``. An invalid ratio: ``DAMAGE_LOSS_RATIO_INVALID``.
    """
    if loss_ratio is None:
        if level is None:
            raise DomainError("DAMAGE_LEVEL_OR_RATIO")
        return DamageLevel(level)
    from_ratio = level_from_loss_ratio(loss_ratio)
    if level is not None and DamageLevel(level) is not from_ratio:
        raise DomainError(
            "DAMAGE_LEVEL_RATIO_MISMATCH", f"the loss ratio gives {from_ratio.en}, not {DamageLevel(level).en}"
        )
    return from_ratio
