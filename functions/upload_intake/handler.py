"""S3 ObjectCreated (via SQS) → verify, split and load an uploaded resident file."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support import wiring
from victim_support.idempotency import SettingsPersistenceLayer
from victim_support.intake.events import object_refs
from victim_support.intake.pipeline import ObjectRef, handle_object_created
from victim_support.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)
idempotency = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=24 * 3600)
persistence = SettingsPersistenceLayer()


@idempotent_function(data_keyword_argument="ref", config=idempotency, persistence_store=persistence)
def handle_object(ref: ObjectRef) -> str:
    return handle_object_created(wiring.intake_context(), ref)


def record_handler(record: SQSRecord) -> None:
    logger.set_correlation_id(record.message_id)
    for ref in object_refs(record.body):
        handle_object(ref=ref)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
