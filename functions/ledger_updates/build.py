"""Disasters to build a ledger for (from the build queue) → persons, search keys and households."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support import wiring
from victim_support.idempotency import SettingsPersistenceLayer
from victim_support.ledger.build import build_ledger
from victim_support.ledger.models import BuildRequest
from victim_support.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)
# Each continuation (step) is its own unit: a redelivered step is skipped, the next one runs.
idempotency = IdempotencyConfig(event_key_jmespath="[municipality_code, disaster_id, step]",
                                expires_after_seconds=24 * 3600)
persistence = SettingsPersistenceLayer()
SAFETY_MARGIN_MS = 120_000  # a page of bulk writes, the checkpoint and the continuation message fit in it


@idempotent_function(data_keyword_argument="request", config=idempotency, persistence_store=persistence)
def handle_build(request: BuildRequest, remaining_ms: Callable[[], int]) -> dict[str, Any]:
    logger.append_keys(municipality_code=request.municipality_code, disaster_id=request.disaster_id,
                       step=request.step)
    progress = build_ledger(request, wiring.ledger_context(), has_time=lambda: remaining_ms() > SAFETY_MARGIN_MS)
    return progress.model_dump(mode="json")


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    logger.set_correlation_id(record.message_id)
    handle_build(request=BuildRequest.model_validate_json(record.body),
                 remaining_ms=lambda_context.get_remaining_time_in_millis)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
