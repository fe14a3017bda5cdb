"""Deleting resident generations that no reader can see any more.

A flip keeps the previous generation (to compare with, or to fall back to by hand) and queues the
one before it for deletion; a failed full upload queues the generation it had begun to write. The
purge pages through the generation's keys and deletes them with the bulk writer; when its time runs
short it hands the rest to a new message, so a generation of any size is deleted in the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel

from victim_support.audit import AuditLog
from victim_support.dynamo.writer import BulkWriter
from victim_support.observability import logger
from victim_support.residents.repository import partition
from victim_support.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sqs.client import SQSClient

PAGE = 1_000
ACTOR = "system:residents-purge"


class PurgeRequest(BaseModel):
    municipality_code: str
    generation: int
    reason: str


def request_purge(sqs: SQSClient, queue_url: str, request: PurgeRequest) -> None:
    sqs.send_message(QueueUrl=queue_url, MessageBody=request.model_dump_json())


def purge_generation(
    request: PurgeRequest, *, client: DynamoDBClient, bulk_client: DynamoDBClient, table: str,
    tenants: TenantRepository, audit: AuditLog, has_time: Callable[[], bool],
) -> bool:
    """Delete the generation's residents; True when none is left, False when time ran out first.

    A generation that is current or loading is never touched, whatever the message says.
    """
    code, generation = request.municipality_code, request.generation
    current, loading = tenants.generation_pointer(code)
    if generation in (current, loading):
        logger.warning("refused to purge a generation in use", extra={"generation": generation})
        return True
    writer = BulkWriter(bulk_client, table)
    deleted = 0
    while True:
        resp = client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition(code, generation)}},
            ProjectionExpression="pk, sk",
            Limit=PAGE,
        )
        keys = cast("list[dict[str, Any]]", resp.get("Items", []))
        if not keys:
            break
        deleted += writer.delete_keys(keys).items
        if not has_time():
            logger.info("purge continues in a new message", extra={"generation": generation, "deleted": deleted})
            return False
    audit.record(code, actor=ACTOR, action="residents.generation.purged", target=f"G{generation}",
                 reason=request.reason, details={"generation": generation, "deleted": deleted})
    return True
