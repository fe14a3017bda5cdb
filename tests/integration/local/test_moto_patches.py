"""The local emulator's transactions: all-or-nothing as in DynamoDB, rolled back item by item."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.moto_server import MotoServer


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[object]:
    with MotoServer() as server:
        client = boto3.client("dynamodb", endpoint_url=server.endpoint_url, region_name="ap-northeast-1")
        client.create_table(
            TableName="tx", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
        )
        yield client


def _item(client: object, sk: str) -> dict[str, object] | None:
    item: dict[str, object] | None = client.get_item(  # type: ignore[attr-defined]
        TableName="tx", Key={"pk": {"S": "p"}, "sk": {"S": sk}}).get("Item")
    return item


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: object) -> None:
    client = dynamodb
    client.put_item(TableName="tx", Item={"pk": {"S": "p"}, "sk": {"S": "a"}, "v": {"N": "1"}})  # type: ignore[attr-defined]
    client.put_item(TableName="tx", Item={"pk": {"S": "p"}, "sk": {"S": "c"}, "v": {"N": "7"}})  # type: ignore[attr-defined]
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(TransactItems=[  # type: ignore[attr-defined]
            {"Update": {"TableName": "tx", "Key": {"pk": {"S": "p"}, "sk": {"S": "a"}},
                        "UpdateExpression": "SET v = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Put": {"TableName": "tx", "Item": {"pk": {"S": "p"}, "sk": {"S": "b"}, "v": {"N": "1"}}}},
            {"Delete": {"TableName": "tx", "Key": {"pk": {"S": "p"}, "sk": {"S": "c"}}}},
            {"ConditionCheck": {"TableName": "tx", "Key": {"pk": {"S": "p"}, "sk": {"S": "missing"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _item(client, "a") == {"pk": {"S": "p"}, "sk": {"S": "a"}, "v": {"N": "1"}}
    assert _item(client, "b") is None
    assert _item(client, "c") == {"pk": {"S": "p"}, "sk": {"S": "c"}, "v": {"N": "7"}}


def test_a_successful_transaction_applies_every_item(dynamodb: object) -> None:
    client = dynamodb
    client.transact_write_items(TransactItems=[  # type: ignore[attr-defined]
        {"Put": {"TableName": "tx", "Item": {"pk": {"S": "p"}, "sk": {"S": "x"}}}},
        {"Put": {"TableName": "tx", "Item": {"pk": {"S": "p"}, "sk": {"S": "y"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ])
    assert _item(client, "x") is not None
    assert _item(client, "y") is not None


# --- Queries read their partition --------------------------------------------------------------------

def _query_all(client: object, **kwargs: object) -> tuple[list[str], int]:
    """Every sort key a paged query returns, and how many pages it took."""
    found: list[str] = []
    pages = 0
    while True:
        resp = client.query(TableName="tx", **kwargs)  # type: ignore[attr-defined]
        pages += 1
        found += [item["sk"]["S"] for item in resp["Items"]]
        if "LastEvaluatedKey" not in resp:
            return found, pages
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


@pytest.fixture(scope="module")
def partitions(dynamodb: object) -> list[str]:
    client = dynamodb
    small = ["H#1", "H#1#E#2026", "H#1#P#10", "H#1#P#9", "H#12", "H#12#P#1", "K#山", "K#山田", "K#𠮷田"]
    items = [("big", f"H#{n:05d}") for n in range(1500)] + [("small", sk) for sk in small]
    for start in range(0, len(items), 25):
        client.batch_write_item(RequestItems={"tx": [  # type: ignore[attr-defined]
            {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, "odd": {"BOOL": n % 2 == 1}}}}
            for n, (pk, sk) in enumerate(items[start:start + 25], start=start)]})
    return sorted(small)


@pytest.mark.parametrize(("condition", "values", "expected"), [
    ("pk = :pk", {}, lambda keys: keys),
    ("pk = :pk AND begins_with(sk, :a)", {":a": "H#1#"}, lambda keys: [k for k in keys if k.startswith("H#1#")]),
    ("pk = :pk AND begins_with(sk, :a)", {":a": "K#山"}, lambda keys: ["K#山", "K#山田"]),
    ("pk = :pk AND sk BETWEEN :a AND :b", {":a": "H#1", ":b": "H#1$"}, lambda keys: [k for k in keys
                                                                                    if k.startswith("H#1") and not
                                                                                    k.startswith("H#12")]),
    ("pk = :pk AND sk = :a", {":a": "H#12"}, lambda keys: ["H#12"]),
    ("pk = :pk AND sk > :a", {":a": "H#12"}, lambda keys: [k for k in keys if k > "H#12"]),
])
@pytest.mark.parametrize("limit", [None, 1, 2, 100])
def test_a_query_answers_from_its_partition_in_key_order_page_by_page(
        dynamodb: object, partitions: list[str], condition: str, values: dict[str, str],
        expected: object, limit: int | None) -> None:
    kwargs: dict[str, object] = {
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": {":pk": {"S": "small"}, **{k: {"S": v} for k, v in values.items()}}}
    if limit is not None:
        kwargs["Limit"] = limit
    found, pages = _query_all(dynamodb, **kwargs)
    wanted = expected(partitions)  # type: ignore[operator]
    assert found == wanted
    if limit is not None:
        assert pages >= len(wanted) // limit


def test_a_filtered_query_of_a_large_partition_pages_as_before(dynamodb: object, partitions: list[str]) -> None:
    found, _ = _query_all(dynamodb, KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
                          FilterExpression="odd = :t", Limit=7,
                          ExpressionAttributeValues={":pk": {"S": "big"}, ":h": {"S": "H#01"}, ":t": {"BOOL": True}})
    assert found == [f"H#{n:05d}" for n in range(1000, 1500) if n % 2 == 1]
    newest, _ = _query_all(dynamodb, KeyConditionExpression="pk = :pk", ScanIndexForward=False, Limit=400,
                           ExpressionAttributeValues={":pk": {"S": "big"}})
    assert newest == [f"H#{n:05d}" for n in reversed(range(1500))]


# --- Items are written out as they are ---------------------------------------------------------------

def test_every_kind_of_attribute_value_reads_back_as_it_was_written(dynamodb: object) -> None:
    item = {
        "pk": {"S": "kinds"}, "sk": {"S": "𠮷田#1"}, "empty": {"S": ""}, "number": {"N": "-12.50"},
        "blob": {"B": b"\x00\xffMy Number ciphertext"}, "blobs": {"BS": [b"\x01", b"\x02\x03"]},
        "strings": {"SS": ["山田", "ヤマダ"]}, "numbers": {"NS": ["1", "2.5"]}, "nothing": {"NULL": True},
        "yes": {"BOOL": True}, "no": {"BOOL": False},
        "map": {"M": {"inner": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"deep": {"B": b"\x10"}}}, {"NULL": True}]},
                      "empty_map": {"M": {}}, "empty_list": {"L": []}}},
    }
    client = dynamodb
    client.put_item(TableName="tx", Item=item)  # type: ignore[attr-defined]
    got = client.get_item(TableName="tx", Key={"pk": item["pk"], "sk": item["sk"]})["Item"]  # type: ignore[attr-defined]
    queried = client.query(  # type: ignore[attr-defined]
        TableName="tx", KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "kinds"}})
    batch = client.batch_get_item(  # type: ignore[attr-defined]
        RequestItems={"tx": {"Keys": [{"pk": item["pk"], "sk": item["sk"]}]}})["Responses"]["tx"]

    def canonical(value: dict[str, object]) -> dict[str, object]:  # sets come back in any order
        return {name: {tag: sorted(v) if tag in ("SS", "NS", "BS") else v for tag, v in av.items()}  # type: ignore[attr-defined]
                for name, av in value.items()}

    for read in (got, queried["Items"][0], batch[0]):
        assert canonical(read) == canonical(item)


def test_an_item_over_400_kb_is_still_refused(dynamodb: object) -> None:
    client = dynamodb
    fits = {"pk": {"S": "size"}, "sk": {"S": "fits"}, **{f"a{n}": {"S": "x" * 9_000} for n in range(44)}}
    client.put_item(TableName="tx", Item=fits)  # type: ignore[attr-defined]
    too_big = {**fits, "sk": {"S": "too big"}, "a44": {"S": "x" * 9_000}, "a45": {"S": "x" * 9_000}}
    with pytest.raises(ClientError) as refused:
        client.put_item(TableName="tx", Item=too_big)  # type: ignore[attr-defined]
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in client.get_item(  # type: ignore[attr-defined]
        TableName="tx", Key={"pk": {"S": "size"}, "sk": {"S": "too big"}})
    assert "Item" in client.get_item(TableName="tx", Key={"pk": {"S": "size"}, "sk": {"S": "fits"}})  # type: ignore[attr-defined]


def test_a_projection_returns_the_attributes_named(dynamodb: object) -> None:
    client = dynamodb
    client.put_item(TableName="tx", Item={  # type: ignore[attr-defined]
        "pk": {"S": "projected"}, "sk": {"S": "1"}, "name": {"S": "山田"}, "ids": {"SS": ["1", "2"]},
        "map": {"M": {"a": {"N": "1"}, "b": {"NULL": True}, "c": {"L": [{"S": "x"}, {"S": "y"}]}}},
        "left_out": {"S": "not asked for"}})

    def projected(expression: str) -> dict[str, object]:
        names = {name: attribute for name, attribute in (("#n", "name"), ("#m", "map")) if name in expression}
        resp = client.query(  # type: ignore[attr-defined]
            TableName="tx", KeyConditionExpression="pk = :pk", ProjectionExpression=expression,
            ExpressionAttributeNames=names, ExpressionAttributeValues={":pk": {"S": "projected"}})
        item: dict[str, object] = resp["Items"][0]
        return item

    whole = projected("sk, #n, ids, #m, absent")
    assert sorted(whole.pop("ids")["SS"]) == ["1", "2"]  # type: ignore[index]
    assert whole == {"sk": {"S": "1"}, "name": {"S": "山田"},
                     "map": {"M": {"a": {"N": "1"}, "b": {"NULL": True}, "c": {"L": [{"S": "x"}, {"S": "y"}]}}}}
    assert projected("#m.a, #m.c[1]") == {"map": {"M": {"a": {"N": "1"}, "c": {"L": [{"S": "y"}]}}}}
