"""Kiosk sessions: opened for one municipality by one kiosk, authenticated by one resident's card.

Item: pk = ``<code>``, sk = ``SESSION#<session id>`` in ``kiosk_sessions``; the session id begins with
the municipality code (``434434-<32 hex>``), so every read of a session, and everything read through
it (the card link, the resident, the ledger), is keyed by that municipality's code.

* A session belongs to the kiosk that opened it: asked by another kiosk it does not exist
  (``KIOSK_SESSION_NOT_FOUND``, the same answer as for an unknown id).
* Its nonce is single-use: the first authentication attempt spends it, successful or not
  (``KIOSK_SESSION_NONCE_USED`` after that), so one session serves one resident and a failed card
  cannot be retried against the same challenge.
* It expires after ``session_idle_s`` (3 minutes) without a successful call
  (``KIOSK_SESSION_EXPIRED``); each successful call moves the expiry on. DynamoDB's TTL removes the
  item a day later.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from victim_support.clock import iso
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.dynamo.conditions import conditional
from victim_support.errors import DomainError
from victim_support.kiosk.eligibility import ensure_service, refuse_unavailable, resident_refusal
from victim_support.kiosk.models import CardAuthentication, SessionAuthenticated, SessionOpened, SessionRequest
from victim_support.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from victim_support.kiosk.context import KioskContext

SESSION_PREFIX = "SESSION#"
TTL_GRACE_S = 86_400  # the item outlives its expiry by a day: an expired session answers "expired", not "not found"


class SessionRecord(BaseModel):
    municipality_code: str
    session_id: str
    kiosk_id: str
    nonce: str
    nonce_used: bool = False
    status: Literal["open", "authenticated"] = "open"
    person_id: str | None = None
    card_serial: str | None = None
    created_at: str
    expires_at: str
    ttl: int
    version: int = 1


class SessionRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def _key(code: str, session_id: str) -> dict[str, Any]:
        return {"pk": {"S": code}, "sk": {"S": SESSION_PREFIX + session_id}}

    def create(self, record: SessionRecord) -> None:
        item = to_item({"pk": record.municipality_code, "sk": SESSION_PREFIX + record.session_id,
                        **record.model_dump()})
        self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get(self, code: str, session_id: str) -> SessionRecord | None:
        resp = self._client.get_item(TableName=self._table, Key=self._key(code, session_id), ConsistentRead=True)
        item = resp.get("Item")
        if item is None:
            return None
        return SessionRecord.model_validate({k: v for k, v in from_item(item).items() if k not in ("pk", "sk")})

    def spend_nonce(self, record: SessionRecord, *, now: str, expires_at: str, ttl: int) -> bool:
        """Mark the nonce used (and the session active); False when it was used or the session expired."""
        return conditional(
            self._client.update_item, TableName=self._table, Key=self._key(record.municipality_code, record.session_id),
            UpdateExpression="SET nonce_used = :true, expires_at = :expires, #ttl = :ttl, #v = #v + :one",
            ConditionExpression="nonce_used = :false AND expires_at > :now",
            ExpressionAttributeNames={"#ttl": "ttl", "#v": "version"},
            ExpressionAttributeValues=to_item({":true": True, ":false": False, ":expires": expires_at, ":ttl": ttl,
                                               ":one": 1, ":now": now}),
        )

    def authenticate(self, record: SessionRecord, *, person_id: str, card_serial: str, now: str, expires_at: str,
                     ttl: int) -> bool:
        return conditional(
            self._client.update_item, TableName=self._table, Key=self._key(record.municipality_code, record.session_id),
            UpdateExpression="SET #status = :authenticated, person_id = :person, card_serial = :serial, "
            "expires_at = :expires, #ttl = :ttl, #v = #v + :one",
            ConditionExpression="#status = :open AND expires_at > :now",
            ExpressionAttributeNames={"#status": "status", "#ttl": "ttl", "#v": "version"},
            ExpressionAttributeValues=to_item({":authenticated": "authenticated", ":open": "open", ":person": person_id,
                                               ":serial": card_serial, ":expires": expires_at, ":ttl": ttl, ":one": 1,
                                               ":now": now}),
        )

    def touch(self, record: SessionRecord, *, now: str, expires_at: str, ttl: int) -> bool:
        return conditional(
            self._client.update_item, TableName=self._table, Key=self._key(record.municipality_code, record.session_id),
            UpdateExpression="SET expires_at = :expires, #ttl = :ttl",
            ConditionExpression="expires_at > :now",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues=to_item({":expires": expires_at, ":ttl": ttl, ":now": now}),
        )


def new_session_id(code: str) -> str:
    return f"{code}-{secrets.token_hex(16)}"


def _expiry(ctx: KioskContext, now: datetime) -> tuple[str, int]:
    expires = now + timedelta(seconds=ctx.session_idle_s)
    return iso(expires), int(expires.timestamp()) + TTL_GRACE_S


def load_session(kiosk_id: str, session_id: str, ctx: KioskContext) -> SessionRecord:
    """The kiosk's own live session; another kiosk's is answered like an unknown one."""
    record = ctx.sessions.get(session_id[:6], session_id)
    if record is None or record.kiosk_id != kiosk_id:
        raise DomainError("KIOSK_SESSION_NOT_FOUND")
    if iso(ctx.clock()) >= record.expires_at:
        raise DomainError("KIOSK_SESSION_EXPIRED")
    return record


def keep_alive(record: SessionRecord, ctx: KioskContext) -> str:
    """Move the expiry on after a successful call; the new expiry."""
    now = ctx.clock()
    expires_at, ttl = _expiry(ctx, now)
    if not ctx.sessions.touch(record, now=iso(now), expires_at=expires_at, ttl=ttl):
        raise DomainError("KIOSK_SESSION_EXPIRED")
    return expires_at


def open_session(kiosk_id: str, request: SessionRequest, *, ctx: KioskContext) -> SessionOpened:
    """A new session for the municipality, if its kiosk service is available now."""
    code = request.municipality_code
    ensure_service(code, ctx)
    now = ctx.clock()
    expires_at, ttl = _expiry(ctx, now)
    record = SessionRecord(municipality_code=code, session_id=new_session_id(code), kiosk_id=kiosk_id,
                           nonce=secrets.token_urlsafe(32), created_at=iso(now), expires_at=expires_at, ttl=ttl)
    ctx.sessions.create(record)
    logger.append_keys(municipality_code=code)
    logger.info("kiosk session opened", extra={"session_id": record.session_id, "kiosk_id": kiosk_id})
    return SessionOpened(session_id=record.session_id, nonce=record.nonce, expires_at=expires_at)


def authenticate(kiosk_id: str, session_id: str, body: CardAuthentication, *,
                 ctx: KioskContext) -> SessionAuthenticated:
    """Identify the resident by the card (``kiosk.jpki``) and the linkage, under the session's municipality."""
    from victim_support.kiosk.jpki import verify_card

    record = load_session(kiosk_id, session_id, ctx)
    code = record.municipality_code
    logger.append_keys(municipality_code=code)
    municipality = ensure_service(code, ctx)
    now = ctx.clock()
    expires_at, ttl = _expiry(ctx, now)
    if not ctx.sessions.spend_nonce(record, now=iso(now), expires_at=expires_at, ttl=ttl):
        load_session(kiosk_id, session_id, ctx)  # expired meanwhile → KIOSK_SESSION_EXPIRED
        raise DomainError("KIOSK_SESSION_NONCE_USED")
    try:
        card = verify_card(body.certificate, body.signature, record.nonce, ctx.trust.current(), now)
    except DomainError as refusal:
        logger.info("kiosk card refused", extra={"session_id": session_id, "code": refusal.code})
        raise
    link = ctx.links.get(code, card.issuer_id, card.serial_hex)
    if link is None:
        logger.info("kiosk card not linked", extra={"session_id": session_id})
        raise DomainError("KIOSK_CARD_NOT_LINKED")
    resident = ctx.residents.get(code, municipality.current_generation, link.person_id)
    reason = resident_refusal(resident)
    if reason is not None:
        refuse_unavailable(ctx, code, kiosk_id=kiosk_id, session_id=session_id, person_id=link.person_id,
                           reason=reason)
    if not ctx.sessions.authenticate(record, person_id=link.person_id, card_serial=card.serial_hex, now=iso(now),
                                     expires_at=expires_at, ttl=ttl):
        raise DomainError("KIOSK_SESSION_EXPIRED")
    ctx.audit.record(code, actor=f"kiosk:{kiosk_id}", action="kiosk.authenticated", target=session_id,
                     reason="resident card (利用者証明用電子証明書)",
                     details={"kiosk_id": kiosk_id, "person_id": link.person_id, "card_serial": card.serial_hex})
    logger.info("kiosk session authenticated", extra={"session_id": session_id})
    return SessionAuthenticated(session_id=session_id, municipality_code=code, expires_at=expires_at)
