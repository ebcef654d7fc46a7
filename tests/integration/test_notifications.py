"""Notifications off the request path, through the real handlers against moto: create and resend queue
the notice; NotificationSendFunction sends it once, backs off when SNS throttles, records the outcome."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.events import LambdaContext
from local.queues import sqs_event
from local.template import load_template
from tests.conftest import BASE_URL, NAMES
from tests.integration.page_helpers import SEED_REQUEST
from tests.utils import STAFF_12, call

REQUESTS = "/v1/file-requests"


@pytest.fixture
def queued_api(aws: Any) -> Any:
    """The API without a sender behind the queue: notices wait until a test hands them over."""
    from local.server import LocalApi

    return LocalApi(BASE_URL, quiet=True)


def queue_url(aws: Any) -> str:
    return str(aws.client("sqs").get_queue_url(QueueName=NAMES["NotificationsQueue"])["QueueUrl"])


def receive(aws: Any) -> list[dict[str, Any]]:
    """The messages waiting (left on the queue: not deleted)."""
    return list(
        aws.client("sqs")
        .receive_message(QueueUrl=queue_url(aws), MaxNumberOfMessages=10, AttributeNames=["All"])
        .get("Messages", [])
    )


def send(messages: list[dict[str, Any]], receive_count: int = 1) -> dict[str, Any]:
    """Invoke the sender with these messages, as the event source mapping would on that delivery."""
    from functions.notification_send.app import lambda_handler

    for message in messages:
        message.setdefault("Attributes", {})["ApproximateReceiveCount"] = str(receive_count)
    event = sqs_event(messages, f"arn:aws:sqs:us-east-1:123456789012:{NAMES['NotificationsQueue']}")
    return dict(lambda_handler(event, LambdaContext(function_name="NotificationSendFunction")))


def stored(api: Any, request_id: str) -> dict[str, Any]:
    reply = call(api, "GET", f"{REQUESTS}/{request_id}", caller=STAFF_12)
    assert reply.status == 200, reply.body
    return dict(reply.json)


def test_a_create_answers_queued_and_the_queue_message_carries_the_request_id_only(queued_api, aws):
    # When staff create a request
    created = call(queued_api, "POST", REQUESTS, SEED_REQUEST, STAFF_12)
    # Then the answer comes before any SMS: the notice is queued
    assert created.status == 201, created.body
    assert (created.json["status"], created.json["notification_status"]) == ("created", "queued")
    assert aws.sms_messages() == []
    # And the one message names the request and nothing personal
    (message,) = receive(aws)
    assert json.loads(message["Body"]) == {"file_request_id": created.json["id"]}


def test_a_message_delivered_twice_sends_one_sms(queued_api, aws):
    created = call(queued_api, "POST", REQUESTS, SEED_REQUEST, STAFF_12).json
    messages = receive(aws)
    # When the sender gets the message, and then the same message again (SQS delivers at least once)
    assert send(messages) == {"batchItemFailures": []}
    assert send(messages, receive_count=2) == {"batchItemFailures": []}
    # Then the patient got one SMS with the link, and the request is notified
    ((_, number, body),) = aws.sms_messages()
    assert number == SEED_REQUEST["patientMobile"] and created["short_link_id"] in body
    after = stored(queued_api, created["id"])
    assert (after["status"], after["notification_status"], after["notification_channel"]) == ("notified", "sent", "sms")


def test_sns_throttling_backs_off_and_the_next_try_sends_once(queued_api, aws, monkeypatch):
    from patient_docs.adapters import aws as clients

    created = call(queued_api, "POST", REQUESTS, SEED_REQUEST, STAFF_12).json
    messages = receive(aws)
    # Given SNS throttles the first send (after botocore's own retries)
    publish = clients.sns().publish
    throttled = []

    def slow_down(**kwargs: Any) -> Any:
        if not throttled:
            throttled.append(kwargs)
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")
        return publish(**kwargs)

    monkeypatch.setattr(clients.sns(), "publish", slow_down)
    # When the sender tries: the message is reported failed (it comes back), the notice is still queued
    (failure,) = send(messages)["batchItemFailures"]
    assert failure["itemIdentifier"] == messages[0]["MessageId"]
    assert aws.sms_messages() == []
    assert stored(queued_api, created["id"])["notification_status"] == "queued"
    # And its next try was put off (visibility changed): nothing is receivable now
    assert receive(aws) == []
    # When it comes back, Then one SMS goes
    assert send(messages, receive_count=2) == {"batchItemFailures": []}
    assert len(aws.sms_messages()) == 1
    assert stored(queued_api, created["id"])["notification_status"] == "sent"


def test_a_resend_queues_the_notice_again_and_it_is_sent(api, aws, clock):
    created = call(api, "POST", REQUESTS, SEED_REQUEST, STAFF_12).json
    clock.advance(61)
    resent = call(api, "POST", f"{REQUESTS}/{created['id']}/resend", caller=STAFF_12)
    assert resent.status == 200, resent.body
    assert (resent.json["notification_status"], resent.json["resend_count"]) == ("queued", 1)
    # The api fixture hands queued notices to the sender after each request, as the event source mapping would
    assert len(aws.sms_messages()) == 2
    assert stored(api, created["id"])["notification_status"] == "sent"


def test_a_refused_create_queues_nothing(queued_api, aws):
    reply = call(queued_api, "POST", REQUESTS, {**SEED_REQUEST, "patientMobile": "07777 123456"}, STAFF_12)
    assert reply.status == 400 and reply.json["error"]["field"] == "patientMobile"
    assert receive(aws) == [] and aws.all_items() == []


def test_the_dead_letter_queue_takes_only_what_outlived_the_last_try():
    from patient_docs.rules.file_requests import NOTIFICATION_TRIES

    queue = load_template()["Resources"]["NotificationsQueue"]["Properties"]
    # The last try records failed itself; one more receive is left for a message whose handling kept failing
    assert queue["RedrivePolicy"]["maxReceiveCount"] == NOTIFICATION_TRIES + 1
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["NotificationsDeadLetterQueue", "Arn"]}
