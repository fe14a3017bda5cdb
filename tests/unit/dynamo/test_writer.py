from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]
from botocore.stub import Stubber  # type: ignore[import-untyped,unused-ignore]
from moto import mock_aws
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.dynamo.writer import BulkWriteError, BulkWriter, WriteStats

TABLE = "residents"


def _item(n: int, sk: str | None = None) -> dict[str, Any]:
    return to_item({"pk": "131016", "sk": sk or f"P#{n:05d}", "name": "山田　太郎", "n": n})


class FakeClient:
    """Scripted BatchWriteItem: each call pops the next behaviour (an error code, or how many of the
    sent requests to hand back as unprocessed); once the script is empty every call succeeds."""

    def __init__(self, script: Sequence[str | int] = ()) -> None:
        self.script = list(script)
        self.calls: list[list[dict[str, Any]]] = []

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        requests = RequestItems[TABLE]
        self.calls.append(list(requests))
        step = self.script.pop(0) if self.script else 0
        if isinstance(step, str):
            raise ClientError({"Error": {"Code": step, "Message": "scripted"}}, "BatchWriteItem")
        unprocessed = requests[len(requests) - step:] if step else []
        return {"UnprocessedItems": {TABLE: unprocessed} if unprocessed else {}}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _writer(client: Any, sleeps: Sleeps | None = None, **kwargs: Any) -> BulkWriter:
    return BulkWriter(client, TABLE, sleep=sleeps if sleeps is not None else Sleeps(),
                      rng=random.Random(7), **kwargs)


def test_items_are_sent_25_per_request_in_order() -> None:
    client = FakeClient()
    stats = _writer(client).put_items(_item(n) for n in range(60))
    assert [len(c) for c in client.calls] == [25, 25, 10]
    sent = [r["PutRequest"]["Item"]["n"]["N"] for call in client.calls for r in call]
    assert sent == [str(n) for n in range(60)]
    assert stats == WriteStats(items=60, requests=3, retries=0, unprocessed_resent=0)


def test_nothing_to_write_sends_nothing() -> None:
    client = FakeClient()
    assert _writer(client).put_items([]) == WriteStats()
    assert client.calls == []


def test_unprocessed_items_are_resent_after_a_jittered_backoff() -> None:
    client = FakeClient([5, 2])
    sleeps = Sleeps()
    stats = _writer(client, sleeps).put_items(_item(n) for n in range(25))
    assert [len(c) for c in client.calls] == [25, 5, 2]
    assert client.calls[1] == client.calls[0][20:]
    assert stats == WriteStats(items=25, requests=3, retries=2, unprocessed_resent=7)
    assert len(sleeps) == 2
    assert all(0.0 <= s <= 0.05 for s in sleeps)  # progress each time: backoff stays at the base


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "RequestLimitExceeded", "InternalServerError"])
def test_throttling_and_server_errors_are_retried(code: str) -> None:
    client = FakeClient([code, code])
    sleeps = Sleeps()
    stats = _writer(client, sleeps).put_items(_item(n) for n in range(3))
    assert len(client.calls) == 3
    assert stats == WriteStats(items=3, requests=3, retries=2, unprocessed_resent=0)
    assert len(sleeps) == 2


def test_backoff_grows_exponentially_and_is_capped() -> None:
    client = FakeClient(["ThrottlingException"] * 10)
    sleeps = Sleeps()
    BulkWriter(client, TABLE, sleep=sleeps, rng=random.Random(1), base_delay_s=1.0, max_delay_s=8.0,
               max_attempts=20).put_items([_item(1)])
    # full jitter: the n-th sleep is uniform(0, min(cap, base * 2**(n-1)))
    caps = [min(8.0, 1.0 * 2.0**n) for n in range(10)]
    assert all(0.0 <= s <= c for s, c in zip(sleeps, caps, strict=True))
    assert max(sleeps) <= 8.0
    assert max(sleeps[5:]) > 2.0  # the window did grow past the early caps


class _UpperBound(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_window_doubles_from_the_base() -> None:
    sleeps = Sleeps()
    BulkWriter(FakeClient(["ThrottlingException"] * 5), TABLE, sleep=sleeps, rng=_UpperBound(),
               base_delay_s=0.1, max_delay_s=1.0).put_items([_item(1)])
    assert sleeps == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0])


def test_gives_up_with_a_clear_error_after_max_attempts_without_progress() -> None:
    client = FakeClient(["ThrottlingException"] * 100)
    with pytest.raises(BulkWriteError) as err:
        _writer(client, max_attempts=4).put_items(_item(n) for n in range(30))
    assert len(client.calls) == 4
    assert err.value.pending == 25
    assert err.value.attempts == 4
    assert err.value.error_code == "ThrottlingException"
    assert err.value.stats.items == 0
    assert "山田" not in str(err.value)  # no resident data in the message


