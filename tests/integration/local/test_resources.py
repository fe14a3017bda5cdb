"""Provisioning: every topology resource, with the settings the topology declares, and nothing else."""

from __future__ import annotations

import json
import os

from victim_support.settings import get_settings

from infra.local.provision import local_clients
from infra.local.stack import LocalStack
from infra.topology import env_var
from tests.integration.local.topology import TEST_TOPOLOGY


def test_the_env_names_exactly_the_topology_resources(stack: LocalStack) -> None:
    expected = (
        {env_var("key", k.name) for k in TEST_TOPOLOGY.keys}
        | {env_var("table", t.name) for t in TEST_TOPOLOGY.tables}
        | {env_var("queue", q.name) for q in TEST_TOPOLOGY.queues}
        | {env_var("bucket", b.name) for b in TEST_TOPOLOGY.buckets}
    )
    resource_vars = {name for name in stack.env if name.split("_")[1] in {"KEY", "TABLE", "QUEUE", "BUCKET"}}

    assert resource_vars == expected
    assert stack.env["VS_ENVIRONMENT"] == "local"
    assert stack.env["VS_AWS_ENDPOINT_URL"] == stack.endpoint_url
    settings = get_settings()
    assert set(settings.tables) == {t.name for t in TEST_TOPOLOGY.tables}
    assert set(settings.queues) == {q.name for q in TEST_TOPOLOGY.queues}
    assert settings.endpoint_url == stack.endpoint_url
    assert all(os.environ[name] == value for name, value in stack.env.items())


def test_tables_are_encrypted_with_the_topology_key_and_keyed_as_declared(stack: LocalStack) -> None:
    ddb = local_clients(stack.endpoint_url).dynamodb
    key_arn = stack.resources.key_arns["data"]
    for table in TEST_TOPOLOGY.tables:
        described = ddb.describe_table(TableName=stack.resources.tables[table.name])["Table"]
        assert described["SSEDescription"]["SSEType"] == "KMS"
        assert described["SSEDescription"]["KMSMasterKeyArn"] == key_arn
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        schema = {k["KeyType"]: k["AttributeName"] for k in described["KeySchema"]}
        assert schema == ({"HASH": table.partition_key, "RANGE": table.sort_key} if table.sort_key
                          else {"HASH": table.partition_key})
    ttl = ddb.describe_time_to_live(TableName=stack.resources.tables["things"])["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


def test_queues_are_encrypted_and_redrive_to_their_dlq_as_declared(stack: LocalStack) -> None:
    sqs = local_clients(stack.endpoint_url).sqs
    key_arn = stack.resources.key_arns["data"]
    for queue in TEST_TOPOLOGY.queues:
        attrs = sqs.get_queue_attributes(QueueUrl=stack.resources.queue_urls[queue.name],
                                         AttributeNames=["All"])["Attributes"]
        dlq = sqs.get_queue_attributes(QueueUrl=stack.resources.dlq_urls[queue.name],
                                       AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attrs["RedrivePolicy"])
        assert redrive == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": queue.max_receive_count}
        assert attrs["VisibilityTimeout"] == str(queue.visibility_timeout_s)
        assert attrs["MessageRetentionPeriod"] == str(queue.retention_days * 86_400)
        assert dlq["MessageRetentionPeriod"] == str(queue.dlq_retention_days * 86_400)
        assert attrs["KmsMasterKeyId"] == dlq["KmsMasterKeyId"] == key_arn


def test_buckets_are_kms_encrypted_private_and_notify_their_queue(stack: LocalStack) -> None:
    s3 = local_clients(stack.endpoint_url).s3
    bucket = stack.resources.buckets["inbox"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]

    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": stack.resources.key_arns["data"]}
    assert all(block.values()) and len(block) == 4
    assert [(n["QueueArn"], n["Events"]) for n in notification] == [
        (stack.resources.queue_arns["inbox_events"], ["s3:ObjectCreated:*"])]
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["Expiration"]["Days"] == 7


def test_physical_names_carry_the_prefix(stack: LocalStack) -> None:
    assert stack.resources.tables["things"] == "vs-test-things"
    assert stack.resources.buckets["inbox"] == "vs-test-inbox"
    assert stack.resources.queue_urls["inbox_events"].endswith("/vs-test-inbox-events")
    assert stack.resources.dlq_urls["work"].endswith("/vs-test-work-dlq")
