"""Events for staff systems on the EventBridge bus: ids only, never PHI."""

from __future__ import annotations

import json

from patient_docs.adapters.aws import events
from patient_docs.settings import get_settings

SOURCE = "patient-docs"


def publish(detail_type: str, detail: dict[str, str | int]) -> None:
    bus = get_settings().event_bus_name
    if not bus:
        return
    events().put_events(
        Entries=[{"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": bus}]
    )
