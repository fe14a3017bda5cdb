"""Staff API: certificates (罹災証明書・被災証明書) — seals, requests, re-issues, revocations — and the
operator's creation of a municipality's signing key.

Requests are checked and queued (202); the ``certificate_generation`` worker numbers, renders, signs
and stores them. The municipality always comes from the caller's claims.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from victim_support import wiring
from victim_support.certificates import requests, seals
from victim_support.certificates.keys_registry import SigningKeyRequest, SigningKeyView, create_signing_key
from victim_support.certificates.numbering import NUMBER_PATTERN
from victim_support.certificates.store import SealRecord

from functions.staff_api.access import operator, staff_municipality

router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated

CodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]
DisasterPath = Annotated[str, Path(pattern=r"^D\d{8}-[0-9a-f]{4}$", description="e.g. D20240101-3fa9")]
NumberPath = Annotated[str, Path(pattern=NUMBER_PATTERN, description="整理番号, e.g. R8-000123")]
RequestPath = Annotated[str, Path(pattern=requests.REQUEST_ID_PATTERN)]
SealPath = Annotated[str, Path(pattern=seals.SEAL_ID_PATTERN)]


@router.post("/municipalities/<code>/signing-key",
             summary="Create the municipality's certificate signing key, its certificate and verification secret "
             "(operator; once: later calls answer the existing key)")
def post_signing_key(code: CodePath, request: SigningKeyRequest) -> Response[SigningKeyView]:
    caller = operator(router)
    ctx = wiring.certificate_context()
    view = create_signing_key(code, request, actor=caller.username, store=ctx.store, tenants=ctx.tenants,
                              kms=ctx.kms, data_key_id=ctx.need(ctx.data_key_id, "key data"), audit=ctx.audit,
                              clock=ctx.clock)
    return Response(status_code=201 if view.created else 200, content_type=content_types.APPLICATION_JSON,
                    body=view)


@router.post("/seals", summary="Start registering an official seal (公印): returns a presigned PUT for the PNG")
def post_seal(request: seals.SealUploadRequest) -> Response[seals.SealTicket]:
    caller, code = staff_municipality(router)
    ctx = wiring.certificate_context()
    ticket = seals.request_seal_upload(code, caller.username, request, store=ctx.store, documents=ctx.documents,
                                       tenants=ctx.tenants, audit=ctx.audit, expires_in=ctx.presign_expiry_seconds,
                                       clock=ctx.clock)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=ticket)


@router.post("/seals/<seal_id>/confirm", summary="Check the uploaded seal image and register it with a version")
def post_seal_confirm(seal_id: SealPath) -> SealRecord:
    caller, code = staff_municipality(router)
    ctx = wiring.certificate_context()
    return seals.confirm_seal(code, seal_id, caller.username, store=ctx.store, documents=ctx.documents,
                              audit=ctx.audit, clock=ctx.clock)


@router.get("/seals", summary="The municipality's seals and their versions")
def get_seals() -> seals.SealList:
    _, code = staff_municipality(router)
    return seals.list_seals(code, store=wiring.certificate_context().store)


@router.post("/disasters/<disaster_id>/certificates",
             summary="Request a 罹災証明書 or 被災証明書 at the counter: checked, then issued by the worker (202)")
def post_certificate_request(disaster_id: DisasterPath,
                             body: requests.CertificateRequestBody) -> Response[requests.RequestAccepted]:
    caller, code = staff_municipality(router)
    accepted = requests.request_certificate(code, disaster_id, body, channel="counter", actor=caller.username,
                                            ctx=wiring.certificate_context())
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)


@router.get("/certificates/requests/<request_id>",
            summary="A request's status: pending, issued (number and a short-lived download link) or refused (code)")
def get_certificate_request(request_id: RequestPath) -> requests.RequestView:
    _, code = staff_municipality(router)
    return requests.request_status(code, request_id, ctx=wiring.certificate_context())


@router.get("/certificates/<number>", summary="A certificate: kind, status, current issue and re-issue count")
def get_certificate(number: NumberPath) -> requests.CertificateView:
    _, code = staff_municipality(router)
    return requests.get_certificate(code, number, ctx=wiring.certificate_context())


@router.post("/certificates/<number>/reissue",
             summary="Re-issue (再交付) under the same number with a new verification code and document (202)")
def post_reissue(number: NumberPath, body: requests.ReissueBody) -> Response[requests.RequestAccepted]:
    caller, code = staff_municipality(router)
    accepted = requests.request_reissue(code, number, body, channel="counter", actor=caller.username,
                                        ctx=wiring.certificate_context())
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)


@router.post("/certificates/<number>/revoke", summary="Revoke a certificate (the public verification says revoked)")
def post_revoke(number: NumberPath, body: requests.RevokeBody) -> requests.CertificateView:
    caller, code = staff_municipality(router)
    return requests.revoke_certificate(code, number, body, actor=caller.username, ctx=wiring.certificate_context())
