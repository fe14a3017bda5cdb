"""Buckets: the access-log bucket and the topology's data buckets (SSE-KMS, TLS-only, logged)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack, aws_iam, aws_kms, aws_s3, aws_sqs, interfaces
from constructs import Construct

from infra import topology
from infra.cdk.naming import pascal


class AccessLogBucket(Construct):
    """Target of the data buckets' server access logs.

    S3 server access logging delivers only to SSE-S3 buckets, hence no KMS key here; the logs name
    object keys (municipality code and upload id), never file contents.
    """

    def __init__(self, scope: Construct, construct_id: str, *, expiry: Duration) -> None:
        super().__init__(scope, construct_id)
        self.bucket = aws_s3.Bucket(
            self, "Bucket",
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[aws_s3.LifecycleRule(
                expiration=expiry, noncurrent_version_expiration=Duration.days(1),
            )],
            removal_policy=RemovalPolicy.RETAIN,
        )


class DataBucket(Construct):
    """A topology bucket: SSE-KMS with a bucket key, versioned, logged, expiring, notifying."""

    def __init__(
        self,
        scope: Construct,
        spec: topology.Bucket,
        *,
        key: aws_kms.IKey,
        access_logs: aws_s3.IBucket,
        queues: Mapping[str, aws_sqs.Queue],
        cors_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, pascal(spec.name))
        self.spec = spec
        lifecycle = [aws_s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1))]
        if spec.expire_days is not None:
            # Versioning keeps overwritten files: expire those too, personal data must not linger.
            lifecycle.append(aws_s3.LifecycleRule(
                expiration=Duration.days(spec.expire_days),
                noncurrent_version_expiration=Duration.days(spec.expire_days),
            ))
        cors = [aws_s3.CorsRule(
            allowed_methods=[aws_s3.HttpMethods.PUT],
            allowed_origins=list(cors_origins),
            allowed_headers=["*"],
            exposed_headers=["ETag"],
            max_age=3000,
        )] if spec.cors_put else None
        self.bucket = aws_s3.Bucket(
            self, "Bucket",
            encryption=aws_s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=f"{spec.name}/",
            lifecycle_rules=lifecycle,
            cors=cors,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for notification in spec.notifications:
            filters = [aws_s3.NotificationKeyFilter(suffix=notification.suffix)] if notification.suffix else []
            self.bucket.add_event_notification(
                aws_s3.EventType.OBJECT_CREATED,
                ConditionedSqsDestination(queues[notification.queue], key, source=spec.name),
                *filters,
            )


@jsii.implements(aws_s3.IBucketNotificationDestination)
class ConditionedSqsDestination:
    """An SQS notification target whose S3 permissions are scoped to this account and bucket.

    CDK's ``SqsDestination`` grants the S3 service use of the queue's key with no condition; this
    one conditions the key policy on the source account (the bucket ARN cannot be named there: the
    bucket is encrypted with that key, so the reference would be circular) and the queue policy on
    both the account and the bucket ARN.
    """

    def __init__(self, queue: aws_sqs.Queue, key: aws_kms.IKey, *, source: str) -> None:
        self._queue = queue
        self._key = key
        self._source = source

    def bind(
        self, scope: Construct, bucket: interfaces.aws_s3.IBucketRef,
    ) -> aws_s3.BucketNotificationDestinationConfig:
        account = Stack.of(scope).account
        s3 = aws_iam.ServicePrincipal("s3.amazonaws.com")
        self._queue.add_to_resource_policy(aws_iam.PolicyStatement(
            sid=f"S3NotificationsFrom{pascal(self._source)}",
            principals=[s3],
            actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            resources=[self._queue.queue_arn],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_ref.bucket_arn},
                "StringEquals": {"aws:SourceAccount": account},
            },
        ))
        self._key.add_to_resource_policy(aws_iam.PolicyStatement(
            sid="S3NotificationsToEncryptedQueues",
            principals=[s3],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],  # in a key policy "*" is this key
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        # The queue policy must exist before S3 validates the destination (CDK names it "Policy").
        return aws_s3.BucketNotificationDestinationConfig(
            arn=self._queue.queue_arn,
            type=aws_s3.BucketNotificationDestinationType.QUEUE,
            dependencies=[self._queue.node.find_child("Policy")],
        )
