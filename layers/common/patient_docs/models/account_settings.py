"""An account's own settings (SMS sender, link lifetime, daily SMS quota, email sender, language,
reminders); the deployment's defaults until an admin sets them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AccountSettings(BaseModel):
    account_id: str
    sms_sender_id: str
    link_lifetime_hours: int
    # The email fallback: the SES identity the link is sent from (None: the deployment's default sender,
    # and without one no email goes), and the language of the messages (rules/emails.py).
    email_sender: str | None = None
    language: str = "en"
    # One reminder before an unanswered request's link expires, this many hours before.
    reminders_enabled: bool = True
    reminder_lead_hours: int = 24
    sms_daily_quota: int | None = None  # None: the deployment's default (DefaultSmsDailyQuota)
    updated_at: datetime | None = None  # None: the deployment's defaults, never changed
    updated_by: str | None = None
