"""The bench's moto shortcuts change what a call costs, never what it answers.

The same calls run on plain moto and with ``bench.moto_server.shortcuts()``; every answer
must be the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bench.moto_server import shortcuts

TABLE = "bench-shortcuts"
EVERY_KIND = {
    "text": {"S": "ä text"},
    "number": {"N": "12.50"},
    "blob": {"B": b"\x00\x01binary"},
    "texts": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"x", b"y"]},
    "nothing": {"NULL": True},
    "flag": {"BOOL": False},
    "nested": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"BOOL": True}}}]}}},
    "empty_map": {"M": {}},
    "empty_list": {"L": []},
}


def _table(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def _item(pk: str, sk: str, group: str, order: str) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "gsi1pk": {"S": group},
        "gsi1sk": {"S": order},
        **EVERY_KIND,
    }


def _query_index(client: Any, group: str) -> None:
    client.query(
        TableName=TABLE,
        IndexName="GSI1",
        KeyConditionExpression="gsi1pk = :g",
        ExpressionAttributeValues={":g": {"S": group}},
        ScanIndexForward=False,
    )


def _index_after_writes(client: Any) -> None:
    for number in range(6):
        client.put_item(TableName=TABLE, Item=_item(f"P#{number % 2}", f"S#{number}", f"G#{number % 3}", f"{number}"))
    _query_index(client, "G#1")
    # An update moves an item to another index partition; a delete takes one out.
    client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "P#1"}, "sk": {"S": "S#1"}},
        UpdateExpression="SET gsi1pk = :g",
        ExpressionAttributeValues={":g": {"S": "G#2"}},
        ReturnValues="ALL_NEW",
    )
    _query_index(client, "G#1")
    _query_index(client, "G#2")
    client.delete_item(TableName=TABLE, Key={"pk": {"S": "P#0"}, "sk": {"S": "S#2"}})
    _query_index(client, "G#2")
    client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "P#1"}, ":s": {"S": "S#"}},
    )
    client.get_item(TableName=TABLE, Key={"pk": {"S": "P#1"}, "sk": {"S": "S#3"}})
    client.batch_get_item(RequestItems={TABLE: {"Keys": [{"pk": {"S": "P#0"}, "sk": {"S": "S#0"}}]}})


def _failed_transaction(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=_item("P#t", "S#1", "G#t", "1"))
    with pytest.raises(ClientError):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _item("P#t", "S#2", "G#t", "2")}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "P#t"}, "sk": {"S": "S#1"}},
                        "UpdateExpression": "SET flag = :f",
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ExpressionAttributeValues": {":f": {"BOOL": True}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "P#t"}},
    )
    _query_index(client, "G#t")


def _answers(scenario: Callable[[Any], None]) -> list[tuple[str, int, bytes]]:
    """Every call's operation, status and body, after the table is made."""
    answers: list[tuple[str, int, bytes]] = []
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)

        def keep(http_response: Any, model: Any, **_: Any) -> None:
            answers.append((model.name, http_response.status_code, http_response.content))

        client.meta.events.register("after-call.dynamodb", keep)
        client.meta.events.register("after-call-error.dynamodb", lambda **_: None)
        scenario(client)
    return answers


@pytest.mark.parametrize("scenario", [_index_after_writes, _failed_transaction])
def test_answers_are_moto_s_own(scenario: Callable[[Any], None]) -> None:
    plain = _answers(scenario)
    with shortcuts():
        shortened = _answers(scenario)
    assert [operation for operation, _, _ in plain] == [operation for operation, _, _ in shortened]
    assert shortened == plain


def test_every_kind_of_value_comes_back() -> None:
    """The answers compared above hold every kind, nested: the comparison covers them all."""
    with shortcuts(), mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        client.put_item(TableName=TABLE, Item=_item("P", "S", "G", "1"))
        found = client.query(
            TableName=TABLE,
            IndexName="GSI1",
            KeyConditionExpression="gsi1pk = :g",
            ExpressionAttributeValues={":g": {"S": "G"}},
        )["Items"]
    assert found == [_item("P", "S", "G", "1")]


def test_index_follows_writes() -> None:
    with shortcuts(), mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        client.put_item(TableName=TABLE, Item=_item("P", "S", "G#old", "1"))

        def keys(group: str) -> list[str]:
            found = client.query(
                TableName=TABLE,
                IndexName="GSI1",
                KeyConditionExpression="gsi1pk = :g",
                ExpressionAttributeValues={":g": {"S": group}},
            )["Items"]
            return [item["sk"]["S"] for item in found]

        assert keys("G#old") == ["S"]
        client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "P"}, "sk": {"S": "S"}},
            UpdateExpression="SET gsi1pk = :g",
            ExpressionAttributeValues={":g": {"S": "G#new"}},
        )
        assert keys("G#old") == []
        assert keys("G#new") == ["S"]
