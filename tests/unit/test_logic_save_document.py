"""Door B "Save Document": the URL must name an uploaded object of this bucket in that patient's area."""

from __future__ import annotations

import pytest

from patient_docs.errors import Conflict, InvalidField, NotFound
from patient_docs.logic.save_document import NOT_OURS, save_document
from patient_docs.rules.object_keys import new_document_key, object_url
from patient_docs.schemas.patient_documents import SaveDocumentRequest
from patient_docs.settings import get_settings
from tests.unit.doubles import ACCOUNT, PATIENT_NUMBER, PDF, PNG, client_error, patient, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")


def url_of(key):
    settings = get_settings()
    return object_url(settings.bucket_name, settings.region, key)


@pytest.fixture
def uploaded(fakes):
    """The key of a PDF uploaded to patient 1172416 of account 12 (as Upload File leaves it)."""
    key = new_document_key(ACCOUNT, PATIENT_NUMBER, "pdf")
    fakes.objects.put_object(key, PDF, "application/pdf", "Referral letter.pdf")
    return key


def save_request(key, **changes):
    values = {
        "patient_id": PATIENT_NUMBER,
        "name": "Referral letter",
        "document_url": url_of(key),
        "bucket_name": get_settings().bucket_name,
        "document_category": "MEDICAL_HISTORY",
        "spry_case_id": "case-7",
    }
    values.update(changes)
    return SaveDocumentRequest.model_validate(values)


def refused(fakes, field, call, message=None):
    with pytest.raises(InvalidField, match=message) as caught:
        call()
    assert caught.value.field == field
    assert fakes.documents.put_attempts == []
    return caught.value


def test_a_saved_document_points_at_the_uploaded_object_with_its_real_type_and_size(fakes, uploaded):
    doc = save_document(staff(), save_request(uploaded))
    assert (doc.object_key, doc.mime_type, doc.extension, doc.size_bytes) == (
        uploaded,
        "application/pdf",
        "pdf",
        len(PDF),
    )
    assert (doc.name, doc.original_file_name, doc.source) == ("Referral letter", "Referral letter.pdf", "upload")
    assert (doc.document_category, doc.spry_case_id, doc.uploaded_by_name) == (
        "MEDICAL_HISTORY",
        "case-7",
        "Dr Rachel Williams",
    )
    assert fakes.documents.items == {doc.id: doc}


def test_an_object_without_its_original_name_is_named_after_the_document(fakes, uploaded):
    fakes.objects.objects[uploaded] = (PDF, "application/pdf", None)
    assert save_document(staff(), save_request(uploaded)).original_file_name == "Referral letter.pdf"


def test_the_path_style_url_of_the_same_object_is_accepted(fakes, uploaded):
    settings = get_settings()
    url = f"https://s3.{settings.region}.amazonaws.com/{settings.bucket_name}/{uploaded}"
    assert save_document(staff(), save_request(uploaded, document_url=url)).object_key == uploaded


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.pdf",
        "https://127.0.0.1/a.pdf",
        "https://169.254.169.254/latest/meta-data",
        "https://files.internal/a.pdf",
    ],
    ids=["not https", "loopback", "link-local metadata", "internal name"],
)
def test_a_url_that_is_not_public_https_is_refused_before_the_bucket(fakes, url):
    refused(
        fakes, "document_url", lambda: save_document(staff(), save_request("x", document_url=url, bucket_name="other"))
    )


def test_another_bucket_name_is_refused(fakes, uploaded):
    refused(fakes, "bucket_name", lambda: save_document(staff(), save_request(uploaded, bucket_name="other-bucket")))


@pytest.mark.parametrize(
    "where",
    [
        "another bucket's url",
        "another patient's area",
        "another account's area",
        "a key not issued here",
        "a query string",
    ],
)
def test_a_url_that_does_not_name_an_upload_for_this_patient_is_refused(fakes, uploaded, where):
    # Given a URL that points anywhere but this patient's uploads in this bucket, at an object that exists
    key = {
        "another bucket's url": uploaded,
        "another patient's area": new_document_key(ACCOUNT, PATIENT_NUMBER + 1, "pdf"),
        "another account's area": new_document_key("13", PATIENT_NUMBER, "pdf"),
        "a key not issued here": f"accounts/{ACCOUNT}/patients/{PATIENT_NUMBER}/documents/mine.pdf",
        "a query string": uploaded,
    }[where]
    fakes.objects.put_object(key, PDF, "application/pdf", "Referral letter.pdf")
    url = {
        "another bucket's url": f"https://other-bucket.s3.us-east-1.amazonaws.com/{key}",
        "a query string": url_of(key) + "?versionId=1",
    }.get(where, url_of(key))
    # When it is saved: refused, naming document_url, with nothing written
    refused(fakes, "document_url", lambda: save_document(staff(), save_request(uploaded, document_url=url)), NOT_OURS)


def test_a_url_naming_no_uploaded_object_is_refused(fakes):
    key = new_document_key(ACCOUNT, PATIENT_NUMBER, "pdf")
    refused(fakes, "document_url", lambda: save_document(staff(), save_request(key)), "no uploaded file")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"", "application/pdf"), (PNG, "application/pdf"), (PDF, "application/zip")],
    ids=["empty", "png uploaded as pdf", "type not accepted"],
)
def test_an_upload_that_is_empty_or_not_of_its_declared_type_is_refused(fakes, uploaded, data, content_type):
    fakes.objects.objects[uploaded] = (data, content_type, "x")
    refused(
        fakes,
        "document_url",
        lambda: save_document(staff(), save_request(uploaded)),
        "empty or not of its declared type",
    )


def test_a_patient_saves_to_their_own_record_only(fakes, uploaded):
    with pytest.raises(NotFound):
        save_document(patient(number=PATIENT_NUMBER + 1), save_request(uploaded))
    assert save_document(patient(), save_request(uploaded)).patient_id == PATIENT_NUMBER


def test_a_failed_save_leaves_the_clients_upload_in_place_for_a_retry(fakes, uploaded):
    fakes.documents.failure = client_error("ProvisionedThroughputExceededException", "PutItem")
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        save_document(staff(), save_request(uploaded))
    assert fakes.objects.deleted == []
    assert uploaded in fakes.objects.objects


def test_an_object_another_document_points_at_is_a_conflict_and_stays(fakes, uploaded):
    # Given the upload saved once
    first = save_document(staff(), save_request(uploaded))
    # When it is saved again, by its path-style URL
    settings = get_settings()
    again = f"https://s3.{settings.region}.amazonaws.com/{settings.bucket_name}/{uploaded}"
    with pytest.raises(Conflict) as caught:
        save_document(staff(), save_request(uploaded, document_url=again))
    # Then it is a conflict naming document_url; the first document and the object stay
    assert caught.value.field == "document_url"
    assert list(fakes.documents.items) == [first.id]
    assert fakes.objects.deleted == [] and uploaded in fakes.objects.objects
