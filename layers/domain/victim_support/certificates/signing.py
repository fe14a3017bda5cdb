"""PAdES signatures on certificates with a key that never leaves KMS.

Each municipality signs with an asymmetric KMS key (KeySpec ``ECC_NIST_P256``, KeyUsage
``SIGN_VERIFY``). The private key cannot be exported: every signature is a KMS ``Sign`` call, which
CloudTrail records and IAM restricts to the issuing function.

* ``issue_signing_certificate`` builds the X.509 certificate of that key and has KMS sign it. Here it
  is self-signed by the same key (or issued by another KMS key acting as a CA, ``issuer=``). A
  production deployment would instead have the certificate issued by the municipality's CA (LGPKI
  組織認証局) from a CSR; verifiers trust exactly the certificates they are configured with, so
  swapping the issuer changes configuration, not code.
* ``KmsSigner`` is the pyHanko signer whose raw signature is a KMS ``Sign`` call.
* ``sign_pdf`` adds a PAdES baseline B-B signature (``/ETSI.CAdES.detached``). There is no time-stamp
  token: no TSA is reachable from here. Where a TSA is configured on AWS, passing a pyHanko
  ``HTTPTimeStamper`` to ``PdfSigner`` raises the level to B-T without other changes.
* ``verify_pdf`` validates the signature against the configured trusted certificates; the tests use
  it, and so will the public verification endpoint.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from asn1crypto import algos, keys, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from victim_support.errors import DomainError

if TYPE_CHECKING:
    from mypy_boto3_kms.client import KMSClient

KEY_SPEC: Final = "ECC_NIST_P256"
KEY_USAGE: Final = "SIGN_VERIFY"
SIGNING_ALGORITHM: Final = "ECDSA_SHA_256"
DIGEST_ALGORITHM = "sha256"
# A DER ECDSA P-256 signature is at most 72 bytes (SEQUENCE of two INTEGERs of up to 33 bytes).
MAX_SIGNATURE_BYTES = 72
# KMS Sign takes at most 4096 bytes as RAW; larger messages are sent as their SHA-256 DIGEST.
_KMS_RAW_LIMIT = 4096
# RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
_GENERALIZED_TIME_FROM = 2050


@dataclass(frozen=True)
class KmsIssuer:
    """A KMS key acting as the issuing CA, with its own certificate (DER)."""

    key_id: str
    certificate: bytes


def _checked_public_key(kms: KMSClient, key_id: str) -> keys.PublicKeyInfo:
    response = kms.get_public_key(KeyId=key_id)
    public_key = keys.PublicKeyInfo.load(response["PublicKey"])
    # The curve is read from the key itself: KeySpec is missing from some KMS implementations' answer.
    p256 = public_key.algorithm == "ec" and public_key.curve == ("named", "secp256r1")
    if response.get("KeyUsage") != KEY_USAGE or not p256:
        raise DomainError("CERTIFICATE_SIGNING_KEY_INVALID", detail=f"{KEY_SPEC}/{KEY_USAGE} required")
    return public_key


def kms_sign(kms: KMSClient, key_id: str, message: bytes) -> bytes:
    """ECDSA P-256 / SHA-256 signature (DER) of ``message`` by the KMS key."""
    if len(message) <= _KMS_RAW_LIMIT:
        # What pyHanko signs (the CMS signed attributes) and a TBSCertificate are a few hundred bytes:
        # sent whole, KMS hashes them itself. RAW is also what moto (the local target) implements: it
        # ignores MessageType, so a DIGEST would be hashed a second time there.
        response = kms.sign(KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm=SIGNING_ALGORITHM)
    else:
        response = kms.sign(KeyId=key_id, Message=hashlib.sha256(message).digest(), MessageType="DIGEST",
                            SigningAlgorithm=SIGNING_ALGORITHM)
    signature: bytes = response["Signature"]
    return signature


def _time(moment: datetime) -> x509.Time:
    if moment.tzinfo is None:
        raise ValueError("certificate validity needs timezone-aware datetimes")
    kind = "general_time" if moment.year >= _GENERALIZED_TIME_FROM else "utc_time"
    return x509.Time({kind: moment})


def issue_signing_certificate(
    kms: KMSClient,
    key_id: str,
    *,
    subject_cn: str,
    organization: str,
    valid_from: datetime,
    valid_until: datetime,
    issuer: KmsIssuer | None = None,
    ca: bool = False,
) -> bytes:
    """The DER X.509 certificate of the KMS key ``key_id``, signed in KMS.

    Self-signed by the same key unless ``issuer`` names another KMS key and its certificate. An
    end-entity certificate has key usage digitalSignature + nonRepudiation (what PAdES validators
    require of a document signer); ``ca=True`` makes a CA certificate (keyCertSign + cRLSign) that
    can be the ``issuer`` of others.
    """
    if valid_until <= valid_from:
        raise ValueError("valid_until must be after valid_from")
    public_key = _checked_public_key(kms, key_id)
    subject = x509.Name.build({"country_name": "JP", "organization_name": organization,
                               "common_name": subject_cn})
    if issuer is None:
        signing_key_id, issuer_name, issuer_key_identifier = key_id, subject, public_key.sha1
    else:
        issuer_certificate = x509.Certificate.load(issuer.certificate)
        # The issuer key must be the one its certificate describes, or the chain would not verify.
        if _checked_public_key(kms, issuer.key_id).dump() != issuer_certificate.public_key.dump():
            raise DomainError("CERTIFICATE_SIGNING_KEY_INVALID", detail="issuer key does not match its certificate")
        signing_key_id, issuer_name = issuer.key_id, issuer_certificate.subject
        issuer_key_identifier = issuer_certificate.public_key.sha1
    key_usage = {"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"}
    constraints: dict[str, Any] = {"ca": ca}
    if ca:
        constraints["path_len_constraint"] = 0
    signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    tbs = x509.TbsCertificate({
        "version": "v3",
        # RFC 5280: positive, at most 20 octets, unpredictable.
        "serial_number": secrets.randbits(127) | 1 << 126,
        "signature": signature_algorithm,
        "issuer": issuer_name,
        "validity": {"not_before": _time(valid_from), "not_after": _time(valid_until)},
        "subject": subject,
        "subject_public_key_info": public_key,
        "extensions": [
            {"extn_id": "basic_constraints", "critical": True, "extn_value": constraints},
            {"extn_id": "key_usage", "critical": True, "extn_value": key_usage},
            {"extn_id": "key_identifier", "critical": False, "extn_value": public_key.sha1},
            {"extn_id": "authority_key_identifier", "critical": False,
             "extn_value": {"key_identifier": issuer_key_identifier}},
        ],
    })
    certificate = x509.Certificate({
        "tbs_certificate": tbs,
        "signature_algorithm": signature_algorithm,
        "signature_value": kms_sign(kms, signing_key_id, tbs.dump()),
    })
    der: bytes = certificate.dump()
    return der


class KmsSigner(signers.Signer):
    """A pyHanko signer whose private key stays in KMS.

    ``certificate`` is the key's certificate (DER); ``chain`` the intermediate certificates to embed.
    The constructor checks that the certificate describes the KMS key, so a mismatched pair fails here
    rather than producing signatures no verifier accepts.
    """

    def __init__(self, kms: KMSClient, key_id: str, certificate: bytes, chain: Sequence[bytes] = ()) -> None:
        signing_cert = x509.Certificate.load(certificate)
        if _checked_public_key(kms, key_id).dump() != signing_cert.public_key.dump():
            raise DomainError("CERTIFICATE_SIGNING_KEY_INVALID", detail="certificate does not match the key")
        super().__init__(
            signing_cert=signing_cert,
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        )
        for cert in (signing_cert, *(x509.Certificate.load(c) for c in chain)):
            self.cert_registry.register(cert)  # what the CMS object embeds besides the signer's own
        self._kms = kms
        self._key_id = key_id

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        # pyHanko passes the data to sign (the DER of the CMS signed attributes), not a digest.
        if digest_algorithm != DIGEST_ALGORITHM:
            raise SigningError(f"the KMS key signs with SHA-256 only, not {digest_algorithm}")
        if dry_run:
            # Only the size matters: pyHanko reserves room in the PDF before the real signature.
            return bytes(MAX_SIGNATURE_BYTES)
        return kms_sign(self._kms, self._key_id, data)


def sign_pdf(pdf: bytes, signer: KmsSigner, *, reason: str, location: str, field_name: str = "Signature1") -> bytes:
    """``pdf`` with an invisible PAdES B-B signature appended as an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        # The dry run signs with MAX_SIGNATURE_BYTES, the longest DER signature the key can make, so the
        # exact estimate always fits; pyHanko's default adds 50 % more room, which only pads the file.
        tight_size_estimates=True,
    )
    output = signers.PdfSigner(metadata, signer=signer).sign_pdf(writer)
    signed: bytes = output.getvalue()
    return signed


