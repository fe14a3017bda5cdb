"""Staff API: onboarding (利用申し込み) applications and the checklist both sides share.

The operator registers and reads applications; municipal staff read their own checklist (the
municipality comes from the caller's claims) and move the steps their municipality does.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from victim_support import wiring
from victim_support.observability import logger
from victim_support.onboarding import service
from victim_support.onboarding.models import ApplicationList, ApplicationRequest, Checklist, ProgressUpdate

from functions.staff_api.access import caller_of, operator, staff_municipality

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated

CodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]
KeyPath = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$", description="Step or milestone key, e.g. hearing_sheet")]


@router.put("/onboarding/applications/<code>", summary="Create or update an onboarding application (operator)")
def put_application(code: CodePath, request: ApplicationRequest) -> Checklist:
    caller = operator(router)
    logger.append_keys(municipality_code=code)
    return service.apply(code, request, actor=caller.username, repository=wiring.onboarding(),
                         audit=wiring.audit())


@router.get("/onboarding/applications/<code>", summary="A municipality's onboarding checklist (operator)")
def get_application(code: CodePath) -> Checklist:
    operator(router)
    logger.append_keys(municipality_code=code)
    return service.checklist(code, repository=wiring.onboarding())


@router.get("/onboarding/applications", summary="Every onboarding application with its progress (operator)")
def list_applications() -> ApplicationList:
    operator(router)
    return service.list_applications(repository=wiring.onboarding())


@router.get("/onboarding", summary="The caller's own municipality's onboarding checklist")
def get_own_checklist() -> Checklist:
    _, code = staff_municipality(router)
    return service.checklist(code, repository=wiring.onboarding())


@router.put("/onboarding/applications/<code>/steps/<key>",
            summary="Move a schedule step (operator: any; staff: their municipality's own work)")
def put_step(code: CodePath, key: KeyPath, update: ProgressUpdate) -> Checklist:
    logger.append_keys(municipality_code=code)
    return service.update_progress(code, "step", key, update, caller=caller_of(router),
                                   repository=wiring.onboarding(), audit=wiring.audit())


@router.put("/onboarding/applications/<code>/milestones/<key>",
            summary="Move a milestone: BOS account, application forms, contracts (same rules as steps)")
def put_milestone(code: CodePath, key: KeyPath, update: ProgressUpdate) -> Checklist:
    logger.append_keys(municipality_code=code)
    return service.update_progress(code, "milestone", key, update, caller=caller_of(router),
                                   repository=wiring.onboarding(), audit=wiring.audit())
