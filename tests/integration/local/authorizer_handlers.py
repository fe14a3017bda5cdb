"""Handlers of the request-authorizer tests (the local runtime imports this module afresh per stack, so
invocations are counted in ``records``)."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.local import records

COUNTER = "request-authorizer"


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with records.lock:
        records.attempts[COUNTER] += 1
    token = event["headers"].get("X-Pass", "")
    if token == "raise":
        raise RuntimeError("Unauthorized")
    if token == "crash":
        raise RuntimeError("something else")
    effect = "Allow" if token == "yes" else "Deny"
    return {"principalId": "tester",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
            "context": {"who": "tester", "code": "NOPE", "message": "no", "message_ja": "いいえ", "n": 7,
                        "type": event["type"], "saw_body": "body" in event, "method_arn": event["methodArn"],
                        "item": event["pathParameters"]["item"]}}


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["authorizer"])}
