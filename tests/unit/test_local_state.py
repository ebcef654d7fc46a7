"""The pieces of make run's memory: which recorded requests are replayed, the SMS log, the state lock."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import recording, state
from local.sms import SmsLog

SCOPE = "Credential=testing/20261201/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=00"


def recorded(method: str, url: str, service: str | None = None, target: str = "", body: bytes = b"") -> dict[str, Any]:
    """A line as moto's recorder writes it."""
    headers = {"Host": "127.0.0.1:3001"}
    if service:
        headers["Authorization"] = f"AWS4-HMAC-SHA256 {SCOPE.format(service)}"
    if target:
        headers["X-Amz-Target"] = target
    if body.startswith(b"Action="):
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    return {
        "headers": headers,
        "method": method,
        "url": url,
        "body": base64.b64encode(body).decode(),
        "body_encoded": True,
    }


BASE = "http://127.0.0.1:3001"


@pytest.mark.parametrize(
    ("entry", "replayed"),
    [
        (recorded("POST", f"{BASE}/", "dynamodb", "DynamoDB_20120810.PutItem"), True),
        (recorded("POST", f"{BASE}/", "dynamodb", "DynamoDB_20120810.TransactWriteItems"), True),
        (recorded("POST", f"{BASE}/", "dynamodb", "DynamoDB_20120810.Query"), False),
        (recorded("POST", f"{BASE}/", "dynamodb", "DynamoDB_20120810.BatchGetItem"), False),
        (recorded("PUT", f"{BASE}/bucket/accounts/12/a.png", "s3"), True),
        (recorded("POST", f"{BASE}/bucket"), True),  # a browser's presigned POST upload: no Authorization
        (recorded("GET", f"{BASE}/bucket/a.png?X-Amz-Signature=0"), False),  # a presigned download
        (recorded("HEAD", f"{BASE}/bucket/a.png", "s3"), False),
        (recorded("DELETE", f"{BASE}/bucket/a.png", "s3"), True),
        (recorded("POST", f"{BASE}/", "sns", body=b"Action=Publish&PhoneNumber=%2B447777123456"), False),
        (recorded("POST", f"{BASE}/", "sns", body=b"Action=CreateTopic&Name=t"), True),
        (recorded("POST", f"{BASE}/", "sqs", "AmazonSQS.ReceiveMessage"), False),
        (recorded("POST", f"{BASE}/", "sqs", "AmazonSQS.DeleteMessageBatch"), False),
        (recorded("POST", f"{BASE}/", "events", "AWSEvents.PutEvents"), False),
        (recorded("GET", f"{BASE}/moto-api/data.json"), False),
    ],
    ids=lambda value: value if isinstance(value, bool) else f"{value['method']} {recording.describe(value)}",
)
def test_only_requests_that_change_stored_data_are_replayed(entry, replayed):
    assert recording.is_mutation(entry) is replayed


def test_item_writes_are_the_ones_the_snapshot_replaces():
    assert recording.is_item_write(recorded("POST", f"{BASE}/", "dynamodb", "DynamoDB_20120810.UpdateItem"))
    assert not recording.is_item_write(recorded("PUT", f"{BASE}/bucket/a.png", "s3"))


def test_a_log_cut_short_or_written_by_two_threads_at_once_is_still_read(tmp_path: Path):
    # Given two requests recorded on one line (two threads appending at once) and a line cut short by a kill
    first = recorded("PUT", f"{BASE}/bucket/a", "s3")
    second = recorded("PUT", f"{BASE}/bucket/b", "s3")
    log = tmp_path / "aws-requests.jsonl"
    log.write_text(json.dumps(first) + json.dumps(second) + "\n" + json.dumps(first)[:40])
    # When it is read
    entries, unreadable = recording.read_entries(log)
    # Then both whole requests are there and the torn one is counted, not fatal
    assert [e["url"] for e in entries] == [f"{BASE}/bucket/a", f"{BASE}/bucket/b"]
    assert unreadable == 1


