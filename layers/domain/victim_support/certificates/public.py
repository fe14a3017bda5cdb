"""Public verification of a certificate: anyone holding the paper (a landlord, an insurer, a bank) can
check it without an account, and learns nothing a paper they do not hold would tell.

The reference is ``<municipality code>-<number>`` (``434434-R8-000123``): numbers are unique only
within a municipality, and the QR code's URL carries the reference and the verification code.

* ``verify_certificate(reference, code)``: ``valid`` (the current issue), ``revoked``, ``superseded``
  (the code of an earlier issue: a re-issued certificate replaced that paper) or ``unknown``. With
  the right code the answer carries the kind, the date of issue, the municipality and the re-issue
  count; never a name, an address or a damage level. A wrong code, a number that does not exist and
  a municipality without certificates all answer the same ``unknown``, after the same reads and the
  same HMAC computation, so the answer (and, as far as one lookup and one query can make it, its
  timing) never tells whether a number exists.
* ``verify_document(reference, pdf)``: whether the SHA-256 of the uploaded file is that of an issue of
  this certificate, and whether its PAdES signature verifies against the municipality's signing
  certificate (``verify_pdf``). A file that matches no issue gets ``no_match`` and the signature
  verdict only.

Guessing is not a practical attack: the code has 80 bits. Rate limits are the API's (API Gateway stage
throttling on AWS; a WAF rate-based rule per source IP is the next step when the endpoint is
published), and every answer is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from victim_support.certificates.keys_registry import SigningKeys
from victim_support.certificates.numbering import is_number
from victim_support.certificates.signing import verify_pdf
from victim_support.certificates.store import CertificateRecord, CertificateStore, IssueRecord, Kind
from victim_support.certificates.verification import check_code
from victim_support.errors import DomainError
from victim_support.tenants.repository import TenantRepository

REFERENCE_PATTERN = r"^[0-9]{6}-[MTSHR][1-9][0-9]?-[0-9]{6,7}$"
_REFERENCE = re.compile(REFERENCE_PATTERN)
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# What the code is checked against when there is nothing to check: the same HMAC work either way.
_NOWHERE = date(2000, 1, 1)
_DUMMY_SECRET = bytes(32)

Status = Literal["valid", "revoked", "superseded", "unknown"]


def public_reference(code: str, number: str) -> str:
    return f"{code}-{number}"


def parse_reference(reference: str) -> tuple[str, str] | None:
    if not _REFERENCE.match(reference):
        return None
    code, number = reference[:6], reference[7:]
    return (code, number) if is_number(number) else None


class VerificationAnswer(BaseModel):
    """What a verifier learns; every field but ``status`` is empty for ``unknown``."""

    status: Status
    kind: Kind | None = None
    title: str | None = Field(default=None, description="罹災証明書 / 被災証明書")
    issued_on: date | None = None
    reissue_count: int | None = None
    municipality_code: str | None = None
    municipality_name: str | None = None


UNKNOWN = VerificationAnswer(status="unknown")


class DocumentVerification(BaseModel):
    document: Literal["matches", "no_match"] = Field(description="the file's SHA-256 is that of an issue")
    signature_valid: bool
    signature_problem: str | None = None
    certificate: VerificationAnswer


def _answer(status: Status, record: CertificateRecord, issue_on: date | None, reissue_count: int,
            tenants: TenantRepository) -> VerificationAnswer:
    tenant = tenants.get(record.municipality_code)
    return VerificationAnswer(status=status, kind=record.kind, title=record.title, issued_on=issue_on,
                              reissue_count=reissue_count, municipality_code=record.municipality_code,
                              municipality_name=tenant.name if tenant else None)


def _status(record: CertificateRecord, reissue_count: int) -> Status:
    if record.status == "revoked":
        return "revoked"
    return "valid" if reissue_count == record.reissue_count else "superseded"


def _lookup(reference: str, store: CertificateStore,
            keys: SigningKeys) -> tuple[str, str, CertificateRecord | None, list[IssueRecord], bytes | None]:
    parsed = parse_reference(reference)
    if parsed is None:
        return "", "", None, [], None
    code, number = parsed
    secret = keys.secret(code) if keys.find(code) is not None else None
    record = store.get_certificate(code, number)
    issues = store.issues(code, number)
    if record is None or record.status not in ("issued", "revoked"):
        record = None
    return code, number, record, issues, secret


def verify_certificate(reference: str, code_text: str, *, store: CertificateStore, keys: SigningKeys,
                       tenants: TenantRepository) -> VerificationAnswer:
    code, number, record, issues, secret = _lookup(reference, store, keys)
    candidates = [(i.issued_on, i.reissue_count) for i in issues] or [(_NOWHERE, 0)]
    matched: tuple[date, int] | None = None
    for issued_on, reissue_count in candidates:
        if check_code(secret or _DUMMY_SECRET, code or "000000", number or "-", issued_on, reissue_count, code_text):
            matched = (issued_on, reissue_count)
    if record is None or secret is None or matched is None:
        return UNKNOWN
    return _answer(_status(record, matched[1]), record, matched[0], matched[1], tenants)


def verify_document(reference: str, pdf: bytes, *, store: CertificateStore, keys: SigningKeys,
                    tenants: TenantRepository) -> DocumentVerification:
    if not pdf.startswith(b"%PDF-") or len(pdf) > MAX_DOCUMENT_BYTES:
        raise DomainError("CERTIFICATE_DOCUMENT_INVALID", f"a PDF of at most {MAX_DOCUMENT_BYTES} bytes")
    code, _, record, issues, secret = _lookup(reference, store, keys)
    if secret is None:
        return DocumentVerification(document="no_match", signature_valid=False,
                                    signature_problem="unknown issuer", certificate=UNKNOWN)
    result = verify_pdf(pdf, [keys.certificate(code)])
    digest = hashlib.sha256(pdf).hexdigest()
    issue = next((i for i in issues if i.document_sha256 == digest), None)
    if record is None or issue is None:
        return DocumentVerification(document="no_match", signature_valid=result.valid,
                                    signature_problem=result.problem, certificate=UNKNOWN)
    answer = _answer(_status(record, issue.reissue_count), record, issue.issued_on, issue.reissue_count, tenants)
    return DocumentVerification(document="matches", signature_valid=result.valid, signature_problem=result.problem,
                                certificate=answer)
