"""The audit trail: every change and every disclosure, with who, when and why.

Events are appended to the audit table under the municipality's code. Details hold identifiers and
counts; a ledger change also records the before and after of the fields it changed, because the
ledger's audit must say what changed (the table is KMS-encrypted, readable by no handler that does not
write it, and My Number is only ever recorded as "set"). Logs never carry any of these values.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from victim_support.clock import Clock, iso, utc_now
from victim_support.dynamo.attributes import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class AuditLog:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Clock = utc_now) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def record(
        self,
        municipality_code: str,
        *,
        actor: str,
        action: str,
        target: str,
        reason: str,
        details: dict[str, Any] | None = None,
    ) -> str:
        at = iso(self._clock())
        event_id = secrets.token_hex(8)
        item = {
            "pk": municipality_code,
            "sk": f"{at}#{event_id}",
            "actor": actor,
            "action": action,
            "target": target,
            "reason": reason,
            "at": at,
            "details": details or {},
        }
        self._client.put_item(TableName=self._table, Item=to_item(item))
        return event_id

    def events(self, municipality_code: str, limit: int = 100) -> list[dict[str, Any]]:
        resp = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": municipality_code}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [from_item(i) for i in resp.get("Items", [])]
