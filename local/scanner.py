"""A local stand-in for GuardDuty Malware Protection for S3 (``make run``; never deployed).

For each object created under the prefixes the template's ``AWS::GuardDuty::MalwareProtectionPlan``
protects, after ``LOCAL_SCAN_DELAY_SECONDS`` (default 2): read it, find ``THREATS_FOUND`` if it holds
the EICAR test string and ``NO_THREATS_FOUND`` otherwise, tag it ``GuardDutyMalwareScanStatus`` as
GuardDuty does (beside its other tags), and deliver the scan-result event GuardDuty would publish on
the default bus to the template's EventBridge rules (``local.eventbridge``). It hears of new objects
as the register step hears of uploads: an S3 event notification, to a queue of its own.

``scan_object`` is the scan alone; ``scan_all`` scans every object under the protected prefixes
not scanned yet and delivers each result through the rules at once, without the server's queue or
delay: what tests (``tests/scanning.py``) and ``make bench``'s seeding do to the files they stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from local.eventbridge import EventRules
from local.local_aws import ACCOUNT, REGION, queue_arn
from local.template import load_template, resources_of_type

DELAY_VARIABLE = "LOCAL_SCAN_DELAY_SECONDS"
DEFAULT_DELAY_SECONDS = 2.0
QUEUE_NAME = "local-malware-scanner"
SCAN_TAG = "GuardDutyMalwareScanStatus"
NO_THREATS_FOUND = "NO_THREATS_FOUND"
THREATS_FOUND = "THREATS_FOUND"
# The anti-malware test file every scanner reports (eicar.org); GuardDuty names it so.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_THREAT = "EICAR-Test-File (not a virus)"
PLAN_ID = "localmalwareprotectionplan"


def delay_seconds() -> float:
    value = os.environ.get(DELAY_VARIABLE, "")
    return max(0.0, float(value)) if value.strip() else DEFAULT_DELAY_SECONDS


def protected(template: Mapping[str, Any] | None = None) -> tuple[str, list[str]] | None:
    """(logical id of the bucket, its protected prefixes) from the template's plan; None without a plan."""
    plans = resources_of_type("AWS::GuardDuty::MalwareProtectionPlan", dict(template or load_template()))
    for plan in plans.values():
        bucket = plan["Properties"]["ProtectedResource"]["S3Bucket"]
        reference = bucket["BucketName"]
        logical = reference["Ref"] if isinstance(reference, dict) else str(reference)
        return logical, list(bucket.get("ObjectPrefixes") or [""])
    return None


def verdict(data: bytes) -> str:
    return THREATS_FOUND if EICAR in data else NO_THREATS_FOUND


