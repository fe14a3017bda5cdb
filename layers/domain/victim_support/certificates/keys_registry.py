"""Each municipality's signing key and verification secret.

``create_signing_key`` (operator, ``POST /municipalities/{code}/signing-key``) makes, once per
municipality:

* an asymmetric KMS key (``ECC_NIST_P256``, ``SIGN_VERIFY``) tagged ``purpose=certificate-signing``
  and ``municipality_code=<code>``. IAM reaches these keys by that tag (they are created at run time,
  so no deployment can name their ARNs): only the staff API may create keys carrying it, only the
  certificate generation function and the staff API may sign with them. The key gets KMS's default
  key policy (the account's IAM decides);
* its X.509 certificate (``issue_signing_certificate``, self-signed, 10 years), which verifiers
  trust for this municipality;
* the verification-code secret: a 256-bit data key from ``GenerateDataKey`` under the data key, kept
  only as its ciphertext (encryption context: municipality code and purpose) and decrypted where
  codes are made or checked.

It is idempotent: a claim item (``status=creating``) is written first under a condition, so two
concurrent calls cannot both create a key; the second answers the first's key once it is active
(or CONFLICT while it is being created). A claim left by a crashed call is taken over after
``STALE_CLAIM``.

``SigningKeys`` serves the profile, the decrypted secret and a ``KmsSigner`` per municipality,
cached for the life of the execution environment (one KMS Decrypt and GetPublicKey per cold start
and municipality, not per certificate).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from asn1crypto import x509
from pydantic import BaseModel, ConfigDict, Field

from victim_support.audit import AuditLog
from victim_support.certificates.signing import KEY_SPEC, KEY_USAGE, KmsSigner, issue_signing_certificate
from victim_support.certificates.store import CertificateStore, SigningProfile, signing_item
from victim_support.certificates.verification import MIN_SECRET_BYTES
from victim_support.clock import Clock, iso, utc_now
from victim_support.errors import DomainError
from victim_support.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_kms.client import KMSClient

SIGNING_TAG_KEY = "purpose"
SIGNING_TAG_VALUE = "certificate-signing"
SECRET_PURPOSE = "certificate-verification"  # noqa: S105 - a KMS context label, not a secret
CERTIFICATE_YEARS = 10
STALE_CLAIM = timedelta(minutes=5)
DEFAULT_VERIFY_BASE = "verify.victim-support.example.lg.jp"


def secret_context(code: str) -> dict[str, str]:
    """The encryption context of the secret: its ciphertext decrypts for this municipality only."""
    return {"municipality_code": code, "purpose": SECRET_PURPOSE}


class SigningKeyRequest(BaseModel):
    """``POST /municipalities/{code}/signing-key``."""

    model_config = ConfigDict(extra="forbid")

    verify_base: str = Field(
        default=DEFAULT_VERIFY_BASE, max_length=120, pattern=r"^(https://)?[0-9A-Za-z.-]+(/[0-9A-Za-z._~/-]*)?$",
        description="public verification host (optionally with a path) printed in the QR code")


class SigningKeyView(BaseModel):
    municipality_code: str
    key_id: str
    certificate_sha256: str
    certificate_subject: str
    valid_until: str
    verify_base: str
    activated_at: str
    created: bool = Field(description="False when the municipality already had its key")


def _view(profile: SigningProfile, *, created: bool) -> SigningKeyView:
    assert profile.key_id and profile.certificate_b64 and profile.valid_until and profile.verify_base
    subject = x509.Certificate.load(base64.b64decode(profile.certificate_b64)).subject.human_friendly
    return SigningKeyView(
        municipality_code=profile.municipality_code, key_id=profile.key_id,
        certificate_sha256=profile.certificate_sha256 or "", certificate_subject=subject,
        valid_until=profile.valid_until, verify_base=profile.verify_base, activated_at=profile.activated_at or "",
        created=created,
    )


def create_signing_key(code: str, request: SigningKeyRequest, *, actor: str, store: CertificateStore,
                       tenants: TenantRepository, kms: KMSClient, data_key_id: str, audit: AuditLog,
                       clock: Clock = utc_now) -> SigningKeyView:
    tenant = tenants.require(code)
    now = clock()
    claim = SigningProfile(municipality_code=code, status="creating", claim_id=secrets.token_hex(8),
                           claimed_at=iso(now), created_by=actor)
    if not _claim(store, claim, now):
        existing = store.get_signing(code)
        if existing is not None and existing.status == "active":
            return _view(existing, created=False)
        raise DomainError("CONFLICT", "the signing key is being created; try again shortly")
    key_id = kms.create_key(
        KeySpec=KEY_SPEC, KeyUsage=KEY_USAGE,
        Description=f"Certificate signing key of municipality {code}",
        Tags=[{"TagKey": SIGNING_TAG_KEY, "TagValue": SIGNING_TAG_VALUE},
              {"TagKey": "municipality_code", "TagValue": code}],
    )["KeyMetadata"]["Arn"]
    valid_until = now + timedelta(days=365 * CERTIFICATE_YEARS)
    certificate = issue_signing_certificate(
        kms, key_id, subject_cn=f"{tenant.name} 証明書発行（{code}）", organization=tenant.name,
        valid_from=now - timedelta(minutes=5), valid_until=valid_until,
    )
    secret = kms.generate_data_key(KeyId=data_key_id, KeySpec="AES_256", EncryptionContext=secret_context(code))
    active = claim.model_copy(update={
        "status": "active", "key_id": key_id, "certificate_b64": base64.b64encode(certificate).decode(),
        "certificate_sha256": hashlib.sha256(certificate).hexdigest(), "valid_until": iso(valid_until),
        "secret_ciphertext_b64": base64.b64encode(secret["CiphertextBlob"]).decode(),
        "verify_base": request.verify_base, "activated_at": iso(clock()),
    })
    try:
        store.client.put_item(
            TableName=store.table_name, Item=signing_item(active), ConditionExpression="claim_id = :claim",
            ExpressionAttributeValues={":claim": {"S": claim.claim_id}},
        )
    except store.client.exceptions.ConditionalCheckFailedException:
        raise DomainError("CONFLICT", "another call took over the creation of the signing key") from None
    audit.record(code, actor=actor, action="certificate.signing_key.created", target=key_id,
                 reason="証明書署名鍵の作成", details={"certificate_sha256": active.certificate_sha256})
    return _view(active, created=True)


def _claim(store: CertificateStore, claim: SigningProfile, now: datetime) -> bool:
    try:
        store.client.put_item(
            TableName=store.table_name, Item=signing_item(claim),
            ConditionExpression="attribute_not_exists(pk) OR (#status = :creating AND claimed_at < :stale)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":creating": {"S": "creating"}, ":stale": {"S": iso(now - STALE_CLAIM)}},
        )
    except store.client.exceptions.ConditionalCheckFailedException:
        return False
    return True


class SigningKeys:
    """Profiles, secrets and signers per municipality, cached per execution environment."""

    def __init__(self, store: CertificateStore, kms: KMSClient) -> None:
        self._store = store
        self._kms = kms
        self._lock = threading.Lock()
        self._profiles: dict[str, SigningProfile] = {}
        self._secrets: dict[str, bytes] = {}
        self._signers: dict[str, KmsSigner] = {}

    def find(self, code: str) -> SigningProfile | None:
        with self._lock:
            cached = self._profiles.get(code)
        if cached is not None:
            return cached
        profile = self._store.get_signing(code)
        if profile is None or profile.status != "active":
            return None
        with self._lock:
            self._profiles[code] = profile
        return profile

    def profile(self, code: str) -> SigningProfile:
        found = self.find(code)
        if found is None:
            raise DomainError("CERTIFICATE_SIGNING_KEY_MISSING")
        return found

    def secret(self, code: str) -> bytes:
        with self._lock:
            cached = self._secrets.get(code)
        if cached is not None:
            return cached
        profile = self.profile(code)
        assert profile.secret_ciphertext_b64 is not None
        plaintext = self._kms.decrypt(CiphertextBlob=base64.b64decode(profile.secret_ciphertext_b64),
                                      EncryptionContext=secret_context(code))["Plaintext"]
        if len(plaintext) < MIN_SECRET_BYTES:
            raise DomainError("CERTIFICATE_SIGNING_KEY_INVALID", "verification secret too short")
        with self._lock:
            self._secrets[code] = plaintext
        return plaintext

    def certificate(self, code: str) -> bytes:
        profile = self.profile(code)
        assert profile.certificate_b64 is not None
        return base64.b64decode(profile.certificate_b64)

    def signer(self, code: str) -> KmsSigner:
        with self._lock:
            cached = self._signers.get(code)
        if cached is not None:
            return cached
        profile = self.profile(code)
        assert profile.key_id is not None
        signer = KmsSigner(self._kms, profile.key_id, self.certificate(code))
        with self._lock:
            self._signers[code] = signer
        return signer

