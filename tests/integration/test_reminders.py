"""Reminders, through the real handlers against moto's EventBridge Scheduler: one schedule per unanswered
request, fired by the local scheduler when the (test) clock passes it; one reminder, never after an
answer or a cancel, never two."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import NAMES
from tests.integration.page_helpers import SEED_REQUEST
from tests.utils import STAFF_12, call

REQUESTS = "/v1/file-requests"
ADMIN_12 = {"role": "admin", "account": "12"}
HOUR = 3600


def create(api: Any, **changes: Any) -> dict[str, Any]:
    reply = call(api, "POST", REQUESTS, {**SEED_REQUEST, **changes}, STAFF_12)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def schedules(aws: Any) -> list[dict[str, Any]]:
    scheduler = aws.client("scheduler")
    return [
        scheduler.get_schedule(Name=s["Name"], GroupName=s["GroupName"])
        for s in scheduler.list_schedules()["Schedules"]
    ]


def reminders_sent(aws: Any) -> list[str]:
    return [body for _, _, body in aws.sms_messages() if body.startswith("Reminder: ")]


def test_an_open_request_gets_one_reminder_24_hours_before_its_link_expires(api, aws, clock):
    created = create(api)
    # Then one one-time schedule waits, 24 h before the 72 h link expires, naming the request only
    (schedule,) = schedules(aws)
    expires = datetime.fromisoformat(created["short_link_expires_at"])
    assert schedule["ScheduleExpression"] == f"at({(expires - timedelta(hours=24)):%Y-%m-%dT%H:%M:%S})"
    assert schedule["GroupName"] == NAMES["ReminderSchedules"]
    assert json.loads(schedule["Target"]["Input"]) == {"file_request_id": created["id"], "kind": "reminder"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    # When the clock passes 47 h, nothing yet
    clock.advance(47 * HOUR)
    api.send_queued_notifications()
    assert reminders_sent(aws) == []
    # When it passes 48 h, the reminder goes once, with the link and nothing personal, and the schedule is gone
    clock.advance(HOUR + 1)
    api.send_queued_notifications()
    (reminder,) = reminders_sent(aws)
    assert f"/r/{created['short_link_id']}" in reminder and "John" not in reminder and "rash" not in reminder
    assert schedules(aws) == []
    # And however often the queue hands the reminder over again, and whatever time passes, there is no second
    clock.advance(10 * HOUR)
    api.send_queued_notifications()
    assert len(reminders_sent(aws)) == 1


@pytest.mark.parametrize("closing", ["cancel", "answer"])
def test_an_answered_or_cancelled_request_gets_no_reminder(api, aws, clock, closing):
    created = create(api)
    if closing == "cancel":
        assert call(api, "POST", f"{REQUESTS}/{created['id']}/cancel", caller=STAFF_12).status == 200
    else:
        from patient_docs.adapters import file_requests_table
        from patient_docs.logic.register_uploaded_file import _mark_responded

        request = file_requests_table.get_file_request(created["id"])
        assert request is not None
        _mark_responded(request, datetime.now(UTC))
    # Then its schedule is gone, and past the reminder's time nothing goes
    assert schedules(aws) == []
    clock.advance(60 * HOUR)
    api.send_queued_notifications()
    assert reminders_sent(aws) == []


def test_a_reminder_whose_request_closed_before_it_fired_sends_nothing(api, aws, clock, monkeypatch):
    # Given a schedule that could not be deleted when the request was cancelled
    from patient_docs.adapters import reminders

    monkeypatch.setattr(reminders, "cancel_reminder", lambda file_request_id: None)
    created = create(api)
    call(api, "POST", f"{REQUESTS}/{created['id']}/cancel", caller=STAFF_12)
    assert len(schedules(aws)) == 1
    # When it fires, Then the claim refuses it: no reminder after a cancel
    clock.advance(49 * HOUR)
    api.send_queued_notifications()
    assert reminders_sent(aws) == [] and schedules(aws) == []


def test_accounts_turn_reminders_off_or_choose_the_lead_time(api, aws, clock):
    body = {"smsSenderId": "Clinic12", "linkLifetimeHours": 72, "remindersEnabled": False}
    reply = call(api, "PUT", "/v1/account-settings", body, ADMIN_12)
    assert reply.status == 200 and reply.json["reminders_enabled"] is False, reply.body
    create(api)
    assert schedules(aws) == []

    body = {**body, "remindersEnabled": True, "reminderLeadHours": 6}
    assert call(api, "PUT", "/v1/account-settings", body, ADMIN_12).json["reminder_lead_hours"] == 6
    created = create(api, prompt="Another photo")
    (schedule,) = schedules(aws)
    expires = datetime.fromisoformat(created["short_link_expires_at"])
    assert schedule["ScheduleExpression"] == f"at({(expires - timedelta(hours=6)):%Y-%m-%dT%H:%M:%S})"


def test_defaults_are_on_and_24_hours(api, aws):
    settings = call(api, "GET", "/v1/account-settings", caller=STAFF_12).json
    assert (settings["reminders_enabled"], settings["reminder_lead_hours"]) == (True, 24)


def test_a_lead_time_longer_than_the_link_schedules_nothing(api, aws):
    body = {"smsSenderId": "Clinic12", "linkLifetimeHours": 12, "reminderLeadHours": 24}
    assert call(api, "PUT", "/v1/account-settings", body, ADMIN_12).status == 200
    create(api)
    assert schedules(aws) == []


@pytest.mark.parametrize("value", [0, 721, "soon", True])
def test_a_bad_lead_time_is_400_naming_it(api, aws, value):
    body = {"smsSenderId": "Clinic12", "linkLifetimeHours": 72, "reminderLeadHours": value}
    reply = call(api, "PUT", "/v1/account-settings", body, ADMIN_12)
    assert reply.status == 400 and reply.json["error"]["field"] == "reminderLeadHours", reply.body


def test_an_opted_out_patient_with_an_email_is_reminded_by_email(api, aws, clock):
    create(api, patientMobile="+447777123499", patientEmail="john@example.com")
    clock.advance(49 * HOUR)
    api.send_queued_notifications()
    _first, reminder = aws.emails()
    assert reminder.subject.startswith("Reminder: ") and "John" not in reminder.body
    assert aws.sms_messages() == []


# ------------------------------------------------------------------ the daily SMS quota


def sms_counted(aws: Any) -> int:
    """Account 12's notifications counted against its daily SMS quota (all days)."""
    items = [i for i in aws.all_items() if i["PK"]["S"] == "ACCOUNT#12" and i["SK"]["S"].startswith("SMS#")]
    return sum(int(i["sent"]["N"]) for i in items)


