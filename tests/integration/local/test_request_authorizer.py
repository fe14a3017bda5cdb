"""The local gateway runs a topology ``RequestAuthorizer`` the way API Gateway runs a Lambda REQUEST
authorizer: identity headers first, then the authorizer function (without the body), its policy
decides, and its context reaches the route's handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from infra.local.stack import LocalStack
from infra.topology import Function, Key, RequestAuthorizer, Route, Topology
from tests.integration.local import records
from tests.integration.local.authorizer_handlers import COUNTER

MODULE = "tests.integration.local.authorizer_handlers"


TOPOLOGY = Topology(
    keys=(Key("data", "test key"),), tables=(), queues=(), buckets=(),
    functions=(Function("gate", f"{MODULE}.authorize", "authorizer"), Function("echo", f"{MODULE}.echo", "echo")),
    routes=(Route("POST", "/guarded/{item}", "echo", authorizer="kiosk"),),
    authorizers=(RequestAuthorizer("kiosk", "gate", "test", identity_headers=("X-Pass", "X-Other")),),
)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(TOPOLOGY, prefix="vs-authz", start_pollers=False) as running:
        yield running


def _post(stack: LocalStack, **headers: str) -> requests.Response:
    return requests.post(f"{stack.api_url}/guarded/a1", data=b'{"secret": "body"}', headers=headers, timeout=10)


def test_an_allowed_request_carries_the_authorizer_context_to_the_handler(stack: LocalStack) -> None:
    response = _post(stack, **{"X-Pass": "yes", "X-Other": "1"})
    assert response.status_code == 200
    context = response.json()
    assert context["principalId"] == "tester" and context["who"] == "tester" and context["n"] == "7"
    assert context["type"] == "REQUEST" and context["saw_body"] == "False"  # an authorizer never sees the body
    assert context["method_arn"].endswith("/local/POST/guarded/a1") and context["item"] == "a1"


def test_a_deny_is_a_403_with_the_authorizers_code(stack: LocalStack) -> None:
    response = _post(stack, **{"X-Pass": "no", "X-Other": "1"})
    assert (response.status_code, response.json()) == (403, {"code": "NOPE", "message": "no", "message_ja": "いいえ"})


def test_a_missing_identity_header_is_401_without_invoking_the_authorizer(stack: LocalStack) -> None:
    before = records.attempts[COUNTER]
    response = _post(stack, **{"X-Pass": "yes"})
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHORIZED")
    assert records.attempts[COUNTER] == before


def test_an_authorizer_raising_unauthorized_is_401_and_any_other_failure_500(stack: LocalStack) -> None:
    assert _post(stack, **{"X-Pass": "raise", "X-Other": "1"}).status_code == 401
    assert _post(stack, **{"X-Pass": "crash", "X-Other": "1"}).status_code == 500
