"""Residents, stored by municipality and generation.

Key: pk = "<code>#G<generation>", sk = person id (宛名番号). A full upload writes a whole new
generation; the tenant's pointer says which generation readers see. Delta rows change the current
generation in place, each change guarded by a condition so that a replay changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from victim_support.dynamo.attributes import from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from victim_support.intake.rows import ResidentRecord

ACTIVE = "active"
REMOVED = "removed"


def partition(code: str, generation: int) -> str:
    return f"{code}#G{generation:06d}"


def resident_item(
    code: str, generation: int, record: ResidentRecord, *, upload_id: str, line: int, now: str
) -> dict[str, Any]:
    """The stored item, built straight as DynamoDB attribute values: the bulk loader's hot path."""
    item: dict[str, Any] = {
        "pk": {"S": partition(code, generation)},
        "sk": {"S": record["person_id"]},
        "household_id": {"S": record["household_id"]},
        "name": {"S": record["name"]},
        "name_kana": {"S": record["name_kana"]},
        "birth_date": {"S": record["birth_date"]},
        "sex": {"S": record["sex"]},
        "relationship": {"S": record["relationship"]},
        "address": {"S": record["address"]},
        "protected": {"BOOL": record["protected"]},
        "status": {"S": ACTIVE},
        "upload_id": {"S": upload_id},
        "line": {"N": str(line)},
        "updated_at": {"S": now},
    }
    if record["postal_code"]:
        item["postal_code"] = {"S": record["postal_code"]}
    if record["address_extra"]:
        item["address_extra"] = {"S": record["address_extra"]}
    if record["phone"]:
        item["phone"] = {"S": record["phone"]}
    if record["care_needs"]:
        item["care_needs"] = {"L": [{"S": need} for need in record["care_needs"]]}
    if record["change_date"]:
        item["change_date"] = {"S": record["change_date"]}
    return item


class ResidentRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @property
    def table_name(self) -> str:
        return self._table

    def get(self, code: str, generation: int, person_id: str) -> dict[str, Any] | None:
        resp = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": partition(code, generation)}, "sk": {"S": person_id}},
            ConsistentRead=True,
        )
        item = resp.get("Item")
        return from_item(item) if item else None

    def count(self, code: str, generation: int) -> int:
        """Distinct persons stored in a generation (pages through a COUNT query; memory stays flat)."""
        total = 0
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition(code, generation)}},
            Select="COUNT",
            ConsistentRead=True,
        ):
            total += page["Count"]
        return total

    def list(self, code: str, generation: int, limit: int = 1000) -> list[dict[str, Any]]:
        resp = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition(code, generation)}},
            Limit=limit,
        )
        return [from_item(i) for i in resp.get("Items", [])]
