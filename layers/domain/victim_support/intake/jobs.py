"""Upload jobs: status, progress and the counters every chunk adds to exactly once.

Key: pk = municipality code, sk = "UPLOAD#<upload id>"; a chunk's receipt is a sibling item
"UPLOAD#<id>#CHUNK#<n>", written in the same transaction as the counters it adds, so a chunk that
is delivered twice is counted once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from victim_support.clock import Clock, iso, utc_now
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.intake.models import ChunkResult, UploadJob

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_COUNTERS = ("rows_read", "rows_stored", "rows_rejected", "rows_with_warnings")


def job_key(code: str, upload_id: str) -> dict[str, Any]:
    return {"pk": {"S": code}, "sk": {"S": f"UPLOAD#{upload_id}"}}


def counters_update(
    rows_read: int, rows_stored: int, rows_rejected: int, rows_with_warnings: int,
    error_codes: dict[str, int], warning_codes: dict[str, int], now: str, *,
    extra_sets: tuple[str, ...] = (), extra_adds: tuple[str, ...] = (),
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """An UpdateExpression that adds counts to a job (used alone or inside a transaction); callers
    add their own clauses (and the values those name) through ``extra_sets`` / ``extra_adds``."""
    names = {"#updated_at": "updated_at"}
    values: dict[str, Any] = {":now": {"S": now}}
    sets = [*extra_sets, "#updated_at = :now"]
    adds = list(extra_adds)
    for field, amount in zip(_COUNTERS, (rows_read, rows_stored, rows_rejected, rows_with_warnings), strict=True):
        adds.append(f"{field} :{field}")
        values[f":{field}"] = {"N": str(amount)}
    for mapname, codes in (("error_codes", error_codes), ("warning_codes", warning_codes)):
        for i, (code, count) in enumerate(sorted(codes.items())):
            alias = f"{mapname[0]}{i}"
            names[f"#{alias}"] = code
            values[f":{alias}"] = {"N": str(count)}
            sets.append(f"{mapname}.#{alias} = if_not_exists({mapname}.#{alias}, :zero) + :{alias}")
            values[":zero"] = {"N": "0"}  # only when used: DynamoDB refuses unused values
    expression = "SET " + ", ".join(sets) + " ADD " + ", ".join(adds)
    return expression, names, values


class UploadJobRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Clock = utc_now) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    @property
    def table_name(self) -> str:
        return self._table

    def now(self) -> str:
        return iso(self._clock())

    def create(self, job: UploadJob) -> None:
        item = {"pk": job.municipality_code, "sk": f"UPLOAD#{job.upload_id}", **job.model_dump()}
        self._client.put_item(
            TableName=self._table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, code: str, upload_id: str) -> UploadJob | None:
        resp = self._client.get_item(TableName=self._table, Key=job_key(code, upload_id), ConsistentRead=True)
        item = resp.get("Item")
        if item is None:
            return None
        data = from_item(item)
        return UploadJob.model_validate({k: v for k, v in data.items() if k not in ("pk", "sk", "finalizing")})

    def _update(self, code: str, upload_id: str, expression: str, values: dict[str, Any],
                names: dict[str, str] | None = None, condition: str | None = None) -> bool:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": job_key(code, upload_id),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": values,
        }
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self._client.update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def start_processing(self, code: str, upload_id: str) -> bool:
        """pending → processing. A job already processing may resume (a redelivered event after a
        crash); a finished job is never processed again."""
        return self._update(
            code, upload_id,
            "SET #status = :processing, updated_at = :now",
            to_item({":processing": "processing", ":pending": "pending", ":now": self.now()}),
            names={"#status": "status"},
            condition="#status IN (:pending, :processing)",
        )

    def set_plan(self, code: str, upload_id: str, *, encoding: str, rows_total: int, chunks_total: int,
                 generation: int | None) -> None:
        values: dict[str, Any] = {":enc": encoding, ":rows": rows_total, ":chunks": chunks_total,
                                  ":now": self.now()}
        expression = "SET encoding = :enc, rows_total = :rows, chunks_total = :chunks, updated_at = :now"
        if generation is not None:
            values[":gen"] = generation
            expression += ", generation = :gen"
        self._update(code, upload_id, expression, to_item(values))

    def add_progress(self, code: str, upload_id: str, rows: int) -> None:
        self._update(code, upload_id, "ADD rows_done :n SET updated_at = :now",
                     to_item({":n": rows, ":now": self.now()}))

    def record_chunk(self, code: str, upload_id: str, result: ChunkResult) -> bool:
        """Add a chunk's counts once; False when this chunk had been recorded already."""
        now = self.now()
        expression, names, values = counters_update(
            result.rows_read, result.rows_stored, result.rows_rejected, result.rows_with_warnings,
            result.error_codes, result.warning_codes, now, extra_adds=("chunks_done :one",),
        )
        values[":one"] = {"N": "1"}
        receipt = {
            "pk": code, "sk": f"UPLOAD#{upload_id}#CHUNK#{result.chunk_index:06d}",
            **result.model_dump(), "recorded_at": now,
        }
        try:
            self._client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._table, "Item": to_item(receipt),
                         "ConditionExpression": "attribute_not_exists(sk)"}},
                {"Update": {"TableName": self._table, "Key": job_key(code, upload_id),
                            "UpdateExpression": expression, "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values}},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                reasons = exc.response.get("CancellationReasons", [])
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return False
            raise
        return True

    def add_delta_counts(self, code: str, upload_id: str, line: int, *, rows_read: int, rows_stored: int,
                         rows_rejected: int, rows_with_warnings: int, error_codes: dict[str, int],
                         warning_codes: dict[str, int]) -> bool:
        """Add a delta's counts up to ``line`` and move its checkpoint there; False (and nothing
        added) when the checkpoint is already past it."""
        expression, names, values = counters_update(rows_read, rows_stored, rows_rejected, rows_with_warnings,
                                                    error_codes, warning_codes, self.now(),
                                                    extra_sets=("delta_line = :line",))
        values[":line"] = {"N": str(line)}
        return self._update(code, upload_id, expression, values, names=names, condition="delta_line < :line")

    def chunk_report_keys(self, code: str, upload_id: str) -> list[str]:
        """The error-report parts of every recorded chunk, in chunk order."""
        keys: list[str] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": code}, ":prefix": {"S": f"UPLOAD#{upload_id}#CHUNK#"}},
            ProjectionExpression="report_part_key",
            ConsistentRead=True,
        ):
            for item in page.get("Items", []):
                part = item.get("report_part_key", {}).get("S")
                if part:
                    keys.append(part)
        return keys

    def claim_finalize(self, code: str, upload_id: str) -> bool:
        """Exactly one worker wins the right to finish a job whose chunks have all reported."""
        return self._update(
            code, upload_id, "SET finalizing = :t",
            to_item({":t": True, ":processing": "processing"}),
            names={"#status": "status"},
            condition="#status = :processing AND attribute_not_exists(finalizing) AND chunks_done = chunks_total",
        )

    def succeed(self, code: str, upload_id: str, report_key: str | None) -> None:
        values: dict[str, Any] = {":succeeded": "succeeded", ":now": self.now()}
        expression = "SET #status = :succeeded, updated_at = :now"
        if report_key:
            values[":report"] = report_key
            expression += ", report_key = :report"
        self._update(code, upload_id, expression, to_item(values), names={"#status": "status"})

    def fail(self, code: str, upload_id: str, failure_code: str, detail: str | None,
             report_key: str | None = None) -> None:
        values: dict[str, Any] = {":failed": "failed", ":code": failure_code, ":now": self.now(),
                                  ":detail": detail or ""}
        expression = "SET #status = :failed, failure_code = :code, failure_detail = :detail, updated_at = :now"
        if report_key:
            values[":report"] = report_key
            expression += ", report_key = :report"
        self._update(code, upload_id, expression, to_item(values), names={"#status": "status"})
