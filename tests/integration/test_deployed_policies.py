"""The IAM/KMS check (local/iam_check.py, on for every test) catches what issue 12 found, in real flows.

Each test applies one finding back onto a copy of the SAM-transformed template, runs the handlers
against moto — which allows everything — and shows the check refusing exactly the calls AWS would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from local import iam_check
from local.deployed import Resolver, deployed_template
from tests.integration.page_helpers import create_request, queued_events, register, session_for, upload
from tests.scanning import scan_all
from tests.utils import STAFF_12, call, png_bytes

DEPLOYED = deployed_template()
DATA_KEY = Resolver(DEPLOYED).get_att("DataKey", "Arn")
TABLE_KEY = "on a table with a customer managed key"
# The DataKey statements as issue 12 found them: S3's needs only, nothing for the table.
KEY_ACTIONS_AS_THEY_WERE = {
    "InlineDocumentsCreateFunction": ["kms:GenerateDataKey"],
    "InlineDocumentsGetFunction": ["kms:Decrypt"],
    "FileUploadUnsignedFunction": ["kms:GenerateDataKey"],
    "FileUploadPresignedFunction": ["kms:GenerateDataKey"],
    "PatientDocumentSaveFunction": ["kms:Decrypt"],
    "FileRequestsGetFunction": ["kms:Decrypt"],
    "PatientPageUploadFunction": ["kms:GenerateDataKey"],
    "UploadedFileRegisterFunction": ["kms:Decrypt", "kms:GenerateDataKey"],
}


def _statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = template["Resources"][role]["Properties"].get("Policies", [])
    if not policies:  # a function that calls no AWS service (door D's metadata) has none
        return []
    # The function's own statements (SAM adds a policy of its own for a dead-letter queue)
    (policy,) = [p for p in policies if p["PolicyName"].endswith("RolePolicy0")]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    template = copy.deepcopy(DEPLOYED)
    change(template)
    return template


def _table_key_as_it_was(template: dict[str, Any]) -> None:
    for function, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        statements = _statements(template, function)
        if not statements:
            continue
        (key,) = [s for s in statements if s.get("Sid") == "DataKey"]
        if function in KEY_ACTIONS_AS_THEY_WERE:
            key["Action"] = KEY_ACTIONS_AS_THEY_WERE[function]
        else:
            statements.remove(key)


def _door_c_downloads_as_they_were(template: dict[str, Any]) -> None:
    (read,) = [s for s in _statements(template, "FileRequestsGetFunction") if s["Action"] == ["s3:GetObject"]]
    read["Resource"] = {"Fn::Sub": "${DocumentsBucket.Arn}/accounts/*"}


def _photo_uploads_without_the_key(template: dict[str, Any]) -> None:
    (key,) = [s for s in _statements(template, "PatientPageUploadFunction") if s.get("Sid") == "DataKey"]
    key["Action"].remove("kms:GenerateDataKey")


def _answered_request(api: Any, aws: Any) -> dict[str, Any]:
    """Staff ask, the patient opens the page, passes the check and sends a photo, which is registered."""
    created = create_request(api)
    link = created["short_link_id"]
    assert call(api, "GET", f"/r/{link}").status == 200
    upload(api, link, session_for(api, link), png_bytes(), "rash.png", "image/png")
    photos = [m for m in queued_events(aws) if '"Records"' in m["Body"]]  # not S3's test event
    assert register(photos) == {"batchItemFailures": []}
    assert scan_all(aws)  # the malware scanner's verdict reaches ScanResultRecordFunction
    return created


def test_roles_without_the_tables_key_are_refused_on_every_table_call(api, aws):
    # Given the roles as issue 12 found them: no KMS on the table's key for most functions
    with iam_check.checking(_broken(_table_key_as_it_was)) as found:
        # When a request is answered and staff read it (moto, like DynamoDB, never asks KMS)
        created = _answered_request(api, aws)
        assert call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12).status == 200
    # Then every function in the flow is refused the key DynamoDB uses on its behalf
    refused = {v.function for v in found if v.resource == DATA_KEY and TABLE_KEY in v.why}
    assert refused == {
        "FileRequestsCreateFunction",
        "NotificationSendFunction",  # the SMS, sent from the queue
        "PatientPageOpenFunction",
        "PatientPageVerifyFunction",
        "PatientPageUploadFunction",
        "UploadedFileRegisterFunction",
        "ScanResultRecordFunction",
        "ImageProcessFunction",  # the photo's clean copy, recorded on its document
        "FileRequestsGetFunction",
    }
    # And only what each lacked: the get function could already decrypt (for its download URLs)
    # (it writes too now: the audit events of its reads, a scan result applied late)
    assert {v.action for v in found if v.function == "FileRequestsGetFunction"} == {
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    }
    assert {v.action for v in found if v.function == "FileRequestsCreateFunction"} == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    }


def test_signing_door_c_downloads_outside_the_readable_prefix_is_refused(api, aws):
    # Given a request the patient answered with a photo
    created = _answered_request(api, aws)
    # When staff read it with the get function allowed to read accounts/* only, as issue 12 found it
    with iam_check.checking(_broken(_door_c_downloads_as_they_were)) as found:
        reply = call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12)
    # Then the URL it signs is refused: the browser's GET would be a 403
    # (the photo's clean copy, its thumbnail and its preview: docs/images.md)
    (file,) = reply.json["files"]
    assert len(found) == 3
    for refused in found:
        assert (refused.function, refused.call, refused.action) == (
            "FileRequestsGetFunction",
            "s3:GetObject (presigned)",
            "s3:GetObject",
        )
        assert refused.resource.startswith(f"arn:aws:s3:::{aws.bucket}/derived/file-requests/12/{created['id']}/")
    assert f"/file-requests/12/{created['id']}/" in file["download_url"]


def test_a_presigned_photo_upload_needs_the_key_the_bucket_encrypts_with(api, aws):
    # Given the upload function without kms:GenerateDataKey on the bucket's key
    created = create_request(api)
    link = created["short_link_id"]
    session = session_for(api, link)
    with iam_check.checking(_broken(_photo_uploads_without_the_key)) as found:
        # When it signs a POST for a photo
        upload(api, link, session, png_bytes(), "rash.png", "image/png")
    # Then the POST is refused as AWS would refuse it: SSE-KMS needs a data key from the signer
    (refused,) = [v for v in found if v.call == "s3:PutObject (presigned)"]
    assert (refused.action, refused.resource) == ("kms:GenerateDataKey", DATA_KEY)
    assert refused.why == "PutObject of an SSE-KMS object"
    # And so is the slot it writes to the table, which uses the same key
    assert {(v.call, v.action) for v in found if v is not refused} == {
        ("dynamodb:TransactWriteItems", "kms:GenerateDataKey")
    }


def test_the_fixed_template_allows_the_same_flows(api, aws):
    before = iam_check.counts()
    created = _answered_request(api, aws)
    reply = call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12)
    assert reply.status == 200 and len(reply.json["files"]) == 1
    after = iam_check.counts()
    # Every call was checked (the flow makes more than twenty), and none refused
    assert after["checked"] - before["checked"] > 20
    assert after["violations"] == before["violations"]


@pytest.mark.server
def test_a_local_server_process_reports_what_the_roles_refuse(tmp_path):
    from tests.e2e.server import local_server
    from tests.integration.page_helpers import SEED_REQUEST

    # Given `make run`'s server checking its functions against the roles as issue 12 found them
    bugged = tmp_path / "template.json"
    bugged.write_text(json.dumps(_broken(_table_key_as_it_was)))
    reports = tmp_path / "iam"
    (tmp_path / "state").mkdir()
    env = {iam_check.ENVIRONMENT_VARIABLE: str(reports), iam_check.TEMPLATE_VARIABLE: str(bugged)}
    with local_server(tmp_path / "state", extra_env=env) as server:
        # When staff create a request through HTTP
        token = server.token("--role", "staff", "--account", "12")
        reply = requests.post(
            f"{server.base_url}/v1/file-requests",
            json=SEED_REQUEST,
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert reply.status_code == 201, reply.text
    # Then the server process wrote the refusals where the tests read them
    found = iam_check.reported(reports, {})
    assert {(v.function, v.action) for v in found if TABLE_KEY in v.why} >= {
        ("FileRequestsCreateFunction", "kms:Decrypt"),
        ("FileRequestsCreateFunction", "kms:Encrypt"),
    }
    stats = [json.loads(p.read_text()) for p in reports.glob("stats-*.json")]
    assert stats and stats[0]["checked"] >= 4
