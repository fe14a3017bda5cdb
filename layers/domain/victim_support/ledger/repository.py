"""The ledger table's items, and the reads and writes the ledger's writers need.

Every item is a model's JSON dump plus ``pk``/``sk`` (``keys``) and ``entity`` (``ItemKind``, or
``directory`` and ``stub`` for the household directory and the build's member stubs), so a reader can
tell a household from its persons and events in one partition without parsing the sort key. A
household event stores its ``details`` flat beside its own fields (a survey's ``round`` and
``damage_level`` are attributes of the event item), so readers can treat every attribute alike (e.g.
withhold ``dwelling_address`` or ``whereabouts`` wherever they appear). A person's My Number is stored
only as the KMS ciphertext ``my_number_ct`` beside the dump; ``person_from_item`` never returns it.

Writes of a command go in one transaction (``commit``): the household (and person) with an optimistic
version check, the search keys, the household's directory row, the household event (whose key carries
the command id, so a replay cannot write it twice) and the audit event. Either the whole change with
its audit is stored, or nothing is.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from victim_support.audit import AuditLog
from victim_support.clock import Clock, utc_now
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.errors import DomainError
from victim_support.ledger import keys
from victim_support.ledger.access import GrantRepository
from victim_support.ledger.models import (
    BuildCheckpoint,
    Disaster,
    Household,
    HouseholdEvent,
    ItemKind,
    Person,
    SearchEntry,
)
from victim_support.rules.normalize import address_key, birth_key, kana_key, name_key
from victim_support.settings import configured
from victim_support.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_kms.client import KMSClient
    from mypy_boto3_sqs.client import SQSClient

Item = dict[str, Any]
StoredKind = ItemKind | Literal["directory", "stub"]
_BOOKKEEPING = frozenset({"pk", "sk", "entity", "my_number_ct"})
_VERSION = {"#version": "version"}


class VersionConflict(Exception):
    """Another writer changed the household or person since it was read: read again and retry."""


class AlreadyApplied(Exception):
    """The command's event exists: the command was applied before (a redelivered message)."""


class DisasterNotOpen(Exception):
    """The disaster left the ``open`` status between the read and the write."""


# --- Items --------------------------------------------------------------------------------------

def _item(pk: str, sk: str, kind: StoredKind, data: dict[str, Any]) -> Item:
    return to_item({**data, "pk": pk, "sk": sk, "entity": kind})


def _data(item: Item) -> dict[str, Any]:
    return {k: v for k, v in from_item(item).items() if k not in _BOOKKEEPING}


def disaster_item(disaster: Disaster) -> Item:
    return _item(keys.disaster_pk(disaster.municipality_code), keys.disaster_sk(disaster.disaster_id), "disaster",
                 disaster.model_dump(mode="json"))


def disaster_from_item(item: Item) -> Disaster:
    return Disaster.model_validate(_data(item))


def household_item(code: str, disaster_id: str, household: Household) -> Item:
    return _item(keys.household_pk(code, disaster_id, household.household_id),
                 keys.household_sk(household.household_id), "household", household.model_dump(mode="json"))


def household_from_item(item: Item) -> Household:
    return Household.model_validate(_data(item))


def person_item(code: str, disaster_id: str, person: Person, my_number_ct: bytes | None = None) -> Item:
    item = _item(keys.household_pk(code, disaster_id, person.household_id),
                 keys.person_sk(person.household_id, person.person_id), "person", person.model_dump(mode="json"))
    if my_number_ct is not None:
        item["my_number_ct"] = {"B": my_number_ct}
    return item


def person_from_item(item: Item) -> Person:
    """The person without the My Number ciphertext (no view ever carries it)."""
    return Person.model_validate(_data(item))


_EVENT_FIELDS = frozenset(HouseholdEvent.model_fields) - {"details"}


def event_item(code: str, disaster_id: str, event: HouseholdEvent) -> Item:
    # The event's own fields win over a detail of the same name.
    return _item(keys.household_pk(code, disaster_id, event.household_id),
                 keys.event_sk(event.household_id, event.at, event.command_id), "event",
                 {**event.details, **event.model_dump(mode="json", exclude={"details"})})


