"""Staff API: online certificate applications (マイナポータル ぴったりサービス), their matching to the
ledger and their processing status.

``POST /applications`` is the portal integration (a staff-authenticated account of the municipality);
the other routes are the staff's. ``?municipality=<code>`` works on another municipality's applications
through a live remote-support grant (reading: viewer; matching and status: editor).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from victim_support import wiring
from victim_support.ledger import applications as service
from victim_support.ledger.queries import DISASTER_ID_PATTERN

from functions.staff_api.access import staff_municipality

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated

ApplicationPath = Annotated[str, Path(pattern=service.APPLICATION_ID_PATTERN, description="the portal's id")]
MunicipalityQuery = Annotated[str | None, Query(
    pattern=r"^\d{6}$", description="another municipality's applications, through a live remote-support grant")]


@router.post("/applications", summary="Receive an online application (idempotent on application_id) and match it")
def post_application(submission: service.ApplicationSubmission) -> Response[service.Application]:
    caller, code = staff_municipality(router)
    application, created = service.receive_application(
        code, submission, actor=caller.username, repository=wiring.applications(), reader=wiring.ledger_reader(),
        audit=wiring.audit())
    return Response(status_code=201 if created else 200, content_type=content_types.APPLICATION_JSON,
                    body=application)


@router.get("/applications", summary="A disaster's applications; match=pending is the staff matching queue")
def list_applications(
    disaster_id: Annotated[str, Query(pattern=DISASTER_ID_PATTERN)],
    status: Annotated[service.ApplicationStatus | None, Query()] = None,
    match: Annotated[service.MatchState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(pattern=service.APPLICATION_ID_PATTERN)] = None,
    municipality: MunicipalityQuery = None,
) -> service.ApplicationList:
    caller, _ = staff_municipality(router)
    return service.list_applications(
        caller, disaster_id, status=status, match=match, limit=limit, cursor=cursor, municipality=municipality,
        repository=wiring.applications(), reader=wiring.ledger_reader(), grants=wiring.grants(), audit=wiring.audit())


@router.get("/applications/<application_id>", summary="One application")
def get_application(application_id: ApplicationPath, municipality: MunicipalityQuery = None) -> service.Application:
    caller, _ = staff_municipality(router)
    return service.get_application(caller, application_id, municipality=municipality,
                                   repository=wiring.applications(), reader=wiring.ledger_reader(),
                                   grants=wiring.grants(), audit=wiring.audit())


@router.post("/applications/<application_id>/match", summary="Match an application to a ledger person by hand")
def post_match(application_id: ApplicationPath, request: service.MatchRequest,
               municipality: MunicipalityQuery = None) -> service.Application:
    caller, _ = staff_municipality(router)
    return service.match_application(caller, application_id, request, municipality=municipality,
                                     repository=wiring.applications(), reader=wiring.ledger_reader(),
                                     grants=wiring.grants(), audit=wiring.audit())


@router.post("/applications/<application_id>/status",
             summary="Move an application one step: 受付 → 調査中 → 判定済 → 交付可 → 交付済")
def post_status(application_id: ApplicationPath, request: service.StatusRequest,
                municipality: MunicipalityQuery = None) -> service.Application:
    caller, _ = staff_municipality(router)
    return service.change_status(caller, application_id, request, municipality=municipality,
                                 repository=wiring.applications(), reader=wiring.ledger_reader(),
                                 grants=wiring.grants(), audit=wiring.audit())