def scan_result_event(
    bucket: str,
    key: str,
    status: str,
    e_tag: str = "",
    version_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The event GuardDuty publishes for one scanned object (GuardDuty User Guide, "Monitoring S3 object
    scans with Amazon EventBridge"; events/scan_result_record*.json)."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    threats = [{"name": EICAR_THREAT}] if status == THREATS_FOUND else None
    scan_status = {"UNSUPPORTED": "SKIPPED", "FAILED": "FAILED", "ACCESS_DENIED": "FAILED"}.get(status, "COMPLETED")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "GuardDuty Malware Protection Object Scan Result",
        "source": "aws.guardduty",
        "account": ACCOUNT,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:guardduty:{REGION}:{ACCOUNT}:malware-protection-plan/{PLAN_ID}"],
        "detail": {
            "schemaVersion": "1.0",
            "scanStatus": scan_status,
            "resourceType": "S3_OBJECT",
            "s3ObjectDetails": {
                "bucketName": bucket,
                "objectKey": key,
                "eTag": e_tag,
                "versionId": version_id,
                "s3Throttled": False,
            },
            "scanResultDetails": {"scanResultStatus": status, "threats": threats},
        },
    }


def scan_object(s3: Any, bucket: str, key: str, version_id: str | None = None) -> dict[str, Any] | None:
    """Scan one object as GuardDuty would: its verdict as a tag on it, and the result event (None: it is gone)."""
    version = {"VersionId": version_id} if version_id else {}
    try:
        found = s3.get_object(Bucket=bucket, Key=key, **version)
    except s3.exceptions.NoSuchKey:
        return None
    except Exception as exc:  # a version already deleted (moved to quarantine): nothing to scan
        if "NoSuch" in type(exc).__name__ or getattr(exc, "response", {}).get("Error", {}).get("Code") in (
            "NoSuchKey",
            "NoSuchVersion",
            "404",
        ):
            return None
        raise
    status = verdict(found["Body"].read())
    tags = s3.get_object_tagging(Bucket=bucket, Key=key, **version).get("TagSet", [])
    tags = [tag for tag in tags if tag["Key"] != SCAN_TAG] + [{"Key": SCAN_TAG, "Value": status}]
    s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": tags}, **version)
    return scan_result_event(bucket, key, status, found.get("ETag", "").strip('"'), found.get("VersionId"))


class ScanNotRecorded(RuntimeError):
    """A scan result that no rule delivered, or that a function failed to record."""


def unscanned_keys(s3: Any, bucket: str) -> list[str]:
    """The objects under the scanner's prefixes without its tag yet, oldest first."""
    found = protected()
    listed = []
    for prefix in found[1] if found else [""]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            listed.extend(page.get("Contents", []))
    listed.sort(key=lambda item: item["LastModified"])
    keys = []
    for item in listed:
        tags = s3.get_object_tagging(Bucket=bucket, Key=item["Key"]).get("TagSet", [])
        if not any(tag["Key"] == SCAN_TAG for tag in tags):
            keys.append(item["Key"])
    return keys


def scan_and_deliver(s3: Any, bucket: str, key: str, rules: EventRules) -> dict[str, Any]:
    """Scan one object and deliver its result to the rules' functions; the event delivered.
    ``ScanNotRecorded`` when the object is gone, no rule matched or a function failed every attempt."""
    event = scan_object(s3, bucket, key)
    if event is None:
        raise ScanNotRecorded("no such object to scan")
    deliveries = rules.deliver(event)
    if not deliveries or any(d.error is not None for d in deliveries):
        raise ScanNotRecorded(f"scan result not recorded: {deliveries}")
    return event


def scan_all(s3: Any, bucket: str, rules: EventRules) -> list[str]:
    """Scan every object not scanned yet and deliver each result at once; the keys scanned."""
    keys = unscanned_keys(s3, bucket)
    for key in keys:
        scan_and_deliver(s3, bucket, key, rules)
    return keys


class LocalScanner:
    """Scans new objects under the plan's prefixes after a delay and delivers each result to the rules."""

    def __init__(
        self,
        client: Callable[[str], Any],
        names: Mapping[str, str],
        rules: EventRules,
        delay: float | None = None,
        quiet: bool = True,
    ) -> None:
        self._client = client
        self._rules = rules
        self._delay = delay_seconds() if delay is None else delay
        self._quiet = quiet
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        found = protected()
        self.bucket = names[found[0]] if found else None
        self.prefixes = found[1] if found else []
        self.scanned = 0

    def connect(self, recording_paused: Callable[[], contextlib.AbstractContextManager[None]] | None = None) -> None:
        """Its queue, and the bucket's notifications of new objects under each prefix (beside the template's).

        ``recording_paused``: the embedded AWS keeps state by recording requests; this wiring is made
        afresh at every start, so it is not recorded (replayed, it would notify of the replayed uploads).
        """
        if self.bucket is None:
            return
        with recording_paused() if recording_paused else contextlib.nullcontext():
            sqs, s3 = self._client("sqs"), self._client("s3")
            sqs.create_queue(QueueName=QUEUE_NAME)
            current = s3.get_bucket_notification_configuration(Bucket=self.bucket)
            current.pop("ResponseMetadata", None)
            queues = [q for q in current.get("QueueConfigurations", []) if q["QueueArn"] != queue_arn(QUEUE_NAME)]
            for prefix in self.prefixes:
                entry: dict[str, Any] = {"QueueArn": queue_arn(QUEUE_NAME), "Events": ["s3:ObjectCreated:*"]}
                if prefix:
                    entry["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}
                queues.append(entry)
            s3.put_bucket_notification_configuration(
                Bucket=self.bucket, NotificationConfiguration={**current, "QueueConfigurations": queues}
            )

    def start(self) -> None:
        if self.bucket is None:
            return
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _poll(self) -> None:
        sqs = self._client("sqs")
        queue_url = sqs.get_queue_url(QueueName=QUEUE_NAME)["QueueUrl"]
        while not self._stop.is_set():
            try:
                received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
            except Exception:  # the embedded AWS is going away
                time.sleep(0.5)
                continue
            for message in received.get("Messages", []):
                for record in _records(message["Body"]):
                    self._scan_when_due(record)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _scan_when_due(self, record: Mapping[str, Any]) -> None:
        created = _event_time(record.get("eventTime"))
        wait = created + self._delay - time.time()
        if wait > 0 and self._stop.wait(wait):
            return
        s3_object = record["s3"]["object"]
        key = unquote_plus(s3_object["key"])  # S3 URL-encodes keys in events
        try:
            event = scan_object(self._client("s3"), self.bucket or "", key, s3_object.get("versionId"))
        except Exception as exc:  # one object's failure leaves the others scanned
            if not self._quiet:
                print(f"  malware scan (local) failed: {type(exc).__name__}", flush=True)
            return
        if event is None:
            return
        self.scanned += 1
        deliveries = self._rules.deliver(event)
        if not self._quiet:
            status = event["detail"]["scanResultDetails"]["scanResultStatus"]
            answered = ", ".join(f"{d.function}: {d.error or 'ok'}" for d in deliveries) or "no rule matched"
            print(f"  malware scan (local): {status} -> {answered}", flush=True)


def _records(body: str) -> Iterator[dict[str, Any]]:
    try:
        notification = json.loads(body)
    except ValueError:
        return
    yield from notification.get("Records", [])  # absent in S3's test event


def _event_time(value: Any) -> float:
    """S3's eventTime (ISO 8601) as seconds; now, when it cannot be read."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time()
