"""The local gateway: routes, the Cognito-like authorizer and API Gateway REST proxy events."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel
from victim_support.auth import Caller

from infra.local.stack import LocalStack
from infra.local.tokens import issue_token
from tests.integration.local import records
from tests.integration.local.conftest import MUNICIPALITY


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _raw_get(stack: LocalStack, target: str, headers: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
    """http.client, to send a header twice (requests folds duplicates)."""
    url = urlsplit(stack.api_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        conn.putrequest("GET", target)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_gateway_listens_on_loopback_only(stack: LocalStack) -> None:
    assert urlsplit(stack.api_url).hostname == "127.0.0.1"
    assert urlsplit(stack.endpoint_url).hostname == "127.0.0.1"


def test_a_request_becomes_a_rest_proxy_event_with_cognito_claims(stack: LocalStack) -> None:
    token = stack.issue_token(MUNICIPALITY, groups=("staff",), username="sato")
    status, body = _raw_get(
        stack, "/echo/abc%20def?tag=a&tag=b&empty=",
        [("Authorization", f"Bearer {token}"), ("X-Trace", "1"), ("X-Trace", "2")],
    )

    assert status == 200
    event, context = body["event"], body["context"]
    APIGatewayProxyEventModel.model_validate(event)  # the shape Powertools' parser expects from AWS
    assert event["resource"] == "/echo/{item_id}"
    assert event["path"] == "/echo/abc def"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"item_id": "abc def"}
    assert event["queryStringParameters"] == {"tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "empty": [""]}
    assert event["multiValueHeaders"]["X-Trace"] == ["1", "2"]
    assert event["headers"]["X-Trace"] == "2"
    assert event["body"] is None and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert (ctx["stage"], ctx["resourcePath"], ctx["httpMethod"]) == ("local", "/echo/{item_id}", "GET")
    assert ctx["requestId"] and ctx["identity"]["sourceIp"] == "127.0.0.1"
    claims = ctx["authorizer"]["claims"]
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["custom:municipality_code"] == MUNICIPALITY
    assert claims["cognito:groups"] == "staff"
    assert claims["cognito:username"] == "sato"
    assert Caller.from_claims(claims).municipality_code == MUNICIPALITY
    assert context["function_name"] == "vs-test-echo"
    assert context["memory_limit_in_mb"] == 256
    assert context["invoked_function_arn"].endswith(":function:vs-test-echo")
    assert 0 < context["remaining_ms"] <= 10_000


def test_groups_claim_is_space_separated_like_api_gateway(stack: LocalStack) -> None:
    token = stack.issue_token(None, groups=("staff", "operators"))
    response = requests.get(f"{stack.api_url}/echo/special", headers=_auth(token), timeout=10)
    claims = response.json()["event"]["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:groups"] == "operators staff"
    assert "custom:municipality_code" not in claims


def test_a_binary_body_arrives_base64_encoded_and_text_arrives_as_is(stack: LocalStack) -> None:
    token = stack.issue_token(MUNICIPALITY)
    binary = requests.post(f"{stack.api_url}/echo/x", data=b"\xff\x00\xfe", headers=_auth(token), timeout=10)
    text = requests.post(f"{stack.api_url}/echo/x", json={"名前": "テスト"}, headers=_auth(token), timeout=10)

    assert binary.json()["event"]["isBase64Encoded"] is True
    assert binary.json()["event"]["body"] == "/wD+"
    assert json.loads(text.json()["event"]["body"]) == {"名前": "テスト"}
    assert text.json()["event"]["isBase64Encoded"] is False


def test_the_handlers_status_headers_and_multi_value_headers_are_returned(stack: LocalStack) -> None:
    response = requests.get(f"{stack.api_url}/echo/1", headers=_auth(stack.issue_token(MUNICIPALITY)),
                            timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.raw.headers.getlist("X-Echo") == ["one", "two"]


def test_a_powertools_resolver_runs_behind_the_gateway(stack: LocalStack) -> None:
    token = stack.issue_token(MUNICIPALITY, groups=("staff",))
    found = requests.get(f"{stack.api_url}/things/t-1", headers=_auth(token), timeout=10)
    missing = requests.get(f"{stack.api_url}/things/missing", headers=_auth(token), timeout=10)
    blob = requests.get(f"{stack.api_url}/things/t-1/blob", headers=_auth(token), timeout=10)

    assert found.status_code == 200
    assert found.json() == {"thing_id": "t-1", "municipality_code": MUNICIPALITY, "groups": ["staff"]}
    assert missing.status_code == 404
    assert blob.content == bytes(range(256))  # isBase64Encoded reply decoded by the gateway


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz"],
    ids=["missing", "empty", "no-token", "garbage", "basic"],
)
def test_requests_without_a_valid_token_get_401_and_invoke_nothing(
    stack: LocalStack, authorization: str | None
) -> None:
    before = len(records.api_events)
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.get(f"{stack.api_url}/echo/1", headers=headers, timeout=10)

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert len(records.api_events) == before


def test_forged_and_expired_tokens_get_401(stack: LocalStack) -> None:
    caller = Caller(subject="x", username="x", municipality_code=MUNICIPALITY, groups=frozenset({"staff"}))
    forged = issue_token(caller, "not the stack's secret")
    expired = issue_token(caller, stack.token_secret, ttl_s=60, now=1_000_000)
    for token in (forged, expired):
        response = requests.get(f"{stack.api_url}/echo/1", headers=_auth(token), timeout=10)
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHORIZED"


def test_an_unknown_route_is_404_and_a_wrong_method_405(stack: LocalStack) -> None:
    token = stack.issue_token(MUNICIPALITY)
    unknown = requests.get(f"{stack.api_url}/nothing/here", headers=_auth(token), timeout=10)
    wrong = requests.delete(f"{stack.api_url}/echo/1", headers=_auth(token), timeout=10)

    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert wrong.headers["Allow"] == "GET, POST"


def test_a_literal_route_wins_over_a_template(stack: LocalStack) -> None:
    token = stack.issue_token(None, groups=("operators",))
    response = requests.get(f"{stack.api_url}/echo/special", headers=_auth(token), timeout=10)
    assert response.json()["event"]["resource"] == "/echo/special"


def test_a_failing_function_is_a_502_without_its_message_in_the_log(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    response = requests.get(f"{stack.api_url}/boom", headers=_auth(stack.issue_token(MUNICIPALITY)),
                            timeout=10)
    assert response.status_code == 502
    assert response.json()["code"] == "INTERNAL_ERROR"
    assert "山田太郎" not in caplog.text
