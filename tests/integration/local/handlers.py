"""Test handlers, named by module path in the test topology as real ones are.

The local runtime imports this module afresh for each stack (like a cold start), so what the
handlers saw is kept in ``records``, which the tests read."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from victim_support.auth import Caller

from tests.integration.local import records
from tests.integration.local.records import lock as _lock


def _context_summary(context: Any) -> dict[str, Any]:
    return {
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Returns the proxy event it received (a raw handler, no framework)."""
    with _lock:
        records.api_events.append((event, _context_summary(context)))
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"X-Echo": ["one", "two"]},
        "body": json.dumps({"event": event, "context": _context_summary(context)}),
    }


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("a failure whose message must not reach the log: 山田太郎")


logger = Logger(service="local-stack-tests")
app = APIGatewayRestResolver()  # validation off: it cannot serialize a bytes body


@app.get("/things/<thing_id>")
def get_thing(thing_id: str) -> dict[str, Any]:
    if thing_id == "missing":
        raise NotFoundError("no such thing")
    caller = Caller.from_claims(app.current_event.request_context.authorizer.claims or {})
    return {"thing_id": thing_id, "municipality_code": caller.municipality_code,
            "groups": sorted(caller.groups)}


@app.get("/things/<thing_id>/blob")
def get_blob(thing_id: str) -> Response[bytes]:
    return Response(200, "application/octet-stream", bytes(range(256)))


@logger.inject_lambda_context
def resolver(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A Powertools resolver: proves the event and context satisfy the real framework."""
    return app.resolve(event, context)


def worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Body: {"id": ..., "fail_times": n (-1 = always), "raise": bool}; reports partial failures."""
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        with _lock:
            records.work_events.append(record)
            records.attempts[body["id"]] += 1
            seen = records.attempts[body["id"]]
        if body.get("raise"):
            raise RuntimeError("the whole batch fails")
        fail_times = body.get("fail_times", 0)
        if fail_times == -1 or seen <= fail_times:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def notified(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with _lock:
        records.notifications.extend(event["Records"])
    return {"batchItemFailures": []}
