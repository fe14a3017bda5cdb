"""Functions get exactly their topology grants and triggers; every API route is Cognito-authorized."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.topology import TOPOLOGY, Function, env_var
from tests.infra.conftest import ResourceId, Synthesized

pytestmark = pytest.mark.infra

FUNCTIONS = TOPOLOGY.functions
# Routes of a Lambda REQUEST authorizer (the kiosk) have their own API: tests/infra/test_kiosk_api.py.
STAFF_API_ROUTES = tuple(r for r in TOPOLOGY.routes if TOPOLOGY.request_authorizer(r.authorizer) is None)


def _function(s: Synthesized, name: str) -> dict[str, Any]:
    found = s.service.find_resources("AWS::Lambda::Function", {
        "Properties": {"Handler": TOPOLOGY.function(name).handler},
    })
    assert len(found) == 1
    return dict(next(iter(found.values())))


def _statements(s: Synthesized, name: str) -> list[dict[str, Any]]:
    role = _function(s, name)["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = s.service.find_resources("AWS::IAM::Policy", {
        "Properties": {"Roles": [{"Ref": role}]},
    })
    return [st for p in policies.values() for st in p["Properties"]["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _granted(fn: Function) -> set[ResourceId]:
    return {(g.kind, g.name) for g in fn.grants} | {("queue", t.queue) for t in fn.triggers}


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.name)
def test_each_function_uses_the_shared_defaults(synthesized: Synthesized, fn: Function) -> None:
    props = _function(synthesized, fn.name)["Properties"]
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["MemorySize"] == fn.memory_mb
    assert props["Timeout"] == fn.timeout_s
    assert len(props["Layers"]) == 2


@pytest.mark.parametrize("fn", [f for f in FUNCTIONS if f.reserved_concurrency], ids=lambda f: f.name)
def test_reserved_concurrency_follows_the_topology(synthesized: Synthesized, fn: Function) -> None:
    synthesized.service.has_resource_properties("AWS::Lambda::Function", {
        "Handler": fn.handler, "ReservedConcurrentExecutions": fn.reserved_concurrency})


def test_function_log_groups_have_retention(synthesized: Synthesized) -> None:
    groups = synthesized.service.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == len(FUNCTIONS) + 1  # + the API access log
    assert all(g["Properties"].get("RetentionInDays") for g in groups.values())


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.name)
def test_each_function_environment_names_exactly_its_granted_resources(
    synthesized: Synthesized, fn: Function,
) -> None:
    variables = _function(synthesized, fn.name)["Properties"]["Environment"]["Variables"]
    resource_vars = {k: v for k, v in variables.items() if k.startswith("VS_") and k != "VS_ENVIRONMENT"}
    assert set(resource_vars) == set(TOPOLOGY.env_for(fn))
    for grant in fn.grants:
        assert synthesized.referenced(resource_vars[env_var(grant.kind, grant.name)]) == {
            (grant.kind, grant.name)}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "victim-support"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "VictimSupport"
    assert variables["VS_ENVIRONMENT"] == "aws"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.name)
def test_each_function_policy_touches_only_its_granted_resources(
    synthesized: Synthesized, fn: Function,
) -> None:
    touched: set[ResourceId] = set()
    for statement in _statements(synthesized, fn.name):
        touched |= synthesized.referenced(statement["Resource"])
    assert touched == _granted(fn)


def test_staff_api_cannot_touch_residents(synthesized: Synthesized) -> None:
    for statement in _statements(synthesized, "staff_api"):
        assert ("table", "residents") not in synthesized.referenced(statement["Resource"])


def test_upload_chunks_can_send_only_to_the_purge_queue(synthesized: Synthesized) -> None:
    for statement in _statements(synthesized, "upload_chunks"):
        if any(a.startswith("sqs:Send") for a in _actions(statement)):
            assert synthesized.referenced(statement["Resource"]) == {("queue", "residents_purge")}


def test_a_write_grant_on_a_bucket_never_deletes(synthesized: Synthesized) -> None:
    for fn in FUNCTIONS:
        for statement in _statements(synthesized, fn.name):
            assert not any(a.startswith("s3:Delete") for a in _actions(statement)), fn.name


@pytest.mark.parametrize("fn", [f for f in FUNCTIONS if f.triggers], ids=lambda f: f.name)
def test_queue_triggers_report_batch_item_failures(synthesized: Synthesized, fn: Function) -> None:
    s = synthesized
    logical_id = next(iter(s.service.find_resources("AWS::Lambda::Function", {
        "Properties": {"Handler": fn.handler}})))
    for trigger in fn.triggers:
        mappings = s.service.find_resources("AWS::Lambda::EventSourceMapping", {"Properties": {
            "FunctionName": {"Ref": logical_id},
            "BatchSize": trigger.batch_size,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }})
        assert len(mappings) == 1
        (mapping,) = mappings.values()
        assert s.referenced(mapping["Properties"]["EventSourceArn"]) == {("queue", trigger.queue)}
        window = mapping["Properties"].get("MaximumBatchingWindowInSeconds", 0)
        assert window == trigger.max_batching_window_s


def test_only_topology_triggers_exist(synthesized: Synthesized) -> None:
    synthesized.service.resource_count_is(
        "AWS::Lambda::EventSourceMapping", sum(len(f.triggers) for f in FUNCTIONS))


@pytest.mark.parametrize("fn", [f for f in FUNCTIONS if f.schedules], ids=lambda f: f.name)
def test_scheduled_functions_have_their_eventbridge_rules(synthesized: Synthesized, fn: Function) -> None:
    s = synthesized
    logical_id = next(iter(s.service.find_resources("AWS::Lambda::Function", {
        "Properties": {"Handler": fn.handler}})))
    for schedule in fn.schedules:
        rules = s.service.find_resources("AWS::Events::Rule", {"Properties": {
            "ScheduleExpression": schedule.cron, "State": "ENABLED",
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [logical_id, "Arn"]}})],
        }})
        assert len(rules) == 1, schedule.name
    s.service.resource_count_is("AWS::Events::Rule", sum(len(f.schedules) for f in FUNCTIONS))
    # EventBridge may invoke the function (and nothing else is granted that way).
    s.service.has_resource_properties("AWS::Lambda::Permission", {
        "Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com",
        "FunctionName": {"Fn::GetAtt": [logical_id, "Arn"]},
    })


def test_every_api_method_uses_the_cognito_authorizer(synthesized: Synthesized) -> None:
    s = synthesized
    (authorizer_id, authorizer), = s.service.find_resources("AWS::ApiGateway::Authorizer").items()
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    methods = s.service.find_resources("AWS::ApiGateway::Method")
    assert len(methods) == len(STAFF_API_ROUTES)
    # Public routes (authorizer "none") are asserted in test_certificates_infra.
    for method in methods.values():
        if method["Properties"]["AuthorizationType"] == "NONE":
            continue
        props = method["Properties"]
        assert props["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert props["AuthorizerId"] == {"Ref": authorizer_id}
        assert "RequestValidatorId" in props


def test_routes_match_the_topology(synthesized: Synthesized) -> None:
    s = synthesized
    resources = s.service.find_resources("AWS::ApiGateway::Resource")
    api_id = next(iter(s.service.find_resources("AWS::ApiGateway::RestApi")))

    def path_of(ref: Any) -> str:
        if ref == {"Fn::GetAtt": [api_id, "RootResourceId"]}:
            return ""
        props = resources[ref["Ref"]]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    routes = {(m["Properties"]["HttpMethod"], path_of(m["Properties"]["ResourceId"]))
              for m in s.service.find_resources("AWS::ApiGateway::Method").values()}
    assert routes == {(r.method, r.path) for r in STAFF_API_ROUTES}
    for route in STAFF_API_ROUTES:
        for param in re.findall(r"{(\w+)}", route.path):
            s.service.has_resource_properties("AWS::ApiGateway::Method", {
                "HttpMethod": route.method,
                "RequestParameters": Match.object_like({f"method.request.path.{param}": True}),
            })


def test_the_stage_logs_traces_and_throttles(synthesized: Synthesized) -> None:
    synthesized.service.has_resource_properties("AWS::ApiGateway::Stage", {
        "TracingEnabled": True,
        "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
        "MethodSettings": [Match.object_like({
            "DataTraceEnabled": False, "LoggingLevel": "ERROR",
            "ThrottlingRateLimit": Match.any_value(), "ThrottlingBurstLimit": Match.any_value(),
        })],
    })
    synthesized.service.has_resource_properties("AWS::ApiGateway::RequestValidator", {
        "ValidateRequestBody": True, "ValidateRequestParameters": True,
    })
