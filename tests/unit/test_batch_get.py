"""Reading several items at once: order kept, missing items None, unprocessed keys asked for again."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from patient_docs.adapters import table
from patient_docs.settings import get_settings

A = {"PK": "A", "SK": "X"}
B = {"PK": "B", "SK": "X"}
C = {"PK": "C", "SK": "X"}


def _encoded(*keys):
    return [{name: {"S": value} for name, value in key.items()} for key in keys]


@pytest.fixture
def stubbed(monkeypatch):
    client = boto3.client("dynamodb", region_name="us-east-1")
    monkeypatch.setattr(table, "dynamodb", lambda: client)
    with Stubber(client) as stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def _expect(stubbed, keys, found, unprocessed=()):
    table = get_settings().table_name
    response = {"Responses": {table: [{**key, "v": {"S": key["PK"]["S"].lower()}} for key in _encoded(*found)]}}
    if unprocessed:
        response["UnprocessedKeys"] = {table: {"Keys": _encoded(*unprocessed)}}
    stubbed.add_response(
        "batch_get_item", response, {"RequestItems": {table: {"Keys": _encoded(*keys), "ConsistentRead": True}}}
    )


def test_items_come_back_in_the_order_asked_with_none_for_missing(stubbed):
    # Given DynamoDB answers C and A, in that order, and has no B
    _expect(stubbed, [A, B, C], found=[C, A])
    # When A, B and C are read, Then they come back as asked, None for B
    found = table.batch_get([A, B, C])
    assert [item and item["v"]["S"] for item in found] == ["a", None, "c"]


def test_unprocessed_keys_are_asked_for_again_until_answered(stubbed):
    # Given DynamoDB leaves B and C unprocessed, then C, then answers it
    _expect(stubbed, [A, B, C], found=[A], unprocessed=[B, C])
    _expect(stubbed, [B, C], found=[B], unprocessed=[C])
    _expect(stubbed, [C], found=[C])
    # When A, B and C are read, Then only what is left is asked for again, until all three are in
    assert [item and item["v"]["S"] for item in table.batch_get([A, B, C])] == ["a", "b", "c"]


def test_a_key_asked_twice_is_read_once(stubbed):
    _expect(stubbed, [A], found=[A])
    assert [item and item["v"]["S"] for item in table.batch_get([A, A])] == ["a", "a"]


def test_keys_left_unprocessed_every_time_fail_loudly(stubbed):
    # Given DynamoDB leaves the key unprocessed five times over
    for _ in range(5):
        _expect(stubbed, [A], found=[], unprocessed=[A])
    # When it is read, Then the read fails rather than answer "not found"
    with pytest.raises(RuntimeError, match="unprocessed"):
        table.batch_get([A])
