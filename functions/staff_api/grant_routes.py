"""Staff API: remote-support grants (遠隔支援). The stricken municipality grants, lists and revokes access
to one disaster's ledger; a helping municipality lists what it holds."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from victim_support import wiring
from victim_support.ledger import access
from victim_support.ledger.queries import DISASTER_ID_PATTERN

from functions.staff_api.access import staff_municipality

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated

DisasterPath = Annotated[str, Path(pattern=DISASTER_ID_PATTERN)]
GrantPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")]


@router.post("/disasters/<disaster_id>/grants", summary="Grant another municipality access to this disaster's ledger")
def post_grant(disaster_id: DisasterPath, request: access.GrantRequest) -> Response[access.Grant]:
    caller, code = staff_municipality(router)
    grant = access.grant_for_disaster(code, disaster_id, request, actor=caller.username,
                                      disasters=wiring.ledger_reader(), grants=wiring.grants(), audit=wiring.audit())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=grant)


@router.get("/disasters/<disaster_id>/grants", summary="The grants given for this disaster, live ones flagged")
def list_grants(disaster_id: DisasterPath) -> access.GrantList:
    _, code = staff_municipality(router)
    return access.grants_given(code, disaster_id, grants=wiring.grants())


@router.post("/disasters/<disaster_id>/grants/<grant_id>/revoke", summary="Revoke a grant (at once)")
def revoke(disaster_id: DisasterPath, grant_id: GrantPath, request: access.RevokeRequest) -> access.Grant:
    caller, code = staff_municipality(router)
    return access.revoke_disaster_grant(code, disaster_id, grant_id, actor=caller.username, reason=request.reason,
                                        grants=wiring.grants(), audit=wiring.audit())


@router.get("/grants", summary="The grants the caller's municipality holds from others, live ones flagged")
def held_grants() -> access.GrantList:
    _, code = staff_municipality(router)
    return access.grants_held(code, grants=wiring.grants())
