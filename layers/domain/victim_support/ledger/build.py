"""Building a disaster's ledger from the resident generation that was current when it was registered.

Two passes, each streaming and each resumable:

1. **persons**: page through the generation's active residents and write, per resident, the person
   item (in its household's partition), its search-key items and a member stub (bulk writes, nothing
   kept in memory). The checkpoint is the residents query's last evaluated key.
2. **households**: page through the member stubs, shard by shard (``keys.stub_key``). Their sort keys
   (``<household>#<person>``) group each household's members in one run of items, so a household is
   seen whole; its item (head, dwelling, members, protected) and its directory row are written as soon
   as the next household begins, then its stubs are deleted. Memory holds one household at a time; the
   checkpoint is the last household written, which names the shard to go on with.

Why a second pass instead of keeping every household's summary from the first: residents are stored
by person id, so a household's members are scattered over the whole generation. Keeping the summaries
would grow with the municipality (and a checkpoint holding them would outgrow DynamoDB's 400 KB item),
while the stubs group them by household. Deleting the stubs makes the second pass a work list: what
is left of a shard is what remains to do, so a run that stops anywhere only repeats idempotent puts.
The disaster's counts are taken from the directory at the end, not from the runs. Runs of one build
never overlap (each step is sent by the one before, and the handler's idempotency record keeps a
redelivered step from running twice at once), so no run reads a household whose stubs another is
deleting.

The checkpoint is saved after every page, so a run cut short by the Lambda timeout loses one page at
most; when the remaining time runs low the run stops and sends the next ``step`` of the message.
Every write is a put of a deterministic item (or the delete of a stub whose household is stored), so
replaying a page rewrites the same items. A finished
build (status ``open``) or a closed disaster is left alone, and every key starts with the message's
municipality code, so a message naming another municipality cannot touch this one's ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from victim_support.clock import iso
from victim_support.dynamo.attributes import from_item
from victim_support.dynamo.writer import BulkWriter
from victim_support.ledger import keys
from victim_support.ledger.disasters import request_build
from victim_support.ledger.models import BuildCheckpoint, BuildProgress, BuildRequest, Disaster, Household, Person
from victim_support.ledger.repository import (
    STUB_FIELDS,
    Item,
    LedgerContext,
    directory_item,
    dumps_key,
    household_item,
    loads_key,
    person_item,
    search_entries,
    search_item,
    stub_item,
)
from victim_support.observability import logger
from victim_support.residents.repository import ACTIVE, partition

ACTOR = "system:ledger-build"
HEAD = "世帯主"


def build_ledger(request: BuildRequest, ctx: LedgerContext, *, has_time: Callable[[], bool]) -> BuildProgress:
    """Build (or go on building) the disaster's ledger; ``done`` False means a continuation was sent."""
    code, disaster_id = request.municipality_code, request.disaster_id
    disaster = ctx.ledger.get_disaster(code, disaster_id)
    if disaster is None or disaster.status != "building":
        logger.info("nothing to build", extra={"disaster_id": disaster_id,
                                               "status": disaster.status if disaster else None})
        return BuildProgress(municipality_code=code, disaster_id=disaster_id, done=True, phase="skipped")
    checkpoint = ctx.ledger.get_checkpoint(code, disaster_id) or BuildCheckpoint(started_at=iso(ctx.clock()))
    if checkpoint.phase == "persons":
        checkpoint, finished = _persons_pass(disaster, checkpoint, ctx, has_time)
        if not finished:
            return _continue_later(request, checkpoint, ctx)
        checkpoint = checkpoint.model_copy(update={"phase": "households", "resume": None})
        ctx.ledger.put_checkpoint(code, disaster_id, checkpoint)
    checkpoint, finished = _households_pass(disaster, checkpoint, ctx, has_time)
    if not finished:
        return _continue_later(request, checkpoint, ctx)
    households, persons = _count(disaster, ctx)
    checkpoint = checkpoint.model_copy(update={"households": households, "persons": persons})
    opened = ctx.ledger.finish_build(code, disaster_id, households=checkpoint.households, persons=checkpoint.persons)
    if opened is not None:  # another run may have finished first: only the one that opened it audits
        ctx.audit.record(code, actor=ACTOR, action="ledger.built", target=disaster_id, reason="ledger built",
                         details={"households": checkpoint.households, "persons": checkpoint.persons,
                                  "resident_generation": disaster.resident_generation, "runs": request.step + 1})
    ctx.ledger.delete_checkpoint(code, disaster_id)
    logger.info("ledger built", extra={"disaster_id": disaster_id, "households": checkpoint.households,
                                       "persons": checkpoint.persons})
    return BuildProgress(municipality_code=code, disaster_id=disaster_id, done=True, phase="households",
                         households=checkpoint.households, persons=checkpoint.persons)


