"""The JSON error answers every REST resolver gives: a stable code with its English and Japanese
messages (``{"code", "message", "message_ja", ...}``), for domain refusals, request validation
failures (locations and types, never the values) and unknown routes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from victim_support.errors import CATALOG, DomainError


def install_error_handlers(app: APIGatewayRestResolver, *, headers: dict[str, str] | None = None,
                           validation_details: bool = True) -> None:
    """``validation_details=False`` answers a validation failure with its code only (public routes)."""

    def reply(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
        return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                        headers=dict(headers or {}))

    @app.exception_handler(DomainError)
    def on_domain_error(error: DomainError) -> Response[dict[str, Any]]:
        return reply(error.spec.http_status, error.to_dict())

    @app.exception_handler(RequestValidationError)
    def on_validation_error(error: RequestValidationError) -> Response[dict[str, Any]]:
        spec = CATALOG["VALIDATION_ERROR"]
        body: dict[str, Any] = {"code": spec.code, "message": spec.en, "message_ja": spec.ja}
        if validation_details:
            body["errors"] = [
                {"location": ".".join(str(p) for p in e.get("loc", ())), "type": e.get("type"),
                 "message": e.get("msg")}
                for e in error.errors()
            ]
        return reply(spec.http_status, body)

    @app.not_found
    def on_not_found(_: Exception) -> Response[dict[str, Any]]:
        spec = CATALOG["NOT_FOUND"]
        return reply(404, {"code": spec.code, "message": spec.en, "message_ja": spec.ja})
