"""Issuance records in DynamoDB: pk = ``<code>#<YYYY-MM>`` (the JST month of issue), sk =
``<issued_at>#<issuance_id>``, so a month's records are one query and a municipality's months never
share a partition with another's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from victim_support.clock import JST
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.dynamo.conditions import conditional
from victim_support.issuances.models import IssuanceRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def month_key(code: str, year: int, month: int) -> str:
    return f"{code}#{year:04d}-{month:02d}"


def record_key(record: IssuanceRecord) -> dict[str, Any]:
    local = record.issued_at.astimezone(JST)
    return {
        "pk": {"S": month_key(record.municipality_code, local.year, local.month)},
        "sk": {"S": f"{local.isoformat(timespec='microseconds')}#{record.issuance_id}"},
    }


class IssuanceRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, record: IssuanceRecord) -> bool:
        """Store a record once; False when the same record was already stored (a retried call)."""
        item = {**to_item(record.model_dump(mode="json")), **record_key(record)}
        return conditional(self._client.put_item, TableName=self._table, Item=item,
                           ConditionExpression="attribute_not_exists(pk)")

    def void(self, record: IssuanceRecord) -> bool:
        """Mark a stored record voided (a kiosk print that failed): kept for the audit, never charged.
        False when no such record was stored (nothing was charged)."""
        return conditional(
            self._client.update_item, TableName=self._table, Key=record_key(record),
            UpdateExpression="SET #status = :voided",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues={":voided": {"S": "voided"}},
        )

    def month(self, code: str, year: int, month: int) -> Iterator[IssuanceRecord]:
        """Every record of the municipality issued in that JST month, oldest first."""
        kwargs: dict[str, Any] = {}
        while True:
            resp = self._client.query(
                TableName=self._table, KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": month_key(code, year, month)}}, **kwargs,
            )
            for item in resp.get("Items", []):
                data = from_item(item)
                yield IssuanceRecord.model_validate({k: v for k, v in data.items() if k not in ("pk", "sk")})
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
