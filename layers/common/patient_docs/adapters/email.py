"""Email through SES: the link to a patient whom SMS cannot reach. Nothing here logs an address or text."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from patient_docs.adapters.aws import ses
from patient_docs.errors import NotificationFailed, NotificationThrottled
from patient_docs.settings import get_settings

_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException"}
# SES tags the message with the request's id, and its bounce and complaint events carry the tags back.
FILE_REQUEST_TAG = "file_request_id"


def send_email(to: str, subject: str, body: str, sender: str, file_request_id: str) -> str:
    """The SES message id of a plain-text email from ``sender`` (an SES-verified identity)."""
    request = {
        "Source": sender,
        "Destination": {"ToAddresses": [to]},
        "Message": {
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
        },
        "Tags": [{"Name": FILE_REQUEST_TAG, "Value": file_request_id}],
    }
    configuration_set = get_settings().email_configuration_set
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    try:
        response = ses().send_email(**request)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code") or "ClientError")
        raise (NotificationThrottled if code in _THROTTLED else NotificationFailed)(code) from exc
    except BotoCoreError as exc:
        raise NotificationThrottled(type(exc).__name__) from exc
    return str(response["MessageId"])
