"""Account SMS settings: staff read them, only an admin changes them, defaults until then."""

from __future__ import annotations

import pytest

from patient_docs.errors import Forbidden, NotFound
from patient_docs.logic.account_settings import change_account_settings, read_account_settings
from patient_docs.models.account_settings import AccountSettings
from patient_docs.schemas.file_requests import AccountSettingsBody
from patient_docs.settings import get_settings
from tests.unit.doubles import ACCOUNT, NOW, admin, patient, staff

pytestmark = pytest.mark.usefixtures("no_network")

BODY = AccountSettingsBody.model_validate({"smsSenderId": "Clinic12", "linkLifetimeHours": 24})


def test_an_account_without_settings_reads_the_deployments_defaults(fakes, settings_env):
    settings_env(DEFAULT_SMS_SENDER_ID="Deployment", DEFAULT_LINK_LIFETIME_HOURS=48)
    found = read_account_settings(staff())
    assert found == AccountSettings(account_id=ACCOUNT, sms_sender_id="Deployment", link_lifetime_hours=48)
    assert found.updated_at is None  # "never changed"


def test_stored_settings_win_over_the_defaults(fakes):
    stored = AccountSettings(account_id=ACCOUNT, sms_sender_id="Clinic12", link_lifetime_hours=6, updated_at=NOW)
    fakes.people.settings[ACCOUNT] = stored
    assert read_account_settings(staff()) == stored
    assert read_account_settings(admin()) == stored


def test_staff_of_another_account_read_their_own_accounts_settings_only(fakes):
    fakes.people.settings[ACCOUNT] = AccountSettings(
        account_id=ACCOUNT, sms_sender_id="Clinic12", link_lifetime_hours=6
    )
    found = read_account_settings(staff(account="13"))
    assert found.account_id == "13"
    assert found.sms_sender_id == get_settings().default_sms_sender_id


def test_a_patient_token_cannot_read_settings_and_learns_nothing(fakes):
    with pytest.raises(NotFound):
        read_account_settings(patient())


def test_an_admin_changes_the_settings_and_the_change_says_who_and_when(fakes, fixed_now):
    changed = change_account_settings(admin(), BODY)
    assert changed == AccountSettings(
        account_id=ACCOUNT, sms_sender_id="Clinic12", link_lifetime_hours=24, updated_at=NOW, updated_by="admin-sub-1"
    )
    assert fakes.people.settings_writes == [changed]


@pytest.mark.parametrize(
    ("caller", "refusal"),
    [(staff(), Forbidden), (patient(), NotFound)],
    ids=["staff without admin: forbidden", "patient: not found"],
)
def test_only_an_admin_may_change_settings_and_nothing_is_written_otherwise(fakes, caller, refusal):
    with pytest.raises(refusal):
        change_account_settings(caller, BODY)
    assert fakes.people.settings_writes == []


def test_the_admin_changes_the_settings_of_their_own_account_only(fakes):
    change_account_settings(admin(account="13"), BODY)
    (written,) = fakes.people.settings_writes
    assert written.account_id == "13"
    assert ACCOUNT not in fakes.people.settings


# ------------------------------------------------------------------ through the real adapter (Stubber)


def test_stored_settings_are_read_from_the_accounts_settings_item(stub):
    # Given the table holds account 12's settings item
    stub("dynamodb").add_response(
        "get_item",
        {
            "Item": {
                "PK": {"S": "ACCOUNT#12"},
                "SK": {"S": "SETTINGS"},
                "account_id": {"S": "12"},
                "sms_sender_id": {"S": "Clinic12"},
                "link_lifetime_hours": {"N": "6"},
            }
        },
        {"TableName": get_settings().table_name, "Key": {"PK": {"S": "ACCOUNT#12"}, "SK": {"S": "SETTINGS"}}},
    )
    # When staff read them
    found = read_account_settings(staff())
    # Then they are the stored ones
    assert (found.sms_sender_id, found.link_lifetime_hours) == ("Clinic12", 6)


def test_a_throttled_read_fails_rather_than_passing_defaults_off_as_the_accounts(stub):
    stub("dynamodb").add_client_error("get_item", "ProvisionedThroughputExceededException")
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        read_account_settings(staff())
