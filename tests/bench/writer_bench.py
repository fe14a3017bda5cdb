"""Client-side cost of writing residents to DynamoDB: BulkWriter vs boto3's Table.batch_writer().

The network is stubbed at 'before-send': botocore still builds, serialises and SigV4-signs every
BatchWriteItem request, then gets an empty-success response without anything leaving the process.
What remains is exactly the CPU a Lambda spends per item.

    .venv/bin/python -m tests.bench.writer_bench [n]
"""

from __future__ import annotations

import sys
import time
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped,unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
from victim_support.dynamo.attributes import to_item
from victim_support.dynamo.writer import BulkWriter

TABLE = "residents"
_REGION = "ap-northeast-1"


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def _ok_response(request: Any, **_: Any) -> AWSResponse:
    return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"},
                       _Body(b'{"UnprocessedItems":{}}'))


def _session() -> boto3.session.Session:
    # Dummy keys: signing runs for real, and no credential chain is consulted.
    return boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench",
                                 region_name=_REGION)


def resident_rows(n: int) -> list[dict[str, Any]]:
    """n items shaped like a stored resident (15 attributes, keys first)."""
    return [
        {
            "pk": "131016#G0001",
            "sk": f"P#{1000000000 + i}",
            "person_id": str(1000000000 + i),
            "household_id": str(2000000000 + i // 3),
            "name": "山田　太郎",
            "name_kana": "ヤマダ　タロウ",
            "birth_date": "1970-03-12",
            "sex": "1" if i % 2 else "2",
            "relationship": "世帯主",
            "postal_code": "1000001",
            "address": f"東京都千代田区千代田{i % 9 + 1}丁目{i % 20 + 1}番{i % 30 + 1}号",
            "address_extra": "千代田ハイツ101号" if i % 4 == 0 else "",
            "phone": "03-1234-5678",
            "care_needs": ["高齢者"] if i % 5 == 0 else [],
            "protected": i % 300 == 0,
        }
        for i in range(n)
    ]


def bench_writer(n: int) -> dict[str, float]:
    rows = resident_rows(n)
    session = _session()

    bulk_client = session.client("dynamodb", config=Config(parameter_validation=False,
                                                           retries={"mode": "standard"}))
    bulk_client.meta.events.register("before-send.dynamodb.BatchWriteItem", _ok_response)
    writer = BulkWriter(bulk_client, TABLE)
    start = time.perf_counter()
    stats = writer.put_items(to_item(row) for row in rows)
    bulk_s = time.perf_counter() - start
    assert stats.items == n

    resource = session.resource("dynamodb")
    resource.meta.client.meta.events.register("before-send.dynamodb.BatchWriteItem", _ok_response)
    table = resource.Table(TABLE)
    start = time.perf_counter()
    with table.batch_writer() as batch:
        for row in rows:
            batch.put_item(Item=row)
    boto_s = time.perf_counter() - start

    bulk_rate = n / bulk_s
    boto_rate = n / boto_s
    return {
        "n": float(n),
        "bulk_writer_items_per_s": bulk_rate,
        "batch_writer_items_per_s": boto_rate,
        "ratio": bulk_rate / boto_rate,
        "bulk_writer_s": bulk_s,
        "batch_writer_s": boto_s,
    }


if __name__ == "__main__":
    figures = bench_writer(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    for name, value in figures.items():
        print(f"{name:>26}: {value:,.2f}")
