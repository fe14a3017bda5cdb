"""The generation worker: one stored request → a signed PDF in S3 and every record of it.

For a ``pending`` request:

1. Re-check eligibility against the ledger as it is now (``requests.check_eligibility``); a refusal
   marks the request ``refused`` with its code (audited) and takes no number.
2. Resolve what the paper prints: the municipality (name), the seal in force on the date of issue
   (its mayor's title and name, and the image, checked against the SHA-256 registered), the
   verification code (HMAC under the municipality's secret) and URL.
3. Take the number (``numbering.allocate_number``) in one transaction with the certificate record
   (``issuing``) and the request (``numbered``). The document is rendered inside the attempt with the
   number it would take, so a field that cannot be printed refuses the request before any number is
   taken. A re-issue takes no number: the certificate record is marked with the pending issue
   (re-issue count + 1) under its version.
4. Sign (``KmsSigner``: KMS ``Sign`` with the municipality's key), store the PDF under
   ``<code>/certificates/<FY>/<number>-<nn>.pdf``, then in one transaction: the certificate's current
   issue (``issued``, SHA-256 of the signed file), the issue item, and the request (``issued``).
5. The issuance record (channel, copies, fees per copy, document hash), the ledger household's
   certificate status (罹災証明書 only, ``ledger_link``), and the audit event ``certificate.issued``
   (``record_issued``). For the kiosk channel this step waits for the kiosk to take the document
   (``kiosk.issuance``): a copy no kiosk fetched is never charged nor counted as handed out.

A redelivered message resumes where the last attempt stopped: a ``numbered`` request is rendered
again with its number and date of issue, an ``issued`` one only repeats step 5, whose writes are
idempotent (the issuance record is written once; the audit event only with it).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from victim_support.certificates.context import CertificateContext
from victim_support.certificates.ledger_link import set_certificate_status
from victim_support.certificates.models import CertificateContent
from victim_support.certificates.numbering import (
    AllocationRefused,
    allocate_number,
    fiscal_year_of_date,
)
from victim_support.certificates.public import public_reference
from victim_support.certificates.render import render_certificate
from victim_support.certificates.requests import LedgerFacts, RequestMessage, check_eligibility, read_facts
from victim_support.certificates.seals import printable_seal, seal_in_force
from victim_support.certificates.signing import sign_pdf
from victim_support.certificates.store import (
    CertificateRecord,
    IssueRecord,
    RequestRecord,
    SealRecord,
    TransactItem,
    cancellation_codes,
    certificate_item,
    certificate_object_key,
    expect_version,
    issue_item,
    request_item,
)
from victim_support.certificates.verification import verification_code, verify_url
from victim_support.clock import JST, iso
from victim_support.errors import DomainError
from victim_support.fees import CertificateType, bcl_issuance_fee, kiosk_copy_charge
from victim_support.issuances.models import IssuanceRecord
from victim_support.observability import logger
from victim_support.tenants.models import Municipality

MAX_ATTEMPTS = 5


class IssueOutcome(BaseModel):
    request_id: str
    status: Literal["issued", "refused", "missing"]
    number: str | None = None
    reissue_count: int | None = None
    code: str | None = None


class RetryLater(Exception):
    """Another writer kept changing the items: the message goes back to the queue."""


@dataclass(frozen=True)
class Material:
    """Everything a request's document is made from, besides the number."""

    tenant: Municipality
    facts: LedgerFacts
    seal: SealRecord
    seal_png: bytes
    secret: bytes
    verify_base: str


# --- Entry point ---------------------------------------------------------------------------------

def issue_requested(message: RequestMessage, ctx: CertificateContext) -> IssueOutcome:
    code = message.municipality_code
    request = ctx.store.get_request(code, message.request_id)
    if request is None:
        logger.warning("certificate request not found", extra={"request_id": message.request_id})
        return IssueOutcome(request_id=message.request_id, status="missing")
    if request.status == "refused":
        return _outcome(request)
    tenant = ctx.tenants.require(code)  # read once: the fee and the name must agree across the steps
    if request.status == "pending":
        try:
            request, pdf = _take_number(request, tenant, ctx)
        except DomainError as error:
            return _refuse(request, error, ctx)
    else:
        pdf = None
    if request.status == "numbered":
        request = _produce(request, pdf, tenant, ctx)
        if request.status == "refused":
            return _outcome(request)
    if request.channel != "kiosk":  # a kiosk's copy counts as issued when the kiosk takes the document
        record_issued(request, tenant, ctx)
    return _outcome(request)


