"""Targeted fixes to moto for the local target; applied once, before the embedded server starts.

**DynamoDB transactions roll back per item.** moto's ``transact_write_items`` deep-copies every table a
transaction touches so that it can roll back on failure: the cost of one transaction grows with the
table (measured on this machine: 38 ms at 1,000 items, 2.3 s at 50,000, 10 s at 250,000), which makes
a ledger of a real municipality unusable locally although DynamoDB itself charges per item. This
patch keeps moto's own implementation and semantics (all-or-nothing, ``TransactionCanceledException``
with per-item reasons) but snapshots only the items named in the transaction and restores exactly
those on failure.

**DynamoDB queries read one partition.** moto answers a query on a table by listing and sorting every
item of the table and keeping the partition's: a query costs what the whole table holds (a household's
few items cost as much as a ledger of 500,000), and a paged query sorts the table again for every
page. DynamoDB reads only the partition, and within it only the sort-key range asked for. This patch
hands moto's own query the partition's items in key order, cut to the sort-key condition (``=``,
``BETWEEN``, ``begins_with``), to what follows ``ExclusiveStartKey`` and to one item past ``Limit``;
moto then filters, projects and pages them as before (a paged query may end one empty page sooner:
moto announced more whenever any item of the partition followed, even outside the key range). Index
queries, scans and tables whose sort key is not a string are left to moto untouched.

**DynamoDB items are read and written out as they are.** moto parses every request and writes every
response through its generic model walkers, which visit each attribute of each item as a structure of
ten members (the serializer looks each up under two spellings): about 0.1 ms an attribute, so reading
an item costs more than storing it and a query page of 500 residents some 0.8 s. An ``AttributeValue``
is already in its wire form on both sides, so the patch copies it (binary members base64-decoded and
encoded, as moto does) and leaves everything around it to moto.

**A projection converts an item once.** moto converts the whole item to plain JSON once per projected
attribute (a projection of 8 attributes converts each item 8 times). For a projection of distinct
top-level attributes the conversions cannot see each other's results, so one is shared.

**A new item's size is checked once.** moto builds an item attribute by attribute and, to refuse one
over 400 KB, sums the size of every attribute so far at each step: quadratic in the attributes (a
person of 22 attributes is sized some 250 times). Sizes only add up, so checking the whole item once
refuses exactly the same items.

Nothing in the product depends on the patches: they change the emulator's speed, not what it answers.
"""

from __future__ import annotations

import bisect
import copy
import threading
import types
from typing import Any

_applied = False
_lock = threading.Lock()
# The items a query of this thread is to consider, set around moto's own Table.query.
_candidates = threading.local()