def test_stuck_unprocessed_items_fail_after_max_attempts() -> None:
    client = FakeClient([2] + [2] * 10)
    with pytest.raises(BulkWriteError) as err:
        _writer(client, max_attempts=3).put_items(_item(n) for n in range(10))
    assert err.value.pending == 2
    assert err.value.stats.items == 8


def test_progress_resets_the_attempt_budget() -> None:
    # 25 items, one written per send: 25 sends although max_attempts is 2
    client = FakeClient(list(range(24, 0, -1)))
    stats = _writer(client, max_attempts=2).put_items(_item(n) for n in range(25))
    assert stats.items == 25
    assert stats.requests == 25


def test_non_retryable_error_fails_at_once() -> None:
    client = FakeClient(["ValidationException"])
    with pytest.raises(BulkWriteError) as err:
        _writer(client).put_items([_item(1)])
    assert err.value.error_code == "ValidationException"
    assert isinstance(err.value.__cause__, ClientError)
    assert len(client.calls) == 1


def test_a_repeated_key_flushes_the_batch_early_and_the_later_item_wins() -> None:
    client = FakeClient()
    items = [_item(1, "P#1"), _item(2, "P#2"), _item(3, "P#1"), _item(4, "P#3")]
    stats = _writer(client).put_items(items)
    assert [len(c) for c in client.calls] == [2, 2]
    assert stats.items == 4
    assert client.calls[1][0]["PutRequest"]["Item"]["n"] == {"N": "3"}


def test_same_sort_key_under_another_partition_is_not_a_repeat() -> None:
    client = FakeClient()
    other = to_item({"pk": "011002", "sk": "P#00001"})
    _writer(client).put_items([_item(1), other])
    assert len(client.calls) == 1


def test_delete_keys_sends_delete_requests() -> None:
    client = FakeClient()
    keys = [to_item({"pk": "131016", "sk": f"P#{n}"}) for n in range(30)]
    stats = _writer(client).delete_keys(keys)
    assert stats.items == 30
    assert client.calls[0][0] == {"DeleteRequest": {"Key": keys[0]}}


def test_works_with_a_botocore_stubbed_client_returning_unprocessed_items() -> None:
    client = boto3.client("dynamodb", region_name="ap-northeast-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    items = [_item(n) for n in range(3)]
    requests = [{"PutRequest": {"Item": i}} for i in items]
    with Stubber(client) as stub:
        stub.add_response("batch_write_item", {"UnprocessedItems": {TABLE: requests[2:]}},
                          {"RequestItems": {TABLE: requests}})
        stub.add_client_error("batch_write_item", service_error_code="ThrottlingException",
                              expected_params={"RequestItems": {TABLE: requests[2:]}})
        stub.add_response("batch_write_item", {"UnprocessedItems": {}},
                          {"RequestItems": {TABLE: requests[2:]}})
        stats = _writer(client).put_items(items)
        stub.assert_no_pending_responses()
    assert stats == WriteStats(items=3, requests=3, retries=2, unprocessed_resent=1)


@pytest.fixture
def moto_table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-northeast-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _scan(client: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("scan").paginate(TableName=TABLE)
    return [from_item(i) for page in pages for i in page["Items"]]


def test_writes_and_deletes_real_items_in_moto(moto_table: Any) -> None:
    rows = [{"pk": "131016", "sk": f"P#{n:04d}", "name": "山田　太郎", "care_needs": ["高齢者"],
             "protected": n % 2 == 0, "version": n, "address_extra": None} for n in range(60)]
    writer = BulkWriter(moto_table, TABLE, sleep=Sleeps())
    stats = writer.put_items(to_item(r) for r in rows)
    assert stats.items == 60
    stored = sorted(_scan(moto_table), key=lambda r: r["sk"])
    assert stored == [{k: v for k, v in r.items() if v is not None} for r in rows]

    writer.delete_keys(to_item({"pk": r["pk"], "sk": r["sk"]}) for r in rows[:50])
    assert len(_scan(moto_table)) == 10


def test_repeated_keys_in_moto_are_written_last_one_wins(moto_table: Any) -> None:
    items = [to_item({"pk": "131016", "sk": "P#1", "v": n}) for n in range(3)]
    BulkWriter(moto_table, TABLE, sleep=Sleeps()).put_items(items)
    assert _scan(moto_table) == [{"pk": "131016", "sk": "P#1", "v": 2}]


def test_works_with_the_parameter_validation_free_client(moto_table: Any) -> None:
    client = boto3.client("dynamodb", region_name="ap-northeast-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing",
                          config=Config(parameter_validation=False))
    BulkWriter(client, TABLE, sleep=Sleeps()).put_items(_item(n) for n in range(30))
    assert len(_scan(moto_table)) == 30