def _outcome(request: RequestRecord) -> IssueOutcome:
    status: Literal["issued", "refused"] = "refused" if request.status == "refused" else "issued"
    return IssueOutcome(request_id=request.request_id, status=status, number=request.number,
                        reissue_count=request.reissue_count, code=request.refusal_code)


def _refuse(request: RequestRecord, error: DomainError, ctx: CertificateContext) -> IssueOutcome:
    refused = request.model_copy(update={"status": "refused", "refusal_code": error.code,
                                         "refusal_detail": error.detail, "version": request.version + 1})
    if not ctx.store.replace(request_item(refused), request.version):
        raise RetryLater("the request changed while it was being refused")
    ctx.audit.record(request.municipality_code, actor=request.requested_by, action="certificate.refused",
                     target=request.request_id, reason=error.code,
                     details={"kind": request.kind, "disaster_id": request.disaster_id,
                              "household_id": request.household_id, "reissue_of": request.reissue_of})
    logger.info("certificate request refused", extra={"request_id": request.request_id, "code": error.code})
    return _outcome(refused)


# --- What the paper prints -----------------------------------------------------------------------

def _material(request: RequestRecord, issued_on: date, tenant: Municipality, ctx: CertificateContext, *,
              check: bool) -> Material:
    code = request.municipality_code
    facts = read_facts(ctx.need_ledger(), code, request.disaster_id, request.household_id)
    if check:
        check_eligibility(request.kind, facts, person_id=request.person_id)
    elif facts.disaster is None or facts.household is None:
        raise DomainError("LEDGER_HOUSEHOLD_NOT_FOUND")
    profile = ctx.keys.profile(code)
    seal = seal_in_force(ctx.store.seals(code), issued_on)
    if seal is None:
        raise DomainError("CERTIFICATE_SEAL_MISSING")
    assert profile.verify_base is not None
    return Material(tenant=tenant, facts=facts, seal=seal, seal_png=_seal_image(seal, ctx),
                    secret=ctx.keys.secret(code), verify_base=profile.verify_base)


def _seal_image(seal: SealRecord, ctx: CertificateContext) -> bytes:
    cached = ctx.seal_images.get(seal.seal_id)
    if cached is not None:
        return cached
    data = ctx.documents.get_seal(seal.object_key, seal.size_bytes)
    # The registered bytes or nothing: an object replaced after registration is not the seal approved.
    if data is None or hashlib.sha256(data).hexdigest() != seal.sha256:
        raise DomainError("CERTIFICATE_SEAL_INVALID", "the stored seal image is not the one registered")
    printable = printable_seal(data)
    ctx.seal_images[seal.seal_id] = printable
    return printable


def _head_address(facts: LedgerFacts) -> str:
    assert facts.household is not None
    head = facts.person(facts.household.head_person_id)
    if head is None or not head.address:
        return facts.household.dwelling_address
    return f"{head.address} {head.address_extra}".strip()


