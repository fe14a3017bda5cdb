"""Who may read or change which ledger: a municipality's own staff, or another municipality's staff
through a live remote-support grant (遠隔支援).

A grant names one disaster of the grantor's, the grantee municipality, a role (``viewer`` reads,
``editor`` also sends commands) and a validity window; it can be revoked. Every read and write made
through a grant is audited under the grantor's code with the grant id. Remote helpers never see the
address or whereabouts of a person under 支援措置 (``Access.sees_protected`` is False for them).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from victim_support.audit import AuditLog
from victim_support.auth import Caller
from victim_support.clock import Clock, iso, utc_now
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.errors import DomainError
from victim_support.ledger import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Role = Literal["viewer", "editor"]
Action = Literal["read", "write"]


class GrantRequest(BaseModel):
    """``POST /disasters/{disaster_id}/grants`` by the stricken municipality."""

    model_config = ConfigDict(extra="forbid")

    grantee_code: str = Field(pattern=r"^\d{6}$", description="the helping municipality")
    role: Role
    valid_from: datetime
    valid_until: datetime
    reason: str = Field(min_length=1, max_length=200)


class Grant(BaseModel):
    grant_id: str
    grantor_code: str
    grantee_code: str
    disaster_id: str
    role: Role
    valid_from: datetime
    valid_until: datetime
    reason: str
    created_by: str
    created_at: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    def live(self, at: datetime) -> bool:
        return self.revoked_at is None and self.valid_from <= at < self.valid_until


class Access(BaseModel):
    """The resolved right to act on one municipality's disaster ledger."""

    model_config = ConfigDict(frozen=True)

    municipality_code: str = Field(description="whose ledger")
    disaster_id: str
    actor: str
    acting_for: str | None = Field(default=None, description="the grantee municipality, through a grant")
    grant_id: str | None = None
    role: Role | Literal["owner"] = "owner"

    @property
    def remote(self) -> bool:
        return self.grant_id is not None

    @property
    def sees_protected(self) -> bool:
        """Only the municipality's own staff see a protected person's address and whereabouts."""
        return not self.remote


class GrantRepository:
    """Grants in the ledger table: the grantor's item is the record; the grantee's is a copy that lets a
    helper list what it was granted (both carry the whole grant, so neither needs the other to be read)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, grant: Grant) -> None:
        data = grant.model_dump(mode="json")
        for pk, sk in ((grant.grantor_code, keys.grant_sk(grant.grant_id)),
                       (grant.grantee_code, keys.granted_sk(grant.grant_id))):
            self._client.put_item(TableName=self._table, Item=to_item({**data, "pk": pk, "sk": sk}))

    def get(self, grantor_code: str, grant_id: str) -> Grant | None:
        resp = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                     Key={"pk": {"S": grantor_code}, "sk": {"S": keys.grant_sk(grant_id)}})
        item = resp.get("Item")
        return _grant(item) if item else None

    def _list(self, pk: str, prefix: str) -> list[Grant]:
        grants: list[Grant] = []
        kwargs: dict[str, Any] = {}
        while True:
            resp = self._client.query(
                TableName=self._table, KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}}, ConsistentRead=True,
                **kwargs,
            )
            grants += [_grant(item) for item in resp.get("Items", [])]
            if "LastEvaluatedKey" not in resp:
                return grants
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def given_by(self, grantor_code: str) -> list[Grant]:
        return self._list(grantor_code, "GRANT#")

    def held_by(self, grantee_code: str) -> list[Grant]:
        return self._list(grantee_code, "GRANTED#")


def _grant(item: dict[str, Any]) -> Grant:
    return Grant.model_validate({k: v for k, v in from_item(item).items() if k not in ("pk", "sk")})


def create_grant(grantor_code: str, disaster_id: str, request: GrantRequest, *, actor: str,
                 grants: GrantRepository, audit: AuditLog, clock: Clock = utc_now) -> Grant:
    if request.grantee_code == grantor_code:
        raise DomainError("LEDGER_GRANT_INVALID", detail="a municipality cannot grant access to itself")
    if request.valid_until <= request.valid_from:
        raise DomainError("LEDGER_GRANT_INVALID", detail="valid_until must come after valid_from")
    grant = Grant(
        grant_id=f"{grantor_code}-{secrets.token_hex(6)}", grantor_code=grantor_code,
        grantee_code=request.grantee_code, disaster_id=disaster_id, role=request.role,
        valid_from=request.valid_from, valid_until=request.valid_until, reason=request.reason,
        created_by=actor, created_at=iso(clock()),
    )
    grants.put(grant)
    audit.record(grantor_code, actor=actor, action="ledger.grant_created", target=grant.grant_id,
                 reason=request.reason, details={"grantee": grant.grantee_code, "disaster_id": disaster_id,
                                                 "role": grant.role, "valid_until": iso(grant.valid_until)})
    return grant


def revoke_grant(grantor_code: str, grant_id: str, *, actor: str, reason: str, grants: GrantRepository,
                 audit: AuditLog, clock: Clock = utc_now) -> Grant:
    grant = grants.get(grantor_code, grant_id)
    if grant is None:
        raise DomainError("LEDGER_GRANT_NOT_FOUND")
    if grant.revoked_at is None:
        grant = grant.model_copy(update={"revoked_at": iso(clock()), "revoked_by": actor})
        grants.put(grant)
        audit.record(grantor_code, actor=actor, action="ledger.grant_revoked", target=grant_id, reason=reason,
                     details={"grantee": grant.grantee_code})
    return grant


def resolve_access(caller: Caller, disaster_id: str, action: Action, *, municipality_code: str | None,
                   grants: GrantRepository, clock: Clock = utc_now) -> Access:
    """The caller's access to ``municipality_code``'s (default: its own) ledger of one disaster.

    Another municipality's ledger needs a grant of the grantor's for exactly this disaster, to the
    caller's municipality, live now, and with the editor role for a write; anything else answers
    FORBIDDEN without saying which condition failed.
    """
    own = caller.municipality_code
    if not own:
        raise DomainError("FORBIDDEN", "the caller belongs to no municipality")
    target = municipality_code or own
    if target == own:
        return Access(municipality_code=own, disaster_id=disaster_id, actor=caller.username)
    now = clock()
    for grant in grants.held_by(own):
        if (grant.grantor_code == target and grant.disaster_id == disaster_id and grant.live(now)
                and (action == "read" or grant.role == "editor")):
            # The grantee's copy could be stale after a revocation: the grantor's record decides.
            current = grants.get(target, grant.grant_id)
            if current is not None and current.live(now):
                return Access(municipality_code=target, disaster_id=disaster_id, actor=caller.username,
                              acting_for=own, grant_id=grant.grant_id, role=grant.role)
    raise DomainError("FORBIDDEN", "no live grant for this ledger")


def audit_remote(access: Access, audit: AuditLog, *, action: str, target: str, details: dict[str, Any]) -> None:
    """Every read or write through a grant goes to the grantor's audit trail."""
    if access.remote:
        audit.record(access.municipality_code, actor=access.actor, action=f"remote.{action}", target=target,
                     reason=f"remote support by {access.acting_for} under grant {access.grant_id}",
                     details={**details, "acting_for": access.acting_for, "grant_id": access.grant_id})


