"""A patient's app registers its device for push: only a known patient, through their own token."""

from __future__ import annotations

import pytest

from patient_docs.adapters import notifications
from patient_docs.errors import InvalidField, NotFound, ServiceUnavailable
from patient_docs.logic.register_patient_device import register_patient_device
from patient_docs.schemas.file_requests import RegisterDeviceBody
from tests.unit.doubles import ACCOUNT, MOBILE, NOW, PATIENT_NUMBER, a_patient, patient, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")

BODY = RegisterDeviceBody.model_validate({"deviceToken": "apns-device-token-1"})
APPLICATION = "arn:aws:sns:us-east-1:123456789012:app/APNS/patient-docs"
REAL_CREATE_ENDPOINT = notifications.create_push_endpoint


@pytest.fixture
def known(fakes):
    return fakes.people.add_patient(a_patient())


def nothing_registered(fakes):
    return fakes.notifications.endpoints == [] and fakes.people.devices == []


def test_the_device_is_registered_on_the_patients_record(fakes, known):
    registered = register_patient_device(patient(), BODY)
    assert fakes.notifications.endpoints == [("apns-device-token-1", known.patient_id)]
    ((patient_id, arn),) = fakes.people.devices
    assert patient_id == known.patient_id
    assert (registered.push_endpoint_arn, registered.device_registered_at) == (arn, NOW)
    assert fakes.people.patients[ACCOUNT, MOBILE].push_endpoint_arn == arn


@pytest.mark.parametrize(
    "caller",
    [staff(), staff(role="admin"), staff().model_copy(update={"patient_id": PATIENT_NUMBER})],
    ids=["staff", "admin", "staff naming a patient"],
)
def test_only_a_patient_token_registers_a_device(fakes, known, caller):
    with pytest.raises(NotFound):
        register_patient_device(caller, BODY)
    assert nothing_registered(fakes)


@pytest.mark.parametrize(
    "caller", [patient(number=PATIENT_NUMBER + 1), patient(account="13")], ids=["unknown number", "other account"]
)
def test_a_patient_this_service_does_not_know_cannot_register(fakes, known, caller):
    with pytest.raises(NotFound):
        register_patient_device(caller, BODY)
    assert nothing_registered(fakes)


def test_without_push_configured_the_service_says_so_and_creates_nothing(fakes, known):
    fakes.notifications.configured = False
    with pytest.raises(ServiceUnavailable, match="not configured"):
        register_patient_device(patient(), BODY)
    assert nothing_registered(fakes)


def test_the_patient_is_looked_up_before_push_is_judged(fakes):
    fakes.notifications.configured = False
    with pytest.raises(NotFound):
        register_patient_device(patient(), BODY)


@pytest.mark.parametrize(
    ("reason", "refusal", "field"),
    [("InvalidParameter", InvalidField, "deviceToken"), ("Throttling", ServiceUnavailable, None)],
)
def test_a_token_sns_refuses_is_a_bad_token_and_any_other_failure_a_try_later(fakes, known, reason, refusal, field):
    fakes.notifications.endpoint_failure = reason
    with pytest.raises(refusal) as caught:
        register_patient_device(patient(), BODY)
    assert caught.value.field == field
    assert fakes.people.devices == []


def test_a_patient_record_that_changed_meanwhile_is_not_found(fakes, known):
    fakes.people.device_write_fails = True
    with pytest.raises(NotFound):
        register_patient_device(patient(), BODY)


# ------------------------------------------------------------------ through the real SNS adapter (Stubber)


@pytest.fixture
def push_configured(settings_env, monkeypatch):
    settings_env(PUSH_PLATFORM_APPLICATION_ARN=APPLICATION)
    monkeypatch.setattr(notifications, "create_push_endpoint", REAL_CREATE_ENDPOINT)


def test_sns_refusing_the_token_is_a_bad_device_token(fakes, known, push_configured, stub):
    stub("sns").add_client_error(
        "create_platform_endpoint",
        "InvalidParameter",
        expected_params={
            "PlatformApplicationArn": APPLICATION,
            "Token": "apns-device-token-1",
            "CustomUserData": known.patient_id,
        },
    )
    with pytest.raises(InvalidField) as caught:
        register_patient_device(patient(), BODY)
    assert caught.value.field == "deviceToken"
    assert fakes.people.devices == []


def test_sns_throttling_is_a_try_later(fakes, known, push_configured, stub):
    stub("sns").add_client_error("create_platform_endpoint", "Throttling", http_status_code=400)
    with pytest.raises(ServiceUnavailable):
        register_patient_device(patient(), BODY)


def test_the_endpoint_sns_returns_is_what_the_record_keeps(fakes, known, push_configured, stub):
    arn = "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/patient-docs/4d1c"
    stub("sns").add_response("create_platform_endpoint", {"EndpointArn": arn})
    assert register_patient_device(patient(), BODY).push_endpoint_arn == arn
    assert fakes.people.devices == [(known.patient_id, arn)]
