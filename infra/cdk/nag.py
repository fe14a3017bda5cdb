"""cdk-nag AwsSolutions at synth, and every acknowledgement with its reason.

cdk-nag 3 is a CDK policy-validation plugin (``Validations.of(app).add_plugins``), not an Aspect that
writes annotations: its findings land in ``validation-report.json`` of the cloud assembly and CDK
raises on synth when a plugin reports any finding, warning or error. Acknowledgements are recorded
with ``Validations.of(construct).acknowledge`` and cover the construct and everything under it, so
they are placed on the narrowest construct that needs them.

IAM5 findings name resolved references (``Resource::<UploadsBucket….Arn>/*``, or an export name once
the reference crosses stacks), which are only final after CDK has prepared the app. Function roles
therefore get a tree validation (run after prepare, before the plugins) that acknowledges exactly
the wildcard shapes listed in ``WILDCARD_ACTIONS`` / ``_wildcard_resource_reason``; any other
wildcard stays a finding and fails the synth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Acknowledgment, App, CfnResource, Stack, Validations, aws_iam
from cdk_nag import AwsSolutionsChecks
from constructs import Construct, IConstruct, IValidation

REPORT_FILE = "validation-report.json"

# Wildcard actions the CDK grant helpers emit, and why each is no wider than the grant it serves.
WILDCARD_ACTIONS: dict[str, str] = {
    "kms:GenerateDataKey*": "Envelope encryption with the data key (GenerateDataKey and "
                            "GenerateDataKeyWithoutPlaintext) for SSE-KMS objects, items and messages; "
                            "resource is the single data key.",
    "kms:ReEncrypt*": "ReEncryptFrom/To within the single data key, emitted by the CDK encrypt grant; "
                      "resource is the single data key.",
    "s3:GetObject*": "Read objects and their versions/attributes/tags in the one granted bucket "
                     "(topology grant read).",
    "s3:GetBucket*": "Bucket location/versioning lookups the SDK performs on the one granted bucket.",
    "s3:List*": "List the one granted bucket (prefixes per municipality), no other bucket.",
    "s3:Abort*": "Abort an incomplete multipart upload in the one granted bucket (topology grant write).",
}
XRAY_ACTIONS = frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords"})
# Actions on run-time KMS keys of a topology key family, always conditioned on the family's tag.
KEY_FAMILY_ACTIONS = frozenset({"kms:Sign", "kms:GetPublicKey", "kms:CreateKey", "kms:TagResource"})


def _tag_conditioned(condition: dict[str, Any]) -> bool:
    equals = condition.get("StringEquals") or {}
    return any(k.startswith(("aws:ResourceTag/", "aws:RequestTag/")) for k in equals)


def apply_checks(app: App) -> None:
    """Register AwsSolutions for every stack of the app."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one finding (``AwsSolutions-L1`` or ``AwsSolutions-IAM5[Action::s3:List*]``)."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def acknowledge_known_wildcards(role: aws_iam.Role) -> None:
    """Acknowledge, once references are resolved, the role's wildcards that are known grant shapes."""
    role.node.add_validation(_KnownWildcards(role))


@jsii.implements(IValidation)
class _KnownWildcards:
    def __init__(self, role: aws_iam.Role) -> None:
        self._role = role

    def validate(self) -> list[str]:
        for policy in _policies_of(self._role):
            document = Stack.of(policy).resolve(policy.policy_document)
            for finding, reason in known_wildcard_findings(document):
                acknowledge(self._role, f"AwsSolutions-IAM5[{finding}]", reason)
        return []


def _policies_of(role: Construct) -> Iterator[aws_iam.CfnPolicy]:
    for child in role.node.find_all():
        if isinstance(child, aws_iam.CfnPolicy):
            yield child


def known_wildcard_findings(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The IAM5 findings of a resolved policy document that match a known shape, with reasons.

    cdk-nag reports a wildcard resource once per policy, so it is acknowledged only when every
    statement that uses it is a known shape (X-Ray on "*" must not cover, say, DynamoDB on "*").
    """
    resource_reasons: dict[str, list[str | None]] = {}
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        for action in actions:
            if "*" in action and action in WILDCARD_ACTIONS:
                yield f"Action::{action}", WILDCARD_ACTIONS[action]
        for resource in _as_list(statement.get("Resource")):
            flat = flatten_cfn_reference(resource)
            if "*" in flat:
                resource_reasons.setdefault(flat, []).append(
                    _wildcard_resource_reason(flat, actions, statement.get("Condition") or {}))
    for flat, reasons in resource_reasons.items():
        if all(reasons) and reasons[0] is not None:
            yield f"Resource::{flat}", reasons[0]


def _wildcard_resource_reason(resource: str, actions: Iterable[str], condition: dict[str, Any]) -> str | None:
    actions = set(actions)
    if resource == "*" and actions <= XRAY_ACTIONS:
        return "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions."
    if actions <= KEY_FAMILY_ACTIONS and _tag_conditioned(condition) and (
            resource == "*" or resource.endswith(":key/*")):
        return ("Per-municipality signing keys are created at run time: no ARN exists to name, so the "
                "statement matches keys by the family's tag (aws:ResourceTag / aws:RequestTag), and "
                "CreateKey (which has no resource) only for the family's key spec and usage.")
    if resource.endswith("/*") and resource.count("*") == 1 and all(a.startswith("s3:") for a in actions):
        return ("Object keys in the one granted bucket: keys are <municipality code>/<kind>/<id>, "
                "created at run time; tenant isolation is enforced in the repository layer.")
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def flatten_cfn_reference(value: Any) -> str:
    """The string cdk-nag makes of a resolved reference (mirrors its ``flattenCfnReference``)."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(flatten_cfn_reference(i) for i in items)
        if "Fn::Sub" in value:
            return flatten_cfn_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten_cfn_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten_cfn_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def ignore_cfn_lint(resource: IConstruct, *checks: str) -> None:
    """Resource-level cfn-lint ignores, for patterns CDK itself emits."""
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    if not isinstance(cfn, CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource")
    cfn.add_metadata("cfn-lint", {"config": {"ignore_checks": list(checks)}})


def unacknowledged_findings(assembly_dir: Path) -> list[str]:
    """Every finding of the validation report, one line each (empty when the synth is clean)."""
    report_path = assembly_dir / REPORT_FILE
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text())
    lines: list[str] = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for resource in violation.get("violatingConstructs", []):
                where = resource.get("constructPath", "?")
                lines.append(f"{plugin.get('pluginName', '?')}: {violation.get('ruleName')} at {where}")
    return lines
