"""Kiosk service hours: 06:30–23:00 JST, closed 29 December–3 January, per-municipality settings and
maintenance windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from victim_support.clock import JST
from victim_support.errors import DomainError
from victim_support.kiosk.hours import ClosedPeriod, KioskService, MaintenanceWindow, check_open

DEFAULT = KioskService()


def _jst(month: int, day: int, hour: int, minute: int, second: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=JST)


@pytest.mark.parametrize(("hour", "minute", "open_"), [
    (6, 29, False), (6, 30, True), (12, 0, True), (22, 59, True), (23, 0, False), (0, 0, False), (3, 15, False),
])
def test_default_hours_are_0630_to_2300_jst(hour: int, minute: int, open_: bool) -> None:
    assert (DEFAULT.closed_reason(_jst(11, 26, hour, minute)) is None) is open_


def test_the_last_second_before_2300_is_open_and_2300_is_closed() -> None:
    assert DEFAULT.closed_reason(_jst(11, 26, 22, 59, 59)) is None
    assert DEFAULT.closed_reason(_jst(11, 26, 23, 0, 0)) == "hours"


def test_hours_are_read_in_jst_whatever_zone_the_moment_is_in() -> None:
    assert DEFAULT.closed_reason(datetime(2026, 11, 25, 21, 29, tzinfo=UTC)) == "hours"  # 06:29 JST
    assert DEFAULT.closed_reason(datetime(2026, 11, 25, 21, 30, tzinfo=UTC)) is None  # 06:30 JST


@pytest.mark.parametrize(("month", "day"), [(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)])
def test_closed_from_29_december_to_3_january(month: int, day: int) -> None:
    assert DEFAULT.closed_reason(_jst(month, day, 12, 0)) == "closed_day"


@pytest.mark.parametrize(("month", "day"), [(12, 28), (1, 4)])
def test_open_on_the_days_around_the_year_end_closure(month: int, day: int) -> None:
    assert DEFAULT.closed_reason(_jst(month, day, 12, 0)) is None


def test_out_of_hours_is_refused_with_its_code() -> None:
    with pytest.raises(DomainError) as refused:
        check_open(DEFAULT, _jst(12, 31, 12, 0))
    assert refused.value.code == "KIOSK_OUT_OF_HOURS"
    check_open(DEFAULT, _jst(11, 26, 12, 0))


def test_a_maintenance_window_closes_the_service_for_its_span_only() -> None:
    window = MaintenanceWindow(starts_at=_jst(11, 26, 10, 0), ends_at=_jst(11, 26, 11, 0), note="更新作業")
    service = KioskService(maintenance=[window])
    assert service.closed_reason(_jst(11, 26, 9, 59)) is None
    assert service.closed_reason(_jst(11, 26, 10, 0)) == "maintenance"
    assert service.closed_reason(_jst(11, 26, 10, 59, 59)) == "maintenance"
    assert service.closed_reason(_jst(11, 26, 11, 0)) is None


def test_a_municipality_may_set_its_own_hours_and_closed_periods() -> None:
    service = KioskService(opens="09:00", closes="24:00", closed_periods=[ClosedPeriod(starts="05-03", ends="05-05")])
    assert service.closed_reason(_jst(11, 26, 8, 59)) == "hours"
    assert service.closed_reason(_jst(11, 26, 23, 59)) is None
    assert service.closed_reason(_jst(5, 4, 12, 0)) == "closed_day"
    assert service.closed_reason(_jst(12, 31, 12, 0)) is None  # its own periods replace the default


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        KioskService(opens="23:00", closes="06:30")
    with pytest.raises(ValidationError):
        KioskService(opens="6:30")
    with pytest.raises(ValidationError):
        MaintenanceWindow(starts_at=_jst(11, 26, 11, 0), ends_at=_jst(11, 26, 10, 0))
    with pytest.raises(ValidationError):
        MaintenanceWindow(starts_at=datetime(2026, 11, 26, 10, 0), ends_at=_jst(11, 26, 11, 0))  # naive
