"""An account's own settings (SMS sender, link lifetime, daily SMS quota); the deployment's defaults until an
admin sets them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AccountSettings(BaseModel):
    account_id: str
    sms_sender_id: str
    link_lifetime_hours: int
    sms_daily_quota: int | None = None  # None: the deployment's default (DefaultSmsDailyQuota)
    updated_at: datetime | None = None  # None: the deployment's defaults, never changed
    updated_by: str | None = None
