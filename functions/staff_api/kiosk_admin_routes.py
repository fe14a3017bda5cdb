"""Staff API (operator): the kiosk registry and each municipality's kiosk service hours."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from victim_support.kiosk.context import kiosk_context
from victim_support.kiosk.hours import KioskService, KioskServiceView, set_service
from victim_support.kiosk.models import KIOSK_ID_PATTERN, KioskList, KioskRegistered, KioskRegistration
from victim_support.kiosk.registry import list_kiosks, register_kiosk
from victim_support.observability import logger

from functions.staff_api.access import operator

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated

KioskIdPath = Annotated[str, Path(pattern=KIOSK_ID_PATTERN, description="the kiosk's id (3-40 letters, digits, _ -)")]
CodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]


@router.put("/kiosks/<kiosk_id>",
            summary="Register a kiosk (the HMAC secret is returned once), or update, enable or disable it (operator)")
def put_kiosk(kiosk_id: KioskIdPath, registration: KioskRegistration) -> Response[KioskRegistered]:
    caller = operator(router)
    ctx = kiosk_context()
    registered = register_kiosk(kiosk_id, registration, actor=caller.username, registry=ctx.registry,
                                box=ctx.secrets, audit=ctx.audit, clock=ctx.clock)
    return Response(status_code=201 if registered.created else 200, content_type=content_types.APPLICATION_JSON,
                    body=registered)


@router.get("/kiosks", summary="Every registered kiosk (never its secret) (operator)")
def get_kiosks() -> KioskList:
    operator(router)
    return list_kiosks(registry=kiosk_context().registry)


@router.put("/municipalities/<code>/kiosk-service",
            summary="Set a municipality's kiosk service hours, closed periods and maintenance windows (operator)")
def put_kiosk_service(code: CodePath, service: KioskService) -> KioskServiceView:
    caller = operator(router)
    logger.append_keys(municipality_code=code)
    ctx = kiosk_context()
    return set_service(code, service, actor=caller.username, repository=ctx.service_hours, audit=ctx.audit,
                       clock=ctx.clock)


@router.get("/municipalities/<code>/kiosk-service",
            summary="A municipality's kiosk service hours (the defaults when never set) (operator)")
def get_kiosk_service(code: CodePath) -> KioskServiceView:
    operator(router)
    return kiosk_context().service_hours.get(code)