# --- Grant routes' helpers ------------------------------------------------------------------------

class GrantView(Grant):
    live_now: bool = Field(description="valid now and not revoked")


class GrantList(BaseModel):
    grants: list[GrantView]


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)


class DisasterLookup(Protocol):
    def disaster(self, code: str, disaster_id: str) -> object | None: ...


def _views(grants: list[Grant], at: datetime) -> GrantList:
    ordered = sorted(grants, key=lambda g: (g.created_at, g.grant_id))
    return GrantList(grants=[GrantView(**g.model_dump(), live_now=g.live(at)) for g in ordered])


def grant_for_disaster(grantor_code: str, disaster_id: str, request: GrantRequest, *, actor: str,
                       disasters: DisasterLookup, grants: GrantRepository, audit: AuditLog,
                       clock: Clock = utc_now) -> Grant:
    """``create_grant`` for a disaster the grantor has (another municipality's disaster id is unknown here)."""
    if disasters.disaster(grantor_code, disaster_id) is None:
        raise DomainError("LEDGER_DISASTER_NOT_FOUND")
    return create_grant(grantor_code, disaster_id, request, actor=actor, grants=grants, audit=audit, clock=clock)


def revoke_disaster_grant(grantor_code: str, disaster_id: str, grant_id: str, *, actor: str, reason: str,
                          grants: GrantRepository, audit: AuditLog, clock: Clock = utc_now) -> Grant:
    """``revoke_grant`` of a grant given for this disaster (LEDGER_GRANT_NOT_FOUND for any other)."""
    grant = grants.get(grantor_code, grant_id)
    if grant is None or grant.disaster_id != disaster_id:
        raise DomainError("LEDGER_GRANT_NOT_FOUND")
    return revoke_grant(grantor_code, grant_id, actor=actor, reason=reason, grants=grants, audit=audit, clock=clock)


def grants_given(grantor_code: str, disaster_id: str, *, grants: GrantRepository,
                 clock: Clock = utc_now) -> GrantList:
    """The grants a municipality gave for one of its disasters, live ones flagged."""
    return _views([g for g in grants.given_by(grantor_code) if g.disaster_id == disaster_id], clock())


def grants_held(grantee_code: str, *, grants: GrantRepository, clock: Clock = utc_now) -> GrantList:
    """The grants a municipality holds from others, live ones flagged."""
    return _views(grants.held_by(grantee_code), clock())
