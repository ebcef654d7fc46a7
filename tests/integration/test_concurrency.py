"""Concurrency and faults: parallel uploads, duplicate deliveries, concurrent retries, poison messages."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests

from local import tokens
from local.events import http_event
from local.local_aws import REGION, function_environment, provision
from local.queues import sqs_event
from local.template import load_template
from tests.conftest import NAMES, ORIGINS, PARAMETERS
from tests.integration import concurrency_worker
from tests.integration.page_helpers import (
    SEED_REQUEST,
    create_request,
    queued_events,
    register,
    session_for,
    upload,
)
from tests.integration.serial_moto import serial_moto_server
from tests.integration.test_document_counts import counts_from_documents, kept_counts
from tests.utils import STAFF_12, call, png_bytes


def test_a_message_that_always_fails_ends_in_the_dead_letter_queue(api, aws, monkeypatch):
    # Given a photo uploaded to a request, whose registration always fails, and a queue that redelivers at once
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    queued_events(aws)  # S3's test event, sent when the notification was configured
    upload(api, created["short_link_id"], session, png_bytes(), "a.png", "image/png")

    def broken(key, now):
        raise RuntimeError("storage is down")

    monkeypatch.setattr("functions.uploaded_file_register.app.register_uploaded_file", broken)
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=NAMES["UploadEventsQueue"])["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=NAMES["UploadEventsDeadLetterQueue"])["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    )
    max_receives = int(redrive["maxReceiveCount"])
    assert max_receives == 5  # from template.yaml

    # When the queue is drained as the event source mapping does it
    deliveries = 0
    for _ in range(max_receives + 5):  # what the event source mapping does: receive, invoke, delete what succeeded
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        try:
            result = register(messages)
            failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        except Exception:  # every record failed: the invocation fails and the whole batch returns
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            )
        deliveries += len(failed)
    # Then the message was tried maxReceiveCount times, then parked in the dead-letter queue, and nothing recorded
    assert deliveries == max_receives
    parked = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert len(parked) == 1 and "ObjectCreated" in parked[0]["Body"]
    assert call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12).json["files"] == []


# ------------------------------------------------------------------ separate processes, like Lambda containers
WORKERS = 4


@dataclass
class Containers:
    """A moto server and a pool of warmed processes, each running handlers like one Lambda container."""

    endpoint: str
    pool: ProcessPoolExecutor

    def invoke(self, module: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self.pool.map(concurrency_worker.invoke, [module] * len(events), events))

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)

    def queued_notices(self) -> int:
        """Notices waiting for the notification sender."""
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=NAMES["NotificationsQueue"])["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def send_notifications(self) -> None:
        """What the notifications queue's event source mapping does: hand the waiting notices, in batches,
        to NotificationSendFunction running in the containers at once, and delete what it handled."""
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=NAMES["NotificationsQueue"])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        while True:
            batches: list[list[dict[str, Any]]] = []
            for _ in range(WORKERS):
                received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, AttributeNames=["All"])
                if received.get("Messages"):
                    batches.append(received["Messages"])
            if not batches:
                return
            events = [sqs_event(batch, arn) for batch in batches]
            for batch, result in zip(batches, self.invoke("functions.notification_send.app", events), strict=True):
                assert result == {"batchItemFailures": []}, result
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
                sqs.delete_message_batch(QueueUrl=url, Entries=entries)

    @staticmethod
    def sms() -> list[tuple[str, str]]:
        """Every SMS the server's SNS has sent: (number, text). The server runs in this process."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


@pytest.fixture
def containers() -> Iterator[Containers]:
    # One call at a time, atomic as on AWS: parallel photos of one patient now contend on its audit
    # chain, and moto's threaded server undoes concurrent writes when it rolls a transaction back.
    server = serial_moto_server()
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    provision(load_template(), NAMES, lambda s: boto3.client(s, endpoint_url=endpoint, region_name=REGION), ORIGINS)
    # The functions' environment resolved against this server (queue URLs included, so the notification
    # sender runs here too); twenty photos for one request, so that twenty parallel uploads are all allowed.
    resolved = function_environment(load_template(), NAMES, PARAMETERS, endpoint)
    env = {**os.environ, **resolved, "AWS_ENDPOINT_URL": endpoint, "PHOTO_MAX_FILES": "20"}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        WORKERS, mp_context=context, initializer=concurrency_worker.start, initargs=(env,)
    ) as pool:
        list(pool.map(concurrency_worker.warm, range(WORKERS * 2)))
        yield Containers(endpoint, pool)
    server.stop()


