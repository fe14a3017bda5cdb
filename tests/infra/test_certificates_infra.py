"""Certificates on AWS: only the verification routes are public, signing keys are reached by their tag
alone, and the certificate buckets keep what they store."""

from __future__ import annotations

from typing import Any

import pytest
from victim_support.certificates.keys_registry import SIGNING_TAG_KEY, SIGNING_TAG_VALUE

from infra.cdk import nag
from infra.topology import TOPOLOGY
from tests.infra.conftest import Synthesized
from tests.infra.test_service_stack import _actions, _function, _statements

pytestmark = pytest.mark.infra

KMS_FAMILY_ACTIONS = {"kms:Sign", "kms:GetPublicKey", "kms:CreateKey", "kms:TagResource"}


def _method_routes(s: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    resources = s.service.find_resources("AWS::ApiGateway::Resource")
    api_id = next(iter(s.service.find_resources("AWS::ApiGateway::RestApi")))

    def path_of(ref: Any) -> str:
        if ref == {"Fn::GetAtt": [api_id, "RootResourceId"]}:
            return ""
        props = resources[ref["Ref"]]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    return {(m["Properties"]["HttpMethod"], path_of(m["Properties"]["ResourceId"])): m["Properties"]
            for m in s.service.find_resources("AWS::ApiGateway::Method").values()}


def test_only_the_verification_routes_are_unauthenticated(synthesized: Synthesized) -> None:
    methods = _method_routes(synthesized)
    public = {route for route, props in methods.items() if props["AuthorizationType"] == "NONE"}
    assert public == {("GET", "/verify/{number}"), ("POST", "/verify/{number}/document")}
    assert public == {(r.method, r.path) for r in TOPOLOGY.routes if r.authorizer == "none"}
    verify_logical_id = next(iter(synthesized.service.find_resources("AWS::Lambda::Function", {
        "Properties": {"Handler": TOPOLOGY.function("verify_api").handler}})))
    for route in public:
        props = methods[route]
        assert props["AuthorizationType"] == "NONE" and "AuthorizerId" not in props
        # The public routes reach the verification function only, never the staff API.
        assert verify_logical_id in str(props["Integration"]["Uri"])
    assert {r.function for r in TOPOLOGY.routes if r.authorizer == "none"} == {"verify_api"}


def test_the_api_accepts_a_pdf_body_for_the_document_check(synthesized: Synthesized) -> None:
    (api,) = synthesized.service.find_resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["BinaryMediaTypes"] == ["application/pdf"]


def _kms_statements(s: Synthesized, function: str) -> list[dict[str, Any]]:
    return [st for st in _statements(s, function) if set(_actions(st)) & KMS_FAMILY_ACTIONS]


def test_signing_keys_are_reached_only_through_their_tag(synthesized: Synthesized) -> None:
    family = TOPOLOGY.key_families[0]
    assert (family.tag_key, family.tag_value) == (SIGNING_TAG_KEY, SIGNING_TAG_VALUE)  # domain and IAM agree
    resource_tag = {f"aws:ResourceTag/{family.tag_key}": family.tag_value}
    request_tag = {f"aws:RequestTag/{family.tag_key}": family.tag_value}

    for function in ("staff_api", "certificate_generation"):
        (sign,) = [st for st in _kms_statements(synthesized, function) if "kms:Sign" in _actions(st)]
        assert sorted(_actions(sign)) == ["kms:GetPublicKey", "kms:Sign"]
        assert sign["Condition"] == {"StringEquals": resource_tag}
        assert ":key/*" in str(sign["Resource"])

    (create,) = [st for st in _kms_statements(synthesized, "staff_api") if "kms:CreateKey" in _actions(st)]
    assert create["Resource"] == "*"
    assert create["Condition"]["StringEquals"] == {**request_tag, "kms:KeySpec": "ECC_NIST_P256",
                                                   "kms:KeyUsage": "SIGN_VERIFY"}
    assert create["Condition"]["ForAllValues:StringEquals"] == {"aws:TagKeys": ["purpose", "municipality_code"]}
    (tag,) = [st for st in _kms_statements(synthesized, "staff_api") if "kms:TagResource" in _actions(st)]
    assert tag["Condition"]["StringEquals"] == request_tag

    # The worker signs but never creates; no other function touches signing keys at all.
    assert not [st for st in _kms_statements(synthesized, "certificate_generation")
                if {"kms:CreateKey", "kms:TagResource"} & set(_actions(st))]
    for fn in TOPOLOGY.functions:
        if fn.name not in ("staff_api", "certificate_generation"):
            assert _kms_statements(synthesized, fn.name) == [], fn.name


def test_the_verification_function_reads_certificates_and_nothing_personal(synthesized: Synthesized) -> None:
    touched: set[tuple[str, str]] = set()
    for statement in _statements(synthesized, "verify_api"):
        touched |= synthesized.referenced(statement["Resource"])
        assert not any(a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete", "s3:")) for a in
                       _actions(statement)), statement
    assert touched == {("table", "certificates"), ("table", "tenants"), ("key", "data")}
    assert _function(synthesized, "verify_api")["Properties"]["Environment"]["Variables"].keys() >= {
        "VS_TABLE_CERTIFICATES", "VS_TABLE_TENANTS", "VS_KEY_DATA"}


@pytest.mark.parametrize("name", ["certificates", "seals"])
def test_certificate_buckets_are_versioned_encrypted_and_never_expire(synthesized: Synthesized, name: str) -> None:
    resource = synthesized.data.to_json()["Resources"][synthesized.logical_ids["bucket", name]]
    props = resource["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
    assert not any("ExpirationInDays" in r for r in rules)
    assert resource["DeletionPolicy"] == "Retain"


def test_tag_conditioned_kms_wildcards_are_known_and_unconditioned_ones_are_not() -> None:
    conditioned = {"Statement": [{"Effect": "Allow", "Action": ["kms:Sign", "kms:GetPublicKey"],
                                  "Resource": "arn:aws:kms:ap-northeast-1:123456789012:key/*",
                                  "Condition": {"StringEquals": {"aws:ResourceTag/purpose": "certificate-signing"}}}]}
    bare = {"Statement": [{"Effect": "Allow", "Action": ["kms:Sign"],
                           "Resource": "arn:aws:kms:ap-northeast-1:123456789012:key/*"}]}
    assert [f for f, _ in nag.known_wildcard_findings(conditioned)] == [
        "Resource::arn:aws:kms:ap-northeast-1:123456789012:key/*"]
    assert list(nag.known_wildcard_findings(bare)) == []