def build_content(request: RequestRecord, material: Material, *, number: str, reissue_count: int,
                  issued_on: date) -> CertificateContent:
    """The certificate's fields from the ledger; ``CERTIFICATE_CONTENT_INVALID`` names the fields the
    form cannot take (never their values: they are personal data)."""
    facts, tenant, code = material.facts, material.tenant, request.municipality_code
    assert facts.disaster is not None and facts.household is not None
    household = facts.household
    person = facts.person(request.person_id)
    if person is not None:
        members: tuple[str, ...] = (person.name,)
    elif request.members:
        members = tuple(p.name for p in facts.persons)
    else:
        members = ()
    vcode = verification_code(material.secret, code, number, issued_on, reissue_count)
    try:
        return CertificateContent(
            kind=request.kind, number=number, reissue_count=reissue_count, municipality_code=code,
            municipality_name=tenant.name, mayor_title=material.seal.mayor_title,
            mayor_name=material.seal.mayor_name, head_address=_head_address(facts), head_name=household.head_name,
            dwelling_address=household.dwelling_address, cause=facts.disaster.cause,
            disaster_name=facts.disaster.name, disaster_date=facts.disaster.occurred_on,
            damage_level=household.damage_level if request.kind == "risai" else None,
            affected=request.affected if request.kind == "higai" else None, members=members, issued_on=issued_on,
            verification_code=vcode,
            verify_url=verify_url(material.verify_base, public_reference(code, number), vcode),
        )
    except ValidationError as error:
        fields = sorted({str(e["loc"][0]) for e in error.errors() if e.get("loc")})
        raise DomainError("CERTIFICATE_CONTENT_INVALID", ", ".join(fields) or None) from None


def _render(request: RequestRecord, material: Material, number: str, reissue_count: int, issued_on: date) -> bytes:
    content = build_content(request, material, number=number, reissue_count=reissue_count, issued_on=issued_on)
    return render_certificate(content, seal_png=material.seal_png)


# --- Taking the number ---------------------------------------------------------------------------

def _take_number(request: RequestRecord, tenant: Municipality,
                 ctx: CertificateContext) -> tuple[RequestRecord, bytes]:
    now = ctx.clock()
    issued_on = now.astimezone(JST).date()
    material = _material(request, issued_on, tenant, ctx, check=True)
    if request.reissue_of is not None:
        return _reserve_reissue(request, material, issued_on, iso(now), ctx)
    fiscal_year = fiscal_year_of_date(issued_on)
    store = ctx.store
    made: dict[str, tuple[RequestRecord, bytes]] = {}

    def items_for(number: str) -> list[TransactItem]:
        pdf = _render(request, material, number, 0, issued_on)
        numbered = request.model_copy(update={
            "status": "numbered", "number": number, "fiscal_year": fiscal_year, "reissue_count": 0,
            "issued_on": issued_on, "numbered_at": iso(now), "version": request.version + 1,
        })
        made["result"] = (numbered, pdf)
        certificate = CertificateRecord(
            municipality_code=request.municipality_code, number=number, fiscal_year=fiscal_year, kind=request.kind,
            disaster_id=request.disaster_id, household_id=request.household_id, person_id=request.person_id,
            affected=request.affected, members=request.members, status="issuing",
            pending_request_id=request.request_id, pending_reissue_count=0, pending_issued_on=issued_on,
        )
        return [store.put_entry(request_item(numbered), condition=expect_version(request.version)),
                store.put_entry(certificate_item(certificate), condition={
                    "ConditionExpression": "attribute_not_exists(pk)"})]

    try:
        number = allocate_number(store.client, store.table_name, request.municipality_code, fiscal_year, items_for)
    except AllocationRefused:
        # Another delivery of the same message numbered the request first: carry on from its state.
        raise RetryLater("the request was numbered by another attempt") from None
    logger.info("certificate number taken", extra={"request_id": request.request_id, "number": number})
    return made["result"]


