"""Door A create: a small base64 file becomes an object and a document, or nothing at all."""

from __future__ import annotations

import base64

import pytest
from botocore.stub import ANY

from patient_docs.adapters import documents_table
from patient_docs.errors import InvalidField, NotFound, PayloadTooLarge
from patient_docs.logic import new_document
from patient_docs.logic.create_inline_document import create_inline_document
from patient_docs.rules.object_keys import parse_document_key
from patient_docs.schemas.inline_documents import InlineDocumentIn
from tests.unit.doubles import ACCOUNT, NOW, PATIENT_NUMBER, PDF, PNG, cancelled, client_error, patient, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")

REAL_PUT = documents_table.put_document


def doc_in(data=PNG, mime_type="image/png", name="rash photo.PNG", record_type="Patient Record", encoded=None):
    return InlineDocumentIn(
        document_name=name,
        data=encoded if encoded is not None else base64.b64encode(data).decode(),
        mime_type=mime_type,
        record_type=record_type,
    )


def nothing_stored(fakes):
    return fakes.objects.objects == {} and fakes.documents.put_attempts == []


def test_the_file_is_stored_in_the_patients_area_and_recorded_as_a_document(fakes):
    doc = create_inline_document(staff(), PATIENT_NUMBER, doc_in())
    ((key, (data, content_type, original_name)),) = fakes.objects.objects.items()
    parsed = parse_document_key(key)
    assert parsed is not None and (parsed.account_id, parsed.patient_id) == (ACCOUNT, PATIENT_NUMBER)
    assert (data, content_type, original_name) == (PNG, "image/png", "rash photo.PNG")
    assert (doc.object_key, doc.extension, doc.size_bytes, doc.source) == (key, "png", len(PNG), "inline")
    assert (doc.name, doc.record_type, doc.uploaded_by_name, doc.created_at) == (
        "rash photo.PNG",
        "Patient Record",
        "Dr Rachel Williams",
        NOW,
    )
    assert fakes.documents.items == {doc.id: doc}


def test_a_data_url_prefix_and_line_breaks_are_tolerated(fakes):
    encoded = "data:image/png;base64," + "\n".join(base64.b64encode(PNG).decode()[i : i + 76] for i in range(0, 88, 76))
    assert create_inline_document(staff(), PATIENT_NUMBER, doc_in(encoded=encoded)).size_bytes == len(PNG)


def test_a_mime_alias_is_stored_under_its_canonical_type(fakes):
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 60
    doc = create_inline_document(staff(), PATIENT_NUMBER, doc_in(jpeg, "image/jpg", "x.jpeg"))
    assert (doc.mime_type, doc.extension) == ("image/jpeg", "jpeg")


@pytest.mark.parametrize(
    ("given", "field", "refusal"),
    [
        ({"mime_type": "application/zip"}, "doc.mime_type", InvalidField),
        ({"encoded": "not base64!"}, "doc.data", InvalidField),
        ({"encoded": "  \n "}, "doc.data", InvalidField),
        ({"data": PDF}, "doc.mime_type", InvalidField),  # a PDF declared as PNG
    ],
    ids=["type not accepted", "not base64", "empty", "bytes of another type"],
)
def test_a_bad_file_is_refused_naming_the_field_and_nothing_is_stored(fakes, given, field, refusal):
    with pytest.raises(refusal) as caught:
        create_inline_document(staff(), PATIENT_NUMBER, doc_in(**given))
    assert caught.value.field == field
    assert nothing_stored(fakes)


def test_the_declared_type_is_judged_before_the_data(fakes):
    with pytest.raises(InvalidField) as caught:
        create_inline_document(staff(), PATIENT_NUMBER, doc_in(mime_type="application/zip", encoded="not base64!"))
    assert caught.value.field == "doc.mime_type"


def test_a_file_above_the_inline_limit_is_too_large_and_points_to_the_presigned_path(fakes, settings_env):
    settings_env(INLINE_MAX_BYTES=len(PNG) - 1)
    with pytest.raises(PayloadTooLarge, match="presigned") as caught:
        create_inline_document(staff(), PATIENT_NUMBER, doc_in())
    assert caught.value.field == "doc.data"
    assert nothing_stored(fakes)
    settings_env(INLINE_MAX_BYTES=len(PNG))
    create_inline_document(staff(), PATIENT_NUMBER, doc_in())


def test_another_patients_record_is_not_found_before_the_file_is_judged(fakes):
    with pytest.raises(NotFound):
        create_inline_document(patient(number=PATIENT_NUMBER + 1), PATIENT_NUMBER, doc_in(mime_type="application/zip"))
    assert nothing_stored(fakes)


def test_staff_store_in_their_own_accounts_area_whatever_the_patient_number(fakes):
    create_inline_document(staff(account="13"), PATIENT_NUMBER, doc_in())
    (key,) = fakes.objects.objects
    assert key.startswith("accounts/13/")


def test_a_patient_adds_to_their_own_record(fakes):
    doc = create_inline_document(patient(), PATIENT_NUMBER, doc_in())
    assert (doc.patient_id, doc.uploaded_by_name) == (PATIENT_NUMBER, "John Smith")


def test_a_record_that_cannot_be_written_takes_its_object_with_it(fakes):
    fakes.documents.failure = client_error("InternalServerError", "PutItem")
    with pytest.raises(Exception, match="InternalServerError"):
        create_inline_document(staff(), PATIENT_NUMBER, doc_in())
    assert fakes.objects.objects == {}
    assert len(fakes.objects.deleted) == 1


def test_an_id_clash_at_dynamodb_is_retried_and_the_object_kept(fakes, stub, monkeypatch):
    # Given DynamoDB refuses the first id (taken) and accepts the second
    monkeypatch.setattr(documents_table, "put_document", REAL_PUT)
    ids = iter([7, 8])
    monkeypatch.setattr(new_document, "new_document_id", lambda: next(ids))
    dynamodb = stub("dynamodb")
    dynamodb.add_client_error(
        "transact_write_items",
        "TransactionCanceledException",
        modeled_fields=cancelled("ConditionalCheckFailed", "None"),
        expected_params={"TransactItems": [{"Put": ANY_PUT}, *[ANY] * 6]},
    )
    # (the document, its object's claim, its patient's counts (total, day, hour), its link to its file's scan
    # entry, its audit event)
    dynamodb.add_response("transact_write_items", {}, expected_params={"TransactItems": [{"Put": ANY_PUT}, *[ANY] * 6]})
    # When the document is created
    doc = create_inline_document(staff(), PATIENT_NUMBER, doc_in())
    # Then it has the second id and its object stays
    assert doc.id == 8
    assert fakes.objects.deleted == []
    assert doc.object_key in fakes.objects.objects


ANY_PUT = {"TableName": ANY, "Item": ANY, "ConditionExpression": "attribute_not_exists(PK)"}