def _continue_later(request: BuildRequest, checkpoint: BuildCheckpoint, ctx: LedgerContext) -> BuildProgress:
    request_build(ctx, request.model_copy(update={"step": request.step + 1}))
    logger.info("ledger build continues in a new message", extra={"disaster_id": request.disaster_id,
                                                                   "phase": checkpoint.phase, "step": request.step})
    return BuildProgress(municipality_code=request.municipality_code, disaster_id=request.disaster_id, done=False,
                         phase=checkpoint.phase, households=checkpoint.households, persons=checkpoint.persons)


# --- Pass 1: persons and search keys --------------------------------------------------------------

def person_from_resident(resident: dict[str, Any], updated_at: str) -> Person:
    """A resident item (``residents.repository``) as the ledger's person."""
    birth = resident.get("birth_date")
    return Person(
        household_id=resident["household_id"], person_id=resident["sk"], name=resident["name"],
        name_kana=resident["name_kana"], birth_date=date.fromisoformat(birth) if birth else None,
        sex=resident.get("sex", "9"), relationship=resident.get("relationship", ""),
        address=resident.get("address", ""), address_extra=resident.get("address_extra", ""),
        phone=resident.get("phone", ""), care_needs=resident.get("care_needs", []),
        protected=bool(resident.get("protected", False)), resident=True, updated_at=updated_at,
    )


def _person_items(code: str, disaster_id: str, residents: list[Item], updated_at: str) -> Iterator[Item]:
    for raw in residents:
        person = person_from_resident(from_item(raw), updated_at)
        yield person_item(code, disaster_id, person)
        for entry in search_entries(person):
            yield search_item(code, disaster_id, entry)
        yield stub_item(code, disaster_id, person)


def _persons_pass(disaster: Disaster, checkpoint: BuildCheckpoint, ctx: LedgerContext,
                  has_time: Callable[[], bool]) -> tuple[BuildCheckpoint, bool]:
    code, disaster_id = disaster.municipality_code, disaster.disaster_id
    table = ctx.need(ctx.residents_table, "table residents")
    writer = BulkWriter(ctx.bulk_dynamodb, ctx.ledger.table_name)
    start = loads_key(checkpoint.resume)
    written = 0
    while True:
        page: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        resp = ctx.dynamodb.query(
            TableName=table, KeyConditionExpression="pk = :pk", FilterExpression="#status = :active",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":pk": {"S": partition(code, disaster.resident_generation)},
                                       ":active": {"S": ACTIVE}},
            Limit=ctx.page_size, **page,
        )
        residents = resp.get("Items", [])
        writer.put_items(_person_items(code, disaster_id, residents, checkpoint.started_at))
        written += len(residents)
        start = resp.get("LastEvaluatedKey")
        checkpoint = checkpoint.model_copy(update={"resume": dumps_key(start)})
        if start is None:
            logger.info("ledger persons written", extra={"disaster_id": disaster_id, "persons": written})
            return checkpoint, True
        ctx.ledger.put_checkpoint(code, disaster_id, checkpoint)
        if not has_time():
            return checkpoint, False


# --- Pass 2: households ---------------------------------------------------------------------------

@dataclass
class _Summary:
    """What a household item needs of its members, gathered while their stubs stream past."""

    household_id: str
    head_person_id: str
    head_name: str
    head_address: str
    head_is_named: bool  # the head is the member whose relationship is 世帯主
    protected: bool = False
    person_ids: list[str] = field(default_factory=list)
    care_ids: list[str] = field(default_factory=list)
    stubs: list[str] = field(default_factory=list)

    @property
    def members(self) -> int:
        return len(self.person_ids)

    @classmethod
    def first(cls, person: dict[str, Any]) -> _Summary:
        return cls(household_id=person["household_id"], head_person_id=person["person_id"],
                   head_name=person.get("name", ""), head_address=_dwelling(person),
                   head_is_named=person.get("relationship") == HEAD)

    def add(self, person: dict[str, Any]) -> None:
        self.person_ids.append(person["person_id"])
        if person.get("care", False):
            self.care_ids.append(person["person_id"])
        self.protected = self.protected or bool(person.get("protected", False))
        self.stubs.append(person["sk"])
        if not self.head_is_named and person.get("relationship") == HEAD:
            self.head_person_id, self.head_name = person["person_id"], person.get("name", "")
            self.head_address, self.head_is_named = _dwelling(person), True

    def household(self, updated_at: str) -> Household:
        return Household(household_id=self.household_id, head_person_id=self.head_person_id,
                         head_name=self.head_name, dwelling_address=self.head_address, members=self.members,
                         single_person=self.members == 1, protected=self.protected, updated_at=updated_at)


