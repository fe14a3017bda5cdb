"""Staff API: disasters and ledger commands.

Registering a disaster starts building its ledger (202); commands are checked, queued on the FIFO
queue and applied by the ``ledger_updates`` worker (202). ``?municipality=<code>`` sends a command to
another municipality's ledger through a live editor grant (read: a viewer grant suffices).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from victim_support import wiring
from victim_support.ledger import commands, disasters
from victim_support.ledger.models import (
    CommandAccepted,
    Disaster,
    DisasterClosure,
    DisasterList,
    DisasterRegistration,
    LedgerCommand,
)

from functions.staff_api.access import staff_municipality

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated

DisasterPath = Annotated[str, Path(pattern=r"^D\d{8}-[0-9a-f]{4}$", description="e.g. D20240101-3fa9")]
MunicipalityQuery = Annotated[str | None, Query(
    pattern=r"^\d{6}$", description="another municipality's ledger, through a live remote-support grant")]


@router.post("/disasters", summary="Register a disaster: its ledger is built from the current residents (202)")
def post_disaster(registration: DisasterRegistration) -> Response[Disaster]:
    caller, code = staff_municipality(router)
    disaster = disasters.register_disaster(code, registration, actor=caller.username, ctx=wiring.ledger_context())
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=disaster)


@router.get("/disasters", summary="The caller's municipality's disasters, newest first")
def list_disasters() -> DisasterList:
    _, code = staff_municipality(router)
    return disasters.list_disasters(code, ctx=wiring.ledger_context())


@router.get("/disasters/<disaster_id>", summary="A disaster: status (building, open, closed) and ledger counts")
def get_disaster(disaster_id: DisasterPath, municipality: MunicipalityQuery = None) -> Disaster:
    caller, _ = staff_municipality(router)
    return disasters.get_disaster(caller, disaster_id, municipality_code=municipality, ctx=wiring.ledger_context())


@router.post("/disasters/<disaster_id>/close", summary="Close a disaster's ledger: later commands are refused")
def post_close(disaster_id: DisasterPath, closure: DisasterClosure) -> Disaster:
    caller, code = staff_municipality(router)
    return disasters.close_disaster(code, disaster_id, closure, actor=caller.username, ctx=wiring.ledger_context())


@router.post("/disasters/<disaster_id>/commands",
             summary="Send one ledger command (survey, evacuation, support, consent, disclosure, correction, "
             "non-resident, closing a household); applied once, in order per household (202)")
def post_command(disaster_id: DisasterPath, command: Annotated[LedgerCommand, Body()],
                 municipality: MunicipalityQuery = None) -> Response[CommandAccepted]:
    caller, _ = staff_municipality(router)
    accepted = commands.accept_command(caller, disaster_id, command, municipality_code=municipality,
                                       ctx=wiring.ledger_context())
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)
