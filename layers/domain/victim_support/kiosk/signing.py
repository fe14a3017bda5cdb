"""Kiosk request signing, and its one verification.

Every kiosk request carries::

    X-Kiosk-Id              the registered kiosk
    X-Kiosk-Timestamp       epoch seconds or ISO 8601 with an offset; within ±300 s of the server's clock
    X-Kiosk-Nonce           16–128 characters [A-Za-z0-9_-], never used twice by the kiosk
    X-Kiosk-Content-SHA256  hex SHA-256 of the body (of the empty body for a GET)
    X-Kiosk-Signature       base64(HMAC-SHA256(secret, method \\n path \\n body SHA-256 \\n timestamp \\n nonce))

``path`` is the resource path the API sees, without stage or query string (``/kiosk/v1/sessions``);
the HMAC key is the secret's text (ASCII) as registration returned it.

Why the body hash travels in a header: API Gateway's Lambda REQUEST authorizer never sees the body.
The authorizer (``verify``) checks the registration, the time window, the signature over the declared
hash and the nonce; the kiosk API's handler then checks the body against the declared hash
(``check_body``) before anything reads it. An altered body fails there, an altered hash fails the
signature; either way the answer is ``KIOSK_SIGNATURE_INVALID``.

The nonce is stored with a conditional put only after the signature holds (a forger cannot burn a
kiosk's nonces), and kept until its timestamp leaves the window, after which the timestamp alone
refuses a replay. DynamoDB's TTL deletes the remembered nonces later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from victim_support.clock import Clock, iso, utc_now
from victim_support.errors import DomainError
from victim_support.kiosk.models import KIOSK_ID_PATTERN
from victim_support.kiosk.registry import KioskRegistry, SecretBox

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

HEADER_ID = "X-Kiosk-Id"
HEADER_TIMESTAMP = "X-Kiosk-Timestamp"
HEADER_NONCE = "X-Kiosk-Nonce"
HEADER_CONTENT_SHA256 = "X-Kiosk-Content-SHA256"
HEADER_SIGNATURE = "X-Kiosk-Signature"
WINDOW_S = 300
# How long past its window a nonce is kept anyway (clock skew between the authorizer's containers).
NONCE_MARGIN_S = 60
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_KIOSK_ID = re.compile(KIOSK_ID_PATTERN)
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_EPOCH = re.compile(r"^\d{9,11}(\.\d{1,6})?$")


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path: str, content_sha256: str, timestamp: str, nonce: str) -> bytes:
    return "\n".join((method.upper(), path, content_sha256, timestamp, nonce)).encode("utf-8")


def compute_signature(secret: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode("ascii")


def sign_request(kiosk_id: str, secret: str, method: str, path: str, body: bytes = b"", *,
                 timestamp: str | None = None, nonce: str | None = None, now: datetime | None = None) -> dict[str, str]:
    """The five headers of a signed request (what a kiosk sends)."""
    stamp = timestamp if timestamp is not None else str(int((now or utc_now()).timestamp()))
    once = nonce if nonce is not None else secrets.token_urlsafe(18)
    digest = body_sha256(body)
    message = string_to_sign(method, path, digest, stamp, once)
    return {
        HEADER_ID: kiosk_id, HEADER_TIMESTAMP: stamp, HEADER_NONCE: once, HEADER_CONTENT_SHA256: digest,
        HEADER_SIGNATURE: compute_signature(secret.encode("ascii"), message),
    }


def parse_timestamp(text: str) -> datetime | None:
    """Epoch seconds or ISO 8601 with an offset; None when it is neither (a naive time is refused: it
    would be read in whatever zone the server runs)."""
    value = text.strip()
    if _EPOCH.fullmatch(value):
        return datetime.fromtimestamp(float(value), tz=UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True)
class SignedRequest:
    """What the verification needs of a request: never its body (the authorizer does not get it)."""

    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names

    @classmethod
    def of(cls, method: str, path: str, headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> SignedRequest:
        pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
        return cls(method.upper(), path, {str(k).lower(): str(v) for k, v in pairs})

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class KioskIdentity:
    """An authenticated kiosk, as the authorizer context carries it."""

    kiosk_id: str
    operator: str
    location_code: str

    def context(self) -> dict[str, str]:
        return {"kiosk_id": self.kiosk_id, "operator": self.operator, "location_code": self.location_code}


class NonceStore:
    """Nonces seen per kiosk (table ``kiosk_nonces``, pk = ``<kiosk id>#<nonce>``, TTL ``expires_at``)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def remember(self, kiosk_id: str, nonce: str, *, expires_at: int, seen_at: str) -> bool:
        """True the first time; False when the kiosk used this nonce before (a replay)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item={"pk": {"S": f"{kiosk_id}#{nonce}"}, "expires_at": {"N": str(expires_at)},
                      "seen_at": {"S": seen_at}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


class RequestVerifier:
    """The verification of a kiosk request (see the module docstring for the order and why)."""

    def __init__(self, registry: KioskRegistry, box: SecretBox, nonces: NonceStore, *, clock: Clock = utc_now,
                 window_s: int = WINDOW_S) -> None:
        self._registry = registry
        self._box = box
        self._nonces = nonces
        self._clock = clock
        self._window_s = window_s

    def verify(self, request: SignedRequest) -> KioskIdentity:
        kiosk_id = request.header(HEADER_ID) or ""
        if not _KIOSK_ID.fullmatch(kiosk_id):
            raise DomainError("KIOSK_UNKNOWN", "X-Kiosk-Id is missing or malformed")
        kiosk = self._registry.get(kiosk_id)
        if kiosk is None:
            raise DomainError("KIOSK_UNKNOWN")
        if not kiosk.enabled:
            raise DomainError("KIOSK_DISABLED")

        now = self._clock()
        stamp = request.header(HEADER_TIMESTAMP) or ""
        moment = parse_timestamp(stamp)
        if moment is None:
            raise DomainError("KIOSK_REQUEST_EXPIRED", "X-Kiosk-Timestamp must be epoch seconds or ISO 8601 with an "
                              "offset")
        if abs((now - moment).total_seconds()) > self._window_s:
            raise DomainError("KIOSK_REQUEST_EXPIRED")

        nonce = request.header(HEADER_NONCE) or ""
        digest = request.header(HEADER_CONTENT_SHA256) or ""
        given = _decode_signature(request.header(HEADER_SIGNATURE) or "")
        if not _NONCE.fullmatch(nonce) or not _SHA256_HEX.fullmatch(digest) or given is None:
            raise DomainError("KIOSK_SIGNATURE_INVALID", "a signing header is missing or malformed")
        secret = self._box.decrypt(kiosk_id, kiosk.secret_ct)
        expected = hmac.new(secret, string_to_sign(request.method, request.path, digest, stamp, nonce),
                            hashlib.sha256).digest()
        if not hmac.compare_digest(expected, given):
            raise DomainError("KIOSK_SIGNATURE_INVALID")

        if not self._nonces.remember(kiosk_id, nonce, expires_at=int(moment.timestamp()) + self._window_s
                                     + NONCE_MARGIN_S, seen_at=iso(now)):
            raise DomainError("KIOSK_REPLAY")
        return KioskIdentity(kiosk_id=kiosk.kiosk_id, operator=kiosk.operator, location_code=kiosk.location_code)


def _decode_signature(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == hashlib.sha256().digest_size else None


def check_body(declared_sha256: str | None, body: bytes) -> None:
    """The body is the one the signature covers (the handler's half of the verification)."""
    declared = (declared_sha256 or "").strip().lower()
    if not _SHA256_HEX.fullmatch(declared) or not hmac.compare_digest(declared, body_sha256(body)):
        raise DomainError("KIOSK_SIGNATURE_INVALID", "the body does not match X-Kiosk-Content-SHA256")
