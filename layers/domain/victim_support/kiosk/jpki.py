"""Checking a resident's 利用者証明用電子証明書 (JPKI user-authentication certificate) at a kiosk.

The card holds the certificate and its private key; the PIN is checked by the card and never reaches
the server. The kiosk sends the certificate (base64 DER) and the card's signature over the session
nonce, and the server checks, in this order:

1. the chain: the certificate is directly issued by one of the configured JPKI CA certificates (its
   signature verifies under the CA's key), the CA is within its validity, and the certificate is an
   end-entity certificate for digital signatures                        → ``KIOSK_CARD_UNTRUSTED``
2. the certificate's validity dates                                      → ``KIOSK_CARD_EXPIRED``
3. revocation: the CA's CRL, whose own signature must verify under the CA's key and whose
   ``nextUpdate`` must be in the future (otherwise the status is unknown and the card is refused:
   fail closed)                            → ``KIOSK_REVOCATION_UNAVAILABLE`` / ``KIOSK_CARD_REVOKED``
4. the signature over the nonce's ASCII bytes with the certificate's key (SHA-256; ECDSA, or RSA
   PKCS#1 v1.5 as real JPKI cards use)                                   → ``KIOSK_NONCE_SIGNATURE_INVALID``

Where the trust comes from: the ``jpki`` bucket holds each CA certificate as ``ca/<name>.pem`` and
its CRL as ``crl/<name>.crl`` (DER or PEM). An S3 object rather than a setting, because the CRL
changes daily and a setting needs a deployment; the CA certificates live beside it so one place
answers "what do we trust". The trust is read at first use and again after ``REFRESH_S`` seconds per
container; ``nextUpdate`` is checked on every verification, so a stale CRL is never relied on.

``cryptography`` is imported when a card is first checked, not when the kiosk handler loads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from victim_support.errors import DomainError

if TYPE_CHECKING:
    from cryptography import x509
    from mypy_boto3_s3.client import S3Client

CA_PREFIX = "ca/"
CRL_PREFIX = "crl/"
REFRESH_S = 300.0


def issuer_id(name: x509.Name) -> str:
    """A short, stable id of a CA's name (keys of the card linkage carry it beside the serial)."""
    return hashlib.sha256(name.public_bytes()).hexdigest()[:32]


@dataclass(frozen=True)
class TrustAnchor:
    name: str
    certificate: x509.Certificate
    crl: x509.CertificateRevocationList | None


@dataclass(frozen=True)
class JpkiTrust:
    anchors: tuple[TrustAnchor, ...]

    @classmethod
    def from_bytes(cls, certificates: Mapping[str, bytes], crls: Mapping[str, bytes]) -> JpkiTrust:
        """CA certificates (PEM or DER) and CRLs (DER or PEM) by name; an unreadable CRL counts as none."""
        from cryptography import x509

        anchors = []
        for name, data in sorted(certificates.items()):
            cert = (x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----")
                    else x509.load_der_x509_certificate(data))
            anchors.append(TrustAnchor(name, cert, _load_crl(crls.get(name))))
        return cls(tuple(anchors))

    def anchor_for(self, issuer: x509.Name) -> TrustAnchor | None:
        return next((a for a in self.anchors if a.certificate.subject == issuer), None)


def _load_crl(data: bytes | None) -> x509.CertificateRevocationList | None:
    if not data:
        return None
    from cryptography import x509

    try:
        if data.lstrip().startswith(b"-----"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError:
        return None


@dataclass(frozen=True)
class VerifiedCard:
    serial: int
    issuer_id: str

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "x")


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def verify_card(certificate_b64: str, signature_b64: str, nonce: str, trust: JpkiTrust,
                now: datetime) -> VerifiedCard:
    """The card's certificate and nonce signature, checked as the module docstring says."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    der = _b64(certificate_b64)
    try:
        cert = x509.load_der_x509_certificate(der or b"")
    except ValueError:
        raise DomainError("KIOSK_CARD_UNTRUSTED", "not an X.509 certificate (base64 DER)") from None
    anchor = trust.anchor_for(cert.issuer)
    if anchor is None:
        raise DomainError("KIOSK_CARD_UNTRUSTED")
    ca = anchor.certificate
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise DomainError("KIOSK_CARD_UNTRUSTED") from None
    if not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc or not _is_end_entity_signer(cert):
        raise DomainError("KIOSK_CARD_UNTRUSTED")
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise DomainError("KIOSK_CARD_EXPIRED")

    crl = anchor.crl
    if crl is None or crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
        raise DomainError("KIOSK_REVOCATION_UNAVAILABLE")
    if crl.next_update_utc is None or crl.next_update_utc <= now:
        raise DomainError("KIOSK_REVOCATION_UNAVAILABLE", "the CRL is past its nextUpdate")
    if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
        raise DomainError("KIOSK_CARD_REVOKED")

    signature = _b64(signature_b64)
    if signature is None or not _signature_holds(cert, signature, nonce.encode("ascii")):
        raise DomainError("KIOSK_NONCE_SIGNATURE_INVALID")
    return VerifiedCard(serial=cert.serial_number, issuer_id=issuer_id(cert.issuer))


def _is_end_entity_signer(cert: x509.Certificate) -> bool:
    from cryptography import x509

    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        pass
    try:
        return bool(cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature)
    except x509.ExtensionNotFound:
        return False


def _signature_holds(cert: x509.Certificate, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    key = cert.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


class TrustStore:
    """The ``jpki`` bucket's CA certificates and CRLs, re-read after ``refresh_s`` seconds."""

    def __init__(self, s3: S3Client, bucket: str, *, refresh_s: float = REFRESH_S) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._refresh_s = refresh_s
        self._lock = threading.Lock()
        self._trust: JpkiTrust | None = None
        self._loaded_at = 0.0

    def current(self) -> JpkiTrust:
        with self._lock:
            if self._trust is None or time.monotonic() - self._loaded_at > self._refresh_s:
                self._trust = self._load()
                self._loaded_at = time.monotonic()
            return self._trust

    def invalidate(self) -> None:
        with self._lock:
            self._trust = None

    def _load(self) -> JpkiTrust:
        certificates: dict[str, bytes] = {}
        crls: dict[str, bytes] = {}
        for prefix, suffix, into in ((CA_PREFIX, ".pem", certificates), (CRL_PREFIX, ".crl", crls)):
            paginator = self._s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    key = obj["Key"]
                    if key.endswith(suffix):
                        name = key[len(prefix):-len(suffix)]
                        into[name] = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return JpkiTrust.from_bytes(certificates, crls)


def publish_trust(s3: S3Client, bucket: str, name: str, *, ca_certificate_pem: bytes | None = None,
                  crl: bytes | None = None) -> None:
    """Put a CA certificate and/or its CRL where ``TrustStore`` reads them (deployment, demo, tests)."""
    if ca_certificate_pem is not None:
        s3.put_object(Bucket=bucket, Key=f"{CA_PREFIX}{name}.pem", Body=ca_certificate_pem,
                      ContentType="application/x-pem-file")
    if crl is not None:
        s3.put_object(Bucket=bucket, Key=f"{CRL_PREFIX}{name}.crl", Body=crl, ContentType="application/pkix-crl")
