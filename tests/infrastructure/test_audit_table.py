"""The audit trail's table keeps its promises in the template CloudFormation deploys (SAM's transform).

Append-only: no role or policy anywhere in the transformed template may change or remove an audit
event or the table (no UpdateItem, DeleteItem, BatchWriteItem, PartiQL writes, table updates); the
functions that record events may add them (PutItem) and read a chain's tail (Query). Kept: its own
table, encrypted with the customer managed data key, point-in-time recovery on, deletion protection
in prod, retained like the other stateful resources, events expiring by TTL after
``AuditRetentionDays`` (six years at least).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from local.deployed import Resolver, deployed_template, sam_transform
from local.iam_check import Statement, allows
from local.local_aws import ACCOUNT, REGION
from local.template import load_template
from patient_docs.rules.audit_chain import MIN_RETENTION_DAYS
from patient_docs.settings import Settings

AUDIT_TABLE = "AuditTable"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/local-audittable"
INDEX_ARN = f"{TABLE_ARN}/index/ByAccount"
# Every DynamoDB action that changes or removes an item, or the table and what keeps its items.
FORBIDDEN = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLInsert",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:RestoreTableFromBackup",
    "dynamodb:ImportTable",
    "dynamodb:DeleteResourcePolicy",
    "dynamodb:PutResourcePolicy",
)
RECORDING_FUNCTIONS = (
    "InlineDocumentsCreateFunction",
    "InlineDocumentsListFunction",
    "InlineDocumentsGetFunction",
    "InlineDocumentsDeleteFunction",
    "PatientDocumentSaveFunction",
    "PatientDocumentListFunction",
    "PatientDocumentUpdateFunction",
    "FileRequestsCreateFunction",
    "FileRequestsGetFunction",
    "FileRequestsListFunction",
    "FileRequestsCancelFunction",
    "FileRequestsResendFunction",
    "AccountSettingsPutFunction",
    "PatientPageOpenFunction",
    "PatientPageVerifyFunction",
    "PatientPageUploadFunction",
    "UploadedFileRegisterFunction",
    "AuditEventsListFunction",
    "AccessLogGetFunction",
)


def _policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(where, policy document) for every identity policy of the template: roles' inline policies,
    policies and managed policies."""
    for logical_id, resource in template["Resources"].items():
        kind, props = resource.get("Type"), resource.get("Properties") or {}
        if kind == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                yield f"{logical_id}/{policy.get('PolicyName')}", policy["PolicyDocument"]
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield logical_id, props["PolicyDocument"]


def _statements(template: dict[str, Any]) -> dict[str, list[Statement]]:
    resolver = Resolver(
        template, {logical: f"local-{logical.lower()}" for logical in template["Resources"]}, strict=False
    )
    found: dict[str, list[Statement]] = {}
    for where, document in _policy_documents(template):
        resolved = resolver.value(document)
        listed = resolved.get("Statement", [])
        found[where] = [Statement.of(s) for s in (listed if isinstance(listed, list) else [listed])]
    return found


def changes_to_the_trail(template: dict[str, Any]) -> list[str]:
    """Every (policy, action) that would let a principal change or remove audit events or their table."""
    problems = []
    for where, statements in _statements(template).items():
        for action in FORBIDDEN:
            for resource in (TABLE_ARN, INDEX_ARN):
                if any(s.effect == "Allow" and s.covers(action, resource) for s in statements):
                    problems.append(f"{where}: {action} on {resource.rsplit(':', 1)[-1]}")
    return sorted(set(problems))


DEPLOYED = deployed_template()


def test_no_policy_anywhere_may_change_or_remove_an_audit_event():
    assert changes_to_the_trail(DEPLOYED) == []


def test_the_recording_functions_may_add_events_and_read_a_chains_tail_and_nothing_else():
    statements = _statements(DEPLOYED)
    for function in RECORDING_FUNCTIONS:
        role = [s for where, found in statements.items() if where.startswith(f"{function}Role/") for s in found]
        assert allows(role, "dynamodb:PutItem", TABLE_ARN), function
        assert allows(role, "dynamodb:Query", TABLE_ARN), function
        for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"):
            assert not allows(role, action, TABLE_ARN), (function, action)


@pytest.mark.parametrize(
    "grant",
    [
        {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": {"Fn::GetAtt": [AUDIT_TABLE, "Arn"]}},
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["dynamodb:Delete*"], "Resource": {"Fn::Sub": "${AuditTable.Arn}*"}},
    ],
    ids=["UpdateItem on the table", "dynamodb:* on everything", "Delete* by wildcard"],
)
def test_a_grant_that_could_change_the_trail_is_found(grant):
    # Given the template with one function's policy widened
    template = copy.deepcopy(load_template())
    policies = template["Resources"]["InlineDocumentsGetFunction"]["Properties"]["Policies"]
    policies[0]["Statement"].append(grant)
    # Then the check of the transformed template names it
    problems = changes_to_the_trail(sam_transform(template))
    assert problems and all(p.startswith("InlineDocumentsGetFunctionRole/") for p in problems), problems


def test_the_trail_is_its_own_encrypted_recoverable_retained_table():
    table = load_template()["Resources"][AUDIT_TABLE]
    documents = load_template()["Resources"]["DocumentsTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == (
        documents["DeletionPolicy"],
        documents["UpdateReplacePolicy"],
    )
    props = table["Properties"]
    assert props["SSESpecification"] == documents["Properties"]["SSESpecification"]  # the data key
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_events_are_kept_six_years_at_least_by_a_parameter_the_functions_read():
    template = load_template()
    parameter = template["Parameters"]["AuditRetentionDays"]
    assert parameter["Default"] == parameter["MinValue"] == MIN_RETENTION_DAYS == 6 * 365
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["AUDIT_RETENTION_DAYS"] == {"Ref": "AuditRetentionDays"}
    assert variables["AUDIT_TABLE_NAME"] == {"Ref": AUDIT_TABLE}
    field = Settings.model_fields["audit_retention_days"]
    assert field.default == MIN_RETENTION_DAYS
    with pytest.raises(ValueError):
        Settings(table_name="t", bucket_name="b", audit_retention_days=MIN_RETENTION_DAYS - 1)
