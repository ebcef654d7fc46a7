"""The email fallback, through the real handlers against moto's SES: a patient whom SMS cannot reach gets
the link by email from the account's sender, in its language; bounces and complaints are recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.events import LambdaContext
from tests.conftest import EMAIL_SENDER
from tests.integration.page_helpers import SEED_REQUEST
from tests.utils import STAFF_12, call

REQUESTS = "/v1/file-requests"
ADMIN_12 = {"role": "admin", "account": "12"}
OPTED_OUT = "+447777123499"  # moto treats numbers ending in 99 as opted out
ADDRESS = "john.smith@Example.COM"


def create(api: Any, **changes: Any) -> dict[str, Any]:
    reply = call(api, "POST", REQUESTS, {**SEED_REQUEST, **changes}, STAFF_12)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def stored(api: Any, request_id: str) -> dict[str, Any]:
    return dict(call(api, "GET", f"{REQUESTS}/{request_id}", caller=STAFF_12).json)


def test_an_opted_out_mobile_with_an_email_gets_one_email_with_only_the_link_and_expiry(api, aws):
    # When staff ask a patient whose mobile opted out of SMS, giving an email address
    created = create(api, patientMobile=OPTED_OUT, patientEmail=ADDRESS)
    # Then no SMS went, and one email did, from the deployment's sender, to the address (domain lower-cased)
    assert aws.sms_messages() == []
    (email,) = aws.emails()
    assert email.source == EMAIL_SENDER
    assert email.destinations["ToAddresses"] == ["john.smith@example.com"]
    assert f"/r/{created['short_link_id']}" in email.body
    assert created["short_link_expires_at"][:10] in email.body
    # And it carries nothing personal: no name, date of birth, prompt or staff name
    for personal in ("John", "Smith", "1980", "rash", "Rachel", "Williams"):
        assert personal not in email.body and personal not in email.subject
    # And the request says it went by email; the address is not in the answer
    after = stored(api, created["id"])
    assert (after["notification_channel"], after["notification_status"]) == ("email", "sent")
    assert "john.smith" not in json.dumps(after)


def test_a_reachable_mobile_gets_the_sms_and_no_email(api, aws):
    created = create(api, patientEmail=ADDRESS)
    assert len(aws.sms_messages()) == 1 and aws.emails() == []
    assert stored(api, created["id"])["notification_channel"] == "sms"


def test_the_email_uses_the_accounts_sender_and_language(api, aws):
    aws.client("ses").verify_email_identity(EmailAddress="avisos@clinica.example")
    settings = {"smsSenderId": "Clinica", "linkLifetimeHours": 48, "emailSender": "avisos@clinica.example"}
    reply = call(api, "PUT", "/v1/account-settings", {**settings, "language": "es"}, ADMIN_12)
    assert reply.status == 200, reply.body
    assert (reply.json["email_sender"], reply.json["language"]) == ("avisos@clinica.example", "es")
    create(api, patientMobile=OPTED_OUT, patientEmail=ADDRESS)
    (email,) = aws.emails()
    assert email.source == "avisos@clinica.example"
    assert email.subject == "Solicitud de una foto" and "Responda de forma segura" in email.body


def test_an_opted_out_mobile_without_an_email_is_recorded_opted_out(api, aws):
    created = create(api, patientMobile=OPTED_OUT)
    assert aws.emails() == [] and aws.sms_messages() == []
    after = stored(api, created["id"])
    assert (after["notification_channel"], after["notification_status"]) == ("sms", "opted_out")


@pytest.mark.parametrize(
    "address",
    [
        "not-an-email",
        "john@",
        "@example.com",
        "john@example",
        "john smith@example.com",
        "a@b..com",
        "x" * 250 + "@a.io",
    ],
)
def test_a_bad_email_is_400_naming_it_and_nothing_is_written_or_sent(api, aws, address):
    reply = call(api, "POST", REQUESTS, {**SEED_REQUEST, "patientEmail": address}, STAFF_12)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["field"] == "patientEmail"
    assert aws.all_items() == [] and aws.sms_messages() == [] and aws.emails() == []


@pytest.mark.parametrize("field,value", [("emailSender", "nobody"), ("language", "tlh")])
def test_bad_email_settings_are_400_naming_the_field(api, aws, field, value):
    body = {"smsSenderId": "Clinica", "linkLifetimeHours": 48, field: value}
    reply = call(api, "PUT", "/v1/account-settings", body, ADMIN_12)
    assert reply.status == 400 and reply.json["error"]["field"] == field, reply.body


# ------------------------------------------------------------------ bounces and complaints


def feedback(kind: str, file_request_id: str, bounce_type: str = "Permanent") -> dict[str, Any]:
    """An SNS delivery of an SES event (configuration set event publishing), as the topic sends it."""
    message: dict[str, Any] = {
        "eventType": kind,
        "mail": {
            "messageId": "0100017f-message",
            "destination": ["john.smith@example.com"],
            "tags": {"file_request_id": [file_request_id]},
        },
    }
    if kind == "Bounce":
        message["bounce"] = {"bounceType": bounce_type, "bouncedRecipients": [{"emailAddress": "x@example.com"}]}
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(message)}}]}


def record(event: dict[str, Any]) -> Any:
    from functions.email_feedback_record.app import lambda_handler

    return lambda_handler(event, LambdaContext(function_name="EmailFeedbackRecordFunction"))


def test_a_bounce_of_the_email_notice_is_recorded_and_marks_it_failed(api, aws, caplog):
    created = create(api, patientMobile=OPTED_OUT, patientEmail=ADDRESS)
    assert record(feedback("Bounce", created["id"])) == {"outcomes": ["recorded"]}
    after = stored(api, created["id"])
    assert after["notification_status"] == "failed"
    assert "example.com" not in caplog.text


def test_a_complaint_is_recorded_without_changing_what_was_sent(api, aws):
    created = create(api, patientMobile=OPTED_OUT, patientEmail=ADDRESS)
    assert record(feedback("Complaint", created["id"])) == {"outcomes": ["recorded"]}
    assert stored(api, created["id"])["notification_status"] == "sent"
    item = aws.client("dynamodb").get_item(
        TableName=aws.table, Key={"PK": {"S": f"FILEREQ#{created['id']}"}, "SK": {"S": "REQUEST"}}
    )
    assert item.get("Item", {}).get("email_feedback", {}).get("S") == "complaint"


def test_a_transient_bounce_and_events_naming_no_request_are_ignored(api, aws):
    created = create(api, patientMobile=OPTED_OUT, patientEmail=ADDRESS)
    assert record(feedback("Bounce", created["id"], "Transient")) == {"outcomes": ["ignored"]}
    assert record(feedback("Delivery", created["id"])) == {"outcomes": ["ignored"]}
    assert record(feedback("Bounce", "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09")) == {"outcomes": ["ignored"]}
    assert stored(api, created["id"])["notification_status"] == "sent"