def publish_sms(number: str, text: str) -> None:
    boto3.client("sns", region_name="us-east-1").publish(PhoneNumber=number, Message=text)


def test_the_sms_log_records_what_sns_sent_and_outlives_the_process(tmp_path: Path):
    from moto import mock_aws

    path = tmp_path / "sms.jsonl"
    with mock_aws():  # (moto gives boto3 a fresh default session while it mocks)
        # Given an SMS log kept in a file, listening to boto3's default session
        log = SmsLog(path).attach()
        # When a function publishes an SMS, and a topic message (not an SMS)
        publish_sms("+447777123456", "Respond here: http://127.0.0.1:3000/r/abc")
        topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="t")["TopicArn"]
        boto3.client("sns", region_name="us-east-1").publish(TopicArn=topic, Message="not an sms")
    # Then only the SMS is listed, with its time, and a new log on the same file (a restart) lists it too
    (message,) = log.messages()
    assert message["to"] == "+447777123456" and message["body"].endswith("/r/abc") and message["sent_at"]
    assert SmsLog(path).messages() == [message]


def test_the_sms_log_reads_what_another_process_appended(tmp_path: Path):
    path = tmp_path / "sms.jsonl"
    served = SmsLog(path)
    assert served.messages() == []
    # Given another process (make invoke) appends an SMS to the same file
    SmsLog(path).record({"to": "+447777000111", "body": "hello"})
    # Then the server lists it without rereading what it had
    assert [m["to"] for m in served.messages()] == ["+447777000111"]


def test_one_owner_of_the_state_at_a_time(tmp_path: Path):
    owner = state.StateLock(tmp_path)
    owner.acquire()
    try:
        with pytest.raises(state.StateBusy):
            state.StateLock(tmp_path).acquire()
        with pytest.raises(state.StateBusy):
            state.reset(tmp_path)
    finally:
        owner.release()
    assert state.StateLock(tmp_path).try_acquire()


def test_binary_attributes_survive_the_snapshot(tmp_path: Path):
    from moto import mock_aws

    # Given a table item with binary values, at the top level and nested, and an attribute named "B"
    item = {
        "PK": {"S": "X#1"},
        "SK": {"S": "X"},
        "B": {"S": "a string attribute named B"},
        "blob": {"B": b"\x00\xff"},
        "blobs": {"BS": [b"\x01", b"\x02"]},
        "nested": {"M": {"inner": {"L": [{"B": b"\x03"}, {"N": "4"}]}}},
    }
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        keys = {"AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")]}
        schema = [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}]
        dynamodb.create_table(TableName="t", KeySchema=schema, BillingMode="PAY_PER_REQUEST", **keys)
        dynamodb.put_item(TableName="t", Item=item)
        # When it is written to the log as a snapshot line, and loaded back into an empty table
        (line,) = recording._snapshot(dynamodb)
        json.dumps(line)  # the log is JSON
        dynamodb.delete_item(TableName="t", Key={"PK": item["PK"], "SK": item["SK"]})
        recording._load_items(dynamodb, "t", line["items"])
        # Then the item is as it was
        assert dynamodb.get_item(TableName="t", Key={"PK": item["PK"], "SK": item["SK"]})["Item"] == item


def test_a_snapshot_is_taken_when_it_costs_less_than_replaying_the_writes_again():
    put = recorded("POST", f"{BASE}/", "dynamodb", "DynamoDB_20120810.PutItem")
    transaction = recorded("POST", f"{BASE}/", "dynamodb", "DynamoDB_20120810.TransactWriteItems")
    # A few writes on a large table: replaying them is cheaper than scanning the table
    assert not recording.worth_a_snapshot(10_000, [put] * 100)
    # As many writes as half the items, or a few dozen transactions (each copies the table): scan
    assert recording.worth_a_snapshot(10_000, [put] * 7_000)
    assert recording.worth_a_snapshot(10_000, [transaction] * 40)
    assert recording.worth_a_snapshot(0, [])
