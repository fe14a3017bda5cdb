"""When a municipality's certificates may be printed at kiosks: hours, closed days, maintenance.

Defaults follow コンビニ交付: 06:30–23:00 JST every day, closed from 29 December to 3 January.
Each municipality may set its own hours, closed periods (month-day ranges, inclusive; a range may
run over the new year) and maintenance windows (absolute times). Outside them a kiosk gets
``KIOSK_OUT_OF_HOURS``. The hours are read in JST whatever the server's zone; a window is
[opens, closes): 06:30:00 is open, 23:00:00 is closed.

Item: pk = ``<code>``, sk = ``KIOSK_SERVICE`` in the ``kiosks`` table; without one the defaults apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from victim_support.audit import AuditLog
from victim_support.clock import JST, Clock, iso, utc_now
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.errors import DomainError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SERVICE_SK = "KIOSK_SERVICE"
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
_HHMM_CLOSE = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
_MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class ClosedPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts: str = Field(pattern=_MONTH_DAY, description="MM-DD, inclusive")
    ends: str = Field(pattern=_MONTH_DAY, description="MM-DD, inclusive; before starts = over the new year")

    def covers(self, month_day: str) -> bool:
        if self.starts <= self.ends:
            return self.starts <= month_day <= self.ends
        return month_day >= self.starts or month_day <= self.ends


class MaintenanceWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("a maintenance window ends after it starts")
        return self


class KioskService(BaseModel):
    """``PUT /municipalities/{code}/kiosk-service``."""

    model_config = ConfigDict(extra="forbid")

    opens: str = Field(default="06:30", pattern=_HHMM, description="HH:MM JST")
    closes: str = Field(default="23:00", pattern=_HHMM_CLOSE, description="HH:MM JST (24:00 = midnight)")
    closed_periods: list[ClosedPeriod] = Field(
        default_factory=lambda: [ClosedPeriod(starts="12-29", ends="01-03")], max_length=20)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _hours_ordered(self) -> Self:
        if _minutes(self.opens) >= _minutes(self.closes):
            raise ValueError("opens must be before closes (hours do not run over midnight)")
        return self

    def closed_reason(self, moment: datetime) -> str | None:
        """Why the kiosk service is closed at ``moment`` (None when open); for logs and tests only."""
        local = moment.astimezone(JST)
        if any(w.starts_at <= moment < w.ends_at for w in self.maintenance):
            return "maintenance"
        if any(p.covers(f"{local:%m-%d}") for p in self.closed_periods):
            return "closed_day"
        minute = local.hour * 60 + local.minute
        if not _minutes(self.opens) <= minute < _minutes(self.closes):
            return "hours"
        return None


class KioskServiceView(KioskService):
    municipality_code: str
    updated_at: str | None = None
    updated_by: str | None = None


def check_open(service: KioskService, moment: datetime) -> None:
    reason = service.closed_reason(moment)
    if reason is not None:
        raise DomainError("KIOSK_OUT_OF_HOURS", {"maintenance": "maintenance window", "closed_day": "closed day",
                                                 "hours": "outside service hours"}[reason])


class ServiceConfigRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, code: str) -> KioskServiceView:
        resp = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                     Key={"pk": {"S": code}, "sk": {"S": SERVICE_SK}})
        item = resp.get("Item")
        if item is None:
            return KioskServiceView(municipality_code=code)
        data: dict[str, Any] = {k: v for k, v in from_item(item).items() if k not in ("pk", "sk")}
        return KioskServiceView.model_validate(data)

    def put(self, view: KioskServiceView) -> None:
        item = to_item({"pk": view.municipality_code, "sk": SERVICE_SK, **view.model_dump(mode="json")})
        self._client.put_item(TableName=self._table, Item=item)


def set_service(code: str, service: KioskService, *, actor: str, repository: ServiceConfigRepository,
                audit: AuditLog, clock: Clock = utc_now) -> KioskServiceView:
    """Replace the municipality's kiosk service hours (the operator's route)."""
    from victim_support.rules import municipal_codes

    municipal_codes.validate(code)
    view = KioskServiceView(**service.model_dump(), municipality_code=code, updated_at=iso(clock()),
                            updated_by=actor)
    repository.put(view)
    audit.record(code, actor=actor, action="kiosk.service_hours_set", target=code, reason="operator setting",
                 details={"opens": service.opens, "closes": service.closes,
                          "closed_periods": len(service.closed_periods), "maintenance": len(service.maintenance)})
    return view


def service_now(code: str, *, repository: ServiceConfigRepository, clock: Clock = utc_now) -> None:
    """KIOSK_OUT_OF_HOURS unless the municipality's kiosk service is open now."""
    check_open(repository.get(code), clock())
