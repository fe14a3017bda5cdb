"""The one Lambda function construct: every default a function of this system shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, aws_iam, aws_lambda, aws_logs
from constructs import Construct

from infra import topology
from infra.cdk import defaults, nag
from infra.cdk.naming import pascal


class ServiceFunction(Construct):
    """A topology function: Python 3.12 on the chosen architecture, JSON logs, X-Ray, layers.

    Its role starts empty (no AWS managed policy): it may write to its own log group and send traces;
    every other permission is a topology grant added by the stack.
    """

    def __init__(
        self,
        scope: Construct,
        spec: topology.Function,
        *,
        code: aws_lambda.Code,
        layers: Sequence[aws_lambda.ILayerVersion],
        resource_env: Mapping[str, str],
    ) -> None:
        super().__init__(scope, f"{pascal(spec.name)}Function")
        self.spec = spec
        expected = set(topology.TOPOLOGY.env_for(spec))
        if set(resource_env) != expected:
            raise ValueError(f"{spec.name}: environment must name exactly its grants {sorted(expected)}")

        self.log_group = aws_logs.LogGroup(
            self, "Logs", retention=defaults.LOG_RETENTION, removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = aws_iam.Role(
            self, "Role",
            assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.name}: its log group, X-Ray, and the grants the topology declares",
        )
        # Scoped to this function's log group instead of AWSLambdaBasicExecutionRole's logs:* on *.
        self.log_group.grant_write(self.role)

        self.function = aws_lambda.Function(
            self, "Function",
            description=spec.description,
            runtime=defaults.RUNTIME,
            architecture=defaults.ARCHITECTURE,
            handler=spec.handler,
            code=code,
            layers=list(layers),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            reserved_concurrent_executions=spec.reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
            logging_format=aws_lambda.LoggingFormat.JSON,
            tracing=aws_lambda.Tracing.ACTIVE,
            environment={
                "POWERTOOLS_SERVICE_NAME": defaults.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": defaults.METRICS_NAMESPACE,
                "VS_ENVIRONMENT": "aws",
                **resource_env,
            },
        )
        nag.acknowledge_known_wildcards(self.role)
        nag.acknowledge(
            self.function, "AwsSolutions-L1",
            f"Pinned to {defaults.RUNTIME.name}: the deps layer's compiled wheels (pydantic-core, "
            f"wrapt) are built for cp{defaults.LAMBDA_PYTHON_VERSION.replace('.', '')}; move both together.",
        )
        # CDK makes a function DependsOn its role although the Role GetAtt already orders them.
        nag.ignore_cfn_lint(self.function, "W3005")
