"""Door C create: find or create the patient and staff user, record the request once, tell the patient once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from botocore.stub import ANY

from patient_docs.adapters import file_requests_table
from patient_docs.errors import AuditUnavailable, Conflict, InvalidField, NotFound, UnprocessableRequest
from patient_docs.logic import create_file_request as use_case
from patient_docs.logic.create_file_request import create_file_request
from patient_docs.models.account_settings import AccountSettings
from tests.unit.doubles import (
    ACCOUNT,
    DATE_OF_BIRTH,
    MOBILE,
    NOW,
    a_patient,
    a_staff_user,
    create_body,
    patient,
    staff,
)

pytestmark = [pytest.mark.usefixtures("no_network", "fixed_now")]

REAL_CREATE = file_requests_table.create_file_request


@pytest.fixture
def real_transaction(fakes, monkeypatch):
    """The real adapter writes the request (to a stubbed client); the fakes then hold what it wrote."""

    def create(request, new_patient, new_staff, event, sms_daily_quota):
        REAL_CREATE(request, new_patient, new_staff, event, sms_daily_quota)
        fakes.requests.add(request)

    monkeypatch.setattr(file_requests_table, "create_file_request", create)


def refused_with(fakes, refusal, field, call):
    """Run ``call``, expect ``refusal`` naming ``field``, and check that nothing was read, written or sent."""
    before = fakes.writes()
    with pytest.raises(refusal) as caught:
        call()
    assert caught.value.field == field
    assert fakes.writes() == before
    return caught.value


# ------------------------------------------------------------------ checks before anything is read


def test_a_patient_token_cannot_create_requests(fakes):
    with pytest.raises(NotFound):
        create_file_request(patient(), create_body(), None)
    assert fakes.people.reads == 0


def test_a_body_naming_another_account_is_not_found_before_anything_is_read(fakes):
    refusal = refused_with(fakes, NotFound, None, lambda: create_file_request(staff(), create_body(accountId=13), None))
    assert "account" in refusal.message
    assert fakes.people.reads == 0


def test_the_account_is_checked_before_the_staff_user_fields(fakes):
    body = create_body(accountId=13, accountUserId=None)
    refused_with(fakes, NotFound, None, lambda: create_file_request(staff(), body, None))


def test_without_staff_id_the_accounts_user_id_is_required(fakes):
    body = create_body(accountUserId=None)
    refused_with(fakes, InvalidField, "accountUserId", lambda: create_file_request(staff(), body, None))
    assert fakes.people.reads == 0


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "é-not-ascii"])
def test_a_malformed_idempotency_key_is_refused_before_anything_is_read(fakes, memory_idempotency, key):
    refused_with(fakes, InvalidField, "Idempotency-Key", lambda: create_file_request(staff(), create_body(), key))
    assert fakes.people.reads == 0
    assert memory_idempotency.records == {}


# ------------------------------------------------------------------ who the request is for, and from


def test_an_unknown_mobile_and_user_become_shells_written_with_the_request(fakes):
    # Given account 12 knows neither the mobile nor the account user 42
    # When staff create a request
    created = create_file_request(staff(), create_body(), None)
    # Then the request, a new patient and a new staff user are written together, once
    ((request, new_patient, new_staff),) = fakes.requests.creates
    assert (new_patient.mobile, new_patient.date_of_birth, new_patient.first_name) == (MOBILE, DATE_OF_BIRTH, "John")
    assert (new_staff.account_user_id, new_staff.name, new_staff.account_id) == ("42", "Dr Rachel Williams", ACCOUNT)
    assert (request.patient_id, request.patient_number) == (new_patient.patient_id, new_patient.patient_number)
    assert request.staff_id == new_staff.staff_id
    assert request.created_by == "staff-sub-1"
    # And the patient's notice is queued (the sender tells them), and the answer says so
    assert fakes.queue.queued == [request.id]
    assert (created.id, created.status, created.notification_status) == (request.id, "created", "queued")
    assert fakes.notifications.sms == []


def test_a_known_patient_is_reused_and_their_recorded_names_are_not_changed(fakes):
    # Given the mobile belongs to a patient of account 12 with the same date of birth
    known = fakes.people.add_patient(a_patient(first_name="Johnny", last_name="Smith"))
    # When a request names them differently
    create_file_request(staff(), create_body(patientFirstName="Jonathan"), None)
    # Then no patient is written and the request is theirs
    ((request, new_patient, _),) = fakes.requests.creates
    assert new_patient is None
    assert (request.patient_id, request.patient_number) == (known.patient_id, known.patient_number)
    assert fakes.people.patients[ACCOUNT, MOBILE].first_name == "Johnny"


def test_a_known_mobile_with_another_date_of_birth_is_a_conflict_and_nothing_is_written_or_sent(fakes):
    fakes.people.add_patient(a_patient(date_of_birth="1979-01-01"))
    refusal = refused_with(
        fakes, Conflict, "patientDateOfBirth", lambda: create_file_request(staff(), create_body(), None)
    )
    assert "nothing was sent" in refusal.message
    assert fakes.people.patients[ACCOUNT, MOBILE].date_of_birth == "1979-01-01"


def test_the_same_mobile_in_another_account_is_another_patient(fakes):
    fakes.people.add_patient(a_patient(account_id="13", date_of_birth="1979-01-01"))
    create_file_request(staff(), create_body(), None)
    ((_, new_patient, _),) = fakes.requests.creates
    assert new_patient is not None and new_patient.account_id == ACCOUNT


def test_a_staff_id_of_this_account_is_used_and_no_staff_user_written(fakes):
    known = fakes.people.add_staff(a_staff_user())
    create_file_request(staff(), create_body(staffId=known.staff_id, accountUserId=None), None)
    ((request, _, new_staff),) = fakes.requests.creates
    assert new_staff is None
    assert request.staff_id == known.staff_id


@pytest.mark.parametrize("where", ["unknown", "another account"])
def test_a_staff_id_that_names_no_staff_user_of_this_account_is_refused(fakes, where):
    other = a_staff_user(account_id="13")
    if where == "another account":
        fakes.people.add_staff(other)
    body = create_body(staffId=other.staff_id)
    refused_with(fakes, InvalidField, "staffId", lambda: create_file_request(staff(), body, None))


def test_the_staff_id_is_judged_before_the_patients_date_of_birth(fakes):
    fakes.people.add_patient(a_patient(date_of_birth="1979-01-01"))
    body = create_body(staffId="0b7f7a4e-2a52-4f43-9d0b-8c3c7d1e2f00")
    refused_with(fakes, InvalidField, "staffId", lambda: create_file_request(staff(), body, None))


def test_a_known_account_user_id_finds_the_staff_user(fakes):
    known = fakes.people.add_staff(a_staff_user(account_user_id="42"))
    create_file_request(staff(), create_body(), None)
    ((request, _, new_staff),) = fakes.requests.creates
    assert new_staff is None and request.staff_id == known.staff_id


# ------------------------------------------------------------------ the account's own settings


def test_the_link_lasts_the_deployments_default_without_account_settings(fakes, settings_env):
    settings_env(DEFAULT_LINK_LIFETIME_HOURS=48, DEFAULT_SMS_SENDER_ID="Deploy")
    created = create_file_request(staff(), create_body(), None)
    assert created.short_link_expires_at == NOW + timedelta(hours=48)
    assert created.sms_sender_id == "Deploy"


def test_the_accounts_settings_set_the_link_lifetime_and_the_sms_sender(fakes):
    fakes.people.settings[ACCOUNT] = AccountSettings(
        account_id=ACCOUNT, sms_sender_id="Clinic12", link_lifetime_hours=6
    )
    created = create_file_request(staff(), create_body(), None)
    assert created.short_link_expires_at == NOW + timedelta(hours=6)
    assert created.sms_sender_id == "Clinic12"


def test_a_notice_that_cannot_be_queued_leaves_the_request_recorded_as_created_with_the_failure(fakes):
    fakes.queue.failure = "InternalError"
    created = create_file_request(staff(), create_body(), None)
    assert (created.status, created.notification_status, created.notification_channel) == ("created", "failed", None)
    assert fakes.requests.requests[created.id].notification_status == "failed"


# ------------------------------------------------------------------ races between creates


def test_a_create_that_loses_the_race_for_a_new_patient_reads_again_and_uses_the_winner(fakes):
    # Given another create records the same new patient just before this one writes
    winner = a_patient()
    fakes.requests.before_create.append(lambda: fakes.people.add_patient(winner))
    # When the request is created
    create_file_request(staff(), create_body(), None)
    # Then the second attempt reads the winner and writes no patient of its own
    assert fakes.people.reads == 2
    ((request, new_patient, _),) = fakes.requests.creates
    assert new_patient is None
    assert request.patient_id == winner.patient_id
    # And the patient is told once
    assert len(fakes.queue.queued) == 1


def test_after_three_lost_races_the_create_fails_and_nobody_is_told(fakes):
    from patient_docs.errors import RecordTaken

    fakes.requests.before_create.extend(RecordTaken("file request") for _ in range(3))
    with pytest.raises(RuntimeError, match="could not record"):
        create_file_request(staff(), create_body(), None)
    assert fakes.people.reads == 3
    assert fakes.requests.creates == []
    assert fakes.queue.queued == []


def transaction_cancelled(stubber, *reasons):
    stubber.add_client_error(
        "transact_write_items",
        "TransactionCanceledException",
        modeled_fields={"CancellationReasons": [{"Code": code} for code in reasons]},
        expected_params={"TransactItems": ANY},
    )


@pytest.mark.parametrize(
    ("reasons", "reads"),
    [
        # the new patient's key was taken: read again, a new patient or the one that won
        (("None", "None", "ConditionalCheckFailed", "None", "None", "None", "None", "None"), 2),
        # a concurrent transaction on it: the same writes are tried again (their conditions decide)
        (("None", "None", "TransactionConflict", "None", "None", "None", "None", "None"), 1),
    ],
    ids=["key taken", "transaction conflict"],
)
def test_a_cancelled_transaction_is_retried(fakes, real_transaction, stub, reasons, reads):
    # Given DynamoDB cancels the first transaction (the request's writes and its audit event), then accepts the second
    dynamodb = stub("dynamodb")
    transaction_cancelled(dynamodb, *reasons)
    dynamodb.add_response("transact_write_items", {}, {"TransactItems": ANY})
    # When staff create a request
    created = create_file_request(staff(), create_body(), None)
    # Then it was written on the second try, its creation recorded once, and the patient told once
    assert fakes.people.reads == reads
    assert fakes.audit_actions() == ["file_request.created"]
    assert created.notification_status == "queued"
    assert len(fakes.queue.queued) == 1


def test_a_throttled_transaction_fails_without_a_retry_and_nobody_is_told(fakes, real_transaction, stub):
    stub("dynamodb").add_client_error(
        "transact_write_items", "ProvisionedThroughputExceededException", expected_params={"TransactItems": ANY}
    )
    with pytest.raises(AuditUnavailable):  # a 503: nothing written, retry
        create_file_request(staff(), create_body(), None)
    assert fakes.people.reads == 1
    assert fakes.queue.queued == []


# ------------------------------------------------------------------ Idempotency-Key


class MemoryIdempotencyStore:
    """Powertools' persistence interface (``_get/_put/_update/_delete_record``), kept in a dict."""

    def __init__(self):
        self.records = {}

    def _get_record(self, idempotency_key):
        if idempotency_key not in self.records:
            raise IdempotencyItemNotFoundError
        return self.records[idempotency_key]

    def _put_record(self, data_record):
        existing = self.records.get(data_record.idempotency_key)
        if existing is not None and not existing.is_expired:
            raise IdempotencyItemAlreadyExistsError  # Powertools then reads the record and checks the body
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record):
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record):
        self.records.pop(data_record.idempotency_key, None)


