"""A client generated from ``/openapi.json`` by a third-party generator calls every door of ``make run``.

openapi-python-client (its own virtualenv, ``make openapi-client``) writes a Python package from the
document the local server serves; the tests import it and use nothing else to talk to the API,
except for the presigned POSTs, which go straight to storage. The generator runs with
``--fail-on-warning``: what it cannot read in the document fails here, and is fixed in the document.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime
from io import BytesIO
from types import ModuleType
from typing import Any

import pytest
import requests

from patient_docs.schemas.common import NAIVE_UTC_PATTERN
from tests.e2e.server import ROOT, RunningServer, local_server
from tests.images import same_pixels
from tests.utils import b64, pdf_bytes, png_bytes

pytestmark = pytest.mark.server
GENERATOR = ROOT / ".venv-tools" / "openapi-client" / "bin" / "openapi-python-client"
PACKAGE = "patient_docs_client"
PATIENT = 1172416
DATE_OF_BIRTH = date(1980, 6, 17)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with local_server(tmp_path_factory.mktemp("generated-client")) as running:
        yield running


@pytest.fixture(scope="module")
def generated(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported from a temporary directory."""
    if not GENERATOR.exists():
        pytest.fail("openapi-python-client is missing: `make openapi-client` (part of `make test`) installs it")
    work = tmp_path_factory.mktemp("client-package")
    spec = work / "openapi.json"
    spec.write_bytes(requests.get(f"{server.base_url}/openapi.json", timeout=30).content)
    config = work / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the package is only imported
    command = [GENERATOR, "generate", "--path", spec, "--meta", "none", "--output-path", work / PACKAGE]
    result = subprocess.run(
        [*map(str, command), "--config", str(config), "--fail-on-warning"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def operation(tag: str, operation_id: str) -> Any:
    """The generated module of one operation: ``sync``, ``sync_detailed``..."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{snake}")


@pytest.fixture(scope="module")
def models(generated: ModuleType) -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


@pytest.fixture(scope="module")
def staff(generated: ModuleType, server: RunningServer) -> Any:
    token = server.token("--role", "staff", "--account", "12")
    return generated.AuthenticatedClient(base_url=server.base_url, token=token, raise_on_unexpected_status=True)


@pytest.fixture(scope="module")
def anyone(generated: ModuleType, server: RunningServer) -> Any:
    """No token: the patient page is public."""
    return generated.Client(base_url=server.base_url, raise_on_unexpected_status=True)


def _is_utc_date_time(value: Any) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None and value.utcoffset().total_seconds() == 0


def test_door_a_create_list_get_and_delete(models, staff):
    door_a = "door_a_patient_documents"
    doc = models.InlineDocumentIn(
        document_name="DOGE.png",
        data=b64(png_bytes()),
        mime_type="image/png",
        record_type=models.InlineDocumentInRecordType.PATIENT_RECORD,
    )
    created = operation(door_a, "createInlineDocument").sync_detailed(
        patient_id=PATIENT, client=staff, body=models.CreateInlineDocumentRequest(doc=doc)
    )
    assert created.status_code == 201, created.content
    document = created.parsed.doc
    assert document.document_name == "DOGE.png" and _is_utc_date_time(document.upload_date)

    listed = operation(door_a, "listInlineDocuments").sync(patient_id=PATIENT, client=staff)
    assert document.id in [entry.id for entry in listed.docs]

    get = operation(door_a, "getInlineDocument")
    deadline = time.monotonic() + 30
    while (answer := get.sync_detailed(patient_id=PATIENT, document_id=document.id, client=staff)).status_code == 409:
        # Its malware scan is pending: the 409 says when to ask again
        assert "retry-after" in {name.lower() for name in answer.headers} and time.monotonic() < deadline
        time.sleep(0.2)
    fetched = answer.parsed
    assert _is_utc_date_time(fetched.doc.download_url_expires_at)
    assert same_pixels(requests.get(fetched.doc.download_url, timeout=30).content, png_bytes())  # its clean copy

    deleted = operation(door_a, "deleteInlineDocument").sync_detailed(
        patient_id=PATIENT, document_id=document.id, client=staff
    )
    assert deleted.status_code == 204
    gone = operation(door_a, "getInlineDocument").sync(patient_id=PATIENT, document_id=document.id, client=staff)
    assert isinstance(gone, models.ErrorResponse) and gone.error.status == 404


def test_door_b_presign_upload_save_list_and_update(models, staff):
    door_b = "door_b_patient_documents"
    # Upload File: a presigned POST, then the bytes straight to storage
    request = models.PresignUploadRequest(
        patient_id=PATIENT, file_name="insurance-card.pdf", content_type="application/pdf", size_bytes=len(pdf_bytes())
    )
    presigned = operation(door_b, "presignFileUpload").sync(client=staff, body=request).data
    assert re.fullmatch(NAIVE_UTC_PATTERN, presigned.expires_at)
    posted = requests.post(
        presigned.url,
        data=presigned.fields.to_dict(),
        files={"file": ("insurance-card.pdf", pdf_bytes(), "application/pdf")},
        timeout=30,
    )
    assert posted.status_code in (200, 204), posted.text

    # Save Document, with a date in the vendor's format
    save = models.SaveDocumentRequest(
        patient_id=PATIENT,
        name="PEHP Insurance Card",
        document_url=presigned.file_url,
        bucket_name=presigned.bucket_name,
        document_category=models.SaveDocumentRequestDocumentCategoryType0.INSURANCE_CARD,
        receipt_date="2026-04-01T09:00:00",
    )
    saved = operation(door_b, "savePatientDocument").sync(client=staff, body=save).data
    assert saved.receipt_date == "2026-04-01T09:00:00" and re.fullmatch(NAIVE_UTC_PATTERN, saved.created_at)

    # The list and the update share one path variable: the patient's id, then the document's
    page = operation(door_b, "listPatientDocuments").sync(
        id=PATIENT,
        client=staff,
        document_category=[models.ListPatientDocumentsDocumentCategoryType0Item.INSURANCE_CARD],
        size=100,
    )
    assert saved.id in [entry.id for entry in page.data.documents]
    update = models.UpdateDocumentRequest(notes="reviewed")
    updated = operation(door_b, "updatePatientDocument").sync(id=saved.id, client=staff, body=update).data
    assert updated.notes == "reviewed" and updated.name == "PEHP Insurance Card"

    missing = operation(door_b, "updatePatientDocument").sync(id=1, client=staff, body=update)
    assert isinstance(missing, models.DoorBErrorResponse) and missing.code == 4040


def test_door_b_unsigned_upload_sends_multipart_as_documented(models, staff, generated):
    body = models.BodyUploadFileUnsigned(
        file=generated.types.File(payload=BytesIO(png_bytes()), file_name="scan.png", mime_type="image/png"),
        bucket_name=operation("door_b_patient_documents", "presignFileUpload")
        .sync(
            client=staff,
            body=models.PresignUploadRequest(
                patient_id=PATIENT, file_name="scan.png", content_type="image/png", size_bytes=1
            ),
        )
        .data.bucket_name,
        file_path=f"patients/{PATIENT}/documents",
        file_name="scan.png",
    )
    uploaded = operation("door_b_patient_documents", "uploadFileUnsigned").sync(client=staff, body=body)
    assert uploaded.data.size_bytes == len(png_bytes()) and uploaded.data.file_name == "scan.png"


def _create_file_request(models: Any, staff: Any) -> Any:
    body = models.CreateFileRequestBody(
        prompt="Please take a close-up photo of the rash.",
        type_="photo",
        account_user_id=42,
        account_id=12,
        staff_name="Dr Rachel Williams",
        patient_mobile="+447777123456",
        patient_date_of_birth=DATE_OF_BIRTH,
        patient_first_name="John",
        patient_last_name="Smith",
    )
    created = operation("door_c_file_requests", "createFileRequest").sync_detailed(client=staff, body=body)
    assert created.status_code == 201, created.content
    return created.parsed


def test_door_c_create_get_list_and_the_settings(models, staff):
    door_c = "door_c_file_requests"
    created = _create_file_request(models, staff)
    # The SMS goes from a queue, off the request path: the request answers before it is sent
    assert created.status == "created" and _is_utc_date_time(created.created_at)
    assert _is_utc_date_time(created.short_link_expires_at)

    deadline = time.monotonic() + 30
    while True:
        fetched = operation(door_c, "getFileRequest").sync(file_request_id=created.id, client=staff)
        if fetched.status == "notified" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert fetched.id == created.id and fetched.files == []
    assert fetched.status == "notified" and _is_utc_date_time(fetched.notified_at)

    page = operation(door_c, "listFileRequests").sync(client=staff, patient_id=created.patient_id)
    assert created.id in [entry.id for entry in page.file_requests]

    # Resending at once is refused 429, in the door's documented error body
    refused = operation(door_c, "resendFileRequest").sync_detailed(file_request_id=created.id, client=staff)
    assert refused.status_code == 429 and refused.headers["retry-after"].isdigit()
    assert isinstance(refused.parsed, models.ErrorResponse) and refused.parsed.error.code == "too_many_requests"

    cancelled = operation(door_c, "cancelFileRequest").sync(file_request_id=created.id, client=staff)
    assert cancelled.status == "cancelled" and _is_utc_date_time(cancelled.cancelled_at)

    settings = operation("door_c_account_settings", "getAccountSettings").sync(client=staff)
    assert settings.account_id == "12" and settings.link_lifetime_hours > 0


def test_the_patient_page_opens_verifies_and_presigns_a_photo(models, staff, anyone):
    page = "patient_page"
    link = _create_file_request(models, staff).short_link_id
    opened = operation(page, "openPatientPage").sync_detailed(short_link_id=link, client=anyone)
    assert opened.status_code == 200 and b"date of birth" in opened.content.lower()

    wrong = operation(page, "verifyPatient").sync(
        short_link_id=link, client=anyone, body=models.VerifyBody(date_of_birth=date(1980, 6, 18))
    )
    assert isinstance(wrong, models.VerifyErrorResponse) and wrong.attempts_left == 4

    session = operation(page, "verifyPatient").sync(
        short_link_id=link, client=anyone, body=models.VerifyBody(date_of_birth=DATE_OF_BIRTH)
    )
    assert isinstance(session, models.UploadSessionOut) and _is_utc_date_time(session.expires_at)

    photo = models.PhotoUploadBody(file_name="IMG_0292.png", content_type="image/png", size_bytes=len(png_bytes()))
    form = operation(page, "presignPhotoUpload").sync(
        short_link_id=link, client=anyone, body=photo, x_upload_session=session.upload_session
    )
    assert isinstance(form, models.PhotoUploadOut) and _is_utc_date_time(form.expires_at)
    posted = requests.post(
        form.url,
        data=form.fields.to_dict(),
        files={"file": ("IMG_0292.png", png_bytes(), "image/png")},
        timeout=30,
    )
    assert posted.status_code in (200, 204), posted.text
