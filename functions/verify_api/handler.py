"""Public verification of certificates: ``GET /verify/{number}?code=…`` and
``POST /verify/{number}/document``.

The route has no authorizer (anyone holding a paper may check it); ``{number}`` is the public
reference ``<municipality code>-<整理番号>`` that the QR code carries. Answers never hold personal
data and are not cached. The document is posted as ``application/pdf`` (API Gateway passes it
base64-encoded) or as JSON ``{"document_base64": "…"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support import wiring
from victim_support.certificates.public import (
    MAX_DOCUMENT_BYTES,
    DocumentVerification,
    VerificationAnswer,
    verify_certificate,
    verify_document,
)
from victim_support.errors import DomainError
from victim_support.observability import logger, metrics, tracer

from functions.api_errors import install_error_handlers

app = APIGatewayRestResolver(enable_validation=True)

ReferencePath = Annotated[str, Path(min_length=1, max_length=40,
                                    description="<団体コード>-<整理番号>, e.g. 434434-R8-000123")]
NO_STORE = {"Cache-Control": "no-store"}


@app.get("/verify/<number>", summary="Is this certificate valid? (the verification code printed on it)")
def get_verification(number: ReferencePath,
                     code: Annotated[str, Query(max_length=40, description="検証コード")] = "") -> Response[Any]:
    answer = verify_certificate(number, code, store=wiring.certificate_store(), keys=wiring.signing_keys(),
                                tenants=wiring.tenants())
    logger.info("verification answered", extra={"status": answer.status})
    return _reply(200, answer)


@app.post("/verify/<number>/document",
          summary="Is this file the certificate issued, and is its signature valid? (PDF, or base64 in JSON)")
def post_document(number: ReferencePath) -> Response[Any]:
    result = verify_document(number, _document(), store=wiring.certificate_store(), keys=wiring.signing_keys(),
                             tenants=wiring.tenants())
    logger.info("document verification answered", extra={"document": result.document,
                                                          "signature_valid": result.signature_valid})
    return _reply(200, result)


def _document() -> bytes:
    event = app.current_event
    raw = event.body or ""
    content_type = (event.headers.get("Content-Type") or event.headers.get("content-type") or "").lower()
    try:
        if event.is_base64_encoded:
            data = base64.b64decode(raw, validate=True)
        elif content_type.startswith("application/json"):
            data = base64.b64decode(str(json.loads(raw)["document_base64"]), validate=True)
        else:
            data = raw.encode("latin-1")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        raise DomainError("CERTIFICATE_DOCUMENT_INVALID", "send the PDF, or JSON {\"document_base64\": …}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DomainError("CERTIFICATE_DOCUMENT_INVALID", f"at most {MAX_DOCUMENT_BYTES} bytes")
    return data


def _reply(status: int, body: VerificationAnswer | DocumentVerification | dict[str, Any]) -> Response[Any]:
    payload = body.model_dump(mode="json") if not isinstance(body, dict) else body
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=payload, headers=NO_STORE)


install_error_handlers(app, headers=NO_STORE, validation_details=False)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
