"""Defence in depth behind scan_status (issue 14): the documents bucket's policy denies reading a document object
until the malware scanner tagged it clean, to every principal but the few that need the bytes before a verdict.

The policy is read from ``template.yaml`` as CloudFormation deploys it (SAM's transform, then its
intrinsics resolved for each parameter value) and evaluated here the way S3 evaluates a bucket
policy's explicit Deny: action and resource with the IAM check's own matching (``local.iam_check``,
which models no conditions), conditions with IAM's rules (every operator of a block and every key must
hold; a negated operator holds when the key is absent). The evaluation is itself tested on known cases.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.deployed import Resolver, deployed_template
from local.iam_check import Statement
from patient_docs.rules.images import DERIVED_PREFIX
from patient_docs.rules.scanning import SCANNED_PREFIXES

DEPLOYED = deployed_template()
BUCKET = "local-documentsbucket"
TAG_KEY = "s3:ExistingObjectTag/GuardDutyMalwareScanStatus"
DOCUMENT = f"arn:aws:s3:::{BUCKET}/accounts/12/patients/1172416/documents/{'a' * 32}.pdf"
PHOTO = f"arn:aws:s3:::{BUCKET}/file-requests/12/92892990-dd8f-4d69-b780-a5f4036a96f7/94d49fee.jpg"
RESULTS = ("NO_THREATS_FOUND", "THREATS_FOUND", "UNSUPPORTED", "ACCESS_DENIED", "FAILED", None)  # None: not yet
# The principals that read a document object before any verdict, and why (the template says the same).
EXCEPTIONS = {
    "MalwareScanRole": "the scanner reads what it scans",
    "UploadedFileRegisterFunctionRole": "the register step's ranged read of a photo's first bytes",
    "PatientDocumentSaveFunctionRole": "Save Document checks an upload's type from its bytes",
    "ScanResultRecordFunctionRole": "the move of an infected file to quarantine copies it (a read)",
    "ImageProcessFunctionRole": "renders an image once its verdict's event came (the tag may follow the event)",
}
RENDITION = f"arn:aws:s3:::{BUCKET}/derived/accounts/12/patients/1172416/documents/{'a' * 32}.heic/clean.jpg"


def role_arn(logical_id: str) -> str:
    return f"arn:aws:iam::123456789012:role/local-{logical_id.lower()}"


def policy(**parameters: str) -> list[dict[str, Any]]:
    """The documents bucket policy's statements as deployed with these parameter values."""
    resolver = Resolver(DEPLOYED, parameters=parameters)
    document = resolver.value(DEPLOYED["Resources"]["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"])
    return list(document["Statement"])


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _holds(operator: str, key: str, expected: Any, context: dict[str, str | None]) -> bool:
    """One condition operator on one key, by IAM's rules for a single-valued key."""
    actual = context.get(key)
    wanted = _values(expected)
    negated = operator.startswith(("StringNot", "ArnNot"))
    if actual is None:
        return negated  # a negated operator holds when the key is absent
    if operator in ("StringEquals", "ArnEquals", "Bool"):
        return actual in wanted
    if negated:
        return actual not in wanted
    raise AssertionError(f"operator {operator} is not evaluated here: add it")


def denied(statements: list[dict[str, Any]], principal: str, action: str, resource: str, tag: str | None) -> bool:
    """Whether an explicit Deny of the bucket policy applies to this request (over TLS)."""
    context = {"aws:PrincipalArn": principal, TAG_KEY: tag, "aws:SecureTransport": "true"}
    for statement in statements:
        if statement["Effect"] != "Deny" or not Statement.of(statement).covers(action, resource):
            continue
        conditions = statement.get("Condition", {})
        if all(
            _holds(operator, key, expected, context)
            for operator, keys in conditions.items()
            for key, expected in keys.items()
        ):
            return True
    return False


