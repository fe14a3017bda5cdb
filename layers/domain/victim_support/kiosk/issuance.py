"""Kiosk issuance: the resident's choice becomes a certificate request, the document is handed to the
kiosk once, and the kiosk reports whether it printed.

``POST /kiosk/v1/issuances`` (``create_issuance``)
    The session must be the kiosk's own, live and authenticated; the option must be one the resident
    may print now (``printable.printable_options``: service hours, BCL's issuance server, 支援措置,
    moved out or died are all checked again) and the quote the current price × copies. The issuance
    is stored, then a certificate request (channel ``kiosk``) is queued for ``certificate_generation``.

    Idempotency: the issuance id is derived from the kiosk id and its ``Idempotency-Key``, and the item
    is written only if absent. A retry with the same key and the same body is answered with the first
    acceptance (``replayed``) and creates nothing; the same key with another body is refused
    (``KIOSK_IDEMPOTENCY_KEY_REUSED``). The stored item is the idempotency record, kept as long as
    the issuance (a charge must never be repeated because a cache entry expired), which is why this
    route does not use the time-limited Powertools idempotency store. The certificate request's id is
    chosen and stored before the request is made, so a retry after a crash in between queues it once.

``GET /kiosk/v1/issuances/{id}`` (``fetch_issuance``)
    ``pending`` while the certificate is generated; ``refused`` (``KIOSK_ISSUANCE_REFUSED``, neutral:
    the real code is in the audit trail) when generation refused it; ``ready`` with the signed PDF,
    exactly once: a conditional write moves the issuance to ``handed_out`` before the document is
    returned, so a second fetch (or a concurrent one) gets ``KIOSK_DOCUMENT_ALREADY_HANDED_OUT``. At
    hand-out the copy is recorded for billing and settlement (``certificates.service.record_issued``:
    the issuance record with the kiosk fee split, the ledger's 交付状況, the audit event).

``POST /kiosk/v1/issuances/{id}/result`` (``record_result``)
    ``printed`` closes the issuance. ``failed`` voids the charge (the issuance record stays, marked
    ``voided``, never billed) and revokes the certificate, so no paper of an uncharged copy verifies
    as valid; the resident may start again. Before hand-out a kiosk may report ``failed`` to abandon
    an issuance (nothing was charged, nothing will be handed out). The same result again is answered
    unchanged; a different one is ``KIOSK_RESULT_ALREADY_RECORDED``. The result does not need a live
    session: the kiosk must always be able to settle what it took.

Every key read begins with the municipality code of the session (the issuance id starts with it), and
an issuance of another kiosk is answered as unknown.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from victim_support.clock import iso
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.dynamo.conditions import conditional
from victim_support.errors import DomainError
from victim_support.kiosk.models import (
    IssuanceAccepted,
    IssuanceRequest,
    IssuanceResult,
    IssuanceResultRecorded,
    IssuanceState,
)
from victim_support.kiosk.printable import printable_options
from victim_support.kiosk.sessions import keep_alive, load_session
from victim_support.observability import logger, metrics

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from victim_support.certificates.context import CertificateContext
    from victim_support.certificates.store import RequestRecord
    from victim_support.kiosk.context import KioskContext

ISSUANCE_PREFIX = "ISSUANCE#"
POLL_AFTER_MS = 500
HIGAI_AFFECTED = "本人（被災者台帳に登録された被災）"  # a kiosk 被災証明書 certifies the person, as the ledger holds

Status = Literal["pending", "handed_out", "printed", "failed", "refused"]


class KioskIssuance(BaseModel):
    municipality_code: str
    issuance_id: str
    kiosk_id: str
    session_id: str
    request_sha256: str
    option_id: str
    kind: Literal["risai", "higai"]
    disaster_id: str
    household_id: str
    person_id: str
    copies: int
    price_per_copy_yen: int
    total_yen: int
    request_id: str
    status: Status = "pending"
    accepted_at: str
    certificate_number: str | None = None
    document_sha256: str | None = None
    handed_out_at: str | None = None
    refusal_code: str | None = None
    failure_code: str | None = None
    result_at: str | None = None
    version: int = 1

    def accepted(self) -> IssuanceAccepted:
        return IssuanceAccepted(issuance_id=self.issuance_id, option_id=self.option_id, copies=self.copies,
                                price_per_copy_yen=self.price_per_copy_yen, total_yen=self.total_yen,
                                accepted_at=self.accepted_at)


class KioskIssuanceRepository:
    """``kiosk_issuances``: pk = code, sk = ``ISSUANCE#<id>``; every update is conditional on the version."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def _key(code: str, issuance_id: str) -> dict[str, Any]:
        return {"pk": {"S": code}, "sk": {"S": ISSUANCE_PREFIX + issuance_id}}

    def get(self, code: str, issuance_id: str) -> KioskIssuance | None:
        resp = self._client.get_item(TableName=self._table, Key=self._key(code, issuance_id), ConsistentRead=True)
        item = resp.get("Item")
        if item is None:
            return None
        return KioskIssuance.model_validate({k: v for k, v in from_item(item).items() if k not in ("pk", "sk")})

    def _put(self, record: KioskIssuance, condition: str, values: dict[str, Any] | None = None) -> bool:
        item = to_item({"pk": record.municipality_code, "sk": ISSUANCE_PREFIX + record.issuance_id,
                        **record.model_dump(exclude_none=True)})
        kwargs: dict[str, Any] = {"ConditionExpression": condition}
        if values:
            kwargs["ExpressionAttributeValues"] = to_item(values)
        return conditional(self._client.put_item, TableName=self._table, Item=item, **kwargs)

    def create(self, record: KioskIssuance) -> bool:
        """Store a new issuance; False when one with its id (the same Idempotency-Key) exists."""
        return self._put(record, "attribute_not_exists(pk)")

    def replace(self, record: KioskIssuance, expected_version: int) -> bool:
        return self._put(record, "version = :expected", {":expected": expected_version})