@dataclass(frozen=True)
class VerificationResult:
    """What the verification of a signed certificate found.

    ``valid`` is the verdict: intact, cryptographically valid, signed by a trusted certificate, and
    nothing changed after signing except long-term-validation data. ``intact`` alone says whether
    the signed bytes are unchanged. ``signed_hash`` is the SHA-256 (hex) of the signed byte range;
    ``signed_at`` the signing time as the signer states it (B-B has no time-stamp to prove it).
    """

    valid: bool
    intact: bool
    trusted: bool
    signer_cn: str | None
    signed_hash: str | None
    signed_at: datetime | None
    problem: str | None = None

    @classmethod
    def refused(cls, problem: str) -> VerificationResult:
        return cls(valid=False, intact=False, trusted=False, signer_cn=None, signed_hash=None, signed_at=None,
                   problem=problem)


def verify_pdf(
    pdf: bytes, trusted_certificates: Sequence[bytes], *, moment: datetime | None = None
) -> VerificationResult:
    """Validate the last signature of ``pdf`` against ``trusted_certificates`` (DER), at ``moment``
    (default: now). Never raises for a bad document: a verifier answers "not valid" instead."""
    context = ValidationContext(
        trust_roots=[x509.Certificate.load(c) for c in trusted_certificates],
        allow_fetching=False,  # no network: trust is exactly the configured certificates
        moment=moment,
    )
    try:
        embedded = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        if not embedded:
            return VerificationResult.refused("no signature")
        signature = embedded[-1]
        status = validate_pdf_signature(signature, signer_validation_context=context)
        signed_hash = signature.compute_digest().hex()
    except Exception as exc:  # a damaged or hostile file can fail anywhere in the parser
        return VerificationResult.refused(type(exc).__name__)
    unchanged = status.coverage in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION) and (
        status.modification_level is None or status.modification_level <= ModificationLevel.LTA_UPDATES
    )
    # A trust anchor's own validity period is not checked by path validation (RFC 5280 6.1), and a
    # self-signed signing certificate is its own anchor: check it here.
    validity = status.signing_cert["tbs_certificate"]["validity"]
    at = moment or datetime.now(UTC)
    in_period = bool(validity["not_before"].native <= at <= validity["not_after"].native)
    trusted = bool(status.trusted) and in_period
    valid = bool(status.bottom_line) and in_period and unchanged
    common_name = status.signing_cert.subject.native.get("common_name")
    return VerificationResult(
        valid=valid,
        intact=bool(status.intact),
        trusted=trusted,
        signer_cn=common_name if isinstance(common_name, str) else None,
        signed_hash=signed_hash,
        signed_at=signature.self_reported_timestamp,
        problem=None if valid else _problem(status, in_period=in_period, unchanged=unchanged),
    )


def _problem(status: Any, *, in_period: bool, unchanged: bool) -> str:
    if not status.intact:
        return "the signed content was modified"
    if not status.valid:
        return "the signature does not match the signed content"
    if not in_period:
        return "the signing certificate is not valid at the validation time"
    if not status.trusted:
        return "the signing certificate is not trusted"
    if not unchanged:
        return "the document was changed after signing"
    return "the signature did not validate"