def _reserve_reissue(request: RequestRecord, material: Material, issued_on: date, now: str,
                     ctx: CertificateContext) -> tuple[RequestRecord, bytes]:
    assert request.reissue_of is not None
    for _ in range(MAX_ATTEMPTS):
        certificate = ctx.store.get_certificate(request.municipality_code, request.reissue_of)
        if certificate is None or certificate.status not in ("issued", "revoked"):
            raise DomainError("CERTIFICATE_NOT_FOUND")
        if certificate.status == "revoked":
            raise DomainError("CERTIFICATE_REVOKED")
        if certificate.pending_request_id not in (None, request.request_id):
            raise DomainError("CERTIFICATE_BUSY")
        count = certificate.reissue_count + 1
        pdf = _render(request, material, certificate.number, count, issued_on)
        numbered = request.model_copy(update={
            "status": "numbered", "number": certificate.number, "fiscal_year": certificate.fiscal_year,
            "reissue_count": count, "issued_on": issued_on, "numbered_at": now, "version": request.version + 1,
        })
        pending = certificate.model_copy(update={
            "pending_request_id": request.request_id, "pending_reissue_count": count, "pending_issued_on": issued_on,
            "version": certificate.version + 1,
        })
        try:
            ctx.store.transact([
                ctx.store.put_entry(request_item(numbered), condition=expect_version(request.version)),
                ctx.store.put_entry(certificate_item(pending), condition=expect_version(certificate.version)),
            ])
        except ClientError as error:
            codes = cancellation_codes(error)
            if not codes:
                raise
            if codes[0] == "ConditionalCheckFailed":
                raise RetryLater("the request was numbered by another attempt") from None
            continue
        return numbered, pdf
    raise RetryLater("the certificate kept changing")


# --- Producing the document ----------------------------------------------------------------------

def _produce(request: RequestRecord, pdf: bytes | None, tenant: Municipality,
             ctx: CertificateContext) -> RequestRecord:
    """Sign, store and record the numbered request's document; the request as it ends up."""
    assert request.number is not None and request.issued_on is not None and request.reissue_count is not None
    assert request.fiscal_year is not None
    code = request.municipality_code
    if pdf is None:  # resumed: the same number and date of issue, the ledger as it is now
        try:
            material = _material(request, request.issued_on, tenant, ctx, check=False)
            pdf = _render(request, material, request.number, request.reissue_count, request.issued_on)
        except DomainError as error:
            return _abandon(request, error, ctx)
    title = "罹災証明書" if request.kind == "risai" else "被災証明書"
    signed = sign_pdf(pdf, ctx.keys.signer(code), reason=f"{title}の交付", location=tenant.name)
    digest = hashlib.sha256(signed)
    object_key = certificate_object_key(code, request.fiscal_year, request.number, request.reissue_count)
    ctx.documents.put_certificate(object_key, signed, base64.b64encode(digest.digest()).decode())
    return _finish(request, object_key, digest.hexdigest(), ctx)


def _finish(request: RequestRecord, object_key: str, sha256: str, ctx: CertificateContext) -> RequestRecord:
    assert request.number is not None and request.issued_on is not None and request.reissue_count is not None
    assert request.numbered_at is not None
    code = request.municipality_code
    signing_key = ctx.keys.profile(code).key_id or ""
    issued = request.model_copy(update={"status": "issued", "document_key": object_key, "document_sha256": sha256,
                                        "version": request.version + 1})
    for _ in range(MAX_ATTEMPTS):
        certificate = ctx.store.get_certificate(code, request.number)
        if certificate is None:
            raise RetryLater("the certificate record is missing")
        if certificate.request_id == request.request_id and certificate.status != "issuing":
            stored = ctx.store.get_request(code, request.request_id)  # finished by an earlier attempt
            assert stored is not None
            return stored
        if certificate.status == "revoked" or certificate.pending_request_id != request.request_id:
            return _abandon(request, DomainError("CERTIFICATE_REVOKED"), ctx)
        current = certificate.model_copy(update={
            "status": "issued", "reissue_count": request.reissue_count, "issued_on": request.issued_on,
            "first_issued_on": certificate.first_issued_on or request.issued_on, "request_id": request.request_id,
            "document_key": object_key, "document_sha256": sha256, "pending_request_id": None,
            "pending_reissue_count": None, "pending_issued_on": None, "version": certificate.version + 1,
        })
        issue = IssueRecord(
            municipality_code=code, number=request.number, reissue_count=request.reissue_count,
            issued_on=request.issued_on, issued_at=request.numbered_at, request_id=request.request_id,
            channel=request.channel, document_key=object_key, document_sha256=sha256, signing_key_id=signing_key,
        )
        try:
            ctx.store.transact([
                ctx.store.put_entry(certificate_item(current), condition=expect_version(certificate.version)),
                ctx.store.put_entry(issue_item(issue), condition={"ConditionExpression": "attribute_not_exists(pk)"}),
                ctx.store.put_entry(request_item(issued), condition=expect_version(request.version)),
            ])
        except ClientError as error:
            codes = cancellation_codes(error)
            if not codes:
                raise
            if codes[2] == "ConditionalCheckFailed" or codes[1] == "ConditionalCheckFailed":
                raise RetryLater("another attempt finished this request") from None
            continue
        logger.info("certificate stored", extra={"request_id": request.request_id, "number": request.number,
                                                 "reissue_count": request.reissue_count})
        return issued
    raise RetryLater("the certificate kept changing")


