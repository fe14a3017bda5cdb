"""The kiosk API on AWS: its own REST API, the Lambda REQUEST authorizer on every kiosk method, mutual TLS
on a custom domain when one is configured (the default endpoint then disabled), and the staff API as it
was."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.cdk.app import build, synthesize
from infra.topology import TOPOLOGY
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

KIOSK = TOPOLOGY.request_authorizer("kiosk")
assert KIOSK is not None
KIOSK_ROUTES = [r for r in TOPOLOGY.routes if r.authorizer == "kiosk"]
DOMAIN = "kiosk.example.jp"
CERTIFICATE = "arn:aws:acm:ap-northeast-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"


def _kiosk(s: Synthesized) -> Template:
    (stack,) = s.built.kiosks
    return Template.from_stack(stack)


def _function_export(s: Synthesized, name: str) -> str:
    """The export name under which the service stack hands out a topology function's ARN."""
    service = json.loads((s.outdir / f"{s.built.service.stack_name}.template.json").read_text())
    (logical_id,) = s.service.find_resources("AWS::Lambda::Function", {
        "Properties": {"Handler": TOPOLOGY.function(name).handler}})
    (export,) = [o["Export"]["Name"] for o in service.get("Outputs", {}).values()
                 if o["Value"] == {"Fn::GetAtt": [logical_id, "Arn"]}]
    return str(export)


def _imports(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "Fn::ImportValue" in value:
            yield value["Fn::ImportValue"]
        for item in value.values():
            yield from _imports(item)
    elif isinstance(value, list):
        for item in value:
            yield from _imports(item)


def _paths(template: Template) -> set[tuple[str, str]]:
    resources = template.find_resources("AWS::ApiGateway::Resource")
    (api_id,) = template.find_resources("AWS::ApiGateway::RestApi")

    def path_of(ref: Any) -> str:
        if ref == {"Fn::GetAtt": [api_id, "RootResourceId"]}:
            return ""
        props = resources[ref["Ref"]]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    return {(m["Properties"]["HttpMethod"], path_of(m["Properties"]["ResourceId"]))
            for m in template.find_resources("AWS::ApiGateway::Method").values()}


def test_the_kiosk_api_is_its_own_rest_api_with_exactly_the_kiosk_routes(synthesized: Synthesized) -> None:
    kiosk = _kiosk(synthesized)
    kiosk.resource_count_is("AWS::ApiGateway::RestApi", 1)
    assert _paths(kiosk) == {(r.method, r.path) for r in KIOSK_ROUTES}
    assert not {p for _, p in _paths(synthesized.service) if p.startswith("/kiosk/")}
    for route in KIOSK_ROUTES:
        for param in re.findall(r"{(\w+)}", route.path):
            kiosk.has_resource_properties("AWS::ApiGateway::Method", {
                "HttpMethod": route.method,
                "RequestParameters": Match.object_like({f"method.request.path.{param}": True}),
            })


def test_every_kiosk_method_runs_the_kiosk_authorizer_and_reaches_the_kiosk_function(
        synthesized: Synthesized) -> None:
    kiosk = _kiosk(synthesized)
    (authorizer_id, authorizer), = kiosk.find_resources("AWS::ApiGateway::Authorizer").items()
    props = authorizer["Properties"]
    assert props["Type"] == "REQUEST"
    assert props["AuthorizerResultTtlInSeconds"] == 0  # every request has its own nonce: never cache
    assert props["IdentitySource"] == ",".join(f"method.request.header.{h}" for h in KIOSK.identity_headers)
    assert set(_imports(props["AuthorizerUri"])) == {_function_export(synthesized, "kiosk_authorizer")}
    methods = kiosk.find_resources("AWS::ApiGateway::Method")
    assert len(methods) == len(KIOSK_ROUTES)
    for method in methods.values():
        m = method["Properties"]
        assert m["AuthorizationType"] == "CUSTOM" and m["AuthorizerId"] == {"Ref": authorizer_id}
        assert "RequestValidatorId" in m
        assert set(_imports(m["Integration"]["Uri"])) == {_function_export(synthesized, "kiosk_issuance")}


def test_api_gateway_may_invoke_the_authorizer_and_the_kiosk_function_from_this_api_only(
        synthesized: Synthesized) -> None:
    kiosk = _kiosk(synthesized)
    permissions = kiosk.find_resources("AWS::Lambda::Permission")
    targets = {next(_imports(p["Properties"]["FunctionName"])) for p in permissions.values()}
    assert targets == {_function_export(synthesized, name) for name in ("kiosk_authorizer", "kiosk_issuance")}
    (api_id,) = kiosk.find_resources("AWS::ApiGateway::RestApi")
    for permission in permissions.values():
        assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
        assert api_id in json.dumps(permission["Properties"]["SourceArn"])


def test_refusals_carry_the_authorizers_stable_code(synthesized: Synthesized) -> None:
    kiosk = _kiosk(synthesized)
    kiosk.has_resource_properties("AWS::ApiGateway::GatewayResponse", {
        "ResponseType": "ACCESS_DENIED", "StatusCode": "403",
        "ResponseTemplates": {"application/json": Match.string_like_regexp(r"\$context\.authorizer\.code")},
    })
    kiosk.has_resource_properties("AWS::ApiGateway::GatewayResponse", {
        "ResponseType": "UNAUTHORIZED", "StatusCode": "401"})


def test_the_kiosk_stage_logs_traces_and_throttles_without_bodies(synthesized: Synthesized) -> None:
    _kiosk(synthesized).has_resource_properties("AWS::ApiGateway::Stage", {
        "TracingEnabled": True,
        "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
        "MethodSettings": [Match.object_like({
            "DataTraceEnabled": False, "LoggingLevel": "ERROR",
            "ThrottlingRateLimit": Match.any_value(), "ThrottlingBurstLimit": Match.any_value(),
        })],
    })


def test_without_a_configured_domain_the_api_keeps_its_default_endpoint_and_synth_is_clean(
        synthesized: Synthesized) -> None:
    kiosk = _kiosk(synthesized)
    kiosk.resource_count_is("AWS::ApiGateway::DomainName", 0)
    (api,) = kiosk.find_resources("AWS::ApiGateway::RestApi").values()
    assert not api["Properties"].get("DisableExecuteApiEndpoint")
    assert synthesized.findings == []


def test_staff_routes_keep_the_cognito_authorizer(synthesized: Synthesized) -> None:
    for method in synthesized.service.find_resources("AWS::ApiGateway::Method").values():
        assert method["Properties"]["AuthorizationType"] in ("COGNITO_USER_POOLS", "NONE")
    synthesized.service.resource_count_is("AWS::ApiGateway::RestApi", 1)


def test_the_kiosk_authorizer_reads_kiosks_and_remembers_nonces_only(synthesized: Synthesized) -> None:
    from tests.infra.test_service_stack import _statements

    touched: set[tuple[str, str]] = set()
    for statement in _statements(synthesized, "kiosk_authorizer"):
        touched |= synthesized.referenced(statement["Resource"])
    assert touched == {("table", "kiosks"), ("table", "kiosk_nonces"), ("key", "data")}


@pytest.fixture(scope="module")
def with_domain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Template, list[str], Path]:
    outdir = tmp_path_factory.mktemp("cdk-kiosk-domain.out")
    built = build(outdir, {"kiosk_domain_name": DOMAIN, "kiosk_certificate_arn": CERTIFICATE,
                           "kiosk_truststore_key": "kiosk/truststore.pem"})
    findings = synthesize(built)
    (stack,) = built.kiosks
    return Template.from_stack(stack), findings, outdir


