"""Targeted fixes to moto for the local target; applied once, before the embedded server starts.

**DynamoDB transactions roll back per item.** moto's ``transact_write_items`` deep-copies every table a
transaction touches so that it can roll back on failure: the cost of one transaction grows with the
table (measured on this machine: 38 ms at 1,000 items, 2.3 s at 50,000, 10 s at 250,000), which makes
a ledger of a real municipality unusable locally although DynamoDB itself charges per item. This
patch keeps moto's own implementation and semantics (all-or-nothing, ``TransactionCanceledException``
with per-item reasons) but snapshots only the items named in the transaction and restores exactly
those on failure. Nothing in the product depends on the patch: it changes the emulator's speed, not
what it answers.
"""

from __future__ import annotations

import copy
import threading
import types
from typing import Any

_applied = False
_lock = threading.Lock()


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
        _applied = True
