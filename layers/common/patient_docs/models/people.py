"""Patients and staff users known by the service (door C finds or creates them as shells)."""

from datetime import datetime

from pydantic import BaseModel


class Patient(BaseModel):
    """A patient of one account, found by mobile number. ``shell`` when this service created it."""

    patient_id: str  # UUID (door C)
    patient_number: int  # JSON-safe integer (doors A and B address the patient's documents by it)
    account_id: str
    mobile: str  # E.164
    date_of_birth: str  # YYYY-MM-DD
    first_name: str | None = None
    last_name: str | None = None
    shell: bool = True
    push_endpoint_arn: str | None = None
    device_registered_at: datetime | None = None
    created_at: datetime


class StaffUser(BaseModel):
    staff_id: str  # UUID
    account_id: str
    account_user_id: str | None = None
    name: str
    shell: bool = True
    created_at: datetime