def event_from_item(item: Item) -> HouseholdEvent:
    data = _data(item)
    own = {k: v for k, v in data.items() if k in _EVENT_FIELDS}
    return HouseholdEvent.model_validate({**own, "details": {k: v for k, v in data.items() if k not in _EVENT_FIELDS}})


def search_entries(person: Person) -> list[SearchEntry]:
    """One entry per non-empty key: reading, name, birth date and address (protected persons too: their
    own municipality's staff must find them; the query side withholds them from remote helpers)."""
    candidates = (
        ("KANA", kana_key(person.name_kana)),
        ("NAME", name_key(person.name)),
        ("BIRTH", birth_key(person.birth_date) if person.birth_date else ""),
        ("ADDR", address_key(person.address) if person.address else ""),
    )
    return [
        SearchEntry(field=field_name, key=key, household_id=person.household_id, person_id=person.person_id,
                    protected=person.protected, resident=person.resident, name=person.name,
                    name_kana=person.name_kana, birth_date=person.birth_date)
        for field_name, key in candidates if key
    ]


def search_key(code: str, disaster_id: str, entry: SearchEntry) -> tuple[str, str]:
    return (keys.search_pk(code, disaster_id, entry.field, entry.key, entry.household_id),
            keys.search_sk(entry.field, entry.key, entry.household_id, entry.person_id))


def search_item(code: str, disaster_id: str, entry: SearchEntry) -> Item:
    return _item(*search_key(code, disaster_id, entry), "search", entry.model_dump(mode="json"))


def search_entry_from_item(item: Item) -> SearchEntry:
    return SearchEntry.model_validate(_data(item))


# What the summary counts of a household, kept on its directory row.
DIRECTORY_FIELDS = ("damage_level", "evacuation", "support_decided", "support_paid", "closed")


def _directory_values(household: Household) -> dict[str, Any]:
    dumped = household.model_dump(mode="json", include=set(DIRECTORY_FIELDS))
    return {"household_id": household.household_id, **dumped}


def directory_item(code: str, disaster_id: str, household: Household, *, person_ids: Collection[str],
                   care_ids: Collection[str] = ()) -> Item:
    """A household's directory row: the summary's fields, its persons' ids (``person_ids``, for the
    count and for reading the persons by key) and those of its persons with care needs (``care_ids``)."""
    return _item(*keys.directory_key(code, disaster_id, household.household_id), "directory", {
        **_directory_values(household), "person_ids": set(person_ids) or None, "care_ids": set(care_ids) or None})


STUB_FIELDS = ("household_id", "person_id", "name", "relationship", "address", "address_extra", "protected", "care")


def stub_item(code: str, disaster_id: str, person: Person) -> Item:
    """What the build's households pass needs of a member, grouped by household (``keys``)."""
    return _item(*keys.stub_key(code, disaster_id, person.household_id, person.person_id), "stub", {
        "household_id": person.household_id, "person_id": person.person_id, "name": person.name,
        "relationship": person.relationship, "address": person.address, "address_extra": person.address_extra,
        "protected": person.protected, "care": bool(person.care_needs)})


def checkpoint_item(code: str, disaster_id: str, checkpoint: BuildCheckpoint) -> Item:
    return _item(keys.disaster_pk(code), keys.build_sk(disaster_id), "build", checkpoint.model_dump(mode="json"))


@dataclass(frozen=True)
class AuditEntry:
    """An audit event written in the same transaction as the change it records; the item has the shape
    ``AuditLog.record`` writes, so ``AuditLog.events`` lists it with the others."""

    municipality_code: str
    actor: str
    action: str
    target: str
    reason: str
    at: str
    details: dict[str, Any] = field(default_factory=dict)

    def item(self) -> Item:
        return to_item({"pk": self.municipality_code, "sk": f"{self.at}#{secrets.token_hex(8)}", "actor": self.actor,
                        "action": self.action, "target": self.target, "reason": self.reason, "at": self.at,
                        "details": self.details})


@dataclass(frozen=True)
class PersonRecord:
    """A stored person with the ciphertext of their My Number (kept across rewrites of the item)."""

    person: Person
    my_number_ct: bytes | None = None