@pytest.fixture
def memory_idempotency(monkeypatch):
    store = MemoryIdempotencyStore()
    # No Lambda context left behind by another test: an in-progress record then never expires while its
    # first call runs (a context's remaining time would set, and under load pass, its expiry)
    monkeypatch.setattr(use_case.IDEMPOTENCY, "lambda_context", None)
    layer = use_case._CREATE.persistence_store
    for name in ("_get_record", "_put_record", "_update_record", "_delete_record"):
        monkeypatch.setattr(layer, name, getattr(store, name))
    return store


idempotent = pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time left")


@idempotent
def test_a_retry_with_the_same_key_returns_the_first_request_and_tells_nobody_again(fakes, memory_idempotency):
    first = create_file_request(staff(), create_body(), "req-7f3a")
    again = create_file_request(staff(), create_body(), "req-7f3a")
    assert again == first
    assert len(fakes.requests.creates) == 1
    assert len(fakes.queue.queued) == 1


@idempotent
def test_the_same_key_with_another_body_is_unprocessable_and_changes_nothing(fakes, memory_idempotency):
    create_file_request(staff(), create_body(), "req-7f3a")
    refused_with(
        fakes,
        UnprocessableRequest,
        "Idempotency-Key",
        lambda: create_file_request(staff(), create_body(prompt="Something else"), "req-7f3a"),
    )


