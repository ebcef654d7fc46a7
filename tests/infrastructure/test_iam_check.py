"""The IAM/KMS checker's own rules: what IAM evaluates for a call, and how a policy answers it."""

from __future__ import annotations

import copy

import pytest

from local.deployed import Resolver, deployed_template
from local.iam_check import Checker, Deployment, Need, Statement, allows, needs
from tests.conftest import NAMES

DEPLOYED = deployed_template()
DEPLOYMENT = Deployment.of(DEPLOYED, NAMES, {})
TABLE = NAMES["DocumentsTable"]
BUCKET = NAMES["DocumentsBucket"]
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
KEY = Resolver(DEPLOYED).get_att("DataKey", "Arn")


@pytest.mark.parametrize(
    ("statements", "action", "resource", "allowed"),
    [
        (
            [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a/*"}],
            "s3:GetObject",
            "arn:aws:s3:::b/a/x",
            True,
        ),
        (
            [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a/*"}],
            "s3:GetObject",
            "arn:aws:s3:::b/c/x",
            False,
        ),
        ([{"Effect": "Allow", "Action": "S3:get*", "Resource": "*"}], "s3:GetObject", "arn:aws:s3:::b/k", True),
        ([{"Effect": "Allow", "Action": "kms:GenerateDataKey*", "Resource": "*"}], "kms:GenerateDataKey", "k", True),
        (
            [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/?"}],
            "s3:GetObject",
            "arn:aws:s3:::b/ab",
            False,
        ),
        (
            [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*"}],
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            False,
        ),
        ([{"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}], "s3:GetObject", "r", True),
        ([{"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}], "s3:DeleteObject", "r", False),
        (
            [{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/private/*"}],
            "s3:GetObject",
            "arn:aws:s3:::b/private/k",
            False,
        ),
        (
            [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
            ],
            "s3:GetObject",
            "r",
            False,
        ),
        (
            [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                }
            ],
            "s3:GetObject",
            "r",
            False,  # conditions are not evaluated: a conditional Allow grants nothing here
        ),
    ],
)
def test_a_policy_answers_like_iam(statements, action, resource, allowed):
    assert allows([Statement.of(s) for s in statements], action, resource) is allowed


def test_a_transaction_is_checked_item_by_item_with_the_tables_key():
    params = {
        "TransactItems": [
            {"Put": {"TableName": TABLE, "Item": {}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {}, "ConditionExpression": "x"}},
        ]
    }
    found = needs("dynamodb", "TransactWriteItems", params, DEPLOYMENT)
    assert {(n.action, n.resource) for n in found} == {
        ("dynamodb:PutItem", TABLE_ARN),
        ("dynamodb:ConditionCheckItem", TABLE_ARN),
        ("kms:Decrypt", KEY),
        ("kms:DescribeKey", KEY),
        ("kms:Encrypt", KEY),
        ("kms:GenerateDataKey", KEY),
    }


def test_an_index_query_names_the_index_and_reads_with_the_tables_key():
    found = needs("dynamodb", "Query", {"TableName": TABLE, "IndexName": "GSI1"}, DEPLOYMENT)
    assert found == [
        Need("dynamodb:Query", f"{TABLE_ARN}/index/GSI1", "Query"),
        Need("kms:Decrypt", KEY, "Query on a table with a customer managed key"),
        Need("kms:DescribeKey", KEY, "Query on a table with a customer managed key"),
    ]


def test_a_batch_read_is_checked_per_table():
    found = needs("dynamodb", "BatchGetItem", {"RequestItems": {TABLE: {"Keys": []}}}, DEPLOYMENT)
    assert [n.action for n in found] == ["dynamodb:BatchGetItem", "kms:Decrypt", "kms:DescribeKey"]


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("HeadObject", [("s3:GetObject", f"arn:aws:s3:::{BUCKET}/accounts/1/k")]),  # metadata: no decryption
        ("GetObject", [("s3:GetObject", f"arn:aws:s3:::{BUCKET}/accounts/1/k"), ("kms:Decrypt", KEY)]),
        ("PutObject", [("s3:PutObject", f"arn:aws:s3:::{BUCKET}/accounts/1/k"), ("kms:GenerateDataKey", KEY)]),
        ("DeleteObject", [("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/accounts/1/k")]),
    ],
)
def test_object_calls_name_the_key_and_the_kms_use_of_sse_kms(operation, expected):
    found = needs("s3", operation, {"Bucket": BUCKET, "Key": "accounts/1/k"}, DEPLOYMENT)
    assert [(n.action, n.resource) for n in found] == expected


def test_a_copy_reads_its_source_and_writes_its_target():
    params = {"Bucket": BUCKET, "Key": "quarantine/k", "CopySource": {"Bucket": BUCKET, "Key": "file-requests/k"}}
    found = needs("s3", "CopyObject", params, DEPLOYMENT)
    assert [(n.action, n.resource) for n in found] == [
        ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/file-requests/k"),
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/quarantine/k"),
        ("kms:Decrypt", KEY),
        ("kms:GenerateDataKey", KEY),
    ]


def test_sms_has_no_resource_and_events_name_their_bus():
    assert needs("sns", "Publish", {"PhoneNumber": "+447700900000", "Message": "m"}, DEPLOYMENT) == [
        Need("sns:Publish", "*", "Publish")
    ]
    found = needs("events", "PutEvents", {"Entries": [{"EventBusName": "bus-1"}]}, DEPLOYMENT)
    assert found == [Need("events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/bus-1", "PutEvents")]


def test_parameters_are_read_from_the_functions_environment(monkeypatch):
    # Given the push platform the deployment was given, as the function sees it
    arn = "arn:aws:sns:us-east-1:123456789012:app/GCM/patient-app"
    checker = Checker(DEPLOYED)
    params = {"PlatformApplicationArn": arn, "Token": "t"}
    monkeypatch.setenv("PUSH_PLATFORM_APPLICATION_ARN", "")
    refused = checker.check("PatientDevicesRegisterFunction", "sns", "CreatePlatformEndpoint", params, False)
    monkeypatch.setenv("PUSH_PLATFORM_APPLICATION_ARN", arn)
    allowed = checker.check("PatientDevicesRegisterFunction", "sns", "CreatePlatformEndpoint", params, False)
    # Then without one the role names none; with it, exactly that one
    assert [v.action for v in refused] == ["sns:CreatePlatformEndpoint"] and allowed == []


def test_a_key_whose_policy_does_not_enable_iam_refuses_what_the_role_allows():
    # Given the data key's policy without the account-root statement
    template = copy.deepcopy(DEPLOYED)
    statements = template["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    statements[:] = [s for s in statements if s.get("Sid") != "AccountAdministers"]
    found = Checker(template).check("AccountSettingsGetFunction", "dynamodb", "GetItem", {"TableName": TABLE}, False)
    # Then the role's grant is not enough
    assert {v.action for v in found} == {"kms:Decrypt", "kms:DescribeKey"}
    assert all("key policy" in v.why for v in found)


def test_a_function_outside_the_template_is_refused_everything():
    (found,) = Checker(DEPLOYED).check("NoSuchFunction", "dynamodb", "GetItem", {"TableName": TABLE}, False)
    assert found.why == "the function has no role in the template"
