"""DataStack: keys, tables, queues (with DLQs and alarms), buckets (with the access-log bucket)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import RemovalPolicy, Stack, aws_dynamodb, aws_kms, aws_sqs
from constructs import Construct

from infra import topology
from infra.cdk import defaults, nag
from infra.cdk.constructs.bucket import AccessLogBucket, DataBucket
from infra.cdk.constructs.queue import EncryptedQueue
from infra.cdk.naming import pascal


class DataStack(Stack):
    """Everything that holds residents' data. Stateful resources are retained on stack deletion."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: topology.Topology,
        cors_origins: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.spec = spec
        self.keys: dict[str, aws_kms.Key] = {
            k.name: aws_kms.Key(
                self, f"{pascal(k.name)}Key",
                description=k.description,
                key_usage=aws_kms.KeyUsage(k.usage),
                key_spec=aws_kms.KeySpec(k.key_spec),
                # Rotation exists only for symmetric keys; a signing key keeps its public key stable.
                enable_key_rotation=k.key_spec == "SYMMETRIC_DEFAULT",
                removal_policy=RemovalPolicy.RETAIN,
            )
            for k in spec.keys
        }
        self.tables: dict[str, aws_dynamodb.Table] = {t.name: self._table(t) for t in spec.tables}
        self.queues: dict[str, EncryptedQueue] = {
            q.name: EncryptedQueue(self, q, key=self.keys[q.key]) for q in spec.queues
        }
        self.access_logs = AccessLogBucket(self, "AccessLogs", expiry=defaults.ACCESS_LOG_EXPIRY)
        nag.acknowledge(
            self.access_logs, "AwsSolutions-S1",
            "This is the server-access-log target of the data buckets; logging it into itself "
            "would loop and S3 does not allow chaining a second log bucket without another target.",
        )
        queues = {name: q.queue for name, q in self.queues.items()}
        self.buckets: dict[str, DataBucket] = {
            b.name: DataBucket(self, b, key=self.keys[b.key], access_logs=self.access_logs.bucket,
                               queues=queues, cors_origins=cors_origins)
            for b in spec.buckets
        }
        self._acknowledge_notification_handler()

    def _table(self, spec: topology.Table) -> aws_dynamodb.Table:
        table = aws_dynamodb.Table(
            self, f"{pascal(spec.name)}Table",
            partition_key=aws_dynamodb.Attribute(name=spec.partition_key,
                                                 type=aws_dynamodb.AttributeType.STRING),
            sort_key=aws_dynamodb.Attribute(name=spec.sort_key, type=aws_dynamodb.AttributeType.STRING)
            if spec.sort_key else None,
            billing_mode=aws_dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=aws_dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.keys[spec.key],
            point_in_time_recovery_specification=aws_dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=spec.point_in_time_recovery,
            ),
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if not spec.point_in_time_recovery:
            nag.acknowledge(
                table, "AwsSolutions-DDB3",
                f"{spec.name}: the topology disables PITR; its items are short-lived (TTL on "
                f"{spec.ttl_attribute}) and rebuildable, not records of residents.",
            )
        return table

    def _acknowledge_notification_handler(self) -> None:
        """CDK's bucket-notification custom resource: a framework Lambda we do not write."""
        for child in self.node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                for rule, reason in (
                    ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                     "AWSLambdaBasicExecutionRole]",
                     "CDK's BucketNotificationsHandler custom resource ships with the basic execution "
                     "role; it only writes its own logs."),
                    ("AwsSolutions-IAM5[Resource::*]",
                     "CDK's BucketNotificationsHandler needs s3:PutBucketNotification; CDK emits it on "
                     "'*' and the handler runs only at deployment."),
                    ("AwsSolutions-L1",
                     "CDK's BucketNotificationsHandler runtime is chosen by aws-cdk-lib, not by us."),
                ):
                    nag.acknowledge(child, rule, reason)
                nag.ignore_cfn_lint(child, "W3005")  # CDK's DependsOn on the role it also GetAtts

    def queue(self, name: str) -> aws_sqs.Queue:
        return self.queues[name].queue
