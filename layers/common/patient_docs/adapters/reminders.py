"""Reminders as EventBridge Scheduler one-time schedules: at the reminder's time, the schedule puts a
message naming the request (``kind: reminder``) on the notifications queue, then deletes itself.

One schedule per request, named after it: a second create of the same schedule is refused by
Scheduler, so a request never has two.
"""

from __future__ import annotations

import json
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from patient_docs.adapters.aws import scheduler
from patient_docs.errors import NotificationFailed
from patient_docs.settings import get_settings


def schedule_name(file_request_id: str) -> str:
    return f"reminder-{file_request_id}"


def _code(exc: ClientError | BotoCoreError) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def schedule_reminder(file_request_id: str, at: datetime) -> None:
    """Schedule the request's reminder (a schedule that exists already stays as it is)."""
    settings = get_settings()
    try:
        scheduler().create_schedule(
            Name=schedule_name(file_request_id),
            GroupName=settings.reminder_schedule_group,
            ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:%S})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": settings.notifications_queue_arn,
                "RoleArn": settings.reminder_role_arn,
                "Input": json.dumps({"file_request_id": file_request_id, "kind": "reminder"}),
            },
        )
    except (ClientError, BotoCoreError) as exc:
        if _code(exc) == "ConflictException":
            return
        raise NotificationFailed(_code(exc)) from exc


def cancel_reminder(file_request_id: str) -> None:
    """Delete the request's reminder, if it has one still waiting (answered, cancelled)."""
    try:
        scheduler().delete_schedule(
            Name=schedule_name(file_request_id), GroupName=get_settings().reminder_schedule_group
        )
    except (ClientError, BotoCoreError) as exc:
        if _code(exc) == "ResourceNotFoundException":
            return
        raise NotificationFailed(_code(exc)) from exc
