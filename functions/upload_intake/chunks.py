"""One chunk of a large full upload (from the chunk queue) → rows validated and stored."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support import wiring
from victim_support.idempotency import SettingsPersistenceLayer
from victim_support.intake.models import ChunkMessage
from victim_support.intake.pipeline import load_chunk
from victim_support.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)
idempotency = IdempotencyConfig(event_key_jmespath="[upload_id, chunk_index]", expires_after_seconds=24 * 3600)
persistence = SettingsPersistenceLayer()


@idempotent_function(data_keyword_argument="message", config=idempotency, persistence_store=persistence)
def handle_chunk(message: ChunkMessage) -> bool:
    logger.append_keys(municipality_code=message.municipality_code, upload_id=message.upload_id,
                       chunk_index=message.chunk_index)
    load_chunk(wiring.intake_context(), message)
    return True


def record_handler(record: SQSRecord) -> None:
    logger.set_correlation_id(record.message_id)
    handle_chunk(message=ChunkMessage.model_validate_json(record.body))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
