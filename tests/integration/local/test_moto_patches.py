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
