"""Requests for certificates, re-issues and revocations (the staff side; the worker is ``service``).

A request names the disaster, the household (and for a 被災証明書 optionally a person) and the number
of copies; the channel is ``counter`` (staff at the counter), ``online`` (an application through the
portal) or ``kiosk`` (a convenience-store print). Eligibility (``check_eligibility``) is checked when
the request is accepted and again by the worker, because the ledger may change in between:

* the disaster's ledger exists under the requesting municipality's code and is built (the code comes
  from the caller's claims, and every key read begins with it: a household of another municipality is
  simply not found);
* the household (and the person, if one is named) is in that ledger;
* a 罹災証明書 needs a damage level from a completed survey on the household
  (``CERTIFICATE_NOT_SURVEYED``); a 被災証明書 needs the ``affected`` text (what was affected),
  which the request model requires.

The municipality must have its signing key and a seal in force today. The request is stored
(``pending``) and put on the ``certificate_requests`` queue; the answer is 202 with its id. Its status
(``GET /certificates/requests/{id}``) is pending, issued (with the number and a short-lived download
link) or refused (with the code).

A re-issue (再交付) is a request too: it keeps the number, increments the re-issue count and gets a
new verification code and document; the earlier papers stop verifying as current. A revocation is
recorded on the certificate at once. Both are audited with identifiers only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from victim_support.certificates.context import CertificateContext
from victim_support.certificates.ledger_link import set_certificate_status
from victim_support.certificates.seals import seal_in_force
from victim_support.certificates.store import (
    CertificateRecord,
    Channel,
    Kind,
    RequestRecord,
    certificate_item,
    request_item,
)
from victim_support.clock import JST, iso
from victim_support.errors import CATALOG, DomainError
from victim_support.ledger.models import Disaster, Household, Person
from victim_support.ledger.queries import LEDGER_ID_PATTERN
from victim_support.ledger.repository import LedgerRepository
from victim_support.observability import logger

_LINE = r"^[^\x00-\x1f\x7f]*$"
REQUEST_ID_PATTERN = r"^\d{6}-\d{8}T\d{6}-[0-9a-f]{10}$"
MAX_COPIES = 10


# --- API and queue models ------------------------------------------------------------------------

class CertificateRequestBody(BaseModel):
    """``POST /disasters/{disaster_id}/certificates``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Kind = Field(description="risai: 罹災証明書 (dwelling damage); higai: 被災証明書 (affected)")
    household_id: str = Field(pattern=LEDGER_ID_PATTERN)
    person_id: str | None = Field(default=None, pattern=LEDGER_ID_PATTERN,
                                  description="被災証明書 of one person of the household")
    copies: int = Field(default=1, ge=1, le=MAX_COPIES)
    affected: str | None = Field(default=None, min_length=1, max_length=200, pattern=_LINE,
                                 description="被災証明書: what was affected (家財, 車両, 店舗…)")
    members: bool = Field(default=False, description="print the household members (optional on the form)")
    reason: str = Field(default="", max_length=200, description="why (goes to the audit trail)")

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        if self.kind == "higai" and self.affected is None:
            raise ValueError("a 被災証明書 (higai) needs affected: what was affected")
        if self.kind == "risai" and (self.affected is not None or self.person_id is not None):
            raise ValueError("a 罹災証明書 (risai) certifies the household's dwelling: no affected, no person_id")
        return self


class ReissueBody(BaseModel):
    """``POST /certificates/{number}/reissue``."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200, description="e.g. 紛失, 再調査の結果")
    copies: int = Field(default=1, ge=1, le=MAX_COPIES)


class RevokeBody(BaseModel):
    """``POST /certificates/{number}/revoke``."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)


class RequestAccepted(BaseModel):
    request_id: str
    status: Literal["pending"] = "pending"


class RequestMessage(BaseModel):
    """The ``certificate_requests`` message: the stored request is the source of truth."""

    municipality_code: str = Field(pattern=r"^\d{6}$")
    request_id: str = Field(pattern=REQUEST_ID_PATTERN)


class RequestView(BaseModel):
    request_id: str
    kind: Kind
    channel: Channel
    copies: int
    disaster_id: str
    household_id: str
    reissue_of: str | None
    status: Literal["pending", "issued", "refused"]
    code: str | None = None
    message: str | None = None
    message_ja: str | None = None
    number: str | None = None
    reissue_count: int | None = None
    issued_on: date | None = None
    document_sha256: str | None = None
    download_url: str | None = Field(default=None, description="short-lived presigned GET of the PDF")
    download_expires_in: int | None = None
    requested_at: str