def test_the_evaluation_itself_on_known_cases():
    statements = [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/accounts/*",
            "Condition": {
                "StringNotEquals": {TAG_KEY: ["NO_THREATS_FOUND"]},
                "ArnNotEquals": {"aws:PrincipalArn": [role_arn("Reader")]},
            },
        }
    ]
    assert denied(statements, role_arn("Other"), "s3:GetObject", DOCUMENT, None)  # absent tag: negated holds
    assert not denied(statements, role_arn("Other"), "s3:GetObject", DOCUMENT, "NO_THREATS_FOUND")
    assert not denied(statements, role_arn("Reader"), "s3:GetObject", DOCUMENT, "THREATS_FOUND")
    assert not denied(statements, role_arn("Other"), "s3:PutObject", DOCUMENT, None)
    assert not denied(statements, role_arn("Other"), "s3:GetObject", PHOTO, None)


def download_signers() -> list[str]:
    """Every function role allowed to read document objects that is not an exception: the ones that sign
    download URLs (a URL reads with its signer's permissions) or would serve bytes themselves."""
    resolver = Resolver(DEPLOYED)
    found = []
    for logical_id, resource in DEPLOYED["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role" or logical_id in EXCEPTIONS:
            continue
        for policy_entry in resource["Properties"].get("Policies", []):
            for statement in resolver.value(policy_entry["PolicyDocument"])["Statement"]:
                parsed = Statement.of(statement)
                if statement["Effect"] == "Allow" and any(parsed.covers("s3:GetObject", r) for r in (DOCUMENT, PHOTO)):
                    found.append(logical_id)
    return sorted(set(found))


def test_functions_that_sign_downloads_read_only_objects_the_scanner_tagged_clean():
    statements = policy()
    signers = download_signers()
    # The door A and door C download functions are among them (and any door added later that reads objects)
    assert {"InlineDocumentsGetFunctionRole", "FileRequestsGetFunctionRole"} <= set(signers)
    for signer in signers:
        for resource in (DOCUMENT, PHOTO):
            for action in ("s3:GetObject", "s3:GetObjectVersion"):
                for tag in RESULTS:
                    assert denied(statements, role_arn(signer), action, resource, tag) == (tag != "NO_THREATS_FOUND"), (
                        signer,
                        action,
                        tag,
                    )


def test_only_the_principals_that_need_the_bytes_before_a_verdict_are_excepted():
    statements = policy()
    (gate,) = [s for s in statements if s.get("Sid") == "ServeOnlyFilesScannedClean"]
    assert sorted(gate["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == sorted(map(role_arn, EXCEPTIONS))
    for exception in EXCEPTIONS:
        assert not denied(statements, role_arn(exception), "s3:GetObject", DOCUMENT, None), exception
    # Anyone else in the account (a console user, another service's role) is held to the tag too
    assert denied(statements, "arn:aws:iam::123456789012:user/someone", "s3:GetObject", DOCUMENT, None)


def test_renditions_are_served_only_with_their_originals_verdict_and_written_only_by_the_image_processor():
    statements = policy()
    signer = role_arn("FileRequestsGetFunctionRole")
    for tag in RESULTS:
        assert denied(statements, signer, "s3:GetObject", RENDITION, tag) == (tag != "NO_THREATS_FOUND"), tag
    for action in ("s3:PutObject", "s3:PutObjectTagging"):
        assert not denied(statements, role_arn("ImageProcessFunctionRole"), action, RENDITION, None)
        for other in (signer, role_arn("MalwareScanRole"), "arn:aws:iam::123456789012:user/someone"):
            assert denied(statements, other, action, RENDITION, None), (other, action)
    # And nothing else in the bucket is held to that
    assert not denied(statements, signer, "s3:PutObject", DOCUMENT, None)


def test_the_gate_covers_exactly_where_files_land_and_the_scanner_scans():
    (gate,) = [s for s in policy() if s.get("Sid") == "ServeOnlyFilesScannedClean"]
    covered = sorted(resource.split(f"{BUCKET}/", 1)[1] for resource in gate["Resource"])
    # (and an image's renditions, which carry the verdict of the original they were made from)
    assert covered == sorted([*(f"{prefix}*" for prefix in SCANNED_PREFIXES), f"{DERIVED_PREFIX}*"])
    plan = Resolver(DEPLOYED).value(DEPLOYED["Resources"]["MalwareProtectionPlan"]["Properties"])
    assert plan["ProtectedResource"]["S3Bucket"] == {"BucketName": BUCKET, "ObjectPrefixes": list(SCANNED_PREFIXES)}
    assert plan["Actions"] == {"Tagging": {"Status": "ENABLED"}}
    assert plan["Role"] == role_arn("MalwareScanRole")


@pytest.mark.parametrize(
    ("unscanned_file_policy", "readable"),
    [
        ("withhold", {"NO_THREATS_FOUND"}),
        ("serve-unsupported", {"NO_THREATS_FOUND", "UNSUPPORTED"}),
        ("serve-unsupported-and-failed", {"NO_THREATS_FOUND", "UNSUPPORTED", "FAILED", "ACCESS_DENIED"}),
    ],
)
def test_the_policy_serves_what_the_unscanned_file_policy_serves_and_never_a_threat(unscanned_file_policy, readable):
    statements = policy(UnscannedFilePolicy=unscanned_file_policy)
    signer = role_arn("InlineDocumentsGetFunctionRole")
    served = {tag for tag in RESULTS if tag and not denied(statements, signer, "s3:GetObject", DOCUMENT, tag)}
    assert served == readable
    assert denied(statements, signer, "s3:GetObject", DOCUMENT, "THREATS_FOUND")


def test_with_scanning_switched_off_there_is_no_scanner_and_no_tag_to_wait_for():
    statements = policy(MalwareScanning="Disabled")
    assert [s.get("Sid") for s in statements] == ["TlsOnly", "RenditionsOnlyFromTheImageProcessor"]
    assert not denied(statements, role_arn("InlineDocumentsGetFunctionRole"), "s3:GetObject", DOCUMENT, None)
    resolver = Resolver(DEPLOYED, parameters={"MalwareScanning": "Disabled"})
    assert not resolver.condition("ScansFiles")
    assert DEPLOYED["Resources"]["MalwareProtectionPlan"]["Condition"] == "ScansFiles"
    assert DEPLOYED["Resources"]["MalwareScanRole"]["Condition"] == "ScansFiles"


def test_the_scanners_role_is_what_guardduty_requires_and_may_use_the_data_key():
    role = DEPLOYED["Resources"]["MalwareScanRole"]["Properties"]
    resolver = Resolver(DEPLOYED)
    trust = resolver.value(role["AssumeRolePolicyDocument"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "malware-protection-plan.guardduty.amazonaws.com"}]
    (document,) = [resolver.value(p["PolicyDocument"]) for p in role["Policies"]]
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert set(by_sid) == {
        "AllowManagedRuleToSendS3EventsToGuardDuty",
        "AllowGuardDutyToMonitorEventBridgeManagedRule",
        "AllowPostScanTag",
        "AllowEnableS3EventBridgeEvents",
        "AllowPutValidationObject",
        "AllowCheckBucketOwnership",
        "AllowMalwareScan",
        "AllowDecryptForMalwareScan",
    }
    key = by_sid["AllowDecryptForMalwareScan"]
    assert key["Resource"] == resolver.value({"Fn::GetAtt": ["DataKey", "Arn"]})
    assert set(key["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert Statement.of(by_sid["AllowMalwareScan"]).covers("s3:GetObject", DOCUMENT)
    assert Statement.of(by_sid["AllowPostScanTag"]).covers("s3:PutObjectTagging", PHOTO)
    # And S3's EventBridge events, which GuardDuty listens to, stay on when the template updates the bucket
    bucket = resolver.value(DEPLOYED["Resources"]["DocumentsBucket"]["Properties"])
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"] == {"EventBridgeEnabled": True}
