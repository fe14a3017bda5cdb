"""Staff API events for any route and caller, shaped like the samples in events/staff_api, and the
call that runs them through the staff API's handler."""

from __future__ import annotations

import copy
import json
from typing import Any

from functions.staff_api.handler import lambda_handler as staff_api
from tests.integration.conftest import CHIYODA, MASHIKI
from tests.integration.lambda_context import FakeContext
from tests.integration.test_billing import sample

USERS = {MASHIKI: "mashiki-bousai-01", CHIYODA: "chiyoda-shien-01"}
OPERATOR = "operator-01"


def staff_event(method: str, resource: str, params: dict[str, str] | None = None, *, code: str | None = MASHIKI,
                query: dict[str, str] | None = None, body: Any = None) -> dict[str, Any]:
    """The event API Gateway sends for ``method resource``; ``code=None`` is the operator (no
    municipality claim, in the operators group), any other code that municipality's staff."""
    event = copy.deepcopy(sample("staff_api/get_upload.json"))
    path = resource
    for name, value in (params or {}).items():
        path = path.replace("{" + name + "}", value)
    event.update(resource=resource, path=path, httpMethod=method, pathParameters=params or None,
                 queryStringParameters=query or None,
                 multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
                 body=json.dumps(body, ensure_ascii=False) if body is not None else None)
    event["requestContext"].update(resourcePath=resource, httpMethod=method, path=f"/prod{path}")
    return as_caller(event, code)


def as_caller(event: dict[str, Any], code: str | None) -> dict[str, Any]:
    claims = event["requestContext"]["authorizer"]["claims"]
    if code is None:
        claims.pop("custom:municipality_code", None)
        claims.update({"cognito:username": OPERATOR, "cognito:groups": "operators"})
    else:
        claims.update({"custom:municipality_code": code, "cognito:username": USERS[code]})
    return event


def call_staff(event: dict[str, Any]) -> tuple[int, Any]:
    response = staff_api(event, FakeContext())
    return response["statusCode"], json.loads(response["body"])
