"""Certificate requests (SQS) → numbered, rendered, signed and stored certificates.

One request per record, once each (idempotency keyed on municipality and request id); a refusal is
an outcome, not a failure. ``RetryLater`` and unexpected errors fail only their record, which SQS
delivers again (and after the queue's maximum receives moves to the DLQ).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support import wiring
from victim_support.certificates.requests import RequestMessage
from victim_support.certificates.service import issue_requested
from victim_support.idempotency import SettingsPersistenceLayer
from victim_support.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)
# The stored request is the source of truth: the record only spares a second delivery the work.
idempotency = IdempotencyConfig(event_key_jmespath="[municipality_code, request_id]",
                                expires_after_seconds=7 * 24 * 3600)
persistence = SettingsPersistenceLayer()


@idempotent_function(data_keyword_argument="message", config=idempotency, persistence_store=persistence)
def handle_request(message: RequestMessage) -> dict[str, Any]:
    logger.append_keys(municipality_code=message.municipality_code, request_id=message.request_id)
    outcome = issue_requested(message, wiring.certificate_context())
    metrics.add_metric(name=f"Certificates{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    return outcome.model_dump(mode="json")


def record_handler(record: SQSRecord) -> None:
    logger.set_correlation_id(record.message_id)
    try:
        handle_request(message=RequestMessage.model_validate_json(record.body))
    except Exception as error:
        # The type only: a message could quote request data. SQS delivers the record again.
        logger.warning("certificate request not finished; it will be retried", extra={"error": type(error).__name__})
        raise


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