def stored_request(request_id: str) -> Any:
    from patient_docs.adapters import file_requests_table

    return file_requests_table.get_file_request(request_id)


def audit_events(aws: Any) -> list[dict[str, Any]]:
    from patient_docs.adapters.audit_log import decode

    items = aws.client("dynamodb").scan(TableName=NAMES["AuditTable"])["Items"]
    return sorted((decode(item) for item in items), key=lambda e: (e["chain"], e["seq"]))


def test_a_reminder_counts_against_the_daily_sms_quota_and_past_it_is_skipped_not_sent(api, aws, clock):
    # Given the clock just past midnight UTC, so creates and reminders fall on one day, and a quota of 3
    now = datetime.now(UTC) + clock.offset
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    clock.advance((midnight - now).total_seconds() + 60)
    body = {"smsSenderId": "Clinic12", "linkLifetimeHours": 12, "reminderLeadHours": 6, "smsDailyQuota": 3}
    assert call(api, "PUT", "/v1/account-settings", body, ADMIN_12).status == 200
    # And two requests, whose first notices took 2 of the 3
    first = create(api)
    second = create(api, patientMobile="+447777123457")
    assert sms_counted(aws) == 2 and len(aws.sms_messages()) == 2
    before = {r: stored_request(r) for r in (first["id"], second["id"])}
    # When both reminders fall due the same day
    clock.advance(6 * HOUR + 1)
    api.send_queued_notifications()
    # Then one takes the last unit and is sent; the other is skipped, not sent, and says why
    after = {r: stored_request(r) for r in before}
    assert sorted(r.reminder_status for r in after.values()) == ["sent", "skipped"]
    (skipped,) = [r for r in after.values() if r.reminder_status == "skipped"]
    (sent,) = [r for r in after.values() if r.reminder_status == "sent"]
    assert skipped.reminder_skipped_reason == "sms_quota" and skipped.reminder_sent_at is None
    (reminder,) = reminders_sent(aws)
    assert f"/r/{sent.short_link_id}" in reminder and f"/r/{skipped.short_link_id}" not in reminder
    assert sms_counted(aws) == 3 and schedules(aws) == []
    # And nothing else of the skipped request changed: its status, notice and counters are as they were
    keep = {"status", "notification_status", "notification_channel", "resend_count", "notification_attempts"}
    assert skipped.model_dump(include=keep) == before[skipped.id].model_dump(include=keep)
    # And each reminder is audited by ids only: the sent one a success, the skipped one denied
    reminded = [e for e in audit_events(aws) if e["action"] == "file_request.reminded"]
    outcomes = {e["file_request_id"]: e["outcome"] for e in reminded}
    assert outcomes == {sent.id: "success", skipped.id: "denied"}
    assert {(e["actor_role"], e["actor_sub"]) for e in reminded} == {("system", "notification-send")}
    text = json.dumps(reminded, default=str)
    assert "John" not in text and "+4477" not in text and "rash" not in text and skipped.short_link_id not in text
    # And the skipped reminder stays skipped: its message handed over again sends nothing
    aws.client("sqs").send_message(
        QueueUrl=aws.client("sqs").get_queue_url(QueueName=NAMES["NotificationsQueue"])["QueueUrl"],
        MessageBody=json.dumps({"file_request_id": skipped.id, "kind": "reminder"}),
    )
    clock.advance(24 * HOUR)  # a new day, a new quota: still never a reminder after the skip
    api.send_queued_notifications()
    assert len(reminders_sent(aws)) == 1 and stored_request(skipped.id).reminder_status == "skipped"


