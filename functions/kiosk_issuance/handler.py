"""Kiosk API (コンビニ交付): sessions, the resident's card, what may be printed, issuance.

Every request was authenticated before it gets here: on AWS by the kiosk API's Lambda REQUEST
authorizer (``authorizer.py``), locally by the gateway invoking the same authorizer; the kiosk id
arrives in ``requestContext.authorizer``. The authorizer never sees the body, so this handler checks
the body against the signed ``X-Kiosk-Content-SHA256`` before anything reads it (``kiosk.signing``).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support.errors import DomainError
from victim_support.kiosk.context import kiosk_context
from victim_support.kiosk.models import (
    IDEMPOTENCY_KEY_PATTERN,
    ISSUANCE_ID_PATTERN,
    SESSION_ID_PATTERN,
    CardAuthentication,
    IssuanceAccepted,
    IssuanceRequest,
    IssuanceResult,
    IssuanceResultRecorded,
    IssuanceState,
    PrintableList,
    SessionAuthenticated,
    SessionOpened,
    SessionRequest,
)
from victim_support.kiosk.printable import list_printable
from victim_support.kiosk.sessions import authenticate, open_session
from victim_support.kiosk.signing import HEADER_CONTENT_SHA256, check_body
from victim_support.observability import logger, metrics, tracer

from functions.api_errors import install_error_handlers

app = APIGatewayRestResolver(enable_validation=True)

SessionPath = Annotated[str, Path(pattern=SESSION_ID_PATTERN, description="the session id (code-32 hex)")]
IssuancePath = Annotated[str, Path(pattern=ISSUANCE_ID_PATTERN, description="the issuance id (code-32 hex)")]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", description="the kiosk's key for this purchase (8-64 characters [A-Za-z0-9_-]); "
    "the same key with the same body is answered with the first result and charged once")]
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def _kiosk_id() -> str:
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    kiosk_id = context.get("kiosk_id")
    if not kiosk_id:  # only an API deployed without its authorizer gets here
        raise DomainError("KIOSK_UNKNOWN", "no kiosk in the authorizer context")
    logger.append_keys(kiosk_id=kiosk_id)
    return str(kiosk_id)


@app.post("/kiosk/v1/sessions", summary="Open a session for a municipality: returns the nonce the card signs")
def post_session(request: SessionRequest) -> Response[SessionOpened]:
    opened = open_session(_kiosk_id(), request, ctx=kiosk_context())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=opened)


@app.post("/kiosk/v1/sessions/<session_id>/authenticate",
          summary="Authenticate the resident: the card's certificate and its signature over the nonce")
def post_authenticate(session_id: SessionPath, body: CardAuthentication) -> SessionAuthenticated:
    return authenticate(_kiosk_id(), session_id, body, ctx=kiosk_context())


@app.get("/kiosk/v1/sessions/<session_id>/certificates",
         summary="What the authenticated resident may print now, per disaster, with the price per copy")
def get_certificates(session_id: SessionPath) -> PrintableList:
    return list_printable(_kiosk_id(), session_id, ctx=kiosk_context())


@app.post("/kiosk/v1/issuances", summary="Ask for the chosen certificate and copies at the quoted price "
          "(Idempotency-Key header: a retry is answered with the first result)")
def post_issuance(request: IssuanceRequest, idempotency_key: IdempotencyKey = None) -> Response[IssuanceAccepted]:
    from victim_support.kiosk.issuance import create_issuance

    if idempotency_key is None or not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise DomainError("KIOSK_IDEMPOTENCY_KEY_REQUIRED")
    accepted, replayed = create_issuance(_kiosk_id(), idempotency_key, request, ctx=kiosk_context())
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted,
                    headers={"Idempotent-Replayed": "true" if replayed else "false"})


@app.get("/kiosk/v1/issuances/<issuance_id>",
         summary="The issuance's state: pending (ask again), ready with the signed PDF (handed out once), or refused")
def get_issuance(issuance_id: IssuancePath) -> IssuanceState:
    from victim_support.kiosk.issuance import fetch_issuance

    return fetch_issuance(_kiosk_id(), issuance_id, ctx=kiosk_context())


@app.post("/kiosk/v1/issuances/<issuance_id>/result",
          summary="What the printer did: printed, or failed (a failure voids the charge and the certificate)")
def post_result(issuance_id: IssuancePath, result: IssuanceResult) -> IssuanceResultRecorded:
    from victim_support.kiosk.issuance import record_result

    return record_result(_kiosk_id(), issuance_id, result, ctx=kiosk_context())


install_error_handlers(app)


def body_refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 403 proxy response when the body is not the one the kiosk signed (before validation reads it)."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    try:
        check_body(headers.get(HEADER_CONTENT_SHA256.lower()), body)
    except DomainError as error:
        return {"statusCode": error.spec.http_status, "headers": {"Content-Type": content_types.APPLICATION_JSON},
                "body": json.dumps(error.to_dict(), ensure_ascii=False), "isBase64Encoded": False}
    return None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return body_refusal(event) or app.resolve(event, context)
