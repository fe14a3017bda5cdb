"""Staff API: municipalities (operator) and resident uploads (municipal staff).

The municipality always comes from the caller's authorizer claims, never from the request body.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support import wiring
from victim_support.aws import get_clients
from victim_support.intake.models import UploadRequest, UploadStatusView, UploadTicket
from victim_support.intake.uploads import request_upload, upload_status
from victim_support.observability import logger, metrics, tracer
from victim_support.settings import get_settings
from victim_support.tenants.models import Municipality, MunicipalityRegistration
from victim_support.tenants.service import register_municipality

from functions.api_errors import install_error_handlers
from functions.staff_api.access import operator, staff_municipality
from functions.staff_api.applications_routes import router as applications_router
from functions.staff_api.certificate_routes import router as certificate_router
from functions.staff_api.fees_routes import router as fees_router
from functions.staff_api.grant_routes import router as grant_router
from functions.staff_api.kiosk_admin_routes import router as kiosk_admin_router
from functions.staff_api.ledger_query_routes import router as ledger_query_router
from functions.staff_api.ledger_routes import router as ledger_router
from functions.staff_api.onboarding_routes import router as onboarding_router

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(onboarding_router)
app.include_router(fees_router)
app.include_router(ledger_router)
app.include_router(ledger_query_router)
app.include_router(applications_router)
app.include_router(grant_router)
app.include_router(certificate_router)
app.include_router(kiosk_admin_router)

CodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]


@app.put("/municipalities/<code>", summary="Register or update a municipality (operator)")
def put_municipality(code: CodePath, registration: MunicipalityRegistration) -> Municipality:
    caller = operator(app)
    return register_municipality(code, registration, actor=caller.username, tenants=wiring.tenants(),
                                 audit=wiring.audit())


@app.get("/municipalities/<code>", summary="A registered municipality (operator)")
def get_municipality(code: CodePath) -> Municipality:
    operator(app)
    return wiring.tenants().require(code)


@app.get("/municipality", summary="The caller's own municipality")
def get_own_municipality() -> Municipality:
    _, code = staff_municipality(app)
    return wiring.tenants().require(code)


@app.post("/uploads", summary="Start a resident file upload: returns a presigned PUT")
def post_upload(request: UploadRequest) -> Response[UploadTicket]:
    caller, code = staff_municipality(app)
    settings = get_settings()
    ticket = request_upload(
        code, caller.username, request, tenants=wiring.tenants(), jobs=wiring.jobs(), audit=wiring.audit(),
        s3=get_clients().s3, bucket=settings.bucket("uploads"), expires_in=settings.presign_expiry_seconds,
        max_bytes=settings.max_upload_bytes,
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=ticket)


@app.get("/uploads/<upload_id>", summary="Status, progress and counts of an upload")
def get_upload(upload_id: Annotated[str, Path(max_length=80)]) -> UploadStatusView:
    _, code = staff_municipality(app)
    return upload_status(code, upload_id, jobs=wiring.jobs(), reports=wiring.reports(),
                         link_expires_in=get_settings().report_link_expiry_seconds)


install_error_handlers(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
