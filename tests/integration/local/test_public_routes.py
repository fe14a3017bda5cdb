"""A route with ``authorizer="none"`` is public on the local gateway, as AuthorizationType.NONE is on AWS:
no token is asked for and the event carries no authorizer context; every other route still needs one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

from infra.local.gateway import LocalGateway
from infra.local.runtime import Runtime
from infra.local.tokens import issue_token
from infra.topology import Function, Key, Route, Topology
from tests.integration.local.topology import MODULE

SECRET = "public-route-test-secret-0123456789"
TOPOLOGY = Topology(
    keys=(Key("data", "test data key"),), tables=(), queues=(), buckets=(),
    functions=(Function("echo", f"{MODULE}.echo", "echoes the proxy event"),),
    routes=(Route("GET", "/open/{item_id}", "echo", authorizer="none"),
            Route("GET", "/closed/{item_id}", "echo")),
)


@pytest.fixture
def gateway() -> Iterator[LocalGateway]:
    runtime = Runtime(TOPOLOGY, prefix="vs-public")
    served = LocalGateway(TOPOLOGY, runtime, SECRET)
    yield served
    served.stop()
    runtime.forget_handlers()


def test_a_public_route_needs_no_token_and_gets_no_claims(gateway: LocalGateway) -> None:
    reply, template = gateway.handle("GET", "/open/x?code=AB", [("Host", "127.0.0.1")], b"", "127.0.0.1")

    assert (reply.status, template) == (200, "GET /open/{item_id}")
    event = json.loads(reply.body)["event"]
    APIGatewayProxyEventModel.model_validate(event)
    assert "authorizer" not in event["requestContext"]
    assert event["queryStringParameters"] == {"code": "AB"}


def test_a_token_sent_to_a_public_route_is_ignored(gateway: LocalGateway) -> None:
    from victim_support.auth import Caller

    token = issue_token(Caller(subject="s", username="u", municipality_code="434434", groups=frozenset({"staff"})),
                        SECRET)
    reply, _ = gateway.handle("GET", "/open/x", [("Authorization", f"Bearer {token}")], b"", "127.0.0.1")
    assert reply.status == 200 and "authorizer" not in json.loads(reply.body)["event"]["requestContext"]


def test_the_other_routes_still_need_a_token(gateway: LocalGateway) -> None:
    reply, _ = gateway.handle("GET", "/closed/x", [], b"", "127.0.0.1")
    assert reply.status == 401 and json.loads(reply.body)["code"] == "UNAUTHORIZED"
