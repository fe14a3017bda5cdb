"""SQS event source mappings, locally: poll a queue, invoke the function with an SQS event shaped like
Lambda's, and acknowledge the way Lambda does with ``ReportBatchItemFailures`` enabled.

Successful records are deleted; failed ones are left on the queue with a short visibility so they are
retried quickly, and the queue's own RedrivePolicy moves them to its DLQ after ``maxReceiveCount``
receives (moto applies redrive when a message is received again, as SQS does).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from infra.local.runtime import Runtime, describe_failure
from infra.topology import Function, QueueTrigger

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

log = logging.getLogger(__name__)

SQS_MAX_BATCH = 10


def _lambda_attribute(value: MessageAttributeValueOutputTypeDef) -> dict[str, Any]:
    """SQS API message attribute -> the lower-camel form Lambda puts in the event."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(value["BinaryValue"]).decode() if "BinaryValue" in value else None,
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [base64.b64encode(v).decode() for v in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }


def build_sqs_event(messages: Sequence[MessageTypeDef], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": {
                    name: _lambda_attribute(value)
                    for name, value in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m["MD5OfBody"],
                **({"md5OfMessageAttributes": m["MD5OfMessageAttributes"]}
                   if "MD5OfMessageAttributes" in m else {}),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def failed_message_ids(result: Any, message_ids: Sequence[str]) -> set[str]:
    """The records to retry. As in Lambda: an empty or null response means all succeeded, and a
    response naming an identifier that is not in the batch fails the whole batch."""
    everything = set(message_ids)
    if result is None or (isinstance(result, Mapping) and not result.get("batchItemFailures")):
        return set()
    failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
    if not isinstance(failures, list):
        return everything
    ids = {f.get("itemIdentifier") for f in failures if isinstance(f, Mapping)}
    if len(ids) != len(failures) or not ids <= everything:
        return everything
    return {str(i) for i in ids}


class QueuePoller:
    """One queue trigger of one function, served by ``concurrency`` threads."""

    def __init__(
        self,
        *,
        function: Function,
        trigger: QueueTrigger,
        queue_url: str,
        queue_arn: str,
        runtime: Runtime,
        sqs_factory: Callable[[], SQSClient],
        concurrency: int = 2,
        wait_s: int = 1,
        retry_backoff_s: int = 1,
    ) -> None:
        self.function, self.trigger = function, trigger
        self.queue_url, self.queue_arn = queue_url, queue_arn
        self._runtime = runtime
        self._sqs_factory = sqs_factory
        if function.reserved_concurrency is not None:
            concurrency = min(concurrency, function.reserved_concurrency)
        self._concurrency = max(1, concurrency)
        self._wait_s = wait_s
        self._backoff_s = retry_backoff_s
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> QueuePoller:
        for n in range(self._concurrency):
            thread = threading.Thread(
                target=self._run, name=f"poller-{self.function.name}-{self.trigger.queue}-{n}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def request_stop(self) -> None:
        """Nothing new is received after this; batches in hand still finish."""
        self._stop.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        self.request_stop()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def _run(self) -> None:
        sqs: SQSClient = self._sqs_factory()
        while not self._stop.is_set():
            try:
                messages = self._receive(sqs)
                if messages:
                    self._process(sqs, messages)
            except Exception as exc:
                # A poller thread must outlive any SQS hiccup, as an event source mapping does.
                if self._stop.is_set():
                    return
                log.warning("poller %s: %s", self.trigger.queue, type(exc).__name__)
                self._stop.wait(0.5)

    def _receive_once(self, sqs: SQSClient, count: int, wait_s: int) -> list[MessageTypeDef]:
        return sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(SQS_MAX_BATCH, count),
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def _receive(self, sqs: SQSClient) -> list[MessageTypeDef]:
        batch = self._receive_once(sqs, self.trigger.batch_size, self._wait_s)
        # Lambda keeps gathering up to the batch size for at most the batching window.
        window_ends = time.monotonic() + self.trigger.max_batching_window_s
        while batch and len(batch) < self.trigger.batch_size and time.monotonic() < window_ends:
            more = self._receive_once(sqs, self.trigger.batch_size - len(batch), 0)
            if not more:
                self._stop.wait(0.05)
            batch += more
        return batch

    def _process(self, sqs: SQSClient, messages: list[MessageTypeDef]) -> None:
        with self._runtime.activity():
            ids = [m["MessageId"] for m in messages]
            event = build_sqs_event(messages, self.queue_arn, self._runtime.region)
            try:
                failed = failed_message_ids(self._runtime.invoke(self.function, event), ids)
            except Exception as exc:
                # As in Lambda, a function error fails the whole batch. The exception text may quote
                # record data: only its type and place are logged.
                log.error("function %s failed: %s", self.function.name, describe_failure(exc))
                failed = set(ids)
            done = [m for m in messages if m["MessageId"] not in failed]
            retry = [m for m in messages if m["MessageId"] in failed]
            for start in range(0, len(done), SQS_MAX_BATCH):
                sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done[start:start + SQS_MAX_BATCH])
                    ],
                )
            for start in range(0, len(retry), SQS_MAX_BATCH):
                sqs.change_message_visibility_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"],
                         "VisibilityTimeout": self._backoff_s}
                        for i, m in enumerate(retry[start:start + SQS_MAX_BATCH])
                    ],
                )