@idempotent
def test_a_key_is_the_callers_own_another_staff_user_may_use_the_same_one(fakes, memory_idempotency):
    create_file_request(staff(), create_body(), "req-7f3a")
    create_file_request(staff(subject="staff-sub-2"), create_body(), "req-7f3a")
    assert len(fakes.requests.creates) == 2


@idempotent
def test_the_same_key_while_the_first_is_still_running_is_a_conflict(fakes, memory_idempotency):
    # Given a second create with the same key arrives while the first is being written
    seen = []

    def second_arrives():
        with pytest.raises(Conflict) as caught:
            create_file_request(staff(), create_body(), "req-7f3a")
        seen.append(caught.value.field)

    fakes.requests.before_create.append(second_arrives)
    # When the first completes
    create_file_request(staff(), create_body(), "req-7f3a")
    # Then the second was told to retry (409 naming the header), and only the first wrote and sent
    assert seen == ["Idempotency-Key"]
    assert len(fakes.requests.creates) == 1
    assert len(fakes.queue.queued) == 1


@idempotent
def test_a_refused_create_does_not_use_up_its_key(fakes, memory_idempotency):
    # Given a create refused for a date of birth that differs from the record
    fakes.people.add_patient(a_patient(date_of_birth="1979-01-01"))
    with pytest.raises(Conflict):
        create_file_request(staff(), create_body(), "req-7f3a")
    # When the same key is used with the corrected body
    created = create_file_request(staff(), create_body(patientDateOfBirth="1979-01-01"), "req-7f3a")
    # Then the request is created
    assert created.notification_status == "queued" and created.id in fakes.requests.requests
    assert memory_idempotency.records != {}


def test_without_a_key_no_idempotency_record_is_kept(fakes, memory_idempotency):
    create_file_request(staff(), create_body(), None)
    create_file_request(staff(), create_body(), None)
    assert memory_idempotency.records == {}
    assert len(fakes.requests.creates) == 2