def _abandon(request: RequestRecord, error: DomainError, ctx: CertificateContext) -> RequestRecord:
    """A numbered request that cannot be completed: refused, and its pending issue dropped. A first
    issue's number stays taken with its record marked ``void`` (欠番 with a reason), never reused."""
    assert request.number is not None
    certificate = ctx.store.get_certificate(request.municipality_code, request.number)
    if certificate is not None and certificate.pending_request_id == request.request_id:
        update: dict[str, object] = {"pending_request_id": None, "pending_reissue_count": None,
                                     "pending_issued_on": None, "version": certificate.version + 1}
        if certificate.status == "issuing":
            update["status"] = "void"
        if not ctx.store.replace(certificate_item(certificate.model_copy(update=update)), certificate.version):
            raise RetryLater("the certificate changed while the request was abandoned")
    _refuse(request, error, ctx)
    refused = ctx.store.get_request(request.municipality_code, request.request_id)
    assert refused is not None
    return refused


# --- Records after the document --------------------------------------------------------------------

def issuance_record(request: RequestRecord, tenant: Municipality) -> IssuanceRecord:
    """Fees per copy as charged today: the municipality's certificate fee; at a kiosk, the split of
    ``fees.kiosk_copy_charge`` (free: the resident pays the store's print fee and the municipality
    the rest of the consignment fee). 罹災証明書 and 被災証明書 carry no BCL issuance fee."""
    assert request.number is not None and request.numbered_at is not None and request.reissue_count is not None
    certificate_type = CertificateType(request.kind)
    fee = tenant.certificate_fee_yen
    fees: dict[str, int] = {"certificate_fee_yen": fee}
    if request.channel == "kiosk":
        charge = kiosk_copy_charge(fee)
        fees = {"certificate_fee_yen": charge.municipality_receives,
                "resident_print_fee_yen": charge.resident_pays if fee == 0 else 0,
                "municipality_consignment_yen": charge.municipality_consignment}
    return IssuanceRecord(
        municipality_code=request.municipality_code, issuance_id=f"{request.number}-{request.reissue_count:02d}",
        issued_at=datetime.fromisoformat(request.numbered_at), channel=request.channel,
        certificate_type=certificate_type, copies=request.copies, certificate_number=request.number,
        bcl_fee_yen=bcl_issuance_fee(tenant.pattern, certificate_type, 1), document_sha256=request.document_sha256,
        **fees,
    )


def record_issued(request: RequestRecord, tenant: Municipality, ctx: CertificateContext) -> None:
    """The records of a certificate handed out: the issuance record (charged), the ledger's 交付状況
    and the audit event. Idempotent: the record is written once, the audit event only with it."""
    code = request.municipality_code
    first_time = ctx.need_issuances().record(issuance_record(request, tenant))
    if request.kind == "risai":
        set_certificate_status(ctx.need_ledger(), ctx.dynamodb, code, request.disaster_id, request.household_id,
                               "reissued" if request.reissue_count else "issued", clock=ctx.clock)
    if first_time:
        ctx.audit.record(code, actor=request.requested_by, action="certificate.issued", target=request.number or "",
                         reason=request.reason or ("再交付" if request.reissue_of else "交付"),
                         details={"request_id": request.request_id, "kind": request.kind, "channel": request.channel,
                                  "copies": request.copies, "reissue_count": request.reissue_count,
                                  "disaster_id": request.disaster_id, "household_id": request.household_id,
                                  "document_sha256": request.document_sha256})