@dataclass
class LedgerWrite:
    """Everything one command changes, written at once by ``LedgerRepository.commit``.

    ``household`` is the state the change was computed from (its version is the one expected);
    ``household_after`` is None when the household itself does not change (its version is then only
    checked, so a concurrent change of the household, e.g. its closing, makes this write retry).
    """

    municipality_code: str
    disaster_id: str
    household: Household
    event: HouseholdEvent
    audit: AuditEntry
    household_after: Household | None = None
    household_is_new: bool = False
    person: PersonRecord | None = None
    person_after: Person | None = None
    my_number_ct: bytes | None = None


class LedgerRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, audit_table: str | None = None) -> None:
        self._client = client
        self._table = table_name
        self._audit_table = audit_table

    @property
    def table_name(self) -> str:
        return self._table

    # --- disasters ---

    def create_disaster(self, disaster: Disaster) -> bool:
        """Store a new disaster; False when the id is taken already in this municipality."""
        try:
            self._client.put_item(TableName=self._table, Item=disaster_item(disaster),
                                  ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete_disaster(self, code: str, disaster_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(keys.disaster_pk(code), keys.disaster_sk(disaster_id)))

    def get_disaster(self, code: str, disaster_id: str) -> Disaster | None:
        item = self._get(keys.disaster_pk(code), keys.disaster_sk(disaster_id))
        return disaster_from_item(item) if item else None

    def require_disaster(self, code: str, disaster_id: str) -> Disaster:
        disaster = self.get_disaster(code, disaster_id)
        if disaster is None:
            raise DomainError("LEDGER_DISASTER_NOT_FOUND")
        return disaster

    def list_disasters(self, code: str) -> list[Disaster]:
        items = self._query(keys.disaster_pk(code), "DISASTER#")
        return [disaster_from_item(i) for i in items if i.get("entity", {}).get("S") == "disaster"]

    def finish_build(self, code: str, disaster_id: str, *, households: int, persons: int) -> Disaster | None:
        """building → open with the counts; None when the disaster is no longer building (another run
        finished it, or it was closed meanwhile)."""
        try:
            resp = self._client.update_item(
                TableName=self._table, Key=_key(keys.disaster_pk(code), keys.disaster_sk(disaster_id)),
                UpdateExpression="SET #status = :open, households = :h, persons = :p, #version = #version + :one",
                ConditionExpression="#status = :building",
                ExpressionAttributeNames={"#status": "status", **_VERSION},
                ExpressionAttributeValues=to_item({":open": "open", ":building": "building", ":h": households,
                                                   ":p": persons, ":one": 1}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return disaster_from_item(resp["Attributes"])

    def close_disaster(self, code: str, disaster_id: str, *, actor: str, at: str) -> Disaster:
        try:
            resp = self._client.update_item(
                TableName=self._table, Key=_key(keys.disaster_pk(code), keys.disaster_sk(disaster_id)),
                UpdateExpression="SET #status = :closed, closed_at = :at, closed_by = :actor, "
                "#version = #version + :one",
                ConditionExpression="attribute_exists(pk) AND #status <> :closed",
                ExpressionAttributeNames={"#status": "status", **_VERSION},
                ExpressionAttributeValues=to_item({":closed": "closed", ":at": at, ":actor": actor, ":one": 1}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                self.require_disaster(code, disaster_id)
                raise DomainError("LEDGER_DISASTER_CLOSED") from None
            raise
        return disaster_from_item(resp["Attributes"])

    # --- build checkpoints ---

    def get_checkpoint(self, code: str, disaster_id: str) -> BuildCheckpoint | None:
        item = self._get(keys.disaster_pk(code), keys.build_sk(disaster_id))
        return BuildCheckpoint.model_validate(_data(item)) if item else None

    def put_checkpoint(self, code: str, disaster_id: str, checkpoint: BuildCheckpoint) -> None:
        self._client.put_item(TableName=self._table, Item=checkpoint_item(code, disaster_id, checkpoint))

    def delete_checkpoint(self, code: str, disaster_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(keys.disaster_pk(code), keys.build_sk(disaster_id)))

    # --- households and persons ---

    def get_household(self, code: str, disaster_id: str, household_id: str) -> Household | None:
        item = self._get(keys.household_pk(code, disaster_id, household_id), keys.household_sk(household_id))
        return household_from_item(item) if item else None

    def get_person(self, code: str, disaster_id: str, household_id: str, person_id: str) -> PersonRecord | None:
        item = self._get(keys.household_pk(code, disaster_id, household_id), keys.person_sk(household_id, person_id))
        if item is None:
            return None
        ciphertext = item.get("my_number_ct", {}).get("B")
        return PersonRecord(person_from_item(item), bytes(ciphertext) if ciphertext is not None else None)

    def persons(self, code: str, disaster_id: str, household_id: str) -> list[Person]:
        items = self._query(keys.household_pk(code, disaster_id, household_id), f"{keys.household_sk(household_id)}#P#")
        return [person_from_item(i) for i in items]

    def events(self, code: str, disaster_id: str, household_id: str) -> list[HouseholdEvent]:
        """The household's history, oldest first."""
        items = self._query(keys.household_pk(code, disaster_id, household_id), f"{keys.household_sk(household_id)}#E#")
        return [event_from_item(i) for i in items]

    def commit(self, write: LedgerWrite) -> None:
        """Write one command's change atomically; see the module docstring.

        Raises ``VersionConflict`` (re-read and retry), ``AlreadyApplied`` or ``DisasterNotOpen``.
        """
        if self._audit_table is None:
            raise RuntimeError("this repository was built without the audit table")
        code, disaster_id = write.municipality_code, write.disaster_id
        household = write.household
        pk = keys.household_pk(code, disaster_id, household.household_id)
        roles: list[str] = []
        # Plain dicts: the entries are assembled from condition fragments the TypedDicts cannot spread.
        items: list[dict[str, Any]] = []

        def add(role: str, entry: dict[str, Any]) -> None:
            roles.append(role)
            items.append(entry)

        add("disaster", {"ConditionCheck": {
            "TableName": self._table, "Key": _key(keys.disaster_pk(code), keys.disaster_sk(disaster_id)),
            "ConditionExpression": "#status = :open", "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":open": {"S": "open"}}}})
        stored_household: Household | None = None
        if write.household_is_new:
            stored_household = household.model_copy(update={"version": 1})
            add("household", {"Put": {"TableName": self._table,
                                      "Item": household_item(code, disaster_id, stored_household),
                                      "ConditionExpression": "attribute_not_exists(pk)"}})
        elif write.household_after is not None:
            stored_household = write.household_after.model_copy(update={"version": household.version + 1})
            add("household", {"Put": {"TableName": self._table,
                                      "Item": household_item(code, disaster_id, stored_household),
                                      **_expect_version(household.version)}})
        else:
            add("household", {"ConditionCheck": {"TableName": self._table,
                                                 "Key": _key(pk, keys.household_sk(household.household_id)),
                                                 **_expect_version(household.version)}})
        before = write.person
        if write.person_after is not None:
            ciphertext = write.my_number_ct or (before.my_number_ct if before else None)
            version = before.person.version + 1 if before else 1
            after_person = write.person_after.model_copy(update={"version": version})
            condition = _expect_version(before.person.version) if before else {
                "ConditionExpression": "attribute_not_exists(pk)"}
            add("person", {"Put": {"TableName": self._table,
                                   "Item": person_item(code, disaster_id, after_person, ciphertext), **condition}})
            old = {search_key(code, disaster_id, e): e for e in search_entries(before.person)} if before else {}
            new = {search_key(code, disaster_id, e): e for e in search_entries(after_person)}
            for gone in old.keys() - new.keys():
                add("search", {"Delete": {"TableName": self._table, "Key": _key(*gone)}})
            for key, entry in new.items():
                if old.get(key) != entry:
                    add("search", {"Put": {"TableName": self._table, "Item": search_item(code, disaster_id, entry)}})
        directory = self._directory_write(write, stored_household)
        if directory is not None:
            add("directory", directory)
        add("event", {"Put": {"TableName": self._table, "Item": event_item(code, disaster_id, write.event),
                              "ConditionExpression": "attribute_not_exists(pk)"}})
        add("audit", {"Put": {"TableName": self._audit_table, "Item": write.audit.item()}})
        try:
            self._client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            failed = {roles[i] for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"}
            if "event" in failed:
                raise AlreadyApplied from None
            if "disaster" in failed:
                raise DisasterNotOpen from None
            # A failed version check, or a transaction conflict with another writer: read again.
            raise VersionConflict from None

    def _directory_write(self, write: LedgerWrite, stored: Household | None) -> dict[str, Any] | None:
        """The change of the household's directory row: its summary fields when the household changes,
        a person's id when they are added, and when their care needs come or go. Ids are added to and
        deleted from sets, not rewritten, so two commands on different members of a household never
        overwrite each other (the household's own fields are guarded by its version in the same
        transaction)."""
        code, disaster_id = write.municipality_code, write.disaster_id
        before, after = write.person, write.person_after
        added = after is not None and before is None
        cared_before = bool(before and before.person.care_needs)
        cared_after = bool(after.care_needs) if after is not None else cared_before
        if write.household_is_new and stored is not None and after is not None:
            return {"Put": {"TableName": self._table, "Item": directory_item(
                code, disaster_id, stored, person_ids=[after.person_id],
                care_ids=[after.person_id] if cared_after else [])}}
        values: dict[str, Any] = {}
        clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
        if stored is not None:
            for n, (name, value) in enumerate(_directory_values(stored).items()):
                values[f"#s{n}"] = name
                if value is None:  # items leave None out (to_item): so does the row
                    clauses["REMOVE"].append(f"#s{n}")
                else:
                    clauses["SET"].append(f"#s{n} = :s{n}")
                    values[f":s{n}"] = value
        person_id = {after.person_id} if after is not None else set()
        for name, verb in (("person_ids", "ADD" if added else None),
                           ("care_ids", None if cared_after == cared_before else "ADD" if cared_after else "DELETE")):
            if verb is not None:
                clauses[verb].append(f"#{name} :{name}")
                values[f"#{name}"], values[f":{name}"] = name, person_id
        if not any(clauses.values()):
            return None
        pk, sk = keys.directory_key(code, disaster_id, write.household.household_id)
        return {"Update": {
            "TableName": self._table, "Key": _key(pk, sk),
            "UpdateExpression": " ".join(f"{verb} {', '.join(parts)}" for verb, parts in clauses.items() if parts),
            "ExpressionAttributeNames": {k: v for k, v in values.items() if k.startswith("#")},
            "ExpressionAttributeValues": to_item({k: v for k, v in values.items() if k.startswith(":")})}}

    # --- plumbing ---

    def _get(self, pk: str, sk: str) -> Item | None:
        resp = self._client.get_item(TableName=self._table, Key=_key(pk, sk), ConsistentRead=True)
        return resp.get("Item")

    def _query(self, pk: str, prefix: str) -> list[Item]:
        return list(self.query_pages(pk, prefix))

    def query_pages(self, pk: str, prefix: str) -> Iterator[Item]:
        kwargs: dict[str, Any] = {}
        while True:
            resp = self._client.query(
                TableName=self._table, KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}}, ConsistentRead=True,
                **kwargs,
            )
            yield from resp.get("Items", [])
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _expect_version(version: int) -> dict[str, Any]:
    return {"ConditionExpression": "#version = :expected", "ExpressionAttributeNames": _VERSION,
            "ExpressionAttributeValues": {":expected": {"N": str(version)}}}


def dumps_key(key: dict[str, Any] | None) -> str | None:
    """A query's LastEvaluatedKey as text for a checkpoint (string keys only, as every key here is)."""
    return None if key is None else json.dumps(key, sort_keys=True)


def loads_key(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


@dataclass
class LedgerContext:
    """What the ledger's API routes and workers need; each function's environment names only the
    resources its grants allow, so the optional ones are checked where they are used."""

    ledger: LedgerRepository
    audit: AuditLog
    tenants: TenantRepository
    grants: GrantRepository
    dynamodb: DynamoDBClient
    bulk_dynamodb: DynamoDBClient
    sqs: SQSClient
    kms: KMSClient
    residents_table: str | None = None
    commands_queue_url: str | None = None
    build_queue_url: str | None = None
    data_key_id: str | None = None
    page_size: int = 500
    clock: Clock = utc_now

    def need(self, value: str | None, what: str) -> str:
        return configured(value, what)
