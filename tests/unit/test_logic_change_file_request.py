"""Staff changing a sent request: cancel it (idempotently), or resend it within the limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.stub import ANY

from patient_docs.adapters import file_requests_table
from patient_docs.errors import AuditUnavailable, Conflict, NotFound, TooManyRequests
from patient_docs.logic.change_file_request import cancel_file_request, resend_notification
from patient_docs.logic.notify_patient import send_queued_notification
from patient_docs.models.account_settings import AccountSettings
from patient_docs.rules.file_requests import RESEND_MAX
from tests.unit.doubles import ACCOUNT, MOBILE, NOW, a_file_request, a_patient, patient, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")

REAL = {
    name: getattr(file_requests_table, name) for name in ("cancel_file_request", "claim_resend", "get_file_request")
}


@pytest.fixture
def known_patient(fakes):
    return fakes.people.add_patient(a_patient())


def stored(fakes, **changes):
    return fakes.requests.add(a_file_request(**changes))


# ------------------------------------------------------------------ cancel


def test_cancelling_an_open_request_answers_it_cancelled(fakes):
    request = stored(fakes, status="opened")
    answer = cancel_file_request(staff(), request.id)
    assert answer.status == "cancelled"
    assert answer.cancelled_at is not None
    assert fakes.requests.requests[request.id].status == "cancelled"


def test_cancelling_a_cancelled_request_changes_nothing_and_answers_it(fakes):
    # Given a request cancelled an hour ago
    earlier = NOW - timedelta(hours=1)
    request = stored(fakes, status="cancelled", cancelled_at=earlier)
    # When staff cancel it again
    answer = cancel_file_request(staff(), request.id)
    # Then the answer is the request as cancelled then, not an error
    assert answer.status == "cancelled"
    assert fakes.requests.requests[request.id].cancelled_at == earlier


def test_a_responded_request_can_no_longer_be_cancelled(fakes):
    request = stored(fakes, status="responded")
    with pytest.raises(Conflict, match="responded"):
        cancel_file_request(staff(), request.id)
    assert fakes.requests.requests[request.id].status == "responded"


@pytest.mark.parametrize("caller", [staff(account="13"), patient()], ids=["other account", "patient"])
def test_a_request_outside_the_callers_account_is_not_found_and_not_cancelled(fakes, caller):
    request = stored(fakes, status="notified")
    with pytest.raises(NotFound):
        cancel_file_request(caller, request.id)
    assert fakes.requests.requests[request.id].status == "notified"


def test_an_unknown_request_is_not_found(fakes):
    with pytest.raises(NotFound):
        cancel_file_request(staff(), "0b7f7a4e-2a52-4f43-9d0b-8c3c7d1e2f00")


def test_a_failed_cancel_condition_at_dynamodb_is_explained_by_reading_the_request(fakes, stub, monkeypatch):
    # Given a request that reads as open, then DynamoDB refuses the cancel's condition and hands back the
    # request as it is now: responded
    for name in ("cancel_file_request", "get_file_request"):
        monkeypatch.setattr(file_requests_table, name, REAL[name])
    request = a_file_request()
    dynamodb = stub("dynamodb")
    dynamodb.add_response("query", {"Items": [request_item(request)]}, ANY_QUERY)
    answered = request_item(request.model_copy(update={"status": "responded"}))
    reasons = {"CancellationReasons": [{"Code": "ConditionalCheckFailed", "Item": answered}, {"Code": "None"}]}
    dynamodb.add_client_error("transact_write_items", "TransactionCanceledException", modeled_fields=reasons)
    # When staff cancel it: no further read is queued, so none may be made
    with pytest.raises(Conflict, match="responded"):
        cancel_file_request(staff(), request.id)
    assert fakes.audit == []


def test_a_throttled_cancel_is_an_error_not_a_conflict(fakes, stub, monkeypatch):
    monkeypatch.setattr(file_requests_table, "cancel_file_request", REAL["cancel_file_request"])
    stub("dynamodb").add_client_error("transact_write_items", "ProvisionedThroughputExceededException")
    with pytest.raises(AuditUnavailable):  # a 503: nothing written, retry
        cancel_file_request(staff(), stored(fakes).id)


# ------------------------------------------------------------------ resend


def test_a_resend_notifies_the_patient_again_and_counts_it(fakes, known_patient):
    request = stored(fakes, last_notification_at=NOW - timedelta(minutes=5))
    answer = resend_notification(staff(), request.id)
    assert fakes.queue.queued == [request.id]
    assert (answer.resend_count, answer.notification_status) == (1, "queued")
    assert answer.last_notification_at is not None
    # And the sender then tells the patient
    assert send_queued_notification(request.id, 1, "receipt", NOW) == "sent"
    assert [sms.to for sms in fakes.notifications.sms] == [MOBILE]
    assert fakes.requests.requests[request.id].notification_attempts == 2


def test_a_resend_uses_the_accounts_sender_id(fakes, known_patient):
    fakes.people.settings[ACCOUNT] = AccountSettings(
        account_id=ACCOUNT, sms_sender_id="Clinic12", link_lifetime_hours=6
    )
    request_id = stored(fakes, last_notification_at=NOW - timedelta(minutes=5)).id
    resend_notification(staff(), request_id)
    send_queued_notification(request_id, 1, "receipt", NOW)
    assert fakes.notifications.sms[0].sender_id == "Clinic12"


def test_a_resend_within_a_minute_says_when_to_retry_and_sends_nothing(fakes, known_patient):
    # Given the patient was notified 20 seconds ago
    request = stored(fakes, last_notification_at=NOW - timedelta(seconds=20))
    # When staff resend
    with pytest.raises(TooManyRequests) as caught:
        resend_notification(staff(), request.id)
    # Then they are told to retry once the minute is over
    assert caught.value.retry_after == 41
    assert fakes.notifications.sms == [] and fakes.queue.queued == []
    assert fakes.requests.requests[request.id].resend_count == 0


def test_after_the_last_allowed_resend_no_retry_will_succeed(fakes, known_patient):
    request = stored(fakes, resend_count=RESEND_MAX, last_notification_at=NOW - timedelta(hours=1))
    with pytest.raises(TooManyRequests, match=f"at most {RESEND_MAX}") as caught:
        resend_notification(staff(), request.id)
    assert caught.value.retry_after is None
    assert fakes.notifications.sms == [] and fakes.queue.queued == []


def test_the_resend_limit_is_reported_before_the_one_minute_wait(fakes, known_patient):
    request = stored(fakes, resend_count=RESEND_MAX, last_notification_at=NOW - timedelta(seconds=5))
    with pytest.raises(TooManyRequests) as caught:
        resend_notification(staff(), request.id)
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"status": "cancelled"}, "cancelled"),
        ({"status": "responded"}, "responded"),
        ({"short_link_expires_at": NOW - timedelta(minutes=1)}, "expired"),
    ],
)
def test_a_request_that_is_no_longer_open_has_nothing_to_resend(fakes, known_patient, changes, shown):
    # Given a closed request that was also notified seconds ago and resent to the limit
    request = stored(fakes, resend_count=RESEND_MAX, last_notification_at=NOW - timedelta(seconds=5), **changes)
    # When staff resend: the closed state is what they are told, not a rate limit
    with pytest.raises(Conflict, match=shown):
        resend_notification(staff(), request.id)
    assert fakes.notifications.sms == [] and fakes.queue.queued == []


@pytest.mark.parametrize("caller", [staff(account="13"), patient()], ids=["other account", "patient"])
def test_a_request_outside_the_callers_account_is_not_found_and_not_resent(fakes, known_patient, caller):
    request = stored(fakes, last_notification_at=NOW - timedelta(minutes=5))
    with pytest.raises(NotFound):
        resend_notification(caller, request.id)
    assert fakes.notifications.sms == [] and fakes.queue.queued == []
    assert fakes.requests.requests[request.id].resend_count == 0


def test_a_concurrent_resend_that_lost_the_conditional_write_is_rate_limited(fakes, stub, monkeypatch, known_patient):
    # Given a request that reads as resendable, then DynamoDB refuses the resend's condition (another
    # resend won), and the request then reads as notified just now
    for name in ("claim_resend", "get_file_request"):
        monkeypatch.setattr(file_requests_table, name, REAL[name])
    request = a_file_request(last_notification_at=NOW - timedelta(minutes=5))
    won = request.model_copy(update={"last_notification_at": NOW - timedelta(seconds=1), "resend_count": 1})
    dynamodb = stub("dynamodb")
    dynamodb.add_response("query", {"Items": [request_item(request)]}, ANY_QUERY)
    reasons = {"CancellationReasons": [{"Code": "ConditionalCheckFailed", "Item": request_item(won)}, {"Code": "None"}]}
    dynamodb.add_client_error("transact_write_items", "TransactionCanceledException", modeled_fields=reasons)
    # When this resend is explained
    with pytest.raises(TooManyRequests) as caught:
        resend_notification(staff(), request.id)
    # Then it is a 429 with a wait, and no SMS went
    assert caught.value.retry_after == 60
    assert fakes.notifications.sms == [] and fakes.queue.queued == []


ANY_QUERY = {
    "TableName": ANY,
    "KeyConditionExpression": ANY,
    "ExpressionAttributeValues": ANY,
    "ConsistentRead": True,
}


def request_item(request):
    from patient_docs.adapters.table import record_item

    return record_item(request, {"PK": f"FILEREQ#{request.id}", "SK": "REQUEST"}, "file_request")
