"""Resident generations to delete (from the purge queue) → deleted page by page."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support import wiring
from victim_support.observability import logger, metrics, tracer
from victim_support.residents.purge import PurgeRequest, purge_generation, request_purge

processor = BatchProcessor(event_type=EventType.SQS)
SAFETY_MARGIN_MS = 60_000


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    logger.set_correlation_id(record.message_id)
    request = PurgeRequest.model_validate_json(record.body)
    logger.append_keys(municipality_code=request.municipality_code)
    ctx = wiring.intake_context()
    done = purge_generation(
        request, client=ctx.dynamodb, bulk_client=ctx.bulk_dynamodb, table=ctx.residents.table_name,
        tenants=ctx.tenants, audit=ctx.audit,
        has_time=lambda: lambda_context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS,
    )
    if not done and ctx.purge_queue_url:
        request_purge(ctx.sqs, ctx.purge_queue_url, request)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
