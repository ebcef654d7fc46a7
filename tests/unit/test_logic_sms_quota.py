"""The daily SMS quota per account: file request creates and resends count against it, in their own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.stub import ANY

from patient_docs.adapters import file_requests_table, sms_quota
from patient_docs.errors import SmsQuotaExceeded
from patient_docs.logic.change_file_request import resend_notification
from patient_docs.logic.create_file_request import create_file_request
from patient_docs.models.account_settings import AccountSettings
from patient_docs.settings import get_settings
from tests.unit.doubles import ACCOUNT, NOW, a_file_request, a_patient, create_body, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")

REAL_CREATE = file_requests_table.create_file_request


def _own_quota(fakes, quota):
    fakes.people.settings[ACCOUNT] = AccountSettings(
        account_id=ACCOUNT, sms_sender_id="Clinic12", link_lifetime_hours=6, sms_daily_quota=quota
    )


def test_creates_count_against_the_accounts_own_quota_and_the_one_past_it_is_refused(fakes):
    # Given an account whose own quota is 2 SMS a day
    _own_quota(fakes, 2)
    # When staff create three requests
    create_file_request(staff(), create_body(), None)
    create_file_request(staff(), create_body(patientMobile="+447777123457"), None)
    before = fakes.writes()
    with pytest.raises(SmsQuotaExceeded) as caught:
        create_file_request(staff(), create_body(patientMobile="+447777123458"), None)
    # Then the third is a 429 naming the quota, retried at midnight UTC, and nothing of it was written or sent
    assert caught.value.field == "smsDailyQuota" and "(2 notifications a day" in caught.value.message
    assert caught.value.retry_after == 12 * 3600 + 1  # NOW is 12:00 UTC
    assert fakes.writes() == before
    assert len(fakes.queue.queued) == 2  # two notices queued: two SMS


def test_without_its_own_quota_an_account_has_the_deployments_default(fakes, settings_env):
    settings_env(DEFAULT_SMS_DAILY_QUOTA=1)
    create_file_request(staff(), create_body(), None)
    with pytest.raises(SmsQuotaExceeded, match=r"\(1 notifications a day"):
        create_file_request(staff(), create_body(patientMobile="+447777123457"), None)
    # Another account has a quota of its own
    create_file_request(staff(account="13"), create_body(accountId=13), None)
    assert len(fakes.queue.queued) == 2  # two notices queued: two SMS


def test_a_quota_stored_above_the_deployments_maximum_counts_as_the_maximum(fakes, settings_env):
    # Given an account whose quota of 3 was stored before the operator lowered the maximum to 1
    _own_quota(fakes, 3)
    settings_env(SMS_DAILY_QUOTA_MAXIMUM=1)
    # When staff create two requests
    create_file_request(staff(), create_body(), None)
    # Then the second is refused at the maximum, not at the stored quota
    with pytest.raises(SmsQuotaExceeded, match=r"\(1 notifications a day"):
        create_file_request(staff(), create_body(patientMobile="+447777123457"), None)


def test_a_resend_counts_too_and_past_the_quota_is_refused_without_counting_the_resend(fakes):
    # Given an account at its quota of 1, and a request that may be resent
    _own_quota(fakes, 1)
    fakes.people.add_patient(a_patient())
    request = fakes.requests.add(a_file_request(last_notification_at=NOW - timedelta(minutes=5)))
    fakes.requests.sms_counts[ACCOUNT, NOW.date().isoformat()] = 1
    # When staff resend
    with pytest.raises(SmsQuotaExceeded):
        resend_notification(staff(), request.id)
    # Then nothing was sent and the request's own resend count is unchanged
    assert fakes.notifications.sms == []
    assert fakes.requests.requests[request.id].resend_count == 0


def test_the_count_starts_again_each_utc_day():
    assert sms_quota.count_key("12", (NOW + timedelta(hours=12)).date()) == {"PK": "ACCOUNT#12", "SK": "SMS#2026-11-23"}
    assert sms_quota.next_day_starts(NOW).isoformat() == "2026-11-23T00:00:00+00:00"


# ------------------------------------------------------------------ through the real adapter (Stubber)


def test_the_count_is_a_condition_of_the_creates_own_transaction(fakes, stub, monkeypatch):
    # Given the real adapter, and DynamoDB refusing the transaction because the count's condition failed
    def create(request, new_patient, new_staff, event, sms_daily_quota):
        REAL_CREATE(request, new_patient, new_staff, event, sms_daily_quota)

    monkeypatch.setattr(file_requests_table, "create_file_request", create)
    count = {
        "Update": {
            "TableName": get_settings().table_name,
            "Key": {"PK": {"S": f"ACCOUNT#{ACCOUNT}"}, "SK": {"S": "SMS#2026-11-22"}},
            "UpdateExpression": "SET entity = :entity, #ttl = :ttl ADD sent :one",
            "ConditionExpression": "attribute_not_exists(sent) OR sent < :quota",
            "ExpressionAttributeNames": {"#ttl": "ttl"},
            "ExpressionAttributeValues": {
                ":entity": {"S": "sms_count"},
                ":ttl": {"N": str(int((NOW + timedelta(hours=12 + 48)).timestamp()))},
                ":one": {"N": "1"},
                ":quota": {"N": str(get_settings().default_sms_daily_quota)},
            },
        }
    }
    # request, link, new patient (2 items), new staff (2 items), the count, the audit event
    reasons = ["None"] * 6 + ["ConditionalCheckFailed", "None"]
    stub("dynamodb").add_client_error(
        "transact_write_items",
        "TransactionCanceledException",
        modeled_fields={"CancellationReasons": [{"Code": code} for code in reasons]},
        expected_params={"TransactItems": [ANY, ANY, ANY, ANY, ANY, ANY, count, ANY]},
    )
    # When staff create a request, Then it is refused by the quota, without a retry and without an SMS
    with pytest.raises(SmsQuotaExceeded):
        create_file_request(staff(), create_body(), None)
    assert fakes.people.reads == 1
    assert fakes.notifications.sms == []
