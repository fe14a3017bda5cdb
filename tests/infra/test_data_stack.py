"""The data stack encrypts, retains and wires every table, queue and bucket the topology declares."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.topology import TOPOLOGY
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def _resource(s: Synthesized, kind: str, name: str) -> dict[str, Any]:
    logical_id = s.logical_ids[kind, name]
    return dict(s.data.to_json()["Resources"][logical_id])


def _of_type(s: Synthesized, cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: dict(v) for k, v in s.data.find_resources(cfn_type).items()}


def _key_arn(s: Synthesized) -> dict[str, Any]:
    return {"Fn::GetAtt": [s.logical_ids["key", "data"], "Arn"]}


def test_the_stack_declares_exactly_the_topology_resources(synthesized: Synthesized) -> None:
    s = synthesized
    s.data.resource_count_is("AWS::DynamoDB::Table", len(TOPOLOGY.tables))
    s.data.resource_count_is("AWS::SQS::Queue", 2 * len(TOPOLOGY.queues))
    s.data.resource_count_is("AWS::KMS::Key", len(TOPOLOGY.keys))
    # Topology buckets plus the access-log bucket.
    s.data.resource_count_is("AWS::S3::Bucket", len(TOPOLOGY.buckets) + 1)


def test_keys_rotate_and_are_retained(synthesized: Synthesized) -> None:
    for key in TOPOLOGY.keys:
        resource = _resource(synthesized, "key", key.name)
        assert resource["Properties"]["EnableKeyRotation"] is True
        assert resource["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("table", TOPOLOGY.tables, ids=lambda t: t.name)
def test_every_table_is_keyed_and_encrypted_as_the_topology_says(synthesized: Synthesized, table: Any) -> None:
    resource = _resource(synthesized, "table", table.name)
    props = resource["Properties"]
    expected_keys = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        expected_keys.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    assert props["KeySchema"] == expected_keys
    assert props["SSESpecification"] == {
        "SSEEnabled": True, "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": [synthesized.logical_ids["key", table.key], "Arn"]},
    }
    pitr = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
    assert pitr is table.point_in_time_recovery
    if table.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": table.ttl_attribute, "Enabled": True}
    assert resource["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("queue", TOPOLOGY.queues, ids=lambda q: q.name)
def test_every_queue_has_its_encrypted_dlq_with_the_topology_redrive(synthesized: Synthesized, queue: Any) -> None:
    s = synthesized
    props = _resource(s, "queue", queue.name)["Properties"]
    dlq_props = _resource(s, "queue", queue.dead_letter)["Properties"]
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [s.logical_ids["queue", queue.dead_letter], "Arn"]},
        "maxReceiveCount": queue.max_receive_count,
    }
    assert props["VisibilityTimeout"] == queue.visibility_timeout_s
    assert props["MessageRetentionPeriod"] == queue.retention_days * 86400
    assert dlq_props["MessageRetentionPeriod"] == queue.dlq_retention_days * 86400
    for p in (props, dlq_props):
        assert p["KmsMasterKeyId"] == {"Fn::GetAtt": [s.logical_ids["key", queue.key], "Arn"]}


def test_every_dead_letter_queue_raises_an_alarm(synthesized: Synthesized) -> None:
    for queue in TOPOLOGY.queues:
        synthesized.data.has_resource_properties("AWS::CloudWatch::Alarm", {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Namespace": "AWS/SQS",
            "Dimensions": [{"Name": "QueueName", "Value": {
                "Fn::GetAtt": [synthesized.logical_ids["queue", queue.dead_letter], "QueueName"]}}],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
        })


def _denies_insecure_transport(statements: list[dict[str, Any]]) -> bool:
    return any(
        st["Effect"] == "Deny"
        and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for st in statements
    )


def test_every_bucket_and_queue_is_tls_only(synthesized: Synthesized) -> None:
    s = synthesized
    bucket_policies = _of_type(s, "AWS::S3::BucketPolicy").values()
    tls_buckets = {p["Properties"]["Bucket"]["Ref"] for p in bucket_policies
                   if _denies_insecure_transport(p["Properties"]["PolicyDocument"]["Statement"])}
    assert tls_buckets == set(_of_type(s, "AWS::S3::Bucket"))

    tls_queues: set[str] = set()
    for policy in _of_type(s, "AWS::SQS::QueuePolicy").values():
        if _denies_insecure_transport(policy["Properties"]["PolicyDocument"]["Statement"]):
            tls_queues |= {q["Ref"] for q in policy["Properties"]["Queues"]}
    assert tls_queues == set(_of_type(s, "AWS::SQS::Queue"))


@pytest.mark.parametrize("bucket", TOPOLOGY.buckets, ids=lambda b: b.name)
def test_every_data_bucket_is_kms_encrypted_private_versioned_logged_and_expiring(
    synthesized: Synthesized, bucket: Any,
) -> None:
    props = _resource(synthesized, "bucket", bucket.name)["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [{
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                          "KMSMasterKeyID": _key_arn(synthesized)},
    }]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LoggingConfiguration"]["LogFilePrefix"] == f"{bucket.name}/"
    if bucket.expire_days is not None:
        rules = props["LifecycleConfiguration"]["Rules"]
        assert {"ExpirationInDays": bucket.expire_days,
                "NoncurrentVersionExpiration": {"NoncurrentDays": bucket.expire_days},
                "Status": "Enabled"} in rules
    cors = props.get("CorsConfiguration", {}).get("CorsRules", [])
    assert [r["AllowedMethods"] for r in cors] == ([["PUT"]] if bucket.cors_put else [])


def test_object_created_notifications_go_to_the_topology_queue(synthesized: Synthesized) -> None:
    s = synthesized
    for bucket in TOPOLOGY.buckets:
        queues = [{"Fn::GetAtt": [s.logical_ids["queue", n.queue], "Arn"]} for n in bucket.notifications]
        if not queues:
            continue
        s.data.has_resource_properties("Custom::S3BucketNotifications", {
            "BucketName": {"Ref": s.logical_ids["bucket", bucket.name]},
            "NotificationConfiguration": {"QueueConfigurations": [
                Match.object_like({"Events": ["s3:ObjectCreated:*"], "QueueArn": q}) for q in queues
            ]},
        })


def test_s3_may_use_the_data_key_only_on_behalf_of_this_account(synthesized: Synthesized) -> None:
    policy = _resource(synthesized, "key", "data")["Properties"]["KeyPolicy"]["Statement"]
    s3_statements = [st for st in policy if st.get("Principal") == {"Service": "s3.amazonaws.com"}]
    assert s3_statements, "S3 must be able to send notifications to the encrypted queue"
    for st in s3_statements:
        assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        assert set(st["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}


def test_s3_may_send_to_a_queue_only_from_its_topology_bucket(synthesized: Synthesized) -> None:
    s = synthesized
    for bucket in TOPOLOGY.buckets:
        for notification in bucket.notifications:
            s.data.has_resource_properties("AWS::SQS::QueuePolicy", {
                "Queues": [{"Ref": s.logical_ids["queue", notification.queue]}],
                "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": {
                            "Fn::GetAtt": [s.logical_ids["bucket", bucket.name], "Arn"]}},
                        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                    },
                })])},
            })
