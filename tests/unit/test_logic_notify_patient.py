"""Telling the patient: push to a registered app, else SMS; whatever SNS says, the outcome is recorded."""

from __future__ import annotations

import json

import pytest
from botocore.stub import ANY

from patient_docs.adapters import notifications
from patient_docs.errors import NotificationThrottled
from patient_docs.logic.notify_patient import TryAgainLater, notify_patient, send_queued_notification
from patient_docs.rules.file_requests import NOTIFICATION_TRIES
from tests.unit.doubles import MOBILE, NOW, a_file_request, a_patient, a_request_file

pytestmark = pytest.mark.usefixtures("no_network")

DEVICE = "arn:aws:sns:eu-west-2:123456789012:endpoint/APNS/app/1"


@pytest.fixture
def new_request(fakes):
    """A request just created (status ``created``, nothing sent yet), stored."""
    return fakes.requests.add(
        a_file_request(
            status="created", notification_channel=None, notification_status="pending", notification_attempts=0
        )
    )


def test_a_patient_without_an_app_gets_one_sms_with_the_link_from_the_accounts_sender(fakes, new_request):
    updated = notify_patient(new_request, a_patient(), "Clinic12", NOW)
    (sms,) = fakes.notifications.sms
    assert (sms.to, sms.sender_id) == (MOBILE, "Clinic12")
    assert f"/r/{new_request.short_link_id}" in sms.text
    assert (updated.notification_channel, updated.notification_status) == ("sms", "sent")
    assert updated.status == "notified"
    assert updated.notified_at == NOW


def test_the_message_carries_no_name_date_of_birth_or_prompt(fakes, new_request):
    notify_patient(new_request, a_patient(), "Clinic12", NOW)
    (sms,) = fakes.notifications.sms
    for personal in ("John", "Smith", "1980", "rash", "Rachel"):
        assert personal not in sms.text


def test_a_patient_with_a_registered_app_gets_a_push_and_no_sms(fakes, new_request):
    updated = notify_patient(new_request, a_patient(push_endpoint_arn=DEVICE), "Clinic12", NOW)
    assert [(arn, request_id) for arn, _, request_id in fakes.notifications.pushes] == [(DEVICE, new_request.id)]
    assert fakes.notifications.sms == []
    assert (updated.notification_channel, updated.notification_status, updated.status) == ("push", "sent", "notified")


def test_a_push_that_fails_falls_back_to_sms(fakes, new_request):
    # Given the app's endpoint is disabled at SNS
    fakes.notifications.push_failure = "EndpointDisabled"
    # When the patient is notified
    updated = notify_patient(new_request, a_patient(push_endpoint_arn=DEVICE), "Clinic12", NOW)
    # Then the SMS goes instead, and the request says so
    assert len(fakes.notifications.sms) == 1
    assert (updated.notification_channel, updated.notification_status) == ("sms", "sent")


def test_an_opted_out_number_is_not_sent_anything_and_the_request_stays_created(fakes, new_request):
    fakes.notifications.opted_out.add(MOBILE)
    updated = notify_patient(new_request, a_patient(), "Clinic12", NOW)
    assert fakes.notifications.sms == []
    assert (updated.notification_status, updated.status) == ("opted_out", "created")
    assert updated.notified_at is None


@pytest.mark.parametrize("failing", ["sms_failure", "opt_out_check_failure"])
def test_an_sms_that_sns_refuses_is_recorded_as_failed_and_the_request_kept(fakes, new_request, failing):
    setattr(fakes.notifications, failing, "InternalError")
    updated = notify_patient(new_request, a_patient(), "Clinic12", NOW)
    assert fakes.notifications.sms == []
    assert (updated.notification_channel, updated.notification_status, updated.status) == ("sms", "failed", "created")
    assert updated.last_notification_at == NOW
    assert fakes.requests.requests[new_request.id].notification_status == "failed"


def test_a_resend_to_a_request_already_opened_records_the_outcome_without_moving_its_status(fakes):
    opened = fakes.requests.add(a_file_request(status="opened", opened_at=NOW))
    updated = notify_patient(opened, a_patient(), "Clinic12", NOW)
    assert updated.status == "opened"
    assert fakes.requests.notifications == [(opened.id, "sms", "sent", False)]