def issuance_id_for(code: str, kiosk_id: str, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{kiosk_id}\n{idempotency_key}".encode()).hexdigest()
    return f"{code}-{digest[:32]}"


def _request_sha256(request: IssuanceRequest) -> str:
    return hashlib.sha256(json.dumps(request.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _load(kiosk_id: str, issuance_id: str, ctx: KioskContext) -> KioskIssuance:
    record = ctx.issuances.get(issuance_id[:6], issuance_id)
    if record is None or record.kiosk_id != kiosk_id:
        raise DomainError("KIOSK_ISSUANCE_NOT_FOUND")
    logger.append_keys(municipality_code=record.municipality_code)
    return record


def _certificate_request(record: KioskIssuance, ctx: KioskContext) -> None:
    """Ask for the certificate under the id the issuance stored (once, however often this runs)."""
    from victim_support.certificates.requests import CertificateRequestBody, request_certificate

    body = CertificateRequestBody(
        kind=record.kind, household_id=record.household_id, copies=record.copies,
        person_id=record.person_id if record.kind == "higai" else None,
        affected=HIGAI_AFFECTED if record.kind == "higai" else None,
        reason=f"コンビニ交付 ({record.kiosk_id})")
    request_certificate(record.municipality_code, record.disaster_id, body, channel="kiosk",
                        actor=f"kiosk:{record.kiosk_id}", ctx=ctx.certificates, request_id=record.request_id)


def create_issuance(kiosk_id: str, idempotency_key: str, request: IssuanceRequest, *,
                    ctx: KioskContext) -> tuple[IssuanceAccepted, bool]:
    """The acceptance, and whether it answers an earlier request with the same key (``replayed``)."""
    from victim_support.certificates.requests import new_request_id

    code = request.session_id[:6]
    issuance_id = issuance_id_for(code, kiosk_id, idempotency_key)
    request_sha256 = _request_sha256(request)
    existing = ctx.issuances.get(code, issuance_id)
    if existing is not None:
        return _replay(existing, request_sha256, ctx), True
    printable = printable_options(kiosk_id, request.session_id, ctx=ctx)
    option = printable.option(request.option_id)
    if option is None:
        raise DomainError("KIOSK_OPTION_NOT_AVAILABLE")
    if request.copies > option.public.max_copies:
        raise DomainError("KIOSK_OPTION_NOT_AVAILABLE", f"at most {option.public.max_copies} copies")
    price = printable.price_per_copy_yen
    if (request.quote.price_per_copy_yen, request.quote.total_yen) != (price, price * request.copies):
        raise DomainError("KIOSK_QUOTE_MISMATCH", f"{price} yen per copy, {price * request.copies} yen in total")
    session = printable.session
    assert session.person_id is not None  # printable_options answers authenticated sessions only
    record = KioskIssuance(
        municipality_code=code, issuance_id=issuance_id, kiosk_id=kiosk_id, session_id=session.session_id,
        request_sha256=request_sha256, option_id=option.public.option_id, kind=option.public.kind,
        disaster_id=option.public.disaster_id, household_id=option.household_id, person_id=session.person_id,
        copies=request.copies, price_per_copy_yen=price, total_yen=price * request.copies,
        request_id=new_request_id(code, ctx.certificates), accepted_at=iso(ctx.clock()),
    )
    keep_alive(session, ctx)
    if not ctx.issuances.create(record):  # the same key, concurrently: answer as the first
        stored = ctx.issuances.get(code, issuance_id)
        assert stored is not None
        return _replay(stored, request_sha256, ctx), True
    try:
        _certificate_request(record, ctx)
    except DomainError as refusal:
        _refuse(record, refusal.code, ctx)
        raise DomainError("KIOSK_ISSUANCE_REFUSED") from None
    ctx.audit.record(code, actor=f"kiosk:{kiosk_id}", action="kiosk.issuance_requested", target=issuance_id,
                     reason="コンビニ交付", details={
                         "kiosk_id": kiosk_id, "session_id": session.session_id, "person_id": session.person_id,
                         "kind": record.kind, "disaster_id": record.disaster_id, "copies": record.copies,
                         "total_yen": record.total_yen, "request_id": record.request_id})
    logger.info("kiosk issuance accepted", extra={"issuance_id": issuance_id, "kind": record.kind,
                                                  "copies": record.copies})
    return record.accepted(), False


def _replay(stored: KioskIssuance, request_sha256: str, ctx: KioskContext) -> IssuanceAccepted:
    if stored.request_sha256 != request_sha256:
        raise DomainError("KIOSK_IDEMPOTENCY_KEY_REUSED")
    if stored.status == "refused":
        raise DomainError("KIOSK_ISSUANCE_REFUSED")
    if stored.status == "pending" and ctx.certificates.store.get_request(stored.municipality_code,
                                                                          stored.request_id) is None:
        # The first attempt stopped between storing the issuance and queueing its request.
        try:
            _certificate_request(stored, ctx)
        except DomainError as refusal:
            _refuse(stored, refusal.code, ctx)
            raise DomainError("KIOSK_ISSUANCE_REFUSED") from None
    logger.info("kiosk issuance replayed", extra={"issuance_id": stored.issuance_id})
    return stored.accepted()


def _refuse(record: KioskIssuance, code: str, ctx: KioskContext) -> KioskIssuance:
    refused = record.model_copy(update={"status": "refused", "refusal_code": code, "version": record.version + 1})
    if not ctx.issuances.replace(refused, record.version):
        current = ctx.issuances.get(record.municipality_code, record.issuance_id)
        assert current is not None
        return current
    ctx.audit.record(record.municipality_code, actor=f"kiosk:{record.kiosk_id}", action="kiosk.issuance_refused",
                     target=record.issuance_id, reason=code,
                     details={"kiosk_id": record.kiosk_id, "request_id": record.request_id})
    logger.info("kiosk issuance refused", extra={"issuance_id": record.issuance_id, "code": code})
    return refused


def _state(record: KioskIssuance, status: Literal["pending", "ready", "refused"], **extra: Any) -> IssuanceState:
    return IssuanceState(issuance_id=record.issuance_id, status=status, copies=record.copies,
                         total_yen=record.total_yen, **extra)


def fetch_issuance(kiosk_id: str, issuance_id: str, *, ctx: KioskContext) -> IssuanceState:
    record = _load(kiosk_id, issuance_id, ctx)
    if record.status == "refused":
        return _state(record, "refused", code="KIOSK_ISSUANCE_REFUSED")
    if record.handed_out_at is not None:
        raise DomainError("KIOSK_DOCUMENT_ALREADY_HANDED_OUT")
    if record.status != "pending":  # abandoned by the kiosk before the document was ready
        raise DomainError("KIOSK_RESULT_ALREADY_RECORDED")
    keep_alive(load_session(kiosk_id, record.session_id, ctx), ctx)  # the resident is still at the kiosk
    certificates = ctx.certificates
    request = certificates.store.get_request(record.municipality_code, record.request_id)
    if request is None or request.status in ("pending", "numbered"):
        return _state(record, "pending", retry_after_ms=POLL_AFTER_MS)
    if request.status == "refused" or request.document_key is None:
        _refuse(record, request.refusal_code or "UNKNOWN", ctx)
        return _state(record, "refused", code="KIOSK_ISSUANCE_REFUSED")
    return _hand_out(record, request, certificates, ctx)


def _hand_out(record: KioskIssuance, request: RequestRecord, certificates: CertificateContext,
              ctx: KioskContext) -> IssuanceState:
    from victim_support.certificates.service import record_issued

    assert request.document_key is not None
    pdf = certificates.documents.get_certificate(request.document_key)
    sha256 = hashlib.sha256(pdf).hexdigest()
    if sha256 != request.document_sha256:
        raise RuntimeError(f"the stored document of {request.number} does not match its recorded hash")
    handed = record.model_copy(update={"status": "handed_out", "certificate_number": request.number,
                                       "document_sha256": sha256, "handed_out_at": iso(ctx.clock()),
                                       "version": record.version + 1})
    if not ctx.issuances.replace(handed, record.version):
        raise DomainError("KIOSK_DOCUMENT_ALREADY_HANDED_OUT")
    record_issued(request, certificates.tenants.require(record.municipality_code), certificates)
    ctx.audit.record(record.municipality_code, actor=f"kiosk:{record.kiosk_id}", action="kiosk.handed_out",
                     target=record.issuance_id, reason="コンビニ交付",
                     details={"kiosk_id": record.kiosk_id, "number": request.number, "copies": record.copies,
                              "document_sha256": sha256})
    metrics.add_metric(name="KioskDocumentsHandedOut", unit="Count", value=1)
    logger.info("kiosk document handed out", extra={"issuance_id": record.issuance_id, "number": request.number})
    return _state(record, "ready", certificate_number=request.number, document_sha256=sha256,
                  content_type="application/pdf", document_base64=base64.b64encode(pdf).decode("ascii"))


def record_result(kiosk_id: str, issuance_id: str, result: IssuanceResult, *,
                  ctx: KioskContext) -> IssuanceResultRecorded:
    record = _load(kiosk_id, issuance_id, ctx)
    if record.status in ("printed", "failed"):
        if record.status != result.outcome:
            raise DomainError("KIOSK_RESULT_ALREADY_RECORDED")
        return _recorded(record)
    if record.status == "refused" or (record.status == "pending" and result.outcome == "printed"):
        raise DomainError("KIOSK_ISSUANCE_NOT_READY")
    handed_out = record.status == "handed_out"
    final = record.model_copy(update={"status": result.outcome, "failure_code": result.failure_code,
                                      "result_at": iso(ctx.clock()), "version": record.version + 1})
    if not ctx.issuances.replace(final, record.version):
        return record_result(kiosk_id, issuance_id, result, ctx=ctx)  # changed meanwhile: answer from its state
    if result.outcome == "failed" and handed_out:
        _void(final, ctx)
    ctx.audit.record(record.municipality_code, actor=f"kiosk:{kiosk_id}", action=f"kiosk.{result.outcome}",
                     target=issuance_id, reason=result.failure_code or result.outcome,
                     details={"kiosk_id": kiosk_id, "number": record.certificate_number, "copies": record.copies,
                              "handed_out": handed_out})
    metrics.add_metric(name="KioskCopiesPrinted" if result.outcome == "printed" else "KioskPrintFailures",
                       unit="Count", value=record.copies if result.outcome == "printed" else 1)
    logger.info("kiosk result recorded", extra={"issuance_id": issuance_id, "outcome": result.outcome})
    return _recorded(final)


def _void(record: KioskIssuance, ctx: KioskContext) -> None:
    """The failed copy: its charge voided, its certificate revoked (no valid paper without a charge)."""
    from victim_support.certificates.requests import RevokeBody, revoke_certificate
    from victim_support.certificates.service import issuance_record

    certificates = ctx.certificates
    code = record.municipality_code
    request = certificates.store.get_request(code, record.request_id)
    assert request is not None and request.number is not None
    # False when never charged: the hand-out stopped before the charge was recorded.
    certificates.need_issuances().void(issuance_record(request, certificates.tenants.require(code)))
    reason = f"コンビニ交付の印刷失敗 ({record.failure_code or '-'})"
    revoke_certificate(code, request.number, RevokeBody(reason=reason), actor=f"kiosk:{record.kiosk_id}",
                       ctx=certificates)


def _recorded(record: KioskIssuance) -> IssuanceResultRecorded:
    assert record.result_at is not None and record.status in ("printed", "failed")
    status: Literal["printed", "failed"] = "printed" if record.status == "printed" else "failed"
    return IssuanceResultRecorded(issuance_id=record.issuance_id, status=status, recorded_at=record.result_at,
                                  charged_yen=record.total_yen if status == "printed" else 0)
