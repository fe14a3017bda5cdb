"""Staff API: reading a disaster's victim ledger — person search, household view, summary, CSV export.

``?municipality=<code>`` reads another municipality's ledger through a live remote-support grant;
what remote helpers see of persons under 支援措置 is described in ``victim_support.ledger.queries``.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from victim_support import wiring
from victim_support.ledger import export, queries
from victim_support.settings import get_settings

from functions.staff_api.access import staff_municipality

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated

DisasterPath = Annotated[str, Path(pattern=queries.DISASTER_ID_PATTERN)]
HouseholdPath = Annotated[str, Path(pattern=queries.LEDGER_ID_PATTERN, description="世帯番号")]
MunicipalityQuery = Annotated[str | None, Query(
    pattern=r"^\d{6}$", description="another municipality's ledger, through a live remote-support grant")]


@router.get("/disasters/<disaster_id>/persons", summary="Search the ledger's persons by reading, name, birth date, "
            "address (prefix, any width or kana form; several criteria must all match)")
def search_persons(
    disaster_id: DisasterPath,
    kana: Annotated[str | None, Query(max_length=60)] = None,
    name: Annotated[str | None, Query(max_length=60)] = None,
    birth: Annotated[str | None, Query(max_length=20, description="a date in any form, or YYYY / YYYY-MM")] = None,
    address: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 20,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    municipality: MunicipalityQuery = None,
) -> queries.SearchPage:
    caller, _ = staff_municipality(router)
    criteria = queries.SearchCriteria(kana=kana, name=name, birth=birth, address=address)
    return queries.search_persons(caller, disaster_id, criteria, limit=limit, cursor=cursor,
                                  municipality=municipality, reader=wiring.ledger_reader(), grants=wiring.grants(),
                                  audit=wiring.audit())


@router.get("/disasters/<disaster_id>/households/<household_id>",
            summary="A household, its members and its history (never My Number)")
def get_household(disaster_id: DisasterPath, household_id: HouseholdPath,
                  municipality: MunicipalityQuery = None) -> queries.HouseholdView:
    caller, _ = staff_municipality(router)
    return queries.household_view(caller, disaster_id, household_id, municipality=municipality,
                                  reader=wiring.ledger_reader(), grants=wiring.grants(), audit=wiring.audit())


@router.get("/disasters/<disaster_id>/summary", summary="Counts of households and persons (nothing identifying)")
def get_summary(disaster_id: DisasterPath, municipality: MunicipalityQuery = None) -> queries.DisasterSummary:
    caller, _ = staff_municipality(router)
    return queries.disaster_summary(caller, disaster_id, municipality=municipality, reader=wiring.ledger_reader(),
                                    grants=wiring.grants(), audit=wiring.audit())


@router.get("/disasters/<disaster_id>/export",
            summary="The ledger as CSV (one row per person): a short-lived download link; audited as a disclosure")
def get_export(disaster_id: DisasterPath, encoding: Annotated[export.Encoding, Query()] = "cp932",
               municipality: MunicipalityQuery = None) -> export.ExportResult:
    caller, _ = staff_municipality(router)
    return export.export_ledger(caller, disaster_id, encoding=encoding, municipality=municipality,
                                reader=wiring.ledger_reader(), store=wiring.exports(), grants=wiring.grants(),
                                audit=wiring.audit(), link_expires_in=get_settings().report_link_expiry_seconds)
