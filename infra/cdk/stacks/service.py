"""ServiceStack: the topology's functions, their grants and triggers, and the staff REST API.

Routes whose authorizer is a topology ``RequestAuthorizer`` (the kiosk routes) are not on the staff
API: ``KioskStack`` builds their own REST API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aws_cdk import (
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    aws_apigateway,
    aws_events,
    aws_events_targets,
    aws_iam,
    aws_lambda,
    aws_lambda_event_sources,
    aws_logs,
)
from constructs import Construct

from infra import topology
from infra.cdk import bundling, defaults, nag, naming
from infra.cdk.constructs.function import ServiceFunction
from infra.cdk.stacks.auth import AuthStack
from infra.cdk.stacks.data import DataStack

_PATH_PARAMETER = re.compile(r"{(\w+)\+?}")


class ServiceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: topology.Topology,
        data: DataStack,
        auth: AuthStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.spec = spec
        self.data = data
        code = aws_lambda.Code.from_asset(str(bundling.function_code()))
        layers = [
            aws_lambda.LayerVersion(
                self, "DomainLayer",
                description="victim_support: the shared domain library",
                code=aws_lambda.Code.from_asset(str(bundling.domain_layer())),
                compatible_runtimes=[defaults.RUNTIME],
                compatible_architectures=[defaults.ARCHITECTURE],
            ),
            aws_lambda.LayerVersion(
                self, "DepsLayer",
                description="Third-party runtime dependencies from pyproject.toml (boto3 excluded)",
                code=aws_lambda.Code.from_asset(str(bundling.deps_layer())),
                compatible_runtimes=[defaults.RUNTIME],
                compatible_architectures=[defaults.ARCHITECTURE],
            ),
        ]
        self.functions: dict[str, ServiceFunction] = {}
        for fn_spec in spec.functions:
            fn = ServiceFunction(self, fn_spec, code=code, layers=layers,
                                 resource_env=self._resource_env(fn_spec))
            for grant in fn_spec.grants:
                self._grant(fn.role, grant)
            for family_grant in fn_spec.key_families:
                self._key_family_grant(fn.role, family_grant)
            for trigger in fn_spec.triggers:
                fn.function.add_event_source(aws_lambda_event_sources.SqsEventSource(
                    data.queue(trigger.queue),
                    batch_size=trigger.batch_size,
                    max_batching_window=Duration.seconds(trigger.max_batching_window_s)
                    if trigger.max_batching_window_s else None,
                    report_batch_item_failures=True,
                ))
            for schedule in fn_spec.schedules:
                aws_events.Rule(
                    self, f"{naming.pascal(fn_spec.name)}{naming.pascal(schedule.name)}Schedule",
                    description=schedule.description,
                    schedule=aws_events.Schedule.expression(schedule.cron),
                    targets=[aws_events_targets.LambdaFunction(fn.function, retry_attempts=2)],
                )
            self.functions[fn_spec.name] = fn
        self.api = self._api(auth)

    def _resource_env(self, fn: topology.Function) -> dict[str, str]:
        """topology.env_for's variable names, each bound to the physical name CloudFormation assigns."""
        grants = {topology.env_var(g.kind, g.name): g for g in fn.grants}
        return {var: self._physical(grants[var]) for var in self.spec.env_for(fn)}

    def _physical(self, grant: topology.Grant) -> str:
        match grant.kind:
            case "table":
                return self.data.tables[grant.name].table_name
            case "queue":
                return self.data.queue(grant.name).queue_url
            case "bucket":
                return self.data.buckets[grant.name].bucket.bucket_name
            case "key":
                return self.data.keys[grant.name].key_arn

    def _grant(self, role: aws_iam.IRole, grant: topology.Grant) -> None:
        """One topology grant, as narrow as the CDK grant helpers allow."""
        read = grant.access in ("read", "read_write")
        write = grant.access in ("write", "read_write")
        calls: list[Callable[[aws_iam.IGrantable], object]] = []
        match grant.kind:
            case "table":
                table = self.data.tables[grant.name]
                calls = [table.grant_read_write_data if read and write
                         else table.grant_read_data if read else table.grant_write_data]
            case "bucket":
                bucket = self.data.buckets[grant.name].bucket
                # "write" is creating objects (presigned PUTs, reports): never delete or overwrite ACLs.
                calls = [*([bucket.grant_read] if read else []), *([bucket.grant_put] if write else [])]
            case "queue":
                queue = self.data.queue(grant.name)
                calls = [*([queue.grant_consume_messages] if read else []),
                         *([queue.grant_send_messages] if write else [])]
            case "key" if self.spec_key(grant.name).usage == "SIGN_VERIFY":
                key = self.data.keys[grant.name]
                # For a signing key, "write" is signing and "read" is verifying.
                calls = [key.grant_sign_verify if read and write
                         else key.grant_verify if read else key.grant_sign]
            case "key":
                key = self.data.keys[grant.name]
                calls = [key.grant_encrypt_decrypt if read and write
                         else key.grant_decrypt if read else key.grant_encrypt]
        for call in calls:
            call(role)

    def _key_family_grant(self, role: aws_iam.IRole, grant: topology.KeyFamilyGrant) -> None:
        """Keys created at run time have no ARN to name: the statements match them by the family's tag.

        Creating is allowed only for a key of the family's spec and usage that carries the tag from
        its creation (and tagging only with the family's tag keys), so this role cannot create or
        sign with any other kind of key.
        """
        family = next(f for f in self.spec.key_families if f.name == grant.family)
        sid = naming.pascal(family.name)
        keys_arn = Stack.of(self).format_arn(service="kms", resource="key", resource_name="*")
        role.add_to_principal_policy(aws_iam.PolicyStatement(
            sid=f"{sid}Sign", actions=["kms:Sign", "kms:GetPublicKey"], resources=[keys_arn],
            conditions={"StringEquals": {f"aws:ResourceTag/{family.tag_key}": family.tag_value}},
        ))
        if grant.access == "create":
            request_tag = {f"aws:RequestTag/{family.tag_key}": family.tag_value}
            tag_keys = {"aws:TagKeys": [family.tag_key, "municipality_code"]}
            role.add_to_principal_policy(aws_iam.PolicyStatement(
                sid=f"{sid}Create", actions=["kms:CreateKey"], resources=["*"],  # CreateKey has no resource
                conditions={"StringEquals": {**request_tag, "kms:KeySpec": family.key_spec,
                                             "kms:KeyUsage": family.usage},
                            "ForAllValues:StringEquals": tag_keys},
            ))
            role.add_to_principal_policy(aws_iam.PolicyStatement(
                sid=f"{sid}Tag", actions=["kms:TagResource"], resources=[keys_arn],
                conditions={"StringEquals": request_tag, "ForAllValues:StringEquals": tag_keys},
            ))

    def spec_key(self, name: str) -> topology.Key:
        return next(k for k in self.spec.keys if k.name == name)

    def _api(self, auth: AuthStack) -> aws_apigateway.RestApi:
        access_logs = aws_logs.LogGroup(
            self, "ApiAccessLogs", retention=defaults.LOG_RETENTION, removal_policy=RemovalPolicy.RETAIN,
        )
        authorizer = aws_apigateway.CognitoUserPoolsAuthorizer(
            self, "StaffAuthorizer", cognito_user_pools=[auth.user_pool],
        )
        api = aws_apigateway.RestApi(
            self, "StaffApi",
            description="Municipal staff and operator API (Cognito-authorized on every route but the public "
                        "certificate verification)",
            endpoint_types=[aws_apigateway.EndpointType.REGIONAL],
            # A certificate PDF posted to the public verification arrives base64-encoded to the function.
            binary_media_types=["application/pdf"],
            # Execution logs (ERROR only, no data trace) need the account-level CloudWatch role.
            cloud_watch_role=True,
            deploy_options=defaults.api_stage_options(access_logs),
        )
        validator = api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True,
        )
        integrations = {
            name: aws_apigateway.LambdaIntegration(fn.function, allow_test_invoke=False)
            for name, fn in self.functions.items()
        }
        for route in self.spec.routes:
            if self.spec.request_authorizer(route.authorizer) is not None:
                continue  # served by that authorizer's own API (KioskStack)
            public = route.authorizer == "none"
            # Operator routes use the same pool: the handler checks the "operators" group claim.
            method = api.root.resource_for_path(route.path).add_method(
                route.method,
                integrations[route.function],
                authorization_type=aws_apigateway.AuthorizationType.NONE if public
                else aws_apigateway.AuthorizationType.COGNITO,
                authorizer=None if public else authorizer,
                request_validator=validator,
                request_parameters={f"method.request.path.{p}": True
                                    for p in _PATH_PARAMETER.findall(route.path)},
            )
            if public:
                for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                    nag.acknowledge(
                        method, rule,
                        f"{route.method} {route.path} is the public certificate verification: whoever holds a "
                        "paper checks it without an account. It answers nothing without the certificate's "
                        "80-bit verification code (or the document itself), no personal data ever, and the "
                        "stage throttling caps it.",
                    )
        nag.acknowledge(
            api.deployment_stage, "AwsSolutions-APIG3",
            "No WAF web ACL yet: every route requires a Cognito token of an operator-created staff "
            "account and the stage is throttled; add a WAFv2 ACL when the API faces kiosks.",
        )
        nag.acknowledge(
            api, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                 "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level CloudWatch role: AWS documents exactly this managed policy "
            "for it, and it is needed for the stage's execution logs (APIG6).",
        )
        CfnOutput(self, "ApiUrl", value=api.url)
        return api
