"""Helpers for patient-page tests: a file request to answer, uploads, and the queue that registers them."""

from __future__ import annotations

import io
import json
from typing import Any

import requests

from local.events import LambdaContext
from local.queues import sqs_event
from tests.conftest import NAMES, MockedAws
from tests.utils import STAFF_12, call, png_bytes

DOB = "1980-06-17"
SEED_REQUEST = {
    "prompt": "Please take a close-up photo of the rash on the back of your right hand.",
    "type": "photo",
    "accountUserId": 42,
    "accountId": 12,
    "staffName": "Dr Rachel Williams",
    "patientMobile": "+447777123456",
    "patientDateOfBirth": DOB,
    "patientFirstName": "John",
    "patientLastName": "Smith",
}


def jpeg_bytes(width: int = 8, height: int = 8) -> bytes:
    """A real JPEG, made with Pillow when present, else a minimal baseline JPEG from bytes."""
    try:
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
        return buffer.getvalue()
    except ImportError:
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def create_request(api: Any, **overrides: Any) -> dict[str, Any]:
    reply = call(api, "POST", "/v1/file-requests", {**SEED_REQUEST, **overrides}, STAFF_12)
    assert reply.status == 201, reply.body
    return reply.json


def verify(api: Any, link: str, dob: str = DOB) -> Any:
    return call(api, "POST", f"/r/{link}/verify", {"date_of_birth": dob})


def session_for(api: Any, link: str) -> str:
    reply = verify(api, link)
    assert reply.status == 200, reply.body
    return str(reply.json["upload_session"])


def presign(
    api: Any,
    link: str,
    session: str | None,
    name: str = "IMG_0292.png",
    content_type: str = "image/png",
    size: int | None = None,
) -> Any:
    body = {"file_name": name, "content_type": content_type, "size_bytes": size or len(png_bytes())}
    headers = {"x-upload-session": session} if session else {}
    return call(api, "POST", f"/r/{link}/uploads", body, headers=headers)


def upload(api: Any, link: str, session: str, data: bytes, name: str, content_type: str) -> str:
    """Presign and POST the bytes the way the page does; the object key."""
    reply = presign(api, link, session, name, content_type, len(data))
    assert reply.status == 200, reply.body
    form = reply.json
    posted = requests.post(form["url"], data=form["fields"], files={"file": (name, data, content_type)}, timeout=30)
    assert posted.status_code in (200, 204), posted.text
    return str(form["fields"]["key"])


def queued_events(aws: MockedAws) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=NAMES["UploadEventsQueue"])["QueueUrl"]
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )


def register(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Invoke the register function with these queue messages, as the event source mapping would."""
    from functions.uploaded_file_register.app import lambda_handler

    event = sqs_event(messages, f"arn:aws:sqs:us-east-1:123456789012:{NAMES['UploadEventsQueue']}")
    return dict(lambda_handler(event, LambdaContext(function_name="UploadedFileRegisterFunction")))


def s3_event_message(bucket: str, key: str, size: int) -> dict[str, Any]:
    """An SQS message carrying an S3 ObjectCreated event, as S3 sends it (key URL-encoded)."""
    from urllib.parse import quote_plus

    body = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/"), "size": size}},
            }
        ]
    }
    return {"MessageId": key[-12:], "ReceiptHandle": "r", "Body": json.dumps(body), "Attributes": {}}
