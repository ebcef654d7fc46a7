"""Per-account settings: the SMS sender ID, how long a short link works, the daily SMS quota, the practice
patients see and the language."""

from __future__ import annotations

from patient_docs.adapters import account_settings_table
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField
from patient_docs.logic import audit_trail
from patient_docs.models.account_settings import AccountSettings
from patient_docs.models.audit import Target
from patient_docs.permissions import Action, account_target, require
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.file_requests import AccountSettingsBody
from patient_docs.settings import get_settings


def effective_account_settings(account_id: str) -> AccountSettings:
    """The account's stored settings, or the deployment's defaults (template parameters)."""
    return with_defaults(account_id, account_settings_table.get_account_settings(account_id))


def with_defaults(account_id: str, stored: AccountSettings | None) -> AccountSettings:
    """``stored`` settings, or the deployment's defaults when the account has none."""
    if stored is not None:
        return stored
    settings = get_settings()
    return AccountSettings(
        account_id=account_id,
        sms_sender_id=settings.default_sms_sender_id,
        link_lifetime_hours=settings.default_link_lifetime_hours,
    )


def sms_daily_quota(settings: AccountSettings) -> int:
    """The notifications the account may send per UTC day: its own quota, or the deployment's default; never
    above the deployment's maximum, so lowering SmsDailyQuotaMaximum also bounds quotas stored before."""
    deployment = get_settings()
    return min(settings.sms_daily_quota or deployment.default_sms_daily_quota, deployment.sms_daily_quota_maximum)


def read_account_settings(caller: Caller) -> AccountSettings:
    require(caller, Action.READ_SETTINGS, account_target(caller.account_id, "account settings"))
    return effective_account_settings(caller.account_id)


def change_account_settings(caller: Caller, body: AccountSettingsBody) -> AccountSettings:
    require(caller, Action.CHANGE_SETTINGS, account_target(caller.account_id, "account settings"))
    maximum = get_settings().sms_daily_quota_maximum
    if body.sms_daily_quota is not None and body.sms_daily_quota > maximum:
        raise InvalidField(
            "smsDailyQuota", f"must be at most {maximum}, this deployment's maximum (SmsDailyQuotaMaximum)"
        )
    settings = AccountSettings(
        account_id=caller.account_id,
        sms_sender_id=body.sms_sender_id,
        link_lifetime_hours=body.link_lifetime_hours,
        email_sender=body.email_sender,
        practice_name=body.practice_name,
        practice_phone=body.practice_phone,
        language=body.language,
        reminders_enabled=body.reminders_enabled,
        reminder_lead_hours=body.reminder_lead_hours,
        sms_daily_quota=body.sms_daily_quota,
        updated_at=utc_now(),
        updated_by=caller.subject,
    )
    # An account-level event (no patient): who changed what the patients' messages say.
    event = audit_trail.pending("account_settings.changed", audit_trail.actor_of(caller), Target())
    account_settings_table.put_account_settings(settings, event)
    return settings