def _staff_event(
    method: str,
    path: str,
    route_key: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    claims = tokens.jwt.decode(tokens.issue("staff", "12"), options={"verify_signature": False})
    sent = {"content-type": "application/json", **(headers or {})}
    raw = json.dumps(body).encode() if body is not None else None
    return http_event(method, path, route_key, path_parameters, sent, body=raw, claims=claims)


def _public_event(path: str, route_key: str, link: str, body: Any, headers: dict[str, str] | None = None) -> dict:
    sent = {"content-type": "application/json", **(headers or {})}
    return http_event("POST", path, route_key, {"short_link_id": link}, sent, body=json.dumps(body).encode())


def test_the_same_idempotency_key_sent_concurrently_gives_one_request_and_one_sms(containers):
    # Given one create with an Idempotency-Key
    event = _staff_event(
        "POST", "/v1/file-requests", "POST /v1/file-requests", SEED_REQUEST, {"idempotency-key": "k-1"}
    )
    containers.send_notifications()  # (what earlier tests on this server left)
    sms_before = len(containers.sms())
    # When it runs in four containers at once, and the notification sender runs on what they queued
    results = containers.invoke("functions.file_requests_create.app", [event] * WORKERS)
    assert containers.queued_notices() == 1
    containers.send_notifications()
    # Then every answer is the one request (or "still being processed"), one SMS went, one request is stored
    created = [json.loads(r["body"]) for r in results if r["statusCode"] == 201]
    assert created and all(c["id"] == created[0]["id"] for c in created)
    assert {r["statusCode"] for r in results} <= {201, 409}  # 409: "still being processed, retry"
    ((number, text),) = containers.sms()[sms_before:]
    assert number == SEED_REQUEST["patientMobile"] and f"/r/{created[0]['short_link_id']}" in text
    items = containers.client("dynamodb").scan(TableName=NAMES["DocumentsTable"])["Items"]
    assert len([i for i in items if i.get("SK", {}).get("S") == "REQUEST"]) == 1


def test_four_concurrent_creates_at_quota_minus_one_send_one_sms(containers):
    # Given account 12 has one SMS left today: its own quota is one more than it sent (the moto server is shared)
    dynamodb = containers.client("dynamodb")
    today = {"PK": {"S": "ACCOUNT#12"}, "SK": {"S": f"SMS#{datetime.now(UTC).date().isoformat()}"}}
    sent = int(
        dynamodb.get_item(TableName=NAMES["DocumentsTable"], Key=today).get("Item", {}).get("sent", {}).get("N", 0)
    )
    dynamodb.put_item(
        TableName=NAMES["DocumentsTable"],
        Item={
            "PK": {"S": "ACCOUNT#12"},
            "SK": {"S": "SETTINGS"},
            "entity": {"S": "account_settings"},
            "account_id": {"S": "12"},
            "sms_sender_id": {"S": "Clinic12"},
            "link_lifetime_hours": {"N": "72"},
            "sms_daily_quota": {"N": str(sent + 1)},
        },
    )
    # When four creates, each for another patient, run in four containers at once
    events = [
        _staff_event("POST", "/v1/file-requests", "POST /v1/file-requests", {**SEED_REQUEST, "patientMobile": mobile})
        for mobile in ("+447777123456", "+447777123457", "+447777123458", "+447777123459")
    ]

    def stored_requests() -> int:
        items = dynamodb.scan(TableName=NAMES["DocumentsTable"])["Items"]
        return len([item for item in items if item.get("SK", {}).get("S") == "REQUEST"])

    requests_before = stored_requests()
    containers.send_notifications()  # (what earlier tests on this server left)
    sms_before = len(containers.sms())
    results = containers.invoke("functions.file_requests_create.app", events)
    containers.send_notifications()
    # Then one is created and sent, the other three are 429s naming the quota, with nothing of theirs stored or sent
    assert sorted(r["statusCode"] for r in results) == [201, 429, 429, 429]
    refusals = [json.loads(r["body"])["error"] for r in results if r["statusCode"] == 429]
    assert all(e["field"] == "smsDailyQuota" and f"daily SMS quota ({sent + 1} " in e["message"] for e in refusals)
    (created,) = [json.loads(r["body"]) for r in results if r["statusCode"] == 201]
    ((_, text),) = containers.sms()[sms_before:]  # one SMS, the created request's
    assert f"/r/{created['short_link_id']}" in text
    assert dynamodb.get_item(TableName=NAMES["DocumentsTable"], Key=today)["Item"]["sent"]["N"] == str(sent + 1)
    assert stored_requests() == requests_before + 1
    # (the account's default quota again, for the tests that share the server)
    dynamodb.delete_item(TableName=NAMES["DocumentsTable"], Key={"PK": {"S": "ACCOUNT#12"}, "SK": {"S": "SETTINGS"}})


def test_twenty_parallel_uploads_to_one_request_give_twenty_files(containers):
    # Given a request whose patient has passed the date-of-birth check, allowed 20 photos
    created = json.loads(
        containers.invoke(
            "functions.file_requests_create.app",
            [_staff_event("POST", "/v1/file-requests", "POST /v1/file-requests", SEED_REQUEST)],
        )[0]["body"]
    )
    link = created["short_link_id"]
    verify = _public_event(f"/r/{link}/verify", "POST /r/{short_link_id}/verify", link, {"date_of_birth": "1980-06-17"})
    session = json.loads(containers.invoke("functions.patient_page_verify.app", [verify])[0]["body"])["upload_session"]
    photos = [png_bytes(2 + index, 2) for index in range(20)]
    presigns = [
        _public_event(
            f"/r/{link}/uploads",
            "POST /r/{short_link_id}/uploads",
            link,
            {"file_name": f"photo-{i}.png", "content_type": "image/png", "size_bytes": len(photos[i])},
            {"x-upload-session": session},
        )
        for i in range(20)
    ]
    # When 20 presigns run in parallel containers and 20 uploads go to storage at once
    forms = [json.loads(r["body"]) for r in containers.invoke("functions.patient_page_upload.app", presigns)]
    assert all("fields" in form for form in forms), forms

    def post(index: int) -> int:
        form = forms[index]
        files = {"file": (f"photo-{index}.png", photos[index], "image/png")}
        return requests.post(form["url"], data=form["fields"], files=files, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=10) as threads:
        assert set(threads.map(post, range(20))) <= {200, 204}
    # And the register function runs in parallel containers on the queued events
    sqs = containers.client("sqs")
    url = sqs.get_queue_url(QueueName=NAMES["UploadEventsQueue"])["QueueUrl"]
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        messages.extend(m for m in batch if "ObjectCreated" in m["Body"])
    assert len(messages) == 20
    batches = [sqs_event(messages[i : i + 5], "arn:aws:sqs:us-east-1:123456789012:q") for i in range(0, 20, 5)]
    results = containers.invoke("functions.uploaded_file_register.app", batches)
    retried = [m for r in results for m in r["batchItemFailures"]]
    if retried:  # a transaction conflict is retried, as SQS would redeliver
        again = [m for m in messages if m["MessageId"] in {r["itemIdentifier"] for r in retried}]
        results = containers.invoke("functions.uploaded_file_register.app", [sqs_event(again, "arn:q")])
        assert results == [{"batchItemFailures": []}]
    # Then the request has 20 files, none lost or doubled
    get = _staff_event(
        "GET",
        f"/v1/file-requests/{created['id']}",
        "GET /v1/file-requests/{fileRequestId}",
        path_parameters={"fileRequestId": created["id"]},
    )
    answer = json.loads(containers.invoke("functions.file_requests_get.app", [get])[0]["body"])
    assert len(answer["files"]) == 20 and len({f["id"] for f in answer["files"]}) == 20
    assert sorted(f["size"] for f in answer["files"]) == sorted(len(p) for p in photos)
    assert answer["status"] == "responded"
    # And the patient's counts (total, day, hour), which every registration changed at once, are exact
    items = containers.client("dynamodb").scan(TableName=NAMES["DocumentsTable"])["Items"]
    counts = counts_from_documents(items)
    assert max(counts.values()) == 20 and kept_counts(items) == counts
