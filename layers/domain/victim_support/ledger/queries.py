"""Reading a disaster's victim ledger: person search, the household view and the disaster summary.

Every read starts with ``open_ledger``: the caller's own municipality, or another municipality's
ledger through a live remote-support grant (``access.resolve_access``); every read through a grant is
audited under the ledger's municipality (``access.audit_remote``).

What remote helpers see of persons under 支援措置 (DV/stalking protection)
---------------------------------------------------------------------------
A remote helper may have to serve a protected person at the counter, so the person is found and
shown — name, reading, birth date, household — but never anything that locates them: the address
(with 方書), whereabouts, phone, e-mail and notes of every member of a household with a protected
member (the members share the dwelling, so one member's address discloses the other's), the
household's dwelling address and whereabouts, and the same fields inside the household's history.
Withheld fields are empty and named in ``withheld``. An address search by a remote helper never
returns members of a protected household: the match alone would confirm where they live. The
municipality's own staff see everything; every view of a household with a protected member is
audited for everyone (``ledger.protected_viewed``, identifiers only).

My Number is never read back: stored items may carry it encrypted, views carry only
``has_my_number``, and history events drop every attribute that names it.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import itertools
import json
import re
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, get_args

from pydantic import BaseModel, Field

from victim_support.audit import AuditLog
from victim_support.auth import Caller
from victim_support.clock import Clock, iso, utc_now
from victim_support.damage import DamageLevel
from victim_support.dynamo.attributes import from_item
from victim_support.errors import DomainError
from victim_support.ledger import keys
from victim_support.ledger.access import Access, GrantRepository, audit_remote, resolve_access
from victim_support.ledger.models import Disaster, EvacuationStatus, Household, Person
from victim_support.rules.normalize import address_key, birth_key, kana_key, name_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_A = TypeVar("_A")
_T = TypeVar("_T")

DISASTER_ID_PATTERN = r"^D\d{8}-[0-9a-f]{4}$"  # models.DisasterId
LEDGER_ID_PATTERN = r"^(X[0-9A-Za-z]{1,20}|[0-9]{1,15})$"
MAX_PAGE = 100
# A criterion of a combined search may match at most this many persons (about 3 MB of key items,
# a few query pages); a broader one must be narrowed or searched alone, which pages without limit.
MAX_CANDIDATES = 20_000

NOT_SURVEYED = "未調査"
# Fields that locate a person; withheld for members of a protected household from remote helpers.
LOCATING_FIELDS = ("address", "address_extra", "whereabouts", "phone", "email", "notes")
HOUSEHOLD_LOCATING_FIELDS = ("dwelling_address", "whereabouts")
LOCATING_EVENT_FIELDS = frozenset({*LOCATING_FIELDS, *HOUSEHOLD_LOCATING_FIELDS})
_SECRET_ATTRIBUTE = re.compile(r"my_?number|_ct$", re.IGNORECASE)
_EVENT_ENVELOPE = frozenset({"pk", "sk", "entity", "type", "at", "applied_at", "actor", "acting_for", "grant_id",
                             "reason", "command_id", "household_id", "person_id"})


# --- Reading the table ---------------------------------------------------------------------------

class SearchHit(NamedTuple):
    household_id: str
    person_id: str
    protected: bool


class LedgerReader:
    """Read-only access to the ledger table (key schema in ``ledger.keys``).

    Reads that span partitions (the shards of an address search, of the household directory, the
    households of an export) run in a few threads: each partition is a request of its own.
    """

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def disaster(self, code: str, disaster_id: str) -> Disaster | None:
        resp = self._client.get_item(TableName=self._table, ConsistentRead=True, Key={
            "pk": {"S": keys.disaster_pk(code)}, "sk": {"S": keys.disaster_sk(disaster_id)}})
        item = resp.get("Item")
        return Disaster.model_validate(from_item(item)) if item else None

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            resp = self._client.query(TableName=self._table, **kwargs)
            yield from (from_item(item) for item in resp.get("Items", []))
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    # --- search keys ---

    def _search_query(self, pk: str, prefix: str, *, limit: int,
                      after_sk: str | None) -> tuple[list[tuple[str, SearchHit]], bool]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
            "Limit": limit,
        }
        if after_sk is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": after_sk}}
        resp = self._client.query(TableName=self._table, **kwargs)
        hits = [(item["sk"]["S"], _hit(from_item(item))) for item in resp.get("Items", [])]
        return hits, "LastEvaluatedKey" in resp

    def search_page(self, pk: str, prefix: str, *, limit: int,
                    after_sk: str | None) -> tuple[list[SearchHit], str | None]:
        """One page of search-key items of one partition in key order, and the sort key to continue after."""
        return self.search_page_in([pk], prefix, limit=limit, after_sk=after_sk)

    def search_page_in(self, pks: Sequence[str], prefix: str, *, limit: int,
                       after_sk: str | None) -> tuple[list[SearchHit], str | None]:
        """One page of the search-key items of several partitions, merged in key order, and the sort key
        to continue after: every partition is read after it, so the key alone is the position."""
        pages = _in_parallel(lambda pk: self._search_query(pk, prefix, limit=limit, after_sk=after_sk), pks)
        merged = list(itertools.islice(heapq.merge(*(hits for hits, _ in pages)), limit))
        more = any(more for _, more in pages) or sum(len(hits) for hits, _ in pages) > len(merged)
        return [hit for _, hit in merged], (merged[-1][0] if more and merged else None)

    def search_all(self, pk: str, prefix: str, cap: int) -> list[SearchHit] | None:
        """Every hit of a prefix in one partition in key order; None when there are more than ``cap``."""
        return self.search_all_in([pk], prefix, cap)

    def search_all_in(self, pks: Sequence[str], prefix: str, cap: int) -> list[SearchHit] | None:
        """Every hit of a prefix over several partitions in key order; None when there are more than ``cap``."""
        found = _in_parallel(lambda pk: self._search_all(pk, prefix, cap), pks)
        if any(hits is None for hits in found) or sum(len(hits or ()) for hits in found) > cap:
            return None
        return [hit for _, hit in heapq.merge(*(hits or () for hits in found))]

    def _search_all(self, pk: str, prefix: str, cap: int) -> list[tuple[str, SearchHit]] | None:
        hits: list[tuple[str, SearchHit]] = []
        for item in self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}},
            ProjectionExpression="sk, household_id, person_id, #p",
            ExpressionAttributeNames={"#p": "protected"},
        ):
            hits.append((str(item["sk"]), _hit(item)))
            if len(hits) > cap:
                return None
        return hits

    # --- items by key ---

    def get_many(self, pk: str, sort_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Items of one partition by sort key (see ``get_items``)."""
        return {sk: item for (_, sk), item in self.get_items([(pk, sk) for sk in sort_keys]).items()}

    def get_items(self, item_keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (pk, sk) (BatchGetItem, 100 keys per call, unprocessed keys retried)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        unique = list(dict.fromkeys(item_keys))
        for start in range(0, len(unique), 100):
            request: dict[str, Any] = {self._table: {"Keys": [
                {"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in unique[start:start + 100]]}}
            for attempt in itertools.count():
                resp = self._client.batch_get_item(RequestItems=request)
                for item in resp.get("Responses", {}).get(self._table, []):
                    data = from_item(item)
                    found[(data["pk"], data["sk"])] = data
                request = dict(resp.get("UnprocessedKeys") or {})
                if not request:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 1.0))  # unprocessed keys mean throttling: back off
        return found

    # --- households ---

    def household_items(self, pk: str, household_id: str) -> list[dict[str, Any]]:
        """The household, its persons and its events (``pk``: the household's partition, ``keys.household_pk``):
        ``H#<id>`` up to ``H#<id>$`` ('$' sorts right after '#', so ``H#12`` never picks up ``H#123``)."""
        low = keys.household_sk(household_id)
        return list(self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues={":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": low + "$"}},
            ConsistentRead=True,
        ))

    def walk(self, pk: str, attributes: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every household and person of a partition in key order (each household just before its persons);
        events are filtered out (they are still read, and paid for, by the query)."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :h)",
            "FilterExpression": "NOT contains(sk, :event)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":h": {"S": "H#"}, ":event": {"S": "#E#"}},
        }
        if attributes is not None:
            names = {f"#a{i}": name for i, name in enumerate(("sk", *attributes))}
            kwargs["ProjectionExpression"] = ", ".join(names)
            kwargs["ExpressionAttributeNames"] = names
        yield from self._query(**kwargs)

    def directory_shard(self, pk: str, attributes: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """The directory rows of one shard (``keys.directory_pks``) in household-id order."""
        kwargs: dict[str, Any] = {"KeyConditionExpression": "pk = :pk",
                                  "ExpressionAttributeValues": {":pk": {"S": pk}}}
        if attributes is not None:
            names = {f"#a{i}": name for i, name in enumerate(("sk", *attributes))}
            kwargs["ProjectionExpression"] = ", ".join(names)
            kwargs["ExpressionAttributeNames"] = names
        yield from self._query(**kwargs)

    def ledger_items(self, code: str, disaster_id: str) -> Iterator[dict[str, Any]]:
        """Every household and person of a ledger in household-id order, each household just before its
        persons in person-id order: the directory's shards merged, then the items read by key
        (BatchGetItem with the directory's person ids: no query per household, no event read), a few
        batches at a time."""
        shards = [self.directory_shard(pk, ("person_ids",)) for pk in keys.directory_pks(code, disaster_id)]
        rows = heapq.merge(*shards, key=lambda row: str(row["sk"]))

        def batches() -> Iterator[list[tuple[str, str]]]:
            batch: list[tuple[str, str]] = []
            for row in rows:
                household_id = str(row["sk"])
                pk = keys.household_pk(code, disaster_id, household_id)
                household = [(pk, keys.household_sk(household_id))] + [
                    (pk, keys.person_sk(household_id, person_id)) for person_id in sorted(row.get("person_ids") or ())]
                if batch and len(batch) + len(household) > 100:
                    yield batch
                    batch = []
                batch += household
            if batch:
                yield batch

        def fetch(batch: list[tuple[str, str]]) -> list[dict[str, Any]]:
            found = self.get_items(batch)
            return [found[key] for key in batch if key in found]

        for items in _in_order(fetch, batches()):
            yield from items


_WORKERS = 8


def _in_parallel(fn: Callable[[_A], _T], args: Sequence[_A]) -> list[_T]:
    """``fn`` of each argument, in their order; one argument runs in the calling thread."""
    if len(args) == 1:
        return [fn(args[0])]
    with ThreadPoolExecutor(max_workers=min(_WORKERS, len(args))) as pool:
        return list(pool.map(fn, args))


def _in_order(fn: Callable[[_A], _T], args: Iterable[_A], window: int = 4 * _WORKERS) -> Iterator[_T]:
    """``fn`` of each argument in their order, computed ahead by a few threads (at most ``window``
    results wait in memory)."""
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        pending: deque[Future[_T]] = deque()
        for arg in args:
            pending.append(pool.submit(fn, arg))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _hit(item: dict[str, Any]) -> SearchHit:
    return SearchHit(str(item["household_id"]), str(item["person_id"]), bool(item.get("protected", False)))


def item_kind(sk: str) -> Literal["household", "person", "event", "other"]:
    parts = sk.split("#")
    if parts[0] != "H":
        return "other"
    if len(parts) == 2:
        return "household"
    if parts[2] == "P":
        return "person"
    return "event" if parts[2] == "E" else "other"


def open_ledger(caller: Caller, disaster_id: str, action: Literal["read", "write"], *, municipality: str | None,
                reader: LedgerReader, grants: GrantRepository, clock: Clock = utc_now,
                ready: bool = True) -> tuple[Access, Disaster]:
    """The caller's access to a disaster's ledger and the disaster itself.

    ``ready``: refuse a ledger still being built (a partial ledger would answer "not found" for people
    who are only not loaded yet, and count too few).
    """
    access = resolve_access(caller, disaster_id, action, municipality_code=municipality, grants=grants,
                            clock=clock)
    disaster = reader.disaster(access.municipality_code, disaster_id)
    if disaster is None:
        raise DomainError("LEDGER_DISASTER_NOT_FOUND")
    if ready and disaster.status == "building":
        raise DomainError("LEDGER_NOT_READY")
    return access, disaster


# --- Search --------------------------------------------------------------------------------------

class SearchCriteria(BaseModel):
    kana: str | None = Field(default=None, max_length=60, description="読み (any kana form or width)")
    name: str | None = Field(default=None, max_length=60, description="氏名 (spaces optional)")
    birth: str | None = Field(
        default=None, max_length=20,
        description="生年月日: a date in any form (ISO, YYYYMMDD, S45.3.12, 昭和45年3月12日) or YYYY / YYYY-MM")
    address: str | None = Field(default=None, max_length=200, description="住所 (block numbers in any form)")


_YEAR_PREFIX = re.compile(r"\d{4}(?:[-/]\d{1,2})?")


def _birth_prefix(text: str) -> str:
    try:
        return birth_key(text)
    except ValueError:
        pass
    value = unicodedata.normalize("NFKC", text).strip()
    if _YEAR_PREFIX.fullmatch(value) is None:
        raise DomainError("LEDGER_SEARCH_INVALID", "birth must be a date, a year or a year-month")
    year, _, month = value.replace("/", "-").partition("-")
    return f"{year}-{int(month):02d}" if month else year


def search_keys(criteria: SearchCriteria) -> list[tuple[keys.SearchField, str]]:
    """The normalised prefix of each criterion given, in a fixed order (reading, name, birth, address)."""
    built: list[tuple[keys.SearchField, str]] = []
    for field, text, normalise in (("KANA", criteria.kana, kana_key), ("NAME", criteria.name, name_key),
                                   ("BIRTH", criteria.birth, _birth_prefix), ("ADDR", criteria.address, address_key)):
        if text is None or not text.strip():
            continue
        key = normalise(text)
        if not key:  # e.g. only middle dots: an empty prefix would match everyone
            raise DomainError("LEDGER_SEARCH_INVALID", f"{field.lower()} has nothing to search for")
        built.append((field, key))  # type: ignore[arg-type]
    if not built:
        raise DomainError("LEDGER_SEARCH_INVALID", "give at least one of kana, name, birth, address")
    return built


def search_prefixes(criteria: SearchCriteria) -> list[str]:
    """The sort-key prefixes the search queries with."""
    return [keys.search_prefix(field, key) for field, key in search_keys(criteria)]


class SearchResult(BaseModel):
    person_id: str
    household_id: str
    name: str
    name_kana: str
    birth_date: date | None
    address: str
    protected: bool = Field(description="支援措置: handle with care, never disclose the address")
    withheld: list[str] = Field(default_factory=list, description="fields left empty for this caller")


class SearchPage(BaseModel):
    results: list[SearchResult]
    next_cursor: str | None = Field(description="pass as cursor for the next page; a page may hold fewer than "
                                                "limit results and still have a next one")


def _encode_cursor(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise DomainError("LEDGER_CURSOR_INVALID") from None
    if not isinstance(value, dict):
        raise DomainError("LEDGER_CURSOR_INVALID")
    return value


def _page_of_hits(reader: LedgerReader, code: str, disaster_id: str, fields: list[tuple[keys.SearchField, str]], *,
                  limit: int, cursor: str | None) -> tuple[list[SearchHit], str | None]:
    state = _decode_cursor(cursor) if cursor else {}
    if len(fields) == 1:
        # One criterion pages natively through the key order, however many persons match.
        ((field, key),) = fields
        prefix = keys.search_prefix(field, key)
        after = state.get("sk")
        if after is not None and (not isinstance(after, str) or not after.startswith(prefix)):
            raise DomainError("LEDGER_CURSOR_INVALID")
        hits, last = reader.search_page_in(keys.search_pks(code, disaster_id, field, key), prefix, limit=limit,
                                           after_sk=after)
        return hits, _encode_cursor({"sk": last}) if last else None
    # Several criteria: the persons matching every one, in the first criterion's key order.
    matched: list[list[SearchHit]] = []
    for field, key in fields:
        hits_or_none = reader.search_all_in(keys.search_pks(code, disaster_id, field, key),
                                            keys.search_prefix(field, key), MAX_CANDIDATES)
        if hits_or_none is None:
            raise DomainError("LEDGER_SEARCH_TOO_BROAD")
        matched.append(hits_or_none)
    others = [{(h.household_id, h.person_id) for h in hits} for hits in matched[1:]]
    seen: set[tuple[str, str]] = set()
    both: list[SearchHit] = []
    for hit in matched[0]:
        ident = (hit.household_id, hit.person_id)
        if ident not in seen and all(ident in other for other in others):
            seen.add(ident)
            both.append(hit)
    offset = state.get("offset", 0)
    if not isinstance(offset, int) or offset < 0:
        raise DomainError("LEDGER_CURSOR_INVALID")
    page = both[offset:offset + limit]
    return page, _encode_cursor({"offset": offset + limit}) if offset + limit < len(both) else None


def search_persons(caller: Caller, disaster_id: str, criteria: SearchCriteria, *, limit: int = 20,
                   cursor: str | None = None, municipality: str | None = None, reader: LedgerReader,
                   grants: GrantRepository, audit: AuditLog, clock: Clock = utc_now) -> SearchPage:
    """Persons whose normalised reading, name, birth date or address begin with the query's (all given
    criteria must match)."""
    fields = search_keys(criteria)
    limit = max(1, min(limit, MAX_PAGE))
    access, _ = open_ledger(caller, disaster_id, "read", municipality=municipality, reader=reader, grants=grants,
                            clock=clock)
    code = access.municipality_code
    hits, next_cursor = _page_of_hits(reader, code, disaster_id, fields, limit=limit, cursor=cursor)

    def person_key(hit: SearchHit) -> tuple[str, str]:
        return keys.household_pk(code, disaster_id, hit.household_id), keys.person_sk(hit.household_id, hit.person_id)

    def household_key(hit: SearchHit) -> tuple[str, str]:
        return keys.household_pk(code, disaster_id, hit.household_id), keys.household_sk(hit.household_id)

    items = reader.get_items([person_key(h) for h in hits] + [household_key(h) for h in hits])
    by_address = criteria.address is not None and bool(criteria.address.strip())
    results: list[SearchResult] = []
    for hit in hits:
        person_item = items.get(person_key(hit))
        if person_item is None:  # a key item left behind by a correction in flight
            continue
        person = Person.model_validate(person_item)
        household_item = items.get(household_key(hit))
        sheltered = person.protected or hit.protected or bool(household_item and household_item.get("protected"))
        if sheltered and not access.sees_protected and by_address:
            continue
        withheld = ["address"] if sheltered and not access.sees_protected else []
        results.append(SearchResult(
            person_id=person.person_id, household_id=person.household_id, name=person.name,
            name_kana=person.name_kana, birth_date=person.birth_date,
            address="" if withheld else person.address, protected=person.protected, withheld=withheld,
        ))
    audit_remote(access, audit, action="ledger.search", target=disaster_id,
                 details={"criteria": [field for field, _ in fields], "results": len(results)})
    return SearchPage(results=results, next_cursor=next_cursor)


# --- Household view ------------------------------------------------------------------------------

class PersonView(Person):
    withheld: list[str] = Field(default_factory=list, description="fields left empty for this caller")


class HouseholdRecord(Household):
    withheld: list[str] = Field(default_factory=list, description="fields left empty for this caller")


class HistoryEvent(BaseModel):
    type: str = Field(description="the command that made the change, e.g. record_survey")
    at: str
    actor: str
    acting_for: str | None = Field(default=None, description="the helping municipality, through a grant")
    reason: str = ""
    command_id: str | None = None
    person_id: str | None = None
    details: dict[str, Any] = Field(description="the command's fields (surveys: round, damage_level; ...)")
    withheld: list[str] = Field(default_factory=list)


class HouseholdView(BaseModel):
    municipality_code: str
    disaster_id: str
    household: HouseholdRecord
    members: list[PersonView]
    history: list[HistoryEvent] = Field(description="oldest first")
    protected: bool = Field(description="a member is under 支援措置")


def _event(item: dict[str, Any], hide_location: bool) -> HistoryEvent:
    details = {k: v for k, v in item.items() if k not in _EVENT_ENVELOPE and not _SECRET_ATTRIBUTE.search(k)}
    withheld = sorted(k for k in details if k in LOCATING_EVENT_FIELDS and details[k]) if hide_location else []
    for name in withheld:
        details[name] = ""
    return HistoryEvent(type=str(item.get("type", "")), at=str(item.get("at", "")), actor=str(item.get("actor", "")),
                        acting_for=item.get("acting_for"), reason=str(item.get("reason") or ""),
                        command_id=item.get("command_id"), person_id=item.get("person_id"), details=details,
                        withheld=withheld)


def _withhold(model: BaseModel, fields: Sequence[str]) -> list[str]:
    return [name for name in fields if getattr(model, name, "")]


def build_household_view(access: Access, items: list[dict[str, Any]], household_id: str) -> HouseholdView:
    """The view of one household's items (household, persons, events) for ``access``."""
    household_sk = keys.household_sk(household_id)
    head = next((item for item in items if item["sk"] == household_sk), None)
    if head is None:
        raise DomainError("LEDGER_HOUSEHOLD_NOT_FOUND")
    persons = [Person.model_validate(i) for i in items if item_kind(i["sk"]) == "person"]
    household = Household.model_validate(head)
    protected = household.protected or any(p.protected for p in persons)
    hide = protected and not access.sees_protected
    members: list[PersonView] = []
    for person in persons:
        withheld = _withhold(person, LOCATING_FIELDS) if hide else []
        members.append(PersonView.model_validate(
            {**person.model_dump(), **dict.fromkeys(withheld, ""), "withheld": withheld}))
    household_withheld = _withhold(household, HOUSEHOLD_LOCATING_FIELDS) if hide else []
    record = HouseholdRecord.model_validate(
        {**household.model_dump(), **dict.fromkeys(household_withheld, ""), "withheld": household_withheld})
    events = sorted((i for i in items if item_kind(i["sk"]) == "event"), key=lambda i: (str(i.get("at", "")), i["sk"]))
    return HouseholdView(municipality_code=access.municipality_code, disaster_id=access.disaster_id,
                         household=record, members=members, history=[_event(e, hide) for e in events],
                         protected=protected)


def household_view(caller: Caller, disaster_id: str, household_id: str, *, municipality: str | None = None,
                   reader: LedgerReader, grants: GrantRepository, audit: AuditLog,
                   clock: Clock = utc_now) -> HouseholdView:
    """A household, its members and its history; views of a protected household are always audited."""
    access, _ = open_ledger(caller, disaster_id, "read", municipality=municipality, reader=reader, grants=grants,
                            clock=clock)
    items = reader.household_items(keys.household_pk(access.municipality_code, disaster_id, household_id),
                                   household_id)
    view = build_household_view(access, items, household_id)
    if view.protected:
        audit.record(access.municipality_code, actor=access.actor, action="ledger.protected_viewed",
                     target=household_id, reason="household view",
                     details={"disaster_id": disaster_id, "household_id": household_id,
                              "person_ids": [m.person_id for m in view.members if m.protected],
                              "acting_for": access.acting_for, "grant_id": access.grant_id})
    audit_remote(access, audit, action="ledger.household_viewed", target=household_id,
                 details={"disaster_id": disaster_id, "protected": view.protected})
    return view


# --- Disaster summary ----------------------------------------------------------------------------

class DisasterSummary(BaseModel):
    """Counts only: nothing in it identifies a person or a household."""

    municipality_code: str
    disaster_id: str
    households: int
    persons: int
    closed_households: int
    by_damage_level: dict[str, int] = Field(description=f"every level, and {NOT_SURVEYED} (no completed survey)")
    by_evacuation: dict[str, int]
    households_with_care_needs: int
    persons_with_care_needs: int
    households_support_decided: int
    support_decided_total: int = Field(description="yen")
    support_paid_total: int = Field(description="yen")
    computed_at: str


_SUMMARY_ATTRIBUTES = ("household_id", "damage_level", "evacuation", "support_decided", "support_paid", "closed",
                       "care_needs")


def summarize(municipality_code: str, disaster_id: str, items: Iterator[dict[str, Any]],
              computed_at: str) -> DisasterSummary:
    """The summary of household and person items (``walk``), e.g. of a few households' partitions."""
    by_level = dict.fromkeys([level.value for level in DamageLevel] + [NOT_SURVEYED], 0)
    by_evacuation = dict.fromkeys(get_args(EvacuationStatus), 0)
    households = persons = closed = decided_households = decided = paid = persons_in_care = 0
    care_households: set[str] = set()
    for item in items:
        kind = item_kind(item["sk"])
        if kind == "household":
            households += 1
            by_level[str(item.get("damage_level") or NOT_SURVEYED)] += 1
            by_evacuation[str(item.get("evacuation") or "unknown")] += 1
            closed += bool(item.get("closed"))
            decided += int(item.get("support_decided") or 0)
            paid += int(item.get("support_paid") or 0)
            decided_households += bool(item.get("support_decided"))
        elif kind == "person":
            persons += 1
            if item.get("care_needs"):
                persons_in_care += 1
                care_households.add(str(item["sk"].split("#")[1]))
    return DisasterSummary(
        municipality_code=municipality_code, disaster_id=disaster_id, households=households, persons=persons,
        closed_households=closed, by_damage_level=by_level, by_evacuation=by_evacuation,
        households_with_care_needs=len(care_households), persons_with_care_needs=persons_in_care,
        households_support_decided=decided_households, support_decided_total=decided, support_paid_total=paid,
        computed_at=computed_at,
    )


_DIRECTORY_ATTRIBUTES = ("damage_level", "evacuation", "support_decided", "support_paid", "closed", "person_ids",
                         "care_ids")


def _tally(rows: Iterable[dict[str, Any]]) -> Counter[str]:
    """The summary's counts over directory rows (``repository.directory_item``), as one Counter so that
    the shards' tallies add up."""
    tally: Counter[str] = Counter()
    for row in rows:
        tally["households"] += 1
        tally["level:" + str(row.get("damage_level") or NOT_SURVEYED)] += 1
        tally["evacuation:" + str(row.get("evacuation") or "unknown")] += 1
        tally["closed"] += bool(row.get("closed"))
        decided = int(row.get("support_decided") or 0)
        tally["decided"] += decided
        tally["decided_households"] += bool(decided)
        tally["paid"] += int(row.get("support_paid") or 0)
        tally["persons"] += len(row.get("person_ids") or ())
        cared = len(row.get("care_ids") or ())
        tally["persons_in_care"] += cared
        tally["care_households"] += cared > 0
    return tally


def summarize_directory(municipality_code: str, disaster_id: str, rows: Iterable[dict[str, Any]],
                        computed_at: str) -> DisasterSummary:
    """The summary of a ledger's directory rows."""
    return _summary_of(municipality_code, disaster_id, _tally(rows), computed_at)


def _summary_of(municipality_code: str, disaster_id: str, tally: Counter[str], computed_at: str) -> DisasterSummary:
    levels = [level.value for level in DamageLevel] + [NOT_SURVEYED]
    return DisasterSummary(
        municipality_code=municipality_code, disaster_id=disaster_id, households=tally["households"],
        persons=tally["persons"], closed_households=tally["closed"],
        by_damage_level={level: tally["level:" + level] for level in levels},
        by_evacuation={status: tally["evacuation:" + status] for status in get_args(EvacuationStatus)},
        households_with_care_needs=tally["care_households"], persons_with_care_needs=tally["persons_in_care"],
        households_support_decided=tally["decided_households"], support_decided_total=tally["decided"],
        support_paid_total=tally["paid"], computed_at=computed_at,
    )


def disaster_summary(caller: Caller, disaster_id: str, *, municipality: str | None = None, reader: LedgerReader,
                     grants: GrantRepository, audit: AuditLog, clock: Clock = utc_now) -> DisasterSummary:
    """Counts over the whole ledger, computed on each call from the household directory.

    Cost: one paged query per directory shard, run a few at a time. A row is about 200 bytes, so
    50,000 households are some 10 MB: about 1,300 eventually consistent read units and a handful of
    pages per shard. Persons and events are not read at all.
    """
    access, _ = open_ledger(caller, disaster_id, "read", municipality=municipality, reader=reader, grants=grants,
                            clock=clock)
    code = access.municipality_code
    tallies = _in_parallel(lambda pk: _tally(reader.directory_shard(pk, _DIRECTORY_ATTRIBUTES)),
                           keys.directory_pks(code, disaster_id))
    summary = _summary_of(code, disaster_id, sum(tallies, Counter()), iso(clock()))
    audit_remote(access, audit, action="ledger.summary_viewed", target=disaster_id, details={})
    return summary
