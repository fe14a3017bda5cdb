"""Billing (operator): the monthly run, from an EventBridge schedule or a manual invocation.

A scheduled event bills the month that ended before the event's time (in JST); ``{"month": "YYYY-MM"}``
re-runs a given month, which rewrites that month's statements and nothing else.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support import wiring
from victim_support.billing.service import previous_month, run_billing
from victim_support.clock import JST
from victim_support.errors import DomainError
from victim_support.observability import logger, metrics, tracer

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def billing_month(event: dict[str, Any]) -> tuple[int, int]:
    if "month" in event:
        match = _MONTH.match(str(event["month"]))
        if not match:
            raise DomainError("VALIDATION_ERROR", detail="month must be YYYY-MM")
        return int(match.group(1)), int(match.group(2))
    moment = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))  # EventBridge's event time
    return previous_month(moment.astimezone(JST).date())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    year, month = billing_month(event)
    run = run_billing(year, month, tenants=wiring.tenants(), issuances=wiring.issuances(),
                      store=wiring.statements(), audit=wiring.audit())
    logger.info("billing run finished", extra={"month": run.month, "statements": len(run.statements)})
    metrics.add_metric(name="BillingStatements", unit="Count", value=len(run.statements))
    return run.model_dump(mode="json")