class _TableCopyIsIdentity(types.SimpleNamespace):
    """Stands in for the ``copy`` module inside moto's DynamoDB backend: a Table "copy" is the table
    itself (its items are restored one by one instead); everything else is copied as before."""

    def __init__(self, table_type: type) -> None:
        super().__init__()
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _item_key(backend: Any, op_type: str, op: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    table_name = op.get("TableName")
    if not table_name or table_name not in backend.tables:
        return None
    if op_type == "Put":
        table = backend.tables[table_name]
        attrs = op.get("Item", {})
        if table.hash_key_attr not in attrs:
            return None  # moto raises its own validation error for this
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            if table.range_key_attr not in attrs:
                return None
            key[table.range_key_attr] = attrs[table.range_key_attr]
        return table_name, key
    raw_key = op.get("Key")
    return (table_name, raw_key) if isinstance(raw_key, dict) else None


def apply() -> None:
    """Install the patches (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.dynamodb import models as dynamodb_models
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.table import Table

        setattr(dynamodb_models, "copy", _TableCopyIsIdentity(Table))  # noqa: B010  # the module-level name moto uses
        original = dynamodb_models.DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            snapshots: list[tuple[Any, DynamoType, DynamoType | None, dict[str, Any] | None]] = []
            for entry in transact_items:
                if len(entry) != 1:
                    continue  # moto refuses it before touching anything
                op_type, op = next(iter(entry.items()))
                found = _item_key(self, op_type, op)
                if found is None:
                    continue
                table_name, key = found
                table = self.tables[table_name]
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
                current = table.get_item(hash_key, range_key)
                before = copy.deepcopy(current.to_json()["Attributes"]) if current is not None else None
                snapshots.append((table, hash_key, range_key, before))
            try:
                original(self, transact_items)
            except Exception:
                # Restore in reverse, so an item named twice (refused by moto anyway) ends as it began.
                for table, hash_key, range_key, before in reversed(snapshots):
                    table.delete_item(hash_key, range_key)
                    if before is not None:
                        table.put_item(before, overwrite=True)
                raise

        dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _patch_query(Table)
        _patch_attribute_values()
        _patch_attribute_parsing()
        _patch_item_size()
        _patch_projection()
        _applied = True


def _patch_query(table_type: Any) -> None:
    original_query = table_type.query
    original_all_items = table_type.all_items

    def all_items(self: Any) -> list[Any]:
        found = getattr(_candidates, "items", None)
        if found is not None and found[0] is self:
            return list(found[1])
        return list(original_all_items(self))

    def query(self: Any, hash_key: Any, range_comparison: str | None, range_objs: list[Any], limit: int | None,
              exclusive_start_key: dict[str, Any] | None, scan_index_forward: bool, *args: Any,
              **kwargs: Any) -> Any:
        index_name = args[1] if len(args) > 1 else kwargs.get("index_name")
        narrowed = None
        if not index_name and hash_key is not None and scan_index_forward and self.range_key_attr \
                and not set(kwargs) - _KNOWN_ARGUMENTS and _single_range_key(self, kwargs):
            narrowed = _partition_range(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key)
        if narrowed is None:
            return original_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                                  scan_index_forward, *args, **kwargs)
        _candidates.items = (self, narrowed)
        try:
            # The start key is applied already: moto would only skip what is no longer there.
            return original_query(self, hash_key, range_comparison, range_objs, limit, None, scan_index_forward,
                                  *args, **kwargs)
        finally:
            _candidates.items = None

    table_type.all_items = all_items
    table_type.query = query


# Table.query's named arguments; any other is a legacy QueryFilter, left to moto.
_KNOWN_ARGUMENTS = frozenset({"projection_expressions", "index_name", "consistent_read", "filter_expression",
                              "hash_key_conditions", "range_key_conditions"})


def _single_range_key(table: Any, kwargs: dict[str, Any]) -> bool:
    conditions = kwargs.get("range_key_conditions") or []
    return all(name == table.range_key_attr for name, _, _ in conditions)


def _partition_range(table: Any, hash_key: Any, range_comparison: str | None, range_objs: list[Any],
                     limit: int | None, exclusive_start_key: dict[str, Any] | None) -> list[Any] | None:
    """The partition's items that can answer the query, in key order; None to leave it all to moto."""
    partition = table.items.get(hash_key)
    # list() of a dict's values runs without releasing the GIL: a consistent copy under moto's threads.
    items = list(partition.values()) if partition else []
    if any(item.range_key is None or item.range_key.type != "S" for item in items):
        return None
    items.sort(key=lambda item: item.range_key.value)
    sort_keys = [item.range_key.value for item in items]
    low, high, exact = 0, len(items), True
    values = [obj.value for obj in range_objs]
    if range_comparison is not None and any(not isinstance(v, str) for v in values):
        return None
    if range_comparison == "EQ":
        low, high = bisect.bisect_left(sort_keys, values[0]), bisect.bisect_right(sort_keys, values[0])
    elif range_comparison == "BETWEEN":
        low, high = bisect.bisect_left(sort_keys, values[0]), bisect.bisect_right(sort_keys, values[1])
    elif range_comparison == "BEGINS_WITH":
        prefix = values[0]
        low = bisect.bisect_left(sort_keys, prefix)
        if prefix and ord(prefix[-1]) < 0x10FFFF:
            # Every key with the prefix sorts below the prefix with its last character's successor.
            high = bisect.bisect_left(sort_keys, prefix[:-1] + chr(ord(prefix[-1]) + 1))
        else:
            exact = False
    elif range_comparison is not None:
        exact = False  # moto compares every key of the partition, as before
    if exclusive_start_key:
        start = exclusive_start_key.get(table.range_key_attr, {})
        if not isinstance(start.get("S"), str):
            return None
        low = max(low, bisect.bisect_right(sort_keys, start["S"]))
    high = max(high, low)
    if exact and limit:
        # moto stops one item past the limit (that item tells it there is more).
        high = min(high, low + limit + 1)
    return items[low:high]


_SCALAR_TAGS = frozenset({"S", "N"})
_LIST_TAGS = frozenset({"SS", "NS"})
_FLAG_TAGS = frozenset({"NULL", "BOOL"})


def _patch_attribute_values() -> None:
    from moto.core.serialize import BaseJSONSerializer

    original = BaseJSONSerializer._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and self.service_model.service_name == "dynamodb":
            written = _attribute_value(self, value)
            if written is not None:
                serialized[self.get_serialized_name(shape, key)] = written
                return
        original(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = serialize_structure  # type: ignore[method-assign]


def _attribute_value(serializer: Any, value: Any) -> dict[str, Any] | None:
    """The wire form of one attribute value (what moto's serializer makes of it); None for anything
    unexpected, which moto's serializer then handles itself."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for tag, payload in value.items():
        if payload is None:
            continue  # moto leaves out a member without a value
        if tag in _SCALAR_TAGS:
            out[tag] = str(payload) if payload not in ({}, []) else payload
        elif tag in _LIST_TAGS:
            out[tag] = [str(member) for member in payload]
        elif tag in _FLAG_TAGS:
            out[tag] = payload
        elif tag == "B":
            out[tag] = serializer._base64(payload)
        elif tag == "BS":
            out[tag] = [serializer._base64(member) for member in payload]
        elif tag == "M" and isinstance(payload, dict):
            members = {name: _attribute_value(serializer, member) for name, member in payload.items()}
            if any(member is None for member in members.values()):
                return None
            out[tag] = members
        elif tag == "L" and isinstance(payload, list):
            elements = [_attribute_value(serializer, member) for member in payload]
            if any(element is None for element in elements):
                return None
            out[tag] = elements
        else:
            return None
    return out


def _patch_item_size() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
        # The last of moto's per-attribute checks, the one that sees every attribute (sizes are positive).
        if sum(bytesize(key) + value.size() for key, value in values.items()) > _ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = dynamo_type.LimitedSizeDict()
        dict.update(self.attrs, values)  # dict's own update: no second check per attribute

    dynamo_type.Item.__init__ = item_init  # type: ignore[method-assign]


_ITEM_SIZE_LIMIT = 405_000  # moto's limit (DynamoDB's 400 KB, measured between 409 and 410 KB)


def _patch_attribute_parsing() -> None:
    from moto.core.parse import BaseJSONParser

    original = BaseJSONParser._parse_structure

    def parse_structure(self: Any, shape: Any, value: Any) -> Any:
        if shape.name == "AttributeValue" and self.operation_model.service_model.service_name == "dynamodb":
            parsed = _parsed_attribute_value(self, value)
            if parsed is not None:
                return parsed
        return original(self, shape, value)  # type: ignore[no-untyped-call]

    BaseJSONParser._parse_structure = parse_structure  # type: ignore[method-assign]


def _parsed_attribute_value(parser: Any, value: Any) -> dict[str, Any] | None:
    """One attribute value of a request as moto's parser makes it; None for anything unexpected."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for tag, payload in value.items():
        if payload is None:
            continue  # moto leaves out a member without a value
        if tag in _SCALAR_TAGS or tag in _FLAG_TAGS:
            out[tag] = payload
        elif tag in _LIST_TAGS and isinstance(payload, list):
            out[tag] = list(payload)
        elif tag == "B":
            out[tag] = parser._blob_parser(payload)
        elif tag == "BS" and isinstance(payload, list):
            out[tag] = [parser._blob_parser(member) for member in payload]
        elif tag == "M" and isinstance(payload, dict):
            members = {name: _parsed_attribute_value(parser, member) for name, member in payload.items()}
            if any(member is None for member in members.values()):
                return None
            out[tag] = members
        elif tag == "L" and isinstance(payload, list):
            elements = [_parsed_attribute_value(parser, member) for member in payload]
            if any(element is None for element in elements):
                return None
            out[tag] = elements
        else:
            return None
    return out


def _patch_projection() -> None:
    from moto.dynamodb.models import dynamo_type

    original = dynamo_type.Item.project
    # The very functions moto's own project() uses (merge_dicts is botocore's, not moto's).
    merge_dicts, find_nested_key = dynamo_type.merge_dicts, dynamo_type.find_nested_key  # type: ignore[attr-defined]

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        names = [expression[0] for expression in projection_expressions if len(expression) == 1]
        if len(names) != len(projection_expressions) or len(set(names)) != len(names) \
                or any("[" in name for name in names):
            return original(self, projection_expressions)
        regular = self.to_regular_json()
        result: dict[str, Any] = {}
        for expression in projection_expressions:
            merge_dicts(result, find_nested_key(expression, regular))
        return dynamo_type.Item(hash_key=self.hash_key, range_key=self.range_key,
                                attrs=dynamo_type.serializer.serialize(result)["M"])

    dynamo_type.Item.project = project  # type: ignore[method-assign]
