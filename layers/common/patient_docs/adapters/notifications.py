"""Telling a patient: SMS and mobile push through SNS. Nothing here logs a number or a message."""

from __future__ import annotations

import json

from botocore.exceptions import BotoCoreError, ClientError

from patient_docs.adapters.aws import sns
from patient_docs.errors import NotificationFailed, NotificationThrottled
from patient_docs.settings import get_settings

# What SNS answers when sends come faster than the account's rate (after botocore's own retries).
_THROTTLED = {"Throttled", "ThrottledException", "Throttling", "ThrottlingException", "TooManyRequestsException"}


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def _failure(exc: ClientError | BotoCoreError) -> NotificationFailed:
    """Throttling, and SNS out of reach, may pass: the caller can try the same message again later."""
    reason = _reason(exc)
    if isinstance(exc, BotoCoreError) or reason in _THROTTLED:
        return NotificationThrottled(reason)
    return NotificationFailed(reason)


def is_opted_out(mobile: str) -> bool:
    try:
        return bool(sns().check_if_phone_number_is_opted_out(phoneNumber=mobile)["isOptedOut"])
    except (ClientError, BotoCoreError) as exc:
        raise _failure(exc) from exc


def send_sms(mobile: str, text: str, sender_id: str) -> str:
    """The SNS message id of a transactional SMS sent with the account's sender ID."""
    try:
        response = sns().publish(
            PhoneNumber=mobile,
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": sender_id},
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
    except (ClientError, BotoCoreError) as exc:
        raise _failure(exc) from exc
    return response["MessageId"]


def send_push(endpoint_arn: str, text: str, file_request_id: str) -> str:
    """A push to the patient's app; the payload carries the request id so the app can open it."""
    data = {"file_request_id": file_request_id}
    payload = {
        "default": text,
        "GCM": json.dumps({"notification": {"body": text}, "data": data}),
        "APNS": json.dumps({"aps": {"alert": text}, **data}),
    }
    try:
        response = sns().publish(TargetArn=endpoint_arn, Message=json.dumps(payload), MessageStructure="json")
    except (ClientError, BotoCoreError) as exc:
        raise _failure(exc) from exc
    return response["MessageId"]


def push_configured() -> bool:
    return bool(get_settings().push_platform_application_arn)


def create_push_endpoint(device_token: str, patient_id: str) -> str:
    """The SNS endpoint ARN for an app's device token (SNS returns the same ARN for the same token)."""
    try:
        response = sns().create_platform_endpoint(
            PlatformApplicationArn=get_settings().push_platform_application_arn,
            Token=device_token,
            CustomUserData=patient_id,
        )
    except (ClientError, BotoCoreError) as exc:
        raise _failure(exc) from exc
    return response["EndpointArn"]
