"""An account's own settings (SMS sender, link lifetime, daily SMS quota, email sender, how the practice
appears to patients and in which language, reminders); the deployment's defaults until an admin sets them."""

from datetime import datetime

from pydantic import BaseModel

from patient_docs.rules.languages import DEFAULT_LANGUAGE, Language


class AccountSettings(BaseModel):
    account_id: str
    sms_sender_id: str
    link_lifetime_hours: int
    # The email fallback: the SES identity the link is sent from (None: the deployment's default sender,
    # and without one no email goes).
    email_sender: str | None = None
    # Shown on the patient page (before the date of birth too: they say who asks and whom to call).
    # None: the page names the practice by its SMS sender ID and gives no number.
    practice_name: str | None = None
    practice_phone: str | None = None  # E.164
    # The language of the account's SMS and email, and of its patient page unless the browser asks for another.
    language: Language = DEFAULT_LANGUAGE
    # One reminder before an unanswered request's link expires, this many hours before.
    reminders_enabled: bool = True
    reminder_lead_hours: int = 24
    sms_daily_quota: int | None = None  # None: the deployment's default (DefaultSmsDailyQuota)
    updated_at: datetime | None = None  # None: the deployment's defaults, never changed
    updated_by: str | None = None
