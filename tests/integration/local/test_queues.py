"""Queue pollers (the local event source mappings) and S3 → SQS notifications."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import unquote_plus

import requests
from aws_lambda_powertools.utilities.parser.models import SqsModel

from infra.local.provision import local_clients
from infra.local.stack import LocalStack
from tests.integration.local import records
from tests.integration.local.topology import TEST_TOPOLOGY


def _send(stack: LocalStack, **body: Any) -> str:
    item_id = str(uuid.uuid4())
    local_clients(stack.endpoint_url).sqs.send_message(
        QueueUrl=stack.resources.queue_urls["work"],
        MessageBody=json.dumps({"id": item_id, **body}),
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "test"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    return item_id


def _records_for(item_id: str) -> list[dict[str, Any]]:
    return [r for r in records.work_events if json.loads(r["body"])["id"] == item_id]


def test_successful_records_are_deleted_after_one_delivery(stack: LocalStack) -> None:
    ids = [_send(stack) for _ in range(4)]
    stack.wait_idle(20)

    assert all(records.attempts[i] == 1 for i in ids)
    assert stack.queue_depths()["work"] == 0
    assert stack.dlq_depths()["work"] == 0


def test_the_event_is_shaped_like_lambdas_sqs_event(stack: LocalStack) -> None:
    item_id = _send(stack)
    stack.wait_idle(20)

    (record,) = _records_for(item_id)
    SqsModel.model_validate({"Records": [record]})
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":vs-test-work")
    assert record["awsRegion"] == "ap-northeast-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["md5OfBody"]


def test_only_the_failed_record_of_a_batch_is_retried(stack: LocalStack) -> None:
    flaky = _send(stack, fail_times=1)
    fine = [_send(stack) for _ in range(3)]
    stack.wait_idle(20)

    assert records.attempts[flaky] == 2
    assert [r["attributes"]["ApproximateReceiveCount"] for r in _records_for(flaky)] == ["1", "2"]
    assert all(records.attempts[i] == 1 for i in fine)
    assert stack.dlq_depths()["work"] == 0


def _dlq_bodies(stack: LocalStack) -> list[dict[str, Any]]:
    sqs = local_clients(stack.endpoint_url).sqs
    messages = sqs.receive_message(
        QueueUrl=stack.resources.dlq_urls["work"], MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_record_that_always_fails_lands_in_the_dlq_after_max_receive_count(stack: LocalStack) -> None:
    doomed = _send(stack, fail_times=-1)
    stack.wait_idle(20)

    max_receive_count = TEST_TOPOLOGY.queue("work").max_receive_count
    assert records.attempts[doomed] == max_receive_count
    assert doomed in [b["id"] for b in _dlq_bodies(stack)]


def test_a_raising_handler_fails_the_whole_batch(stack: LocalStack) -> None:
    exploding = _send(stack, **{"raise": True})
    stack.wait_idle(20)

    assert records.attempts[exploding] == TEST_TOPOLOGY.queue("work").max_receive_count
    assert exploding in [b["id"] for b in _dlq_bodies(stack)]


def test_a_presigned_put_over_http_notifies_the_topology_queue(stack: LocalStack) -> None:
    s3 = local_clients(stack.endpoint_url).s3
    bucket = stack.resources.buckets["inbox"]
    key = f"434434/uploads/{uuid.uuid4()} 住民.csv"
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": "text/csv"}, ExpiresIn=300
    )
    assert url.startswith(stack.endpoint_url)

    response = requests.put(url, data="宛名番号\r\n1\r\n".encode("cp932"),
                            headers={"Content-Type": "text/csv"}, timeout=10)
    assert response.status_code == 200
    stack.wait_idle(20)

    bodies = [json.loads(r["body"]) for r in records.notifications]
    created = [rec for b in bodies for rec in b.get("Records", [])
               if unquote_plus(rec["s3"]["object"]["key"]) == key]
    assert len(created) == 1
    assert created[0]["eventName"].startswith("ObjectCreated:")
    assert created[0]["s3"]["bucket"]["name"] == bucket
    assert records.notifications[0]["eventSourceARN"].endswith(":vs-test-inbox-events")


def test_setting_the_notification_sends_an_s3_test_event(stack: LocalStack) -> None:
    """Observed moto behaviour (S3 does the same): the intake worker must skip these."""
    deadline = time.monotonic() + 10
    while not records.notifications and time.monotonic() < deadline:
        time.sleep(0.05)
    bodies = [json.loads(r["body"]) for r in records.notifications]
    assert any(b.get("Event") == "s3:TestEvent" for b in bodies)
