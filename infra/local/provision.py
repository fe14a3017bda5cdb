"""Create every resource of a topology on the local moto server.

Only what the topology declares is created, with the settings it declares (keys, table keys and TTL,
queue redrive and timeouts, bucket encryption, lifecycle, CORS and notifications). The result is the
environment the handlers read through ``victim_support.settings``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from victim_support.aws import AwsClients
from victim_support.settings import Settings

from infra.local.moto_server import REGION
from infra.topology import Bucket, Queue, Table, Topology, env_var

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeDefinitionTypeDef,
        KeySchemaElementTypeDef,
    )
    from mypy_boto3_kms.client import KMSClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import QueueConfigurationTypeDef
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

DAY_S = 86_400
DEFAULT_PREFIX = "vs-local"
# Local browsers (a kiosk simulator) PUT to presigned URLs from a loopback origin.
_LOCAL_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*"]


def local_clients(endpoint_url: str) -> AwsClients:
    """The project's own client factory, pointed at the local endpoint (a new session each call, so
    every thread can have its own)."""
    return AwsClients(Settings(environment="local", region=REGION, endpoint_url=endpoint_url))


@dataclass
class Provisioned:
    """What was created: ``env`` is exactly one variable per topology resource (DLQs excluded:
    no function may be granted one)."""

    env: dict[str, str] = field(default_factory=dict)
    key_arns: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)
    dlq_urls: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)


def physical_name(prefix: str, name: str) -> str:
    """Bucket names may not contain underscores, so every kind uses hyphens alike."""
    return f"{prefix}-{name}".replace("_", "-").lower()


def provision(topology: Topology, endpoint_url: str, prefix: str = DEFAULT_PREFIX) -> Provisioned:
    topology.validate()
    clients = local_clients(endpoint_url)
    out = Provisioned()
    _keys(topology, clients.kms, prefix, out)
    for table in topology.tables:
        _table(table, clients.dynamodb, prefix, out)
    for queue in topology.queues:
        _queue(queue, clients.sqs, prefix, out)
    for bucket in topology.buckets:
        _bucket(bucket, clients.s3, prefix, out)
    return out


def _keys(topology: Topology, kms: KMSClient, prefix: str, out: Provisioned) -> None:
    for key in topology.keys:
        meta = kms.create_key(
            Description=key.description,
            KeyUsage=key.usage,
            KeySpec=key.key_spec,  # type: ignore[arg-type]
        )["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{physical_name(prefix, key.name)}", TargetKeyId=meta["KeyId"])
        if key.usage == "ENCRYPT_DECRYPT" and key.key_spec == "SYMMETRIC_DEFAULT":
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        out.key_arns[key.name] = meta["Arn"]
        # The ARN, not the bare id: every KMS, S3 and DynamoDB API accepts it, as the CDK side does.
        out.env[env_var("key", key.name)] = meta["Arn"]


def _table(table: Table, ddb: DynamoDBClient, prefix: str, out: Provisioned) -> None:
    name = physical_name(prefix, table.name)
    attributes: list[AttributeDefinitionTypeDef] = [
        {"AttributeName": table.partition_key, "AttributeType": "S"}
    ]
    schema: list[KeySchemaElementTypeDef] = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        attributes.append({"AttributeName": table.sort_key, "AttributeType": "S"})
        schema.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=attributes,
        KeySchema=schema,
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": out.key_arns[table.key]},
    )
    if table.ttl_attribute:
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
        )
    if table.point_in_time_recovery:
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    out.tables[table.name] = name
    out.env[env_var("table", table.name)] = name


def _queue_name(prefix: str, name: str, fifo: bool) -> str:
    return physical_name(prefix, name) + (".fifo" if fifo else "")


def _queue(queue: Queue, sqs: SQSClient, prefix: str, out: Provisioned) -> None:
    key_arn = out.key_arns[queue.key]
    common: dict[QueueAttributeNameType, str] = {"KmsMasterKeyId": key_arn}
    if queue.fifo:
        common["FifoQueue"] = "true"
    dlq_url = sqs.create_queue(
        QueueName=_queue_name(prefix, queue.dead_letter, queue.fifo),
        Attributes={**common, "MessageRetentionPeriod": str(queue.dlq_retention_days * DAY_S)},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
    url = sqs.create_queue(
        QueueName=_queue_name(prefix, queue.name, queue.fifo),
        Attributes={
            **common,
            "VisibilityTimeout": str(queue.visibility_timeout_s),
            "MessageRetentionPeriod": str(queue.retention_days * DAY_S),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    out.queue_urls[queue.name] = url
    out.queue_arns[queue.name] = arn
    out.dlq_urls[queue.name] = dlq_url
    out.env[env_var("queue", queue.name)] = url


def _bucket(bucket: Bucket, s3: S3Client, prefix: str, out: Provisioned) -> None:
    name = physical_name(prefix, bucket.name)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": out.key_arns[bucket.key],
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    if bucket.expire_days is not None:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "Expiration": {"Days": bucket.expire_days},
                    }
                ]
            },
        )
    if bucket.cors_put:
        s3.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedMethods": ["PUT"],
                        "AllowedOrigins": _LOCAL_ORIGINS,
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 300,
                    }
                ]
            },
        )
    if bucket.notifications:
        targets: list[QueueConfigurationTypeDef] = []
        for n in bucket.notifications:
            target: QueueConfigurationTypeDef = {
                "Id": f"{bucket.name}-to-{n.queue}",
                "QueueArn": out.queue_arns[n.queue],
                "Events": ["s3:ObjectCreated:*"],
            }
            if n.suffix:
                target["Filter"] = {"Key": {"FilterRules": [{"Name": "suffix", "Value": n.suffix}]}}
            targets.append(target)
        # moto (like S3) posts an s3:TestEvent to each target queue when this is set.
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"QueueConfigurations": targets}
        )
    out.buckets[bucket.name] = name
    out.env[env_var("bucket", bucket.name)] = name