def test_a_configured_domain_gets_mutual_tls_and_the_default_endpoint_is_disabled(
        with_domain: tuple[Template, list[str], Path]) -> None:
    kiosk, findings, outdir = with_domain
    assert findings == []
    (domain_id, domain), = kiosk.find_resources("AWS::ApiGateway::DomainName").items()
    props = domain["Properties"]
    assert props["DomainName"] == DOMAIN
    assert props["RegionalCertificateArn"] == CERTIFICATE
    assert props["SecurityPolicy"] == "TLS_1_2"
    assert props["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    truststore = props["MutualTlsAuthentication"]["TruststoreUri"]
    assert json.dumps(truststore).endswith('"/kiosk/truststore.pem"]]}')
    (bucket_export,) = list(_imports(truststore))
    data = json.loads(next(outdir.glob("*Data.template.json")).read_text())
    exported = {o["Export"]["Name"]: o["Value"] for o in data["Outputs"].values()}
    (logical_id,) = [lid for lid, r in data["Resources"].items()
                     if r["Type"] == "AWS::S3::Bucket" and lid.startswith("KioskTruststore")]
    assert exported[bucket_export] == {"Ref": logical_id}
    (api_id, api), = kiosk.find_resources("AWS::ApiGateway::RestApi").items()
    assert api["Properties"]["DisableExecuteApiEndpoint"] is True
    kiosk.has_resource_properties("AWS::ApiGateway::BasePathMapping", {
        "DomainName": {"Ref": domain_id}, "RestApiId": {"Ref": api_id}})