def test_a_throttled_reminder_is_counted_once_and_sent_once(aws, monkeypatch):
    from botocore.exceptions import ClientError

    from local.server import LocalApi
    from patient_docs.adapters import aws as clients
    from tests.conftest import BASE_URL
    from tests.integration.test_notifications import receive, send

    # Given a request whose first notice went (one unit counted)
    queued_api = LocalApi(BASE_URL, quiet=True)
    created = create(queued_api)
    assert send(receive(aws)) == {"batchItemFailures": []}
    assert sms_counted(aws) == 1
    # And its reminder on the queue, as its schedule puts it, and SNS throttling the first try
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=NAMES["NotificationsQueue"])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"file_request_id": created["id"], "kind": "reminder"}))
    messages = receive(aws)
    publish = clients.sns().publish
    throttled: list[Any] = []

    def slow_down(**kwargs: Any) -> Any:
        if not throttled:
            throttled.append(kwargs)
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")
        return publish(**kwargs)

    monkeypatch.setattr(clients.sns(), "publish", slow_down)
    # When the sender tries: the reminder comes back later, counted once
    assert len(send(messages)["batchItemFailures"]) == 1
    assert stored_request(created["id"]).reminder_status == "queued" and sms_counted(aws) == 2
    # When it comes back, Then it is sent once, and not counted again
    assert send(messages, receive_count=2) == {"batchItemFailures": []}
    assert len(reminders_sent(aws)) == 1 and sms_counted(aws) == 2
    assert stored_request(created["id"]).reminder_status == "sent"
