"""Ledger commands (from the FIFO queue) → applied once each, in order per household.

``SqsFifoPartialProcessor(skip_group_on_error=True)``: a command that fails fails only the rest of its
own household's messages in the batch (they must not overtake it); other households' commands go on.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError
from victim_support import wiring
from victim_support.idempotency import SettingsPersistenceLayer
from victim_support.ledger.commands import apply_command, refuse_reused_command_id
from victim_support.ledger.models import CommandEnvelope
from victim_support.observability import logger, metrics, tracer

processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# Command ids are unique per municipality; the record outlives SQS retention and a client's late retries.
# The same id with another disaster or other content is not a retry: refused (audited), not dropped.
idempotency = IdempotencyConfig(event_key_jmespath="[municipality_code, command.command_id]",
                                payload_validation_jmespath="[disaster_id, command]",
                                expires_after_seconds=30 * 24 * 3600)
persistence = SettingsPersistenceLayer()


@idempotent_function(data_keyword_argument="envelope", config=idempotency, persistence_store=persistence)
def handle_command(envelope: CommandEnvelope) -> dict[str, Any]:
    logger.append_keys(municipality_code=envelope.municipality_code, disaster_id=envelope.disaster_id,
                       command_id=envelope.command.command_id)
    return apply_command(envelope, wiring.ledger_context()).model_dump(mode="json")


class MalformedCommandError(Exception):
    """A message that is not a command envelope: it goes back to the queue and on to the DLQ."""


def record_handler(record: SQSRecord) -> None:
    logger.set_correlation_id(record.message_id)
    try:
        envelope = CommandEnvelope.model_validate_json(record.body)
    except ValidationError as error:
        # Locations and error types only: pydantic's message would quote the body (personal data).
        problems = sorted({f"{'.'.join(str(p) for p in e['loc'])}:{e['type']}" for e in error.errors()})
        raise MalformedCommandError(f"not a command envelope: {problems}") from None
    try:
        handle_command(envelope=envelope)
    except IdempotencyValidationError:
        refuse_reused_command_id(envelope, wiring.ledger_context())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
