"""Fee estimate for the caller's municipality: ``GET /fees/estimate``.

Every input of ``victim-support fees estimate`` is a query parameter; the ones left out default to
the municipality's registration (population, pattern, start month, kiosk use, class, issuance
server, certificate fee), so a bare call estimates what the municipality is registered for.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from victim_support import fees, wiring

from functions.staff_api.access import staff_municipality

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated


@router.get("/fees/estimate", summary="Estimate the fees per fiscal year (defaults: the caller's registration)")
def get_fee_estimate(
    population: Annotated[int | None, Query(ge=1, le=40_000_000)] = None,
    pattern: Annotated[Literal["A", "B"] | None, Query()] = None,
    start: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")] = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2200)] = None,
    prefecture_share: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    measure_first_year: Annotated[int | None, Query(ge=2000, le=2200)] = None,
    kiosk: Annotated[bool | None, Query()] = None,
    already_kiosk: Annotated[bool | None, Query()] = None,
    municipality_class: Annotated[fees.MunicipalityClass | None, Query()] = None,
    issuance_server: Annotated[Literal["bcl", "own"] | None, Query()] = None,
    certificate_fee: Annotated[int | None, Query(ge=0, le=100_000, description="yen per copy; 0 = free")] = None,
    copies: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    test_copies: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> fees.Estimate:
    _, code = staff_municipality(router)
    tenant = wiring.tenants().require(code)
    uses_kiosk = tenant.kiosk_issuance if kiosk is None else kiosk
    chosen_pattern = pattern or tenant.pattern
    request = fees.parse_request({
        "population": population or tenant.population,
        "pattern": chosen_pattern,
        "start_month": start or tenant.start_month,
        "fiscal_year": fiscal_year,
        "prefecture_share": prefecture_share,
        "measure_first_year": measure_first_year,
        "kiosk": uses_kiosk,
        "already_kiosk": tenant.existing_kiosk_issuance if already_kiosk is None else already_kiosk,
        "municipality_class": municipality_class or fees.municipality_class_of(tenant.kind),
        "issuance_server": issuance_server
        or ("own" if chosen_pattern == "A" and not tenant.uses_bcl_issuance_server else "bcl"),
        "certificate_fee_yen": tenant.certificate_fee_yen if certificate_fee is None else certificate_fee,
        "copies": copies,
        "test_copies": test_copies,
    })
    return fees.estimate(request)