def test_a_patient_opening_the_link_while_the_sms_goes_keeps_their_status(fakes, new_request):
    # Given the patient opens the link between the SMS and its recording
    fakes.requests.before_notification = lambda: fakes.requests._set(new_request.id, status="opened")
    # When the notification is recorded
    updated = notify_patient(new_request, a_patient(), "Clinic12", NOW)
    # Then the outcome is recorded on a second try that does not move the status back to notified
    assert updated.status == "opened"
    assert updated.notification_status == "sent"
    assert fakes.requests.notifications == [(new_request.id, "sms", "sent", False)]


def test_the_answer_keeps_the_files_the_request_already_had(fakes):
    request = a_file_request(status="responded")
    request = fakes.requests.add(request.model_copy(update={"files": [a_request_file(request)]}))
    updated = notify_patient(request, a_patient(), "Clinic12", NOW)
    assert updated.files == request.files


# ------------------------------------------------------------------ through the real SNS adapter (Stubber)


@pytest.fixture
def real_sns(monkeypatch):
    """The real ``notifications`` adapter again (the ``fakes`` fixture replaced it)."""
    for name in ("is_opted_out", "send_sms", "send_push"):
        monkeypatch.setattr(notifications, name, REAL[name])


REAL = {name: getattr(notifications, name) for name in ("is_opted_out", "send_sms", "send_push")}


def test_sns_throttling_the_sms_is_a_try_again_later_and_nothing_is_recorded(fakes, new_request, real_sns, stub):
    sns = stub("sns")
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False}, {"phoneNumber": MOBILE})
    sns.add_client_error("publish", "Throttling", http_status_code=400)
    with pytest.raises(NotificationThrottled):
        notify_patient(new_request, a_patient(), "Clinic12", NOW)
    assert fakes.requests.notifications == []


def test_sns_refusing_the_sms_for_good_is_a_failed_notification_not_an_error(fakes, new_request, real_sns, stub):
    sns = stub("sns")
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False}, {"phoneNumber": MOBILE})
    sns.add_client_error("publish", "InvalidParameter", http_status_code=400)
    updated = notify_patient(new_request, a_patient(), "Clinic12", NOW)
    assert (updated.notification_status, updated.status) == ("failed", "created")


def test_sns_sending_the_sms_with_the_account_sender_id_as_transactional(fakes, new_request, real_sns, stub):
    sns = stub("sns")
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False}, {"phoneNumber": MOBILE})
    sns.add_response(
        "publish",
        {"MessageId": "m-1"},
        {
            "PhoneNumber": MOBILE,
            "Message": ANY,
            "MessageAttributes": {
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "Clinic12"},
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        },
    )
    assert notify_patient(new_request, a_patient(), "Clinic12", NOW).notification_status == "sent"


def test_sns_saying_the_number_opted_out_means_no_publish(fakes, new_request, real_sns, stub):
    # Given SNS reports the number opted out (and no publish is queued: one would fail the test)
    stub("sns").add_response("check_if_phone_number_is_opted_out", {"isOptedOut": True}, {"phoneNumber": MOBILE})
    assert notify_patient(new_request, a_patient(), "Clinic12", NOW).notification_status == "opted_out"


def test_a_disabled_app_endpoint_at_sns_falls_back_to_an_sms(fakes, new_request, real_sns, stub):
    # Given SNS refuses the push (the app was uninstalled), then accepts the SMS
    sns = stub("sns")
    sns.add_client_error(
        "publish", "EndpointDisabled", expected_params={"TargetArn": DEVICE, "Message": ANY, "MessageStructure": "json"}
    )
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False}, {"phoneNumber": MOBILE})
    sns.add_response("publish", {"MessageId": "m-2"}, {"PhoneNumber": MOBILE, "Message": ANY, "MessageAttributes": ANY})
    # When the patient is notified
    updated = notify_patient(new_request, a_patient(push_endpoint_arn=DEVICE), "Clinic12", NOW)
    # Then the SMS reached them
    assert (updated.notification_channel, updated.notification_status) == ("sms", "sent")


class Captured:
    """Matches any value in a Stubber's expected parameters, and keeps it."""

    value = None

    def __eq__(self, other):
        self.value = other
        return True

    __hash__ = None


