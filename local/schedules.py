"""EventBridge Scheduler, locally: moto keeps the schedules; this fires the one-time ones that are due.

A schedule ``at(YYYY-MM-DDTHH:MM:SS)`` (UTC) whose time has come, by the service's own clock
(``utc_now``, which ``POST /_local/clock`` and the tests' clock move), puts its target's input on
its target queue and, with ``ActionAfterCompletion: DELETE``, goes, as in AWS.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def fire_due(scheduler: Any, sqs: Any, now: datetime) -> int:
    """Fire every one-time schedule due at ``now``; how many fired."""
    fired = 0
    for summary in scheduler.list_schedules().get("Schedules", []):
        schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
        found = _AT.match(schedule.get("ScheduleExpression", ""))
        if not found or datetime.fromisoformat(found.group(1)).replace(tzinfo=UTC) > now:
            continue
        target = schedule["Target"]
        if ":sqs:" in target["Arn"]:
            url = sqs.get_queue_url(QueueName=target["Arn"].rsplit(":", 1)[-1])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=target.get("Input", "{}"))
        if schedule.get("ActionAfterCompletion") == "DELETE":
            scheduler.delete_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
        fired += 1
    return fired


class LocalClock:
    """``POST /_local/clock``: moves the service's clock (every ``utc_now``) in this process forward."""

    def __init__(self) -> None:
        from patient_docs.rules import timestamps

        class Shifted(datetime):
            offset = timedelta(0)

            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + cls.offset

        self._shifted = Shifted
        timestamps.datetime = Shifted  # type: ignore[attr-defined,misc]

    def advance(self, hours: float) -> timedelta:
        self._shifted.offset += timedelta(hours=hours)
        return self._shifted.offset