class CertificateView(BaseModel):
    number: str
    kind: Kind
    status: Literal["issued", "revoked"]
    disaster_id: str
    household_id: str
    person_id: str | None
    reissue_count: int
    issued_on: date | None
    first_issued_on: date | None
    document_sha256: str | None
    reissue_pending: bool
    revoked_at: str | None
    revoke_reason: str | None


def certificate_view(record: CertificateRecord) -> CertificateView:
    return CertificateView(
        number=record.number, kind=record.kind, status="revoked" if record.status == "revoked" else "issued",
        disaster_id=record.disaster_id, household_id=record.household_id, person_id=record.person_id,
        reissue_count=record.reissue_count, issued_on=record.issued_on, first_issued_on=record.first_issued_on,
        document_sha256=record.document_sha256, reissue_pending=record.pending_request_id is not None,
        revoked_at=record.revoked_at, revoke_reason=record.revoke_reason,
    )


# --- Eligibility ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LedgerFacts:
    """What a certificate is checked against and printed from, read under one municipality's code."""

    disaster: Disaster | None
    household: Household | None
    persons: tuple[Person, ...] = ()

    def person(self, person_id: str | None) -> Person | None:
        return next((p for p in self.persons if p.person_id == person_id), None) if person_id else None


def read_facts(ledger: LedgerRepository, code: str, disaster_id: str, household_id: str) -> LedgerFacts:
    disaster = ledger.get_disaster(code, disaster_id)
    household = ledger.get_household(code, disaster_id, household_id) if disaster is not None else None
    persons = tuple(ledger.persons(code, disaster_id, household_id)) if household is not None else ()
    return LedgerFacts(disaster, household, persons)


def check_eligibility(kind: Kind, facts: LedgerFacts, *, person_id: str | None) -> None:
    """The refusals of the module docstring; DomainError when the certificate cannot be issued."""
    if facts.disaster is None:
        raise DomainError("LEDGER_DISASTER_NOT_FOUND")
    if facts.disaster.status == "building":
        raise DomainError("LEDGER_NOT_READY")
    if facts.household is None:
        raise DomainError("LEDGER_HOUSEHOLD_NOT_FOUND")
    if person_id is not None and facts.person(person_id) is None:
        raise DomainError("LEDGER_PERSON_NOT_FOUND")
    if kind == "risai" and facts.household.damage_level is None:
        raise DomainError("CERTIFICATE_NOT_SURVEYED")


# --- Requests ------------------------------------------------------------------------------------

def new_request_id(code: str, ctx: CertificateContext) -> str:
    return f"{code}-{ctx.clock().astimezone(JST):%Y%m%dT%H%M%S}-{secrets.token_hex(5)}"


def _ready_to_issue(code: str, ctx: CertificateContext) -> None:
    """What every certificate of the municipality needs besides the ledger: checked before queueing
    so staff learn at the counter, not from a refused request, that setup is missing."""
    ctx.tenants.require(code)
    ctx.keys.profile(code)
    if seal_in_force(ctx.store.seals(code), ctx.clock().astimezone(JST).date()) is None:
        raise DomainError("CERTIFICATE_SEAL_MISSING")


def _enqueue(record: RequestRecord, ctx: CertificateContext) -> bool:
    """Store and queue the request; False (and nothing sent) when a request with its id exists."""
    if not ctx.store.put_new(request_item(record)):
        return False
    message = RequestMessage(municipality_code=record.municipality_code, request_id=record.request_id)
    ctx.sqs.send_message(QueueUrl=ctx.need(ctx.requests_queue_url, "queue certificate_requests"),
                         MessageBody=message.model_dump_json())
    return True


def request_certificate(code: str, disaster_id: str, body: CertificateRequestBody, *, channel: Channel, actor: str,
                        ctx: CertificateContext, request_id: str | None = None) -> RequestAccepted:
    """Check and queue a request for a new certificate (counter, online or kiosk). A caller that names
    the ``request_id`` (a kiosk issuance, which keeps it before asking) may ask again after a crash:
    a request already stored under that id is answered as accepted and not queued twice."""
    _ready_to_issue(code, ctx)
    facts = read_facts(ctx.need_ledger(), code, disaster_id, body.household_id)
    check_eligibility(body.kind, facts, person_id=body.person_id)
    record = RequestRecord(
        municipality_code=code, request_id=request_id or new_request_id(code, ctx), kind=body.kind,
        disaster_id=disaster_id, household_id=body.household_id, person_id=body.person_id, copies=body.copies,
        affected=body.affected, members=body.members, reason=body.reason, channel=channel, requested_by=actor,
        requested_at=iso(ctx.clock()),
    )
    accepted = RequestAccepted(request_id=record.request_id)
    if not _enqueue(record, ctx):
        return accepted
    ctx.audit.record(code, actor=actor, action="certificate.requested", target=record.request_id, reason=body.reason,
                     details={"kind": body.kind, "channel": channel, "copies": body.copies, "disaster_id": disaster_id,
                              "household_id": body.household_id, "person_id": body.person_id})
    logger.info("certificate requested", extra={"request_id": record.request_id, "kind": body.kind,
                                                "channel": channel})
    return accepted