def _dwelling(person: dict[str, Any]) -> str:
    return " ".join(part for part in (person.get("address", ""), person.get("address_extra", "")) if part)


def _households_pass(disaster: Disaster, checkpoint: BuildCheckpoint, ctx: LedgerContext,
                     has_time: Callable[[], bool]) -> tuple[BuildCheckpoint, bool]:
    first = keys.household_shard(checkpoint.resume) if checkpoint.resume else 0
    for shard in range(first, keys.DIRECTORY_SHARDS):
        before = checkpoint.households
        checkpoint, finished = _households_of_shard(disaster, shard, checkpoint, ctx, has_time)
        if not finished:
            return checkpoint, False
        # A shard's end is a page like any other: stop there too if it finished a household (the
        # checkpoint then names this shard, which the next run finds empty).
        if checkpoint.households != before and shard + 1 < keys.DIRECTORY_SHARDS and not has_time():
            return checkpoint, False
    return checkpoint, True


def _households_of_shard(disaster: Disaster, shard: int, checkpoint: BuildCheckpoint, ctx: LedgerContext,
                         has_time: Callable[[], bool]) -> tuple[BuildCheckpoint, bool]:
    code, disaster_id = disaster.municipality_code, disaster.disaster_id
    writer = BulkWriter(ctx.bulk_dynamodb, ctx.ledger.table_name)
    pk = keys.stub_pk(code, disaster_id, shard)
    names = {f"#a{i}": name for i, name in enumerate(("sk", *STUB_FIELDS))}
    pending: _Summary | None = None
    start: dict[str, Any] | None = None
    while True:
        page: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        resp = ctx.dynamodb.query(
            TableName=ctx.ledger.table_name, KeyConditionExpression="pk = :pk",
            ProjectionExpression=", ".join(names), ExpressionAttributeNames=names,
            ExpressionAttributeValues={":pk": {"S": pk}}, Limit=ctx.page_size, ConsistentRead=True, **page,
        )
        finished: list[_Summary] = []
        for raw in resp.get("Items", []):
            stub = from_item(raw)
            if pending is None or pending.household_id != stub["household_id"]:
                if pending is not None:
                    finished.append(pending)
                pending = _Summary.first(stub)
            pending.add(stub)
        start = resp.get("LastEvaluatedKey")
        if start is None and pending is not None:
            finished.append(pending)
            pending = None
        if finished:
            writer.put_items(_household_items(code, disaster_id, finished, checkpoint.started_at))
            # Only after the household and its row are stored: what is left in the shard is still to do.
            writer.delete_keys({"pk": {"S": pk}, "sk": {"S": sk}} for s in finished for sk in s.stubs)
            checkpoint = checkpoint.model_copy(update={
                "resume": finished[-1].household_id, "households": checkpoint.households + len(finished),
                "persons": checkpoint.persons + sum(s.members for s in finished)})
            ctx.ledger.put_checkpoint(code, disaster_id, checkpoint)
        if start is None:
            return checkpoint, True
        # Stop only after a page that finished a household: the next run starts at a household boundary
        # and re-reads the one still streaming, so stopping earlier could repeat the same page for ever.
        if finished and not has_time():
            return checkpoint, False


def _household_items(code: str, disaster_id: str, finished: list[_Summary], updated_at: str) -> Iterator[Item]:
    for summary in finished:
        household = summary.household(updated_at)
        yield household_item(code, disaster_id, household)
        yield directory_item(code, disaster_id, household, person_ids=summary.person_ids, care_ids=summary.care_ids)


def _count(disaster: Disaster, ctx: LedgerContext) -> tuple[int, int]:
    """(households, persons) of the finished ledger, from its directory."""
    households = persons = 0
    for pk in keys.directory_pks(disaster.municipality_code, disaster.disaster_id):
        start: dict[str, Any] | None = None
        while True:
            page: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
            resp = ctx.dynamodb.query(
                TableName=ctx.ledger.table_name, KeyConditionExpression="pk = :pk", ProjectionExpression="person_ids",
                ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True, **page)
            for row in resp.get("Items", []):
                households += 1
                persons += len(row.get("person_ids", {}).get("SS", ()))
            start = resp.get("LastEvaluatedKey")
            if start is None:
                break
    return households, persons
