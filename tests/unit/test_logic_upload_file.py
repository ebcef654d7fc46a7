"""Door B "Upload File": the server picks the key; the client's bucket and path are checked, never trusted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from patient_docs.errors import InvalidField, NotFound, PayloadTooLarge
from patient_docs.logic.upload_file import patient_from_file_path, presign_upload, upload_unsigned
from patient_docs.rules.object_keys import parse_document_key
from patient_docs.settings import get_settings
from tests.unit.doubles import ACCOUNT, NOW, PATIENT_NUMBER, PDF, PNG, patient, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")

PATH = f"patients/{PATIENT_NUMBER}/documents"


def bucket():
    return get_settings().bucket_name


def unsigned(
    caller=None, bucket_name=None, file_path=PATH, file_name="scan.pdf", content=PDF, declared="application/pdf"
):
    return upload_unsigned(caller or staff(), bucket_name or bucket(), file_path, file_name, content, declared)


def refused(fakes, refusal, field, call):
    with pytest.raises(refusal) as caught:
        call()
    assert caught.value.field == field
    assert fakes.objects.objects == {}
    assert fakes.objects.presigned_posts == []


# ------------------------------------------------------------------ the compatibility multipart upload


def test_the_file_is_stored_under_a_key_the_server_chose_in_the_patients_area(fakes):
    uploaded = unsigned(file_name="../../etc/John Smith.PDF")
    ((key, (data, content_type, original_name)),) = fakes.objects.objects.items()
    parsed = parse_document_key(key)
    assert parsed is not None and (parsed.account_id, parsed.patient_id) == (ACCOUNT, PATIENT_NUMBER)
    assert "John" not in key and key.endswith(".pdf")
    assert (data, content_type, original_name) == (PDF, "application/pdf", "../../etc/John Smith.PDF")
    assert uploaded.file_url.endswith(key)
    assert (uploaded.bucket_name, uploaded.size_bytes) == (bucket(), len(PDF))


@pytest.mark.parametrize("path", [PATH, f"/{PATH}/"])
def test_the_vendors_file_path_names_the_patient(path):
    assert patient_from_file_path(path) == PATIENT_NUMBER


@pytest.mark.parametrize(
    "path",
    [
        "patients/x/documents",
        "accounts/12/patients/1/documents",
        "patients/1/documents/../2",
        "patients//documents",
        f"  {PATH}  ",  # one spelling per id: nothing around it, no leading zero
        "patients/01/documents",
        f"{PATH}\n",
    ],
)
def test_any_other_file_path_is_refused(fakes, path):
    refused(fakes, InvalidField, "file_path", lambda: unsigned(file_path=path))


def test_another_bucket_is_refused_first(fakes):
    refused(fakes, InvalidField, "bucket_name", lambda: unsigned(bucket_name="someone-elses-bucket", file_path="nope"))


def test_the_bucket_and_path_are_judged_before_the_callers_reach(fakes):
    refused(fakes, InvalidField, "file_path", lambda: unsigned(caller=patient(number=1), file_path="nope"))


def test_a_patient_uploads_to_their_own_area_only(fakes):
    with pytest.raises(NotFound):
        unsigned(caller=patient(number=PATIENT_NUMBER + 1))
    assert fakes.objects.objects == {}
    unsigned(caller=patient())
    assert len(fakes.objects.objects) == 1


def test_staff_of_another_account_cannot_reach_the_patient_through_the_path(fakes):
    unsigned(caller=staff(account="13"))
    (key,) = fakes.objects.objects
    assert key.startswith("accounts/13/")  # their own account's area, never account 12's


@pytest.mark.parametrize(
    ("content", "declared", "message"),
    [
        (b"", "application/pdf", "empty"),
        (b"MZ\x90\x00 not a document", None, "must be one of"),
        (PNG, "application/pdf", "does not match"),
    ],
    ids=["empty", "unknown bytes", "png declared pdf"],
)
def test_a_file_that_is_empty_unknown_or_not_what_it_says_is_refused(fakes, content, declared, message):
    with pytest.raises(InvalidField, match=message) as caught:
        unsigned(content=content, declared=declared)
    assert caught.value.field == "file"
    assert fakes.objects.objects == {}


def test_a_file_above_the_inline_limit_points_to_the_presigned_upload(fakes, settings_env):
    settings_env(INLINE_MAX_BYTES=len(PDF) - 1)
    with pytest.raises(PayloadTooLarge, match="presigned") as caught:
        unsigned()
    assert caught.value.field == "file"
    assert fakes.objects.objects == {}


@pytest.mark.parametrize("declared", [None, "application/octet-stream", "application/pdf; charset=binary"])
def test_an_absent_or_generic_declared_type_takes_the_type_the_bytes_prove(fakes, declared):
    unsigned(declared=declared)
    ((_, (_, content_type, _)),) = fakes.objects.objects.items()
    assert content_type == "application/pdf"


def test_plain_text_is_accepted_only_when_declared_as_text(fakes):
    unsigned(content="Notes: café".encode(), declared="text/plain", file_name="notes.txt")
    ((key, (_, content_type, _)),) = fakes.objects.objects.items()
    assert (content_type, key.rsplit(".", 1)[1]) == ("text/plain", "txt")
    with pytest.raises(InvalidField):
        unsigned(content=b"Notes", declared=None)


# ------------------------------------------------------------------ the presigned POST


def test_the_presigned_post_pins_the_key_type_and_exact_size(fakes, settings_env):
    settings_env(PRESIGN_TTL_SECONDS=120)
    upload = presign_upload(staff(), PATIENT_NUMBER, "John Smith.jpeg", "image/JPEG", 2048)
    (post,) = fakes.objects.presigned_posts
    parsed = parse_document_key(post["key"])
    assert parsed is not None and (parsed.account_id, parsed.patient_id) == (ACCOUNT, PATIENT_NUMBER)
    assert post["key"].endswith(".jpeg") and "John" not in post["key"]
    assert (post["content_type"], post["min"], post["max"]) == ("image/jpeg", 2048, 2048)
    assert (upload.content_type, upload.expires_at) == ("image/jpeg", NOW + timedelta(seconds=120))
    assert upload.file_url.endswith(post["key"])


def test_an_unaccepted_type_is_refused(fakes):
    refused(
        fakes,
        InvalidField,
        "content_type",
        lambda: presign_upload(staff(), PATIENT_NUMBER, "a.exe", "application/x-msdownload", 10),
    )


def test_a_size_above_the_upload_limit_is_refused(fakes, settings_env):
    settings_env(UPLOAD_MAX_BYTES=1000)
    presign_upload(staff(), PATIENT_NUMBER, "a.pdf", "application/pdf", 1000)
    with pytest.raises(PayloadTooLarge) as caught:
        presign_upload(staff(), PATIENT_NUMBER, "a.pdf", "application/pdf", 1001)
    assert caught.value.field == "size_bytes"
    assert len(fakes.objects.presigned_posts) == 1


def test_a_patient_is_refused_another_patients_area_before_anything_else(fakes):
    with pytest.raises(NotFound):
        presign_upload(patient(number=1), PATIENT_NUMBER, "a.exe", "application/x-msdownload", 10**12)
    assert fakes.objects.presigned_posts == []
