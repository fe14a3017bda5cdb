"""Online certificate applications (マイナポータル ぴったりサービス) and their processing status.

The portal integration posts each application with the portal's id; posting the same id again
answers the first result (the portal retries). Each application is matched to a ledger person:

- automatically when exactly one person of the disaster's ledger has the applicant's reading and birth
  date (``kana_key`` + ``birth_key``, exact); when several do, the one whose address has the
  applicant's ``address_key`` (``same_address``) wins if it is the only one → ``match: "auto"``;
- otherwise it waits in the staff matching queue (``match: "pending"``) until staff match it by hand
  (``match: "manual"``).

Status moves forward one step at a time: 受付 → 調査中 → 判定済 → 交付可 → 交付済. 判定済 needs a match,
and for a 罹災証明書 a damage level on the matched household (a completed survey). The match is fixed
from 判定済 on. Every change is audited with identifiers only.

Storage: the application at ``<code>#<disaster_id>`` / ``A#<application_id>``, and a pointer
``<code>`` / ``APPLICATION#<application_id>`` → disaster id, written together in one transaction:
the pointer makes the portal id unique per municipality (idempotency) and lets the routes that know
only the application id find it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from victim_support.audit import AuditLog
from victim_support.auth import Caller
from victim_support.clock import Clock, iso, utc_now
from victim_support.damage import DamageLevel
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.errors import DomainError
from victim_support.ledger import keys
from victim_support.ledger.access import Access, GrantRepository, audit_remote
from victim_support.ledger.models import Household
from victim_support.ledger.queries import DISASTER_ID_PATTERN, LEDGER_ID_PATTERN, LedgerReader, open_ledger
from victim_support.rules.normalize import address_key, birth_key, kana_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CertificateKind = Literal["罹災証明書", "被災証明書"]
ApplicationStatus = Literal["受付", "調査中", "判定済", "交付可", "交付済"]
Delivery = Literal["counter", "post", "kiosk"]
MatchState = Literal["auto", "pending", "manual"]

STATUS_ORDER: tuple[ApplicationStatus, ...] = ("受付", "調査中", "判定済", "交付可", "交付済")
APPLICATION_ID_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"
# More candidates than this with the same reading and birth date are left to staff anyway.
_MAX_CANDIDATES = 50


class ApplicationSubmission(BaseModel):
    """``POST /applications``: one application as the portal sends it."""

    model_config = ConfigDict(extra="forbid")

    application_id: str = Field(pattern=APPLICATION_ID_PATTERN, description="the portal's id (idempotency key)")
    disaster_id: str = Field(pattern=DISASTER_ID_PATTERN)
    certificate_kind: CertificateKind
    applicant_name: str = Field(min_length=1, max_length=60)
    applicant_kana: str = Field(min_length=1, max_length=60)
    birth_date: date
    address: str = Field(min_length=1, max_length=200, description="the applicant's address")
    phone: str = Field(default="", pattern=r"^[0-9+\-]{0,20}$")
    dwelling_address: str = Field(min_length=1, max_length=200, description="被災住家の所在地")
    copies: int = Field(default=1, ge=1, le=10)
    delivery: Delivery
    submitted_at: datetime


class StatusChange(BaseModel):
    status: ApplicationStatus
    at: str
    actor: str


class Application(BaseModel):
    municipality_code: str
    application_id: str
    disaster_id: str
    certificate_kind: CertificateKind
    applicant_name: str
    applicant_kana: str
    birth_date: date
    address: str
    phone: str = ""
    dwelling_address: str
    copies: int
    delivery: Delivery
    submitted_at: datetime
    received_at: str
    received_by: str
    status: ApplicationStatus = "受付"
    match: MatchState
    match_candidates: int = Field(default=0, description="ledger persons with the same reading and birth date")
    household_id: str | None = None
    person_id: str | None = None
    matched_by: str | None = None
    matched_at: str | None = None
    history: list[StatusChange] = Field(default_factory=list)
    version: int = 1
    updated_at: str


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household_id: str = Field(pattern=LEDGER_ID_PATTERN)
    person_id: str = Field(pattern=LEDGER_ID_PATTERN)


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ApplicationStatus
    reason: str = Field(default="", max_length=200)


class ApplicationList(BaseModel):
    applications: list[Application]
    next_cursor: str | None = None


# --- The status machine --------------------------------------------------------------------------

def check_transition(current: ApplicationStatus, target: ApplicationStatus, *, matched: bool,
                     kind: CertificateKind, damage_level: DamageLevel | None) -> None:
    """Refuses anything but the next status, and 判定済 without its conditions."""
    if STATUS_ORDER.index(target) != STATUS_ORDER.index(current) + 1:
        raise DomainError("APPLICATION_TRANSITION_INVALID", f"{current} → {target}")
    if target == "判定済":
        if not matched:
            raise DomainError("APPLICATION_NOT_MATCHED")
        if kind == "罹災証明書" and damage_level is None:
            raise DomainError("APPLICATION_NOT_SURVEYED")


# --- Storage -------------------------------------------------------------------------------------

class ApplicationRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _item(self, application: Application) -> dict[str, Any]:
        return to_item({**application.model_dump(mode="json"),
                        "pk": keys.ledger_pk(application.municipality_code, application.disaster_id),
                        "sk": keys.application_sk(application.application_id), "entity": "application"})

    def create(self, application: Application) -> bool:
        """Stores a new application; False when the municipality already has one with this id."""
        pointer = {"pk": keys.disaster_pk(application.municipality_code),
                   "sk": keys.application_pointer_sk(application.application_id), "entity": "application_ref",
                   "disaster_id": application.disaster_id}
        try:
            self._client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._table, "Item": to_item(pointer),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": self._table, "Item": self._item(application),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return False
            raise
        return True

    def locate(self, code: str, application_id: str) -> str | None:
        """The disaster an application belongs to."""
        resp = self._client.get_item(TableName=self._table, ConsistentRead=True, Key={
            "pk": {"S": keys.disaster_pk(code)}, "sk": {"S": keys.application_pointer_sk(application_id)}})
        item = resp.get("Item")
        return str(from_item(item)["disaster_id"]) if item else None

    def get(self, code: str, disaster_id: str, application_id: str) -> Application | None:
        resp = self._client.get_item(TableName=self._table, ConsistentRead=True, Key={
            "pk": {"S": keys.ledger_pk(code, disaster_id)}, "sk": {"S": keys.application_sk(application_id)}})
        item = resp.get("Item")
        return Application.model_validate(from_item(item)) if item else None

    def replace(self, application: Application, expected_version: int) -> None:
        """Optimistic locking: CONFLICT when someone else changed it since it was read."""
        try:
            self._client.put_item(TableName=self._table, Item=self._item(application),
                                  ConditionExpression="version = :v",
                                  ExpressionAttributeValues={":v": {"N": str(expected_version)}})
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise DomainError("CONFLICT", "the application changed meanwhile: read it again") from None
            raise

    def list(self, code: str, disaster_id: str, *, status: ApplicationStatus | None, match: MatchState | None,
             limit: int, after: str | None) -> tuple[list[Application], str | None]:
        """Applications in id order, filtered, at most ``limit``; and the id to continue after."""
        pk = keys.ledger_pk(code, disaster_id)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :a)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":a": {"S": keys.application_sk("")}},
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": keys.application_sk(after)}}
        found: list[Application] = []
        while True:
            resp = self._client.query(TableName=self._table, **kwargs)
            for item in resp.get("Items", []):
                application = Application.model_validate(from_item(item))
                if (status is None or application.status == status) and (match is None or application.match == match):
                    found.append(application)
                    if len(found) == limit:
                        return found, application.application_id
            if "LastEvaluatedKey" not in resp:
                return found, None
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


# --- Matching ------------------------------------------------------------------------------------

def same_address(a: str, b: str) -> bool:
    """Equal address keys, allowing either side to leave out what comes first (the portal's address
    carries the prefecture and county, a resident record often starts at the municipality or the town);
    the shorter one must still name a place, not only block numbers."""
    shorter, longer = sorted((a, b), key=len)
    return bool(shorter.strip("0123456789-")) and longer.endswith(shorter)


def find_match(reader: LedgerReader, code: str, disaster_id: str,
               submission: ApplicationSubmission) -> tuple[MatchState, int, tuple[str, str] | None]:
    """(match state, candidates with the same reading and birth date, the matched person's ids)."""
    kana = kana_key(submission.applicant_kana)
    if not kana:
        return "pending", 0, None
    birth = birth_key(submission.birth_date)
    by_kana = reader.search_all_in(keys.search_pks(code, disaster_id, "KANA", kana),
                                   keys.search_prefix("KANA", kana) + "#", _MAX_CANDIDATES)
    by_birth = reader.search_all_in(keys.search_pks(code, disaster_id, "BIRTH", birth),
                                    keys.search_prefix("BIRTH", birth) + "#", _MAX_CANDIDATES * 100)
    if by_kana is None or by_birth is None:
        return "pending", _MAX_CANDIDATES, None
    born = {(h.household_id, h.person_id) for h in by_birth}
    candidates = sorted({(h.household_id, h.person_id) for h in by_kana} & born)
    if len(candidates) == 1:
        return "auto", 1, candidates[0]
    if not candidates:
        return "pending", 0, None
    wanted = address_key(submission.address)
    persons = reader.get_items([(keys.household_pk(code, disaster_id, hh), keys.person_sk(hh, pid))
                                for hh, pid in candidates])
    at_address = [(str(p["household_id"]), str(p["person_id"])) for p in persons.values()
                  if same_address(address_key(str(p.get("address", ""))), wanted)]
    if len(at_address) == 1:
        return "auto", len(candidates), at_address[0]
    return "pending", len(candidates), None


# --- Use cases -----------------------------------------------------------------------------------

def receive_application(code: str, submission: ApplicationSubmission, *, actor: str,
                        repository: ApplicationRepository, reader: LedgerReader, audit: AuditLog,
                        clock: Clock = utc_now) -> tuple[Application, bool]:
    """Stores and matches a portal application; (the application, whether it is new)."""
    known = repository.locate(code, submission.application_id)
    if known is not None:
        return _existing(repository, code, known, submission.application_id), False
    disaster = reader.disaster(code, submission.disaster_id)
    if disaster is None:
        raise DomainError("LEDGER_DISASTER_NOT_FOUND")
    if disaster.status == "closed":
        raise DomainError("LEDGER_DISASTER_CLOSED")
    # A ledger still being built would miss people: such applications wait for staff.
    state, candidates, person = (("pending", 0, None) if disaster.status == "building"
                                 else find_match(reader, code, submission.disaster_id, submission))
    now = iso(clock())
    application = Application(
        **submission.model_dump(), municipality_code=code, received_at=now, received_by=actor, match=state,
        match_candidates=candidates, household_id=person[0] if person else None,
        person_id=person[1] if person else None, matched_by="auto" if person else None,
        matched_at=now if person else None, history=[StatusChange(status="受付", at=now, actor=actor)],
        updated_at=now,
    )
    if not repository.create(application):  # the same id posted concurrently: the first one wins
        known = repository.locate(code, submission.application_id)
        return _existing(repository, code, known or submission.disaster_id, submission.application_id), False
    audit.record(code, actor=actor, action="application.received", target=application.application_id,
                 reason="online application", details={"disaster_id": application.disaster_id,
                                                       "certificate_kind": application.certificate_kind,
                                                       "match": state, "candidates": candidates,
                                                       "household_id": application.household_id,
                                                       "person_id": application.person_id})
    return application, True


def _existing(repository: ApplicationRepository, code: str, disaster_id: str, application_id: str) -> Application:
    application = repository.get(code, disaster_id, application_id)
    if application is None:
        raise DomainError("APPLICATION_NOT_FOUND")
    return application


def _open_application(caller: Caller, application_id: str, action: Literal["read", "write"], *,
                      municipality: str | None, repository: ApplicationRepository, reader: LedgerReader,
                      grants: GrantRepository, clock: Clock) -> tuple[Access, Application]:
    own = caller.municipality_code
    target = municipality or own
    if not own or not target:
        raise DomainError("FORBIDDEN", "the caller belongs to no municipality")
    disaster_id = repository.locate(target, application_id)
    if disaster_id is None:
        # Another municipality's ids are not confirmed to exist: the refusal is the same as without a grant.
        raise DomainError("APPLICATION_NOT_FOUND" if target == own else "FORBIDDEN")
    access, _ = open_ledger(caller, disaster_id, action, municipality=municipality, reader=reader, grants=grants,
                            clock=clock, ready=False)
    return access, _existing(repository, access.municipality_code, disaster_id, application_id)


def list_applications(caller: Caller, disaster_id: str, *, status: ApplicationStatus | None = None,
                      match: MatchState | None = None, limit: int = 50, cursor: str | None = None,
                      municipality: str | None = None, repository: ApplicationRepository, reader: LedgerReader,
                      grants: GrantRepository, audit: AuditLog, clock: Clock = utc_now) -> ApplicationList:
    access, _ = open_ledger(caller, disaster_id, "read", municipality=municipality, reader=reader, grants=grants,
                            clock=clock, ready=False)
    applications, last = repository.list(access.municipality_code, disaster_id, status=status, match=match,
                                         limit=max(1, min(limit, 100)), after=cursor)
    audit_remote(access, audit, action="application.listed", target=disaster_id,
                 details={"results": len(applications)})
    return ApplicationList(applications=applications, next_cursor=last)


def get_application(caller: Caller, application_id: str, *, municipality: str | None = None,
                    repository: ApplicationRepository, reader: LedgerReader, grants: GrantRepository,
                    audit: AuditLog, clock: Clock = utc_now) -> Application:
    access, application = _open_application(caller, application_id, "read", municipality=municipality,
                                            repository=repository, reader=reader, grants=grants, clock=clock)
    audit_remote(access, audit, action="application.viewed", target=application_id,
                 details={"disaster_id": application.disaster_id})
    return application


def match_application(caller: Caller, application_id: str, request: MatchRequest, *,
                      municipality: str | None = None, repository: ApplicationRepository, reader: LedgerReader,
                      grants: GrantRepository, audit: AuditLog, clock: Clock = utc_now) -> Application:
    """Staff match an application to a ledger person by hand."""
    access, application = _open_application(caller, application_id, "write", municipality=municipality,
                                            repository=repository, reader=reader, grants=grants, clock=clock)
    if STATUS_ORDER.index(application.status) >= STATUS_ORDER.index("判定済"):
        raise DomainError("APPLICATION_MATCH_LOCKED")
    pk = keys.household_pk(access.municipality_code, application.disaster_id, request.household_id)
    if keys.person_sk(request.household_id, request.person_id) not in reader.get_many(
            pk, [keys.person_sk(request.household_id, request.person_id)]):
        raise DomainError("LEDGER_PERSON_NOT_FOUND")
    now = iso(clock())
    updated = application.model_copy(update={
        "match": "manual", "household_id": request.household_id, "person_id": request.person_id,
        "matched_by": access.actor, "matched_at": now, "version": application.version + 1, "updated_at": now})
    repository.replace(updated, application.version)
    details = {"disaster_id": application.disaster_id, "household_id": request.household_id,
               "person_id": request.person_id, "previous_match": application.match}
    audit.record(access.municipality_code, actor=access.actor, action="application.matched", target=application_id,
                 reason="manual match", details={**details, "acting_for": access.acting_for,
                                                 "grant_id": access.grant_id})
    audit_remote(access, audit, action="application.matched", target=application_id, details=details)
    return updated


def change_status(caller: Caller, application_id: str, request: StatusRequest, *, municipality: str | None = None,
                  repository: ApplicationRepository, reader: LedgerReader, grants: GrantRepository,
                  audit: AuditLog, clock: Clock = utc_now) -> Application:
    """Moves an application one step forward."""
    access, application = _open_application(caller, application_id, "write", municipality=municipality,
                                            repository=repository, reader=reader, grants=grants, clock=clock)
    matched = application.match != "pending" and application.household_id is not None
    level: DamageLevel | None = None
    if matched and request.status == "判定済" and application.household_id is not None:
        pk = keys.household_pk(access.municipality_code, application.disaster_id, application.household_id)
        found = reader.get_many(pk, [keys.household_sk(application.household_id)])
        item = found.get(keys.household_sk(application.household_id))
        level = Household.model_validate(item).damage_level if item else None
    check_transition(application.status, request.status, matched=matched, kind=application.certificate_kind,
                     damage_level=level)
    now = iso(clock())
    updated = application.model_copy(update={
        "status": request.status, "history": [*application.history,
                                              StatusChange(status=request.status, at=now, actor=access.actor)],
        "version": application.version + 1, "updated_at": now})
    repository.replace(updated, application.version)
    details = {"disaster_id": application.disaster_id, "from": application.status, "to": request.status}
    audit.record(access.municipality_code, actor=access.actor, action="application.status_changed",
                 target=application_id, reason=request.reason or "status change",
                 details={**details, "acting_for": access.acting_for, "grant_id": access.grant_id})
    audit_remote(access, audit, action="application.status_changed", target=application_id, details=details)
    return updated