def request_reissue(code: str, number: str, body: ReissueBody, *, channel: Channel, actor: str,
                    ctx: CertificateContext) -> RequestAccepted:
    """Queue a re-issue under the same number (the worker checks eligibility again)."""
    certificate = ctx.store.require_certificate(code, number)
    if certificate.status == "revoked":
        raise DomainError("CERTIFICATE_REVOKED")
    _ready_to_issue(code, ctx)
    facts = read_facts(ctx.need_ledger(), code, certificate.disaster_id, certificate.household_id)
    check_eligibility(certificate.kind, facts, person_id=certificate.person_id)
    record = RequestRecord(
        municipality_code=code, request_id=new_request_id(code, ctx), kind=certificate.kind,
        disaster_id=certificate.disaster_id, household_id=certificate.household_id,
        person_id=certificate.person_id, copies=body.copies, affected=certificate.affected,
        members=certificate.members, reason=body.reason, channel=channel, requested_by=actor,
        requested_at=iso(ctx.clock()), reissue_of=number,
    )
    _enqueue(record, ctx)
    accepted = RequestAccepted(request_id=record.request_id)
    ctx.audit.record(code, actor=actor, action="certificate.reissue_requested", target=number, reason=body.reason,
                     details={"request_id": record.request_id, "channel": channel, "copies": body.copies})
    return accepted


def revoke_certificate(code: str, number: str, body: RevokeBody, *, actor: str,
                       ctx: CertificateContext) -> CertificateView:
    """Record the revocation (a revoked certificate is answered as revoked by the public verification);
    revoking again answers the revoked certificate unchanged."""
    for _ in range(3):
        certificate = ctx.store.require_certificate(code, number)
        if certificate.status == "revoked":
            return certificate_view(certificate)
        revoked = certificate.model_copy(update={
            "status": "revoked", "revoked_at": iso(ctx.clock()), "revoked_by": actor, "revoke_reason": body.reason,
            "pending_request_id": None, "pending_reissue_count": None, "pending_issued_on": None,
            "version": certificate.version + 1,
        })
        if ctx.store.replace(certificate_item(revoked), certificate.version):
            break
    else:
        raise DomainError("CONFLICT", "the certificate kept changing; try again")
    ctx.audit.record(code, actor=actor, action="certificate.revoked", target=number, reason=body.reason,
                     details={"kind": revoked.kind, "reissue_count": revoked.reissue_count,
                              "disaster_id": revoked.disaster_id, "household_id": revoked.household_id})
    if revoked.kind == "risai":
        set_certificate_status(ctx.need_ledger(), ctx.dynamodb, code, revoked.disaster_id, revoked.household_id,
                               "revoked", clock=ctx.clock)
    logger.info("certificate revoked", extra={"number": number})
    return certificate_view(revoked)


def get_certificate(code: str, number: str, *, ctx: CertificateContext) -> CertificateView:
    return certificate_view(ctx.store.require_certificate(code, number))


def request_status(code: str, request_id: str, *, ctx: CertificateContext) -> RequestView:
    record = ctx.store.require_request(code, request_id)
    status: Literal["pending", "issued", "refused"] = "pending"
    if record.status in ("issued", "refused"):
        status = "issued" if record.status == "issued" else "refused"
    view = RequestView(
        request_id=record.request_id, kind=record.kind, channel=record.channel, copies=record.copies,
        disaster_id=record.disaster_id, household_id=record.household_id, reissue_of=record.reissue_of,
        status=status, requested_at=record.requested_at,
    )
    if status == "refused" and record.refusal_code:
        spec = CATALOG[record.refusal_code]
        view = view.model_copy(update={"code": spec.code, "message": record.refusal_detail or spec.en,
                                       "message_ja": spec.ja})
    if status == "issued" and record.document_key:
        view = view.model_copy(update={
            "number": record.number, "reissue_count": record.reissue_count, "issued_on": record.issued_on,
            "document_sha256": record.document_sha256,
            "download_url": ctx.documents.certificate_link(record.document_key, ctx.link_expiry_seconds),
            "download_expires_in": ctx.link_expiry_seconds,
        })
    return view

