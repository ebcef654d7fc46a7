"""What the probe-finding regressions share: a multipart body, an uploaded file, a saved document, a file request.

Each goes through the API itself, as staff of account 12, for patient 1172416.
"""

from __future__ import annotations

import uuid
from typing import Any

from botocore.exceptions import ClientError

from tests.utils import STAFF_12, call, png_bytes

PATIENT = 1172416
FILE_REQUEST: dict[str, Any] = {
    "prompt": "Please photograph the rash on your left ankle.",
    "type": "photo",
    "accountUserId": 42,
    "accountId": 12,
    "staffName": "Dr Rachel Williams",
    "patientMobile": "+447911123456",
    "patientDateOfBirth": "1980-06-17",
    "patientFirstName": "John",
    "patientLastName": "Smith",
}


def multipart(fields: dict[str, str], file_name: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    """A multipart/form-data body: ``fields``, then the file part; and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload_unsigned_reply(
    api: Any, aws: Any, name: str, content: bytes | None = None, content_type: str = "image/png"
) -> Any:
    fields = {"bucket_name": aws.bucket, "file_path": f"patients/{PATIENT}/documents", "file_name": name}
    raw, multipart_type = multipart(fields, name, png_bytes() if content is None else content, content_type)
    headers = {"content-type": multipart_type}
    return call(api, "POST", "/apis/v1/file/upload/unsigned", caller=STAFF_12, headers=headers, raw=raw)


def upload_unsigned(api: Any, aws: Any, name: str, content: bytes | None = None, content_type: str = "image/png"):
    reply = upload_unsigned_reply(api, aws, name, content, content_type)
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


def save_body(aws: Any, file_url: str, name: str = "Card") -> dict[str, Any]:
    return {"patient_id": PATIENT, "name": name, "document_url": file_url, "bucket_name": aws.bucket}


def save_document(api: Any, aws: Any, name: str) -> dict[str, Any]:
    uploaded = upload_unsigned(api, aws, name)
    reply = call(api, "POST", "/apis/v1/patient-document", save_body(aws, uploaded["file_url"], name), STAFF_12)
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


def create_file_request(api: Any, **changes: Any) -> dict[str, Any]:
    reply = call(api, "POST", "/v1/file-requests", {**FILE_REQUEST, **changes}, STAFF_12)
    assert reply.status == 201, reply.body
    return dict(reply.json)


class Outage:
    """While open, every call the functions make to one AWS service (or one ``operation`` of it) fails
    with ``code``, as AWS answers. A botocore ``before-call`` hook on the functions' own (cached)
    client: nothing else is replaced.
    """

    def __init__(self, service: str, code: str, operation: str | None = None) -> None:
        from patient_docs.adapters import aws as clients

        self.client = getattr(clients, service)()
        self.event = f"before-call.{self.client.meta.service_model.endpoint_prefix}"
        if operation:
            self.event += f".{operation}"
        self.code = code
        self.calls = 0

    def _refuse(self, model: Any, **kwargs: Any) -> None:
        self.calls += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "injected outage"}}, model.name)

    def __enter__(self) -> Outage:
        self.client.meta.events.register(self.event, self._refuse)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.client.meta.events.unregister(self.event, self._refuse)