def test_the_push_payload_names_the_request_for_the_app_on_every_platform(fakes, new_request, real_sns, stub):
    message = Captured()
    stub("sns").add_response(
        "publish", {"MessageId": "m-3"}, {"TargetArn": DEVICE, "Message": message, "MessageStructure": "json"}
    )
    notify_patient(new_request, a_patient(push_endpoint_arn=DEVICE), "Clinic12", NOW)
    payload = json.loads(message.value)
    assert json.loads(payload["GCM"])["data"] == {"file_request_id": new_request.id}
    assert json.loads(payload["APNS"])["file_request_id"] == new_request.id
    assert f"/r/{new_request.short_link_id}" in payload["default"]


# ------------------------------------------------------------------ the queued notice: one send, whatever arrives


@pytest.fixture
def queued(fakes):
    """A request just created, its notice queued, its patient recorded."""
    fakes.people.add_patient(a_patient())
    return fakes.requests.add(a_file_request(status="created", notification_channel=None, notification_status="queued"))


def test_a_queued_notice_is_sent_once_however_often_its_message_arrives(fakes, queued):
    # Given the queue hands the same message over three times (a retry after a send that went through)
    outcomes = [send_queued_notification(queued.id, attempt, "receipt", NOW) for attempt in (1, 2, 3)]
    # Then exactly one SMS went, and the request records it
    assert outcomes == ["sent", "skipped", "skipped"]
    assert len(fakes.notifications.sms) == 1
    stored = fakes.requests.requests[queued.id]
    assert (stored.notification_status, stored.status) == ("sent", "notified")


def test_a_try_that_stopped_after_its_claim_is_recorded_failed_and_never_sent_again(fakes, queued):
    # Given an earlier try claimed the notice and stopped before recording what SNS did
    fakes.requests._set(queued.id, notification_status="sending")
    # When the message comes back
    outcome = send_queued_notification(queued.id, 2, "receipt", NOW)
    # Then nothing is sent (SNS may have sent it), and staff see failed (resend is theirs to choose)
    assert outcome == "failed"
    assert fakes.notifications.sms == []
    assert fakes.requests.requests[queued.id].notification_status == "failed"


def test_sns_throttling_puts_the_notice_back_and_its_next_try_off_for_longer_each_time(fakes, queued):
    # Given SNS throttles the first two sends
    fakes.notifications.throttled_sends = 2
    # When the message arrives, is throttled, arrives again, is throttled, and arrives a third time
    for attempt in (1, 2):
        with pytest.raises(TryAgainLater):
            send_queued_notification(queued.id, attempt, f"receipt-{attempt}", NOW)
        assert fakes.requests.requests[queued.id].notification_status == "queued"
    outcome = send_queued_notification(queued.id, 3, "receipt-3", NOW)
    # Then each retry waited twice as long as the one before, and one SMS went in the end
    assert fakes.queue.delays == [("receipt-1", 30), ("receipt-2", 60)]
    assert outcome == "sent" and len(fakes.notifications.sms) == 1


def test_sns_still_throttling_on_the_last_try_records_failed_without_another_retry(fakes, queued):
    fakes.notifications.throttled_sends = 1
    outcome = send_queued_notification(queued.id, NOTIFICATION_TRIES, "receipt", NOW)
    assert outcome == "failed"
    assert fakes.queue.delays == [] and fakes.notifications.sms == []
    stored = fakes.requests.requests[queued.id]
    assert (stored.notification_status, stored.notification_channel) == ("failed", "sms")


@pytest.mark.parametrize(
    "changes",
    [{"status": "cancelled", "cancelled_at": NOW}, {"status": "responded"}, {"short_link_expires_at": NOW}],
    ids=["cancelled", "responded", "expired"],
)
def test_a_request_closed_before_its_notice_went_is_not_notified(fakes, queued, changes):
    fakes.requests._set(queued.id, **changes)
    assert send_queued_notification(queued.id, 1, "receipt", NOW) == "skipped"
    assert fakes.notifications.sms == []


def test_a_message_naming_no_request_is_dropped(fakes):
    assert send_queued_notification("7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09", 1, "receipt", NOW) == "skipped"
    assert fakes.notifications.sms == []
