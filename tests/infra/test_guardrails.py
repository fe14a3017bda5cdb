"""The synth is clean: no unacknowledged cdk-nag finding, cfn-lint passes, the deps layer is lean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import aws_sqs
from aws_cdk.assertions import Annotations, Match

from infra.cdk import bundling, nag
from infra.cdk.app import build, synthesize
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_cdk_nag_leaves_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    assert synthesized.findings == []
    assert (synthesized.outdir / nag.REPORT_FILE).exists(), "cdk-nag did not run"


def test_no_stack_carries_an_error_annotation(synthesized: Synthesized) -> None:
    for stack in synthesized.built.stacks:
        assert Annotations.from_stack(stack).find_error("*", Match.any_value()) == []


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    built = build(tmp_path / "cdk.out")
    aws_sqs.Queue(built.data, "PlainQueue")  # no KMS, no TLS-only policy, no DLQ
    findings = synthesize(built)
    assert any("AwsSolutions-SQS4" in f and "PlainQueue" in f for f in findings)


def test_cfn_lint_passes_on_every_template(synthesized: Synthesized) -> None:
    templates = synthesized.template_files()
    assert len(templates) == len(synthesized.built.stacks)
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), *map(str, templates)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deps_layer_ships_no_runtime_provided_package() -> None:
    site = bundling.deps_layer() / "python"
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "pydantic_core").is_dir()
    assert bundling.runtime_provided_in(site) == []
    assert not (site / "boto3").exists() and not (site / "botocore").exists()


def test_the_deps_layer_is_built_for_the_lambda_architecture() -> None:
    site = bundling.deps_layer() / "python"
    (extension,) = (site / "pydantic_core").glob("_pydantic_core.*.so")
    assert "cpython-312-aarch64-linux-gnu" in extension.name


def test_the_layer_requirements_come_from_pyproject_without_boto3() -> None:
    runtime = bundling.runtime_requirements()
    layer = bundling.layer_requirements(runtime)
    assert any(r.startswith("boto3") for r in runtime)
    assert not any(bundling.requirement_name(r) in bundling.RUNTIME_PROVIDED for r in layer)
    assert len(layer) == len(runtime) - 1


def test_the_function_asset_holds_only_the_functions_package() -> None:
    assert [p.name for p in bundling.function_code().iterdir()] == ["functions"]
    assert (bundling.domain_layer() / "python" / "victim_support" / "__init__.py").is_file()


def test_known_wildcards_are_acknowledged_and_others_are_not() -> None:
    bucket_objects = {"Fn::Join": ["", [{"Fn::ImportValue": "Data:ExportsBucketArn"}, "/*"]]}
    document = {"Statement": [
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject*"], "Resource": bucket_objects},
        {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": "*"},
    ]}
    findings = {f for f, _ in nag.known_wildcard_findings(document)}
    # X-Ray's "*" must not cover DynamoDB's "*": cdk-nag reports Resource::* once per policy.
    assert findings == {"Action::s3:GetObject*", "Resource::Data:ExportsBucketArn/*"}
    assert {f for f, _ in nag.known_wildcard_findings({"Statement": document["Statement"][:2]})} == {
        "Resource::*", "Action::s3:GetObject*", "Resource::Data:ExportsBucketArn/*"}


def test_flattening_matches_cdk_nag() -> None:
    assert nag.flatten_cfn_reference({"Fn::GetAtt": ["Bucket", "Arn"]}) == "<Bucket.Arn>"
    assert nag.flatten_cfn_reference({"Fn::Sub": "arn:${AWS::Partition}:s3:::x/*"}) == \
        "arn:<AWS::Partition>:s3:::x/*"
    assert nag.flatten_cfn_reference({"Ref": "Queue"}) == "<Queue>"
