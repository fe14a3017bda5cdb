"""Integration fixtures: the real topology provisioned on a moto server bound to 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from victim_support import aws, wiring
from victim_support.settings import get_settings

from infra.local.moto_server import MotoServer
from infra.local.provision import Provisioned, provision
from infra.topology import TOPOLOGY

MASHIKI = "434434"
CHIYODA = "131016"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with MotoServer() as server:
        yield server.endpoint_url


@dataclass
class Cloud:
    endpoint: str
    provisioned: Provisioned

    @property
    def clients(self) -> aws.AwsClients:
        return aws.get_clients()

    def bucket(self, name: str) -> str:
        return self.provisioned.buckets[name]

    def queue_url(self, name: str) -> str:
        return self.provisioned.queue_urls[name]

    def drain(self, queue: str, handler: Callable[[dict[str, Any], Any], Any], max_rounds: int = 50) -> int:
        """Deliver every message of a queue to a handler as Lambda would (SQS event, partial batch
        response honoured); returns how many messages were handled."""
        from tests.integration.lambda_context import FakeContext

        sqs = self.clients.sqs
        url = self.queue_url(queue)
        handled = 0
        for _ in range(max_rounds):
            # Failed messages stay invisible until their visibility timeout: one pass per call.
            resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       AttributeNames=["All"])
            messages = resp.get("Messages", [])
            if not messages:
                return handled
            event = {"Records": [{
                "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": m.get("Attributes", {}), "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
                "eventSourceARN": self.provisioned.queue_arns[queue], "awsRegion": "ap-northeast-1",
            } for m in messages]}
            try:
                result = handler(event, FakeContext())
                failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
            except Exception:  # Lambda retries the whole batch when the handler raises
                failed = {m["MessageId"] for m in messages}
            for m in messages:
                if m["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    handled += 1
        return handled


@pytest.fixture
def cloud(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    provisioned = provision(TOPOLOGY, moto_endpoint)
    for var, value in provisioned.env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("VS_AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("VS_ENVIRONMENT", "local")
    monkeypatch.setenv("VS_CHUNK_ROWS", "200")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "VictimSupport")
    _reset_caches()
    yield Cloud(moto_endpoint, provisioned)
    _reset_caches()


def _reset_caches() -> None:
    get_settings.cache_clear()
    aws._clients = None
    wiring.reset()


def csv_bytes(rows: list[list[str]], encoding: str = "cp932", newline: str = "\r\n") -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    return buffer.getvalue().encode(encoding)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_body(records: list[dict[str, Any]]) -> str:
    return json.dumps({"Records": records})
