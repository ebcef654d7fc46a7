"""The bench's replay: answers recorded from moto come back in-process, and nothing else does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bench.replay import Tape, UnrecordedCall

TABLE = "bench-replay"


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


def _table(session: boto3.Session) -> Any:
    dynamodb = session.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "a"}, "v": {"N": "1"}})
    return dynamodb


def test_played_call_returns_the_recorded_answer_not_the_emulators_current_one(session: boto3.Session) -> None:
    # Given a GetItem recorded while the item held v=1, and the item changed since
    tape = Tape(session.events)
    dynamodb = _table(session)
    tape.record()
    dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "a"}})
    tape.stop()
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "a"}, "v": {"N": "2"}})

    # When the same call is played back twice (one rewind per invocation)
    tape.play()
    first = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "a"}})
    tape.rewind()
    second = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "a"}})

    # Then both answers are the recorded one
    assert first["Item"]["v"] == {"N": "1"}
    assert second["Item"]["v"] == {"N": "1"}
    assert tape.refused == []


def test_a_call_with_no_recorded_answer_is_refused_and_never_reaches_the_emulator(session: boto3.Session) -> None:
    # Given a recording of one GetItem
    tape = Tape(session.events)
    dynamodb = _table(session)
    tape.record()
    dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "a"}})
    tape.play()
    dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "a"}})

    # When an unrecorded operation, and a second GetItem in the same invocation, are made
    with pytest.raises(UnrecordedCall):
        dynamodb.delete_item(TableName=TABLE, Key={"PK": {"S": "a"}})
    with pytest.raises(UnrecordedCall):
        dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "a"}})

    # Then both are refused, named, and the item is still there
    assert tape.refused == ["dynamodb.DeleteItem", "dynamodb.GetItem"]
    tape.stop()
    assert dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "a"}})["Item"]["v"] == {"N": "1"}


def test_recorded_errors_and_object_bodies_play_back_as_they_were(session: boto3.Session) -> None:
    # Given a failed conditional write and a GetObject, recorded
    tape = Tape(session.events)
    dynamodb = _table(session)
    s3 = session.client("s3")
    s3.create_bucket(Bucket="bench-replay")
    s3.put_object(Bucket="bench-replay", Key="k", Body=b"%PDF-1.7 bytes")
    tape.record()
    with pytest.raises(ClientError):
        dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "a"}}, ConditionExpression="attribute_not_exists(PK)")
    assert s3.get_object(Bucket="bench-replay", Key="k")["Body"].read() == b"%PDF-1.7 bytes"

    # When both are played back twice
    tape.play()
    for _ in range(2):
        tape.rewind()
        with pytest.raises(ClientError) as failed:
            dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "b"}}, ConditionExpression="attribute_not_exists(PK)")
        body = s3.get_object(Bucket="bench-replay", Key="k")["Body"].read()

        # Then the error code and the object's bytes are the recorded ones, every time
        assert failed.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        assert body == b"%PDF-1.7 bytes"
    tape.stop()
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "b"}})
