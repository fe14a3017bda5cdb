"""Fast, resilient BatchWriteItem for the resident loader.

Why not ``Table.batch_writer()``: it converts every value with TypeSerializer and the resource
client validates every parameter, which together cost more CPU than the request itself. This writer
takes items already in attribute-value form (``attributes.to_item``) and is meant for a client built
with ``parameter_validation=False`` (``AwsClients.dynamodb_bulk``).

Retry policy: unprocessed items and throttling / transient server errors are re-sent with
exponential backoff and full jitter (delay = uniform(0, min(max_delay, base·2^n)), n = failed
sends in a row minus one). ``max_attempts``
bounds the consecutive sends that make no progress; a send that writes at least one item resets the
count, so a slow but progressing table is never given up on while a stuck one fails after a bounded
wait with ``BulkWriteError``. Errors outside the retryable set fail at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from victim_support.dynamo.attributes import AttributeValueDict

BATCH_SIZE = 25  # the BatchWriteItem limit
RETRYABLE_ERRORS = frozenset({
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
})

Item = dict[str, AttributeValueDict]


class BatchWriteClient(Protocol):
    """What the writer needs of a DynamoDB client (a boto3 client satisfies it, so does a test fake)."""

    def batch_write_item(self, *, RequestItems: Any) -> Any: ...


@dataclass(slots=True)
class WriteStats:
    items: int = 0  # items acknowledged by DynamoDB
    requests: int = 0  # BatchWriteItem calls sent (including failed ones)
    retries: int = 0  # sends that repeated an earlier one (after an error or unprocessed items)
    unprocessed_resent: int = 0  # items DynamoDB returned as unprocessed and that were sent again

    def __add__(self, other: WriteStats) -> WriteStats:
        return WriteStats(
            self.items + other.items,
            self.requests + other.requests,
            self.retries + other.retries,
            self.unprocessed_resent + other.unprocessed_resent,
        )


class BulkWriteError(Exception):
    """A batch could not be written; ``stats.items`` were written before it (nothing is rolled back)."""

    def __init__(self, message: str, *, table_name: str, pending: int, attempts: int,
                 error_code: str | None, stats: WriteStats) -> None:
        super().__init__(message)
        self.table_name = table_name
        self.pending = pending
        self.attempts = attempts
        self.error_code = error_code
        self.stats = stats


class BulkWriter:
    def __init__(
        self,
        client: BatchWriteClient,
        table_name: str,
        *,
        key_attributes: tuple[str, ...] = ("pk", "sk"),
        max_attempts: int = 12,
        base_delay_s: float = 0.05,
        max_delay_s: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._table = table_name
        self._keys = key_attributes
        self._max_attempts = max_attempts
        self._base = base_delay_s
        self._cap = max_delay_s
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def put_items(self, items: Iterable[Item]) -> WriteStats:
        """Write every item (PutRequest), 25 per request, in order."""
        return self._write(items, "PutRequest", "Item")

    def delete_keys(self, keys: Iterable[Item]) -> WriteStats:
        """Delete every key (DeleteRequest), 25 per request, in order."""
        return self._write(keys, "DeleteRequest", "Key")

    def _write(self, entries: Iterable[Item], request_type: str, field: str) -> WriteStats:
        stats = WriteStats()
        batch: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        key_names = self._keys
        for entry in entries:
            key = tuple(_key_part(entry.get(k)) for k in key_names)
            # A repeated key in one request makes DynamoDB refuse the whole request; sending the
            # batch first keeps the order of writes (the later item wins, as with single puts).
            if key in seen or len(batch) == BATCH_SIZE:
                self._send(batch, stats)
                batch = []
                seen = set()
            seen.add(key)
            batch.append({request_type: {field: entry}})
        if batch:
            self._send(batch, stats)
        return stats

    def _send(self, requests: list[dict[str, Any]], stats: WriteStats) -> None:
        pending = requests
        stalled = 0  # consecutive sends without progress
        while True:
            stats.requests += 1
            try:
                response = self._client.batch_write_item(RequestItems={self._table: pending})
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                stalled += 1
                if code not in RETRYABLE_ERRORS:
                    raise self._failure(f"BatchWriteItem failed with {code}", pending, stalled, code,
                                        stats) from error
                if stalled >= self._max_attempts:
                    raise self._failure(f"BatchWriteItem still failing with {code}", pending, stalled,
                                        code, stats) from error
                self._backoff(stalled, stats)
                continue
            unprocessed: list[dict[str, Any]] = list(
                response.get("UnprocessedItems", {}).get(self._table, ())
            )
            stats.items += len(pending) - len(unprocessed)
            if not unprocessed:
                return
            stalled = stalled + 1 if len(unprocessed) == len(pending) else 0
            if stalled >= self._max_attempts:
                raise self._failure("items still unprocessed", unprocessed, stalled, None, stats)
            stats.unprocessed_resent += len(unprocessed)
            pending = unprocessed
            self._backoff(stalled, stats)

    def _backoff(self, stalled: int, stats: WriteStats) -> None:
        stats.retries += 1
        # stalled is 0 after a partial success and 1 after the first failure: both start at the base.
        self._sleep(self._rng.uniform(0.0, min(self._cap, self._base * 2.0 ** max(stalled - 1, 0))))

    def _failure(self, reason: str, pending: list[dict[str, Any]], attempts: int, code: str | None,
                 stats: WriteStats) -> BulkWriteError:
        # Counts only: the items are resident data and must not reach logs through the message.
        return BulkWriteError(
            f"{reason}: {len(pending)} item(s) not written to {self._table} after {attempts} "
            f"attempt(s) without progress ({stats.items} written before)",
            table_name=self._table, pending=len(pending), attempts=attempts, error_code=code,
            stats=stats,
        )


def _key_part(value: AttributeValueDict | None) -> Any:
    if value is None:
        return None
    (tag, payload), = value.items()
    return (tag, payload)
