"""KioskStack: the REST API of the routes whose authorizer is a topology ``RequestAuthorizer`` (kiosk).

The kiosk API is its own REST API, apart from the staff API: every method runs the authorizer's Lambda
function (``kiosk_authorizer``; results never cached, each request has its own nonce), a Deny is
rendered as ``{"code", "message", "message_ja"}`` from the authorizer's context (403), and a request
missing a signing header is a 401 before the authorizer runs. The functions themselves are the
ServiceStack's (built from the topology with their grants like every other function).

Mutual TLS needs a custom domain, which comes from CDK context: ``kiosk_domain_name`` and
``kiosk_certificate_arn`` (an ACM certificate in the stack's region), with the trust store at
``s3://<kiosk_truststore bucket>/<kiosk_truststore_key>`` (default ``truststore.pem``;
``kiosk_truststore_version`` pins an object version; the bucket is versioned). With the domain, the
default execute-api endpoint is disabled, so kiosks can only come in over mutual TLS; point the domain's
DNS at the ``KioskApiDomainTarget`` output. API Gateway reads the trust store with the deploying
principal's permissions: s3:GetObject on the object and kms:Decrypt on the data key (the CDK bootstrap
execution role has both). Without those context values the kiosk API is synthesized on its execute-api
endpoint without mutual TLS (request signatures and the authorizer still apply): fit for a
verification environment only.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import (
    Annotations,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    aws_apigateway,
    aws_certificatemanager,
    aws_lambda,
    aws_logs,
)
from constructs import Construct

from infra import topology
from infra.cdk import defaults, nag, naming
from infra.cdk.stacks.data import DataStack
from infra.cdk.stacks.service import ServiceStack

_PATH_PARAMETER = re.compile(r"{(\w+)\+?}")
DENIED_TEMPLATE = ('{"code":"$context.authorizer.code","message":"$context.authorizer.message",'
                   '"message_ja":"$context.authorizer.message_ja"}')


class KioskStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: topology.Topology,
        authorizer: topology.RequestAuthorizer,
        data: DataStack,
        service: ServiceStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.spec = spec
        self.authorizer_spec = authorizer
        self._functions: dict[str, aws_lambda.IFunction] = {}
        prefix = naming.pascal(authorizer.name)
        domain_name = self.node.try_get_context(f"{authorizer.name}_domain_name")
        certificate_arn = self.node.try_get_context(f"{authorizer.name}_certificate_arn")
        self.custom_domain = bool(domain_name and certificate_arn and authorizer.truststore_bucket)

        access_logs = aws_logs.LogGroup(
            self, "ApiAccessLogs", retention=defaults.LOG_RETENTION, removal_policy=RemovalPolicy.RETAIN,
        )
        self.api = aws_apigateway.RestApi(
            self, f"{prefix}Api",
            description=f"{authorizer.description} (Lambda REQUEST authorizer on every route)",
            endpoint_types=[aws_apigateway.EndpointType.REGIONAL],
            disable_execute_api_endpoint=self.custom_domain,
            # The account-level CloudWatch role for execution logs is the staff API's (ServiceStack, deployed
            # first: this stack imports its functions).
            cloud_watch_role=False,
            deploy_options=defaults.api_stage_options(access_logs),
        )
        self.authorizer = aws_apigateway.RequestAuthorizer(
            self, f"{prefix}Authorizer",
            handler=self._function(service, authorizer.function),
            identity_sources=[aws_apigateway.IdentitySource.header(h) for h in authorizer.identity_headers],
            results_cache_ttl=Duration.seconds(0),
        )
        self.api.add_gateway_response(
            "AccessDenied", type=aws_apigateway.ResponseType.ACCESS_DENIED, status_code="403",
            templates={"application/json": DENIED_TEMPLATE},
        )
        self.api.add_gateway_response(
            "Unauthorized", type=aws_apigateway.ResponseType.UNAUTHORIZED, status_code="401",
            templates={"application/json": '{"code":"UNAUTHORIZED","message":"Unauthorized"}'},
        )
        self._methods(service)
        nag.acknowledge(
            self.api.deployment_stage, "AwsSolutions-APIG3",
            "No WAF web ACL yet: kiosks come in over mutual TLS with client certificates of the kiosk "
            "operators' CA, every request must carry a valid HMAC signature and the stage is throttled.",
        )
        if self.custom_domain:
            self._domain(data, str(domain_name), str(certificate_arn))
        else:
            Annotations.of(self.api).add_info(
                f"{authorizer.name} API without a custom domain, so without mutual TLS: set "
                f"-c {authorizer.name}_domain_name=... -c {authorizer.name}_certificate_arn=... for production")
            CfnOutput(self, f"{prefix}ApiUrl", value=self.api.url)

    def _function(self, service: ServiceStack, name: str) -> aws_lambda.IFunction:
        """The service stack's function, referenced by ARN so that the invoke permissions API Gateway
        needs are created here (on the function itself they would point back at this API: a cycle)."""
        if name not in self._functions:
            self._functions[name] = aws_lambda.Function.from_function_attributes(
                self, f"{naming.pascal(name)}Function", function_arn=service.functions[name].function.function_arn,
                same_environment=True,
            )
        return self._functions[name]

    def _methods(self, service: ServiceStack) -> None:
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True,
        )
        for route in self.spec.routes:
            if route.authorizer != self.authorizer_spec.name:
                continue
            method = self.api.root.resource_for_path(route.path).add_method(
                route.method,
                aws_apigateway.LambdaIntegration(self._function(service, route.function), allow_test_invoke=False),
                authorization_type=aws_apigateway.AuthorizationType.CUSTOM,
                authorizer=self.authorizer,
                request_validator=validator,
                request_parameters={f"method.request.path.{p}": True for p in _PATH_PARAMETER.findall(route.path)},
            )
            nag.acknowledge(
                method, "AwsSolutions-COG4",
                f"{route.method} {route.path} is called by kiosks, which are not Cognito users: each request is "
                "signed with the kiosk's own HMAC secret and checked by the Lambda REQUEST authorizer "
                "(registration, ±300 s timestamp, single-use nonce), over mutual TLS on the custom domain.",
            )

    def _domain(self, data: DataStack, domain_name: str, certificate_arn: str) -> None:
        spec = self.authorizer_spec
        assert spec.truststore_bucket is not None  # custom_domain requires it
        prefix = naming.pascal(spec.name)
        self.domain = aws_apigateway.DomainName(
            self, f"{prefix}Domain",
            domain_name=domain_name,
            certificate=aws_certificatemanager.Certificate.from_certificate_arn(
                self, f"{prefix}DomainCertificate", certificate_arn),
            endpoint_type=aws_apigateway.EndpointType.REGIONAL,
            security_policy=aws_apigateway.SecurityPolicy.TLS_1_2,
            mtls=aws_apigateway.MTLSConfig(
                bucket=data.buckets[spec.truststore_bucket].bucket,
                key=str(self.node.try_get_context(f"{spec.name}_truststore_key") or "truststore.pem"),
                version=self.node.try_get_context(f"{spec.name}_truststore_version"),
            ),
            mapping=self.api,
        )
        CfnOutput(self, f"{prefix}ApiDomainTarget", value=self.domain.domain_name_alias_domain_name,
                  description=f"point {domain_name} (CNAME or alias) at this regional domain name")
        CfnOutput(self, f"{prefix}ApiUrl", value=f"https://{domain_name}/")
