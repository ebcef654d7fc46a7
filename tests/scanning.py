"""Malware scan results in tests, delivered as GuardDuty's would be: through the template's EventBridge rule.

``scan_all(aws)`` is what a test that downloads a file it just stored calls first: the local
scanner stand-in (``local.scanner``) scans every object not scanned yet, tags it as GuardDuty does,
and its result event reaches the real ScanResultRecordFunction handler, so files become ``clean``
(or ``infected``) the way they do in AWS, and the gate stays on. ``result_event`` builds a
real-shaped event (from ``events/scan_result_record.json``) for any verdict.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from local import scanner
from local.eventbridge import Delivery, EventRules
from local.scanner import EICAR
from local.template import ROOT

EXAMPLE = ROOT / "events" / "scan_result_record.json"
# The EICAR test file: every anti-malware scanner, GuardDuty's included, reports it (it is harmless).
EICAR_FILE = EICAR + b"\n"


@cache
def rules() -> EventRules:
    return EventRules()


def deliver(event: dict[str, Any]) -> list[Delivery]:
    """The event to every function whose template rule matches it (Lambda's retries included)."""
    return rules().deliver(event)


def result_event(
    aws: Any, key: str, status: str = "NO_THREATS_FOUND", at: datetime | None = None, bucket: str | None = None
) -> dict[str, Any]:
    """A real-shaped scan-result event for ``key`` of the test's bucket (``events/scan_result_record.json``)."""
    event: dict[str, Any] = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    event["id"] = str(uuid.uuid4())
    event["account"] = "123456789012"
    event["region"] = "us-east-1"
    event["time"] = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    details = event["detail"]
    details["s3ObjectDetails"].update(bucketName=bucket or aws.bucket, objectKey=key)
    details["scanResultDetails"]["scanResultStatus"] = status
    if status == "THREATS_FOUND":
        details["scanResultDetails"]["threats"] = [{"name": "EICAR-Test-File (not a virus)"}]
    details["scanStatus"] = {"UNSUPPORTED": "SKIPPED", "FAILED": "FAILED", "ACCESS_DENIED": "FAILED"}.get(
        status, "COMPLETED"
    )
    return event


def unscanned_keys(aws: Any) -> list[str]:
    """The objects under the scanner's prefixes without its tag yet, oldest first."""
    return scanner.unscanned_keys(aws.client("s3"), aws.bucket)


def scan(aws: Any, key: str) -> dict[str, Any]:
    """Scan one object with the local stand-in and deliver its result; the event delivered."""
    return scanner.scan_and_deliver(aws.client("s3"), aws.bucket, key, rules())


def scan_all(aws: Any) -> list[str]:
    """Scan every object not scanned yet and deliver each result; the keys scanned."""
    return scanner.scan_all(aws.client("s3"), aws.bucket, rules())
