"""The kiosk registry: which kiosks may call the kiosk API, and the secret each signs its requests with.

Item: pk = ``KIOSK#<kiosk id>``, sk = ``PROFILE`` in the ``kiosks`` table. Kiosks are national (a
store serves residents of every municipality), so their key is the kiosk id, not a municipality code.

The HMAC secret is generated with ``secrets`` (256 bits as 64 hex digits: base64url text may start
with "-", which a command line takes for an option), handed to the operator once (on creation or
rotation) and stored only as KMS ciphertext under the data key, with the kiosk id in the encryption
context so a ciphertext cannot be moved to another kiosk. It is decrypted when a
request is verified and kept per container, keyed by the ciphertext's hash: a rotated secret is a new
ciphertext, so the cache never serves a stale one.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from victim_support.audit import AuditLog
from victim_support.clock import Clock, iso, utc_now
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.errors import DomainError
from victim_support.kiosk.models import KioskList, KioskRegistered, KioskRegistration, KioskView

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_kms.client import KMSClient

PROFILE = "PROFILE"
PURPOSE = "kiosk-request-signing"
_CACHE_LIMIT = 4096


def kiosk_pk(kiosk_id: str) -> str:
    return f"KIOSK#{kiosk_id}"


class KioskRecord(BaseModel):
    """The stored kiosk; ``secret_ct`` is the KMS ciphertext of its HMAC secret."""

    kiosk_id: str
    operator: str
    store_name: str
    location_code: str
    enabled: bool
    secret_ct: bytes
    registered_at: str
    updated_at: str
    secret_rotated_at: str
    version: int = 1

    def view(self) -> KioskView:
        return KioskView.model_validate(self.model_dump(exclude={"secret_ct", "version"}))


class SecretBox:
    """KMS encryption of kiosk secrets under the data key; decrypted secrets are cached per container."""

    def __init__(self, kms: KMSClient, key_id: str | None) -> None:
        self._kms = kms
        self._key_id = key_id

    @staticmethod
    def _context(kiosk_id: str) -> dict[str, str]:
        return {"purpose": PURPOSE, "kiosk_id": kiosk_id}

    def encrypt(self, kiosk_id: str, secret: str) -> bytes:
        if self._key_id is None:
            raise LookupError("the data key is not configured for this function")
        resp = self._kms.encrypt(KeyId=self._key_id, Plaintext=secret.encode("ascii"),
                                 EncryptionContext=self._context(kiosk_id))
        return bytes(resp["CiphertextBlob"])

    def decrypt(self, kiosk_id: str, ciphertext: bytes) -> bytes:
        digest = hashlib.sha256(kiosk_id.encode() + b"\0" + ciphertext).digest()
        with _CACHE_LOCK:
            cached = _SECRETS.get(digest)
        if cached is not None:
            return cached
        kwargs: dict[str, Any] = {"KeyId": self._key_id} if self._key_id else {}
        resp = self._kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext=self._context(kiosk_id), **kwargs)
        secret = bytes(resp["Plaintext"])
        with _CACHE_LOCK:
            if len(_SECRETS) >= _CACHE_LIMIT:  # bounded: a flood of registrations cannot grow it for ever
                _SECRETS.clear()
            _SECRETS[digest] = secret
        return secret


_SECRETS: dict[bytes, bytes] = {}
_CACHE_LOCK = threading.Lock()


class KioskRegistry:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def _key(kiosk_id: str) -> dict[str, Any]:
        return {"pk": {"S": kiosk_pk(kiosk_id)}, "sk": {"S": PROFILE}}

    def get(self, kiosk_id: str) -> KioskRecord | None:
        # Strongly consistent: disabling a kiosk takes effect on its next request.
        resp = self._client.get_item(TableName=self._table, Key=self._key(kiosk_id), ConsistentRead=True)
        item = resp.get("Item")
        if item is None:
            return None
        return KioskRecord.model_validate({k: v for k, v in from_item(item).items() if k not in ("pk", "sk")})

    def create(self, record: KioskRecord) -> bool:
        """Store a new kiosk; False when the id is taken."""
        item = to_item({"pk": kiosk_pk(record.kiosk_id), "sk": PROFILE, **record.model_dump()})
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def replace(self, record: KioskRecord, expected_version: int) -> bool:
        """Overwrite the kiosk if nobody changed it since it was read."""
        item = to_item({"pk": kiosk_pk(record.kiosk_id), "sk": PROFILE, **record.model_dump()})
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="version = :seen",
                                  ExpressionAttributeValues={":seen": {"N": str(expected_version)}})
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def all(self) -> list[KioskRecord]:
        found: list[KioskRecord] = []
        kwargs: dict[str, Any] = {}
        while True:
            resp = self._client.scan(
                TableName=self._table, FilterExpression="begins_with(pk, :kiosk) AND sk = :profile",
                ExpressionAttributeValues={":kiosk": {"S": "KIOSK#"}, ":profile": {"S": PROFILE}}, **kwargs,
            )
            for item in resp.get("Items", []):
                data = from_item(item)
                found.append(KioskRecord.model_validate({k: v for k, v in data.items() if k not in ("pk", "sk")}))
            if "LastEvaluatedKey" not in resp:
                return sorted(found, key=lambda k: k.kiosk_id)
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def new_secret() -> str:
    return secrets.token_hex(32)


def register_kiosk(kiosk_id: str, registration: KioskRegistration, *, actor: str, registry: KioskRegistry,
                   box: SecretBox, audit: AuditLog, clock: Clock = utc_now) -> KioskRegistered:
    """Create the kiosk (with a new secret) or update it; the secret is in the answer only when new."""
    from victim_support.rules import municipal_codes

    municipal_codes.validate(registration.location_code)
    for _ in range(5):
        now = iso(clock())
        existing = registry.get(kiosk_id)
        secret: str | None = None
        if existing is None or registration.rotate_secret:
            secret = new_secret()
            secret_ct, rotated_at = box.encrypt(kiosk_id, secret), now
        else:
            secret_ct, rotated_at = existing.secret_ct, existing.secret_rotated_at
        record = KioskRecord(
            kiosk_id=kiosk_id, operator=registration.operator, store_name=registration.store_name,
            location_code=registration.location_code, enabled=registration.enabled, secret_ct=secret_ct,
            registered_at=existing.registered_at if existing else now, updated_at=now, secret_rotated_at=rotated_at,
            version=existing.version + 1 if existing else 1,
        )
        stored = registry.create(record) if existing is None else registry.replace(record, existing.version)
        if stored:
            break
    else:
        raise DomainError("CONFLICT", "the kiosk kept changing; try again")
    action = "kiosk.registered" if existing is None else "kiosk.updated"
    # Audited under the store's municipality; the secret never reaches the audit trail.
    audit.record(registration.location_code, actor=actor, action=action, target=kiosk_id,
                 reason="operator registration",
                 details={"operator": registration.operator, "enabled": registration.enabled,
                          "secret_issued": secret is not None})
    return KioskRegistered(kiosk=record.view(), created=existing is None, secret=secret)


def list_kiosks(*, registry: KioskRegistry) -> KioskList:
    return KioskList(kiosks=[k.view() for k in registry.all()])
