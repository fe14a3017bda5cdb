"""Registering municipalities: the code is checked (check digit, and that it names a real
municipality) and the name and prefecture come from the code unless the operator gives them."""

from __future__ import annotations

from victim_support.audit import AuditLog
from victim_support.clock import Clock, iso, utc_now
from victim_support.rules import municipal_codes
from victim_support.tenants.models import Municipality, MunicipalityRegistration
from victim_support.tenants.repository import TenantRepository


def register_municipality(
    code: str, registration: MunicipalityRegistration, *, actor: str, tenants: TenantRepository,
    audit: AuditLog, clock: Clock = utc_now,
) -> Municipality:
    municipal_codes.validate(code)
    info = municipal_codes.lookup(code)
    existing = tenants.get(code)
    now = iso(clock())
    municipality = Municipality(
        code=code,
        name=registration.name or info.name,
        prefecture=registration.prefecture or info.prefecture,
        population=registration.population,
        pattern=registration.pattern,
        uses_bcl_issuance_server=registration.uses_bcl_issuance_server,
        start_month=registration.start_month,
        kiosk_issuance=registration.kiosk_issuance,
        existing_kiosk_issuance=registration.existing_kiosk_issuance,
        certificate_fee_yen=registration.certificate_fee_yen,
        kind=info.kind,
        current_generation=existing.current_generation if existing else 0,
        loading_generation=existing.loading_generation if existing else None,
        registered_at=existing.registered_at if existing else now,
        updated_at=now,
    )
    tenants.save_profile(municipality)
    audit.record(code, actor=actor, action="municipality.updated" if existing else "municipality.registered",
                 target=code, reason="operator registration",
                 details={"pattern": registration.pattern, "population": registration.population})
    return tenants.require(code)
