"""Door C records in the one DynamoDB table.

Layout (PK / SK; GSI1PK / GSI1SK):
  MOBILE#<account>#<sha256 of E.164>  / PATIENT   patient, found by mobile (device endpoint lives here)
  PATIENTNO#<account>#<number>        / PATIENT   the same patient, found by number (patient tokens)
  STAFF#<staff_id>                    / STAFF     staff user, found by staffId
  ACCOUNTUSER#<account>#<user id>     / STAFF     the same staff user, found by the account's user id
  FILEREQ#<id>                        / REQUEST   file request; GSI1: FILEREQS#<account> / <created_at>#<id>
  FILEREQ#<id>                        / FILE#<id> a file sent in answer (one Query reads request and files)
  LINK#<short_link_id>                / LINK      short link -> file request (the patient page)
  UPLOADSESSION#<sha256 of token>     / SESSION   a patient page's upload session (expires with ``ttl``)

Mobile numbers are hashed in keys: keys show up in metrics, traces and error reports, attributes do not.
A new patient, staff user, request and link are written in one transaction, each on condition that
its key is free, so a race between two creates for the same new patient cannot make two patients.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from patient_docs.adapters.account_settings_table import settings_from_item, settings_key
from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.items import batch_get, stored_time
from patient_docs.models.file_requests import AccountSettings, FileRequest, Patient, RequestFile, StaffUser
from patient_docs.rules.file_requests import OPEN_STATUSES
from patient_docs.settings import get_settings

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "entity")
REQUEST_SK = "REQUEST"
CURSOR_KEYS = ("PK", "SK", "GSI1PK", "GSI1SK")
_MAX_QUERIES_PER_PAGE = 10


class RecordTaken(Exception):
    """A conditional create lost a race (or drew an id already in use): read again and retry."""


class RecordChanged(Exception):
    """A conditional update found the record missing or not in the expected state.

    ``current`` is the record as the failed update found it, where the update asked for it.
    """

    def __init__(self, what: str, current: FileRequest | None = None) -> None:
        super().__init__(what)
        self.current = current


# ------------------------------------------------------------------ encoding


def _attributes(model: BaseModel) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in model:
        if value is None:
            continue
        if isinstance(value, datetime):
            values[name] = stored_time(value)
        elif isinstance(value, BaseModel | list):
            continue  # nested records are items of their own
        else:
            values[name] = value
    return values


def _item(model: BaseModel, keys: dict[str, str], entity: str) -> dict[str, Any]:
    values = {**_attributes(model), **keys, "entity": entity}
    return {name: _serializer.serialize(value) for name, value in values.items()}


def _values(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items() if name not in _KEY_ATTRIBUTES}


_CONDITION_FAILURES = ("ConditionalCheckFailedException", "TransactionCanceledException")


def _is_conditional_failure(exc: ClientError) -> bool:
    # A cancelled transaction is a failed condition or a concurrent transaction on the same
    # items; either way the caller reads again and retries.
    return exc.response.get("Error", {}).get("Code") in _CONDITION_FAILURES


def _table() -> str:
    return get_settings().table_name


# ------------------------------------------------------------------ keys


def _mobile_key(account_id: str, mobile: str) -> dict[str, str]:
    digest = hashlib.sha256(mobile.encode()).hexdigest()
    return {"PK": f"MOBILE#{account_id}#{digest}", "SK": "PATIENT"}


def _patient_number_key(account_id: str, number: int) -> dict[str, str]:
    return {"PK": f"PATIENTNO#{account_id}#{number}", "SK": "PATIENT"}


def _staff_key(staff_id: str) -> dict[str, str]:
    return {"PK": f"STAFF#{staff_id}", "SK": "STAFF"}


def _account_user_key(account_id: str, account_user_id: str) -> dict[str, str]:
    return {"PK": f"ACCOUNTUSER#{account_id}#{account_user_id}", "SK": "STAFF"}


def _request_key(file_request_id: str) -> dict[str, str]:
    return {"PK": f"FILEREQ#{file_request_id}", "SK": REQUEST_SK}


def _link_key(short_link_id: str) -> dict[str, str]:
    return {"PK": f"LINK#{short_link_id}", "SK": "LINK"}


def account_partition(account_id: str) -> str:
    return f"FILEREQS#{account_id}"


def _serialized_key(key: dict[str, str]) -> dict[str, Any]:
    return {name: {"S": value} for name, value in key.items()}


def _get(key: dict[str, str]) -> dict[str, Any] | None:
    response = dynamodb().get_item(TableName=_table(), Key=_serialized_key(key), ConsistentRead=True)
    item = response.get("Item")
    return _values(item) if item else None


# ------------------------------------------------------------------ patients and staff


def get_patient_by_mobile(account_id: str, mobile: str) -> Patient | None:
    values = _get(_mobile_key(account_id, mobile))
    return Patient.model_validate(values) if values else None


def get_patient_record_by_number(account_id: str, number: int) -> Patient | None:
    """The patient as recorded at creation (id, mobile, date of birth, names), without the device."""
    values = _get(_patient_number_key(account_id, number))
    return Patient.model_validate(values) if values else None


def _found(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return _values(item) if item else None


def read_for_create(
    account_id: str, mobile: str, staff_id: str | None, account_user_id: str | None
) -> tuple[StaffUser | None, Patient | None, AccountSettings | None]:
    """What a new request needs, in one read: its staff user, its patient (by mobile), the account's settings."""
    staff_key = _staff_key(staff_id) if staff_id is not None else _account_user_key(account_id, account_user_id or "")
    staff, patient, settings = batch_get([staff_key, _mobile_key(account_id, mobile), settings_key(account_id)])
    staff_values, patient_values = _found(staff), _found(patient)
    return (
        StaffUser.model_validate(staff_values) if staff_values else None,
        Patient.model_validate(patient_values) if patient_values else None,
        settings_from_item(settings),
    )


def read_for_resend(account_id: str, number: int) -> tuple[Patient | None, AccountSettings | None]:
    """The patient with their device (the number item names the mobile item) and the account's settings."""
    record, settings = batch_get([_patient_number_key(account_id, number), settings_key(account_id)])
    values = _found(record)
    patient = get_patient_by_mobile(account_id, str(values["mobile"])) if values else None
    return patient, settings_from_item(settings)


def set_patient_device(patient: Patient, endpoint_arn: str, registered_at: datetime) -> None:
    try:
        dynamodb().update_item(
            TableName=_table(),
            Key=_serialized_key(_mobile_key(patient.account_id, patient.mobile)),
            UpdateExpression="SET push_endpoint_arn = :arn, device_registered_at = :at",
            ConditionExpression="attribute_exists(PK) AND patient_id = :patient",
            ExpressionAttributeValues={
                ":arn": {"S": endpoint_arn},
                ":at": {"S": stored_time(registered_at)},
                ":patient": {"S": patient.patient_id},
            },
        )
    except ClientError as exc:
        if _is_conditional_failure(exc):
            raise RecordChanged("patient") from exc
        raise


# ------------------------------------------------------------------ file requests


def _put_new(item: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"TableName": _table(), "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


def _request_item(request: FileRequest) -> dict[str, Any]:
    keys = {
        **_request_key(request.id),
        "GSI1PK": account_partition(request.account_id),
        "GSI1SK": f"{stored_time(request.created_at)}#{request.id}",
    }
    return _item(request, keys, "file_request")


def _link_item(request: FileRequest) -> dict[str, Any]:
    values = {**_link_key(request.short_link_id), "entity": "short_link", "file_request_id": request.id}
    return {name: _serializer.serialize(value) for name, value in values.items()}


def create_file_request(request: FileRequest, new_patient: Patient | None, new_staff: StaffUser | None) -> None:
    """Write the request, its short link and any new patient or staff user, all or nothing."""
    writes = [
        _put_new(_request_item(request)),
        _put_new(_link_item(request)),
    ]
    if new_patient is not None:
        writes.append(_put_new(_item(new_patient, _mobile_key(new_patient.account_id, new_patient.mobile), "patient")))
        writes.append(
            _put_new(
                _item(
                    new_patient,
                    _patient_number_key(new_patient.account_id, new_patient.patient_number),
                    "patient_number",
                )
            )
        )
    if new_staff is not None:
        writes.append(_put_new(_item(new_staff, _staff_key(new_staff.staff_id), "staff")))
        if new_staff.account_user_id is not None:
            key = _account_user_key(new_staff.account_id, new_staff.account_user_id)
            writes.append(_put_new(_item(new_staff, key, "staff_account_user")))
    try:
        dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
    except ClientError as exc:
        if _is_conditional_failure(exc):
            raise RecordTaken("file request") from exc
        raise


def get_file_request(file_request_id: str) -> FileRequest | None:
    """The request and its files, in one consistent Query of the request's partition."""
    response = dynamodb().query(
        TableName=_table(),
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": _request_key(file_request_id)["PK"]}},
        ConsistentRead=True,
    )
    request: dict[str, Any] | None = None
    files: list[RequestFile] = []
    for item in response.get("Items", []):
        if item["SK"]["S"] == REQUEST_SK:
            request = _values(item)
        else:
            files.append(RequestFile.model_validate(_values(item)))
    if request is None:
        return None
    files.sort(key=lambda file: (file.created_at, file.id))
    return FileRequest.model_validate({**request, "files": files})


def get_link(short_link_id: str) -> str | None:
    """The id of the request a short link points to, whatever its state."""
    link = _get(_link_key(short_link_id))
    return str(link["file_request_id"]) if link else None


def get_file_request_by_short_link(short_link_id: str) -> FileRequest | None:
    """For the patient page: the request a short link points to, whatever its state."""
    file_request_id = get_link(short_link_id)
    return get_file_request(file_request_id) if file_request_id else None


def put_request_file(file: RequestFile) -> bool:
    """Record a file on its request once; False when it was already recorded."""
    keys = {"PK": _request_key(file.file_request_id)["PK"], "SK": f"FILE#{file.id}"}
    try:
        dynamodb().put_item(
            TableName=_table(), Item=_item(file, keys, "request_file"), ConditionExpression="attribute_not_exists(PK)"
        )
    except ClientError as exc:
        if _is_conditional_failure(exc):
            return False
        raise
    return True


def _open_status_values() -> dict[str, Any]:
    return {f":open{index}": {"S": status} for index, status in enumerate(OPEN_STATUSES)}


_OPEN_LIST = ", ".join(f":open{index}" for index in range(len(OPEN_STATUSES)))


def _update(
    file_request_id: str,
    expression: str,
    condition: str,
    values: dict[str, Any],
    names: dict[str, str] | None = None,
    *,
    current_on_failure: bool = False,
) -> FileRequest:
    """Update a request on a condition; ALL_NEW back. ``current_on_failure``: a failure carries the record."""
    request: dict[str, Any] = {
        "TableName": _table(),
        "Key": _serialized_key(_request_key(file_request_id)),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ReturnValues": "ALL_NEW",
    }
    if names:
        request["ExpressionAttributeNames"] = names
    if current_on_failure:
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    try:
        response = dynamodb().update_item(**request)
    except ClientError as exc:
        if _is_conditional_failure(exc):
            item: Any = exc.response.get("Item")  # type: ignore[typeddict-item]
            current = FileRequest.model_validate(_values(item)) if item else None
            raise RecordChanged("file request", current) from exc
        raise
    return FileRequest.model_validate(_values(response["Attributes"]))


def record_notification(
    file_request_id: str, channel: str, status: str, at: datetime, advance_to_notified: bool
) -> FileRequest:
    """Store a notification outcome; ``advance_to_notified`` moves a ``created`` request on."""
    expression = (
        "SET notification_channel = :channel, notification_status = :status, last_notification_at = :at,"
        " updated_at = :at, notification_attempts = if_not_exists(notification_attempts, :zero) + :one"
    )
    values: dict[str, Any] = {
        ":channel": {"S": channel},
        ":status": {"S": status},
        ":at": {"S": stored_time(at)},
        ":zero": {"N": "0"},
        ":one": {"N": "1"},
    }
    condition = "attribute_exists(PK)"
    names: dict[str, str] = {}
    if advance_to_notified:
        expression += ", #status = :notified, notified_at = if_not_exists(notified_at, :at)"
        condition += " AND #status = :created"
        values.update({":notified": {"S": "notified"}, ":created": {"S": "created"}})
        names["#status"] = "status"
    return _update(file_request_id, expression, condition, values, names)


def cancel_file_request(file_request_id: str, account_id: str, at: datetime) -> FileRequest:
    return _update(
        file_request_id,
        "SET #status = :cancelled, cancelled_at = :at, updated_at = :at",
        f"attribute_exists(PK) AND account_id = :account AND #status IN ({_OPEN_LIST})",
        {
            ":cancelled": {"S": "cancelled"},
            ":at": {"S": stored_time(at)},
            ":account": {"S": account_id},
            **_open_status_values(),
        },
        {"#status": "status"},
    )


def claim_resend(file_request_id: str, account_id: str, now: datetime, not_since: datetime, max_resends: int) -> None:
    """Count a resend if the request is open, unexpired, under the limit and not notified since ``not_since``.

    One conditional write, so two concurrent resends cannot both pass the limit.
    """
    _update(
        file_request_id,
        "SET resend_count = if_not_exists(resend_count, :zero) + :one, last_notification_at = :now, updated_at = :now",
        (
            f"attribute_exists(PK) AND account_id = :account AND #status IN ({_OPEN_LIST})"
            " AND short_link_expires_at > :now"
            " AND (attribute_not_exists(resend_count) OR resend_count < :max)"
            " AND (attribute_not_exists(last_notification_at) OR last_notification_at <= :not_since)"
        ),
        {
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
            ":now": {"S": stored_time(now)},
            ":not_since": {"S": stored_time(not_since)},
            ":max": {"N": str(max_resends)},
            ":account": {"S": account_id},
            **_open_status_values(),
        },
        {"#status": "status"},
    )


def _status_filter(status: str, now: datetime) -> tuple[str, dict[str, Any]]:
    at = {":now": {"S": stored_time(now)}}
    if status == "expired":
        return f"#status IN ({_OPEN_LIST}) AND short_link_expires_at <= :now", {**_open_status_values(), **at}
    if status in OPEN_STATUSES:
        return "#status = :wanted AND short_link_expires_at > :now", {":wanted": {"S": status}, **at}
    return "#status = :wanted", {":wanted": {"S": status}}


def list_file_requests(
    account_id: str,
    now: datetime,
    limit: int,
    patient_id: str | None = None,
    status: str | None = None,
    after: dict[str, str] | None = None,
) -> tuple[list[FileRequest], dict[str, str] | None]:
    """A page of the account's requests, newest first, and the position after it (None: last page)."""
    query: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": account_partition(account_id)}},
        "ScanIndexForward": False,
    }
    filters: list[str] = []
    if patient_id is not None:
        filters.append("patient_id = :patient")
        query["ExpressionAttributeValues"][":patient"] = {"S": patient_id}
    if status is not None:
        expression, values = _status_filter(status, now)
        filters.append(expression)
        query["ExpressionAttributeValues"].update(values)
        query["ExpressionAttributeNames"] = {"#status": "status"}
    if filters:
        query["FilterExpression"] = " AND ".join(f"({f})" for f in filters)
    # Filters apply after DynamoDB's Limit: read more per call when filtering.
    query["Limit"] = 100 if filters else limit + 1
    if after:
        query["ExclusiveStartKey"] = _serialized_key(after)

    found: list[dict[str, Any]] = []
    for _ in range(_MAX_QUERIES_PER_PAGE):
        response = dynamodb().query(**query)
        found.extend(response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if len(found) > limit or not last_key:
            break
        query["ExclusiveStartKey"] = last_key

    page = found[:limit]
    next_position: dict[str, str] | None = None
    if len(found) > limit or (len(found) == limit and last_key):
        item = page[-1]
        next_position = {name: item[name]["S"] for name in CURSOR_KEYS}
    elif last_key:  # a sparse filter read its quota of pages: hand back where the reading stopped
        next_position = {name: str(_deserializer.deserialize(last_key[name])) for name in CURSOR_KEYS}
    requests = [FileRequest.model_validate(_values(item)) for item in page]
    return requests, next_position


# ------------------------------------------------------------------ the patient page


# The link works: not expired, not locked (each update adds which statuses it accepts).
_USABLE = (
    "(attribute_not_exists(short_link_expires_at) OR short_link_expires_at > :now)"
    " AND (attribute_not_exists(failed_verifications) OR failed_verifications < :max_wrong)"
)


def open_request(file_request_id: str, at: datetime, max_wrong: int) -> FileRequest | None:
    """created/notified -> opened the first time a usable link is opened; the request either way.

    One conditional update: when it does not apply (opened before, or expired, cancelled or
    locked) DynamoDB hands back the record as it is, so the page needs no read of its own.
    """
    try:
        return _update(
            file_request_id,
            "SET #status = :opened, opened_at = if_not_exists(opened_at, :now), updated_at = :now",
            f"#status IN (:created, :notified) AND {_USABLE}",
            {
                ":opened": {"S": "opened"},
                ":now": {"S": stored_time(at)},
                ":created": {"S": "created"},
                ":notified": {"S": "notified"},
                ":max_wrong": {"N": str(max_wrong)},
            },
            {"#status": "status"},
            current_on_failure=True,
        )
    except RecordChanged as exc:
        return exc.current


def record_wrong_answer(file_request_id: str, max_wrong: int, at: datetime) -> int:
    """Count one wrong date of birth; the count after it. RecordChanged when already locked."""
    updated = _update(
        file_request_id,
        "SET failed_verifications = if_not_exists(failed_verifications, :zero) + :one, updated_at = :at",
        "attribute_exists(PK) AND (attribute_not_exists(failed_verifications) OR failed_verifications < :max)",
        {":zero": {"N": "0"}, ":one": {"N": "1"}, ":max": {"N": str(max_wrong)}, ":at": {"S": stored_time(at)}},
    )
    return updated.failed_verifications


def mark_verified(file_request_id: str, at: datetime) -> None:
    # Already answered: nothing to move, and the session still lets the patient add photos.
    with contextlib.suppress(RecordChanged):
        _update(
            file_request_id,
            "SET #status = :verified, verified_at = if_not_exists(verified_at, :at), updated_at = :at",
            f"#status IN ({_OPEN_LIST})",
            {":verified": {"S": "verified"}, ":at": {"S": stored_time(at)}, **_open_status_values()},
            {"#status": "status"},
        )


def _session_key(token_hash: str) -> dict[str, str]:
    return {"PK": f"UPLOADSESSION#{token_hash}", "SK": "SESSION"}


def put_upload_session(token_hash: str, file_request_id: str, expires_at: datetime) -> None:
    item = {
        **_session_key(token_hash),
        "entity": "upload_session",
        "file_request_id": file_request_id,
        "expires_at": stored_time(expires_at),
        "ttl": int(expires_at.timestamp()) + 3600,
    }
    dynamodb().put_item(TableName=_table(), Item={k: _serializer.serialize(v) for k, v in item.items()})


def reserve_upload_slot(file_request_id: str, max_files: int, at: datetime, max_wrong: int) -> FileRequest:
    """Count one presigned upload against an open request's limit; the request after it.

    RecordChanged (carrying the record as it is) when the request is no longer open or the limit is reached.
    """
    return _update(
        file_request_id,
        "SET upload_slots = if_not_exists(upload_slots, :zero) + :one, updated_at = :now",
        (
            f"#status IN ({_OPEN_LIST}, :responded) AND {_USABLE}"
            " AND (attribute_not_exists(upload_slots) OR upload_slots < :max)"
        ),
        {
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
            ":max": {"N": str(max_files)},
            ":now": {"S": stored_time(at)},
            ":responded": {"S": "responded"},
            ":max_wrong": {"N": str(max_wrong)},
            **_open_status_values(),
        },
        {"#status": "status"},
        current_on_failure=True,
    )


def get_link_and_session(short_link_id: str, token_hash: str | None) -> tuple[str | None, tuple[str, datetime] | None]:
    """The request a short link names and (request id, expiry) of an upload session, in one read."""
    keys = [_link_key(short_link_id)] + ([_session_key(token_hash)] if token_hash else [])
    found = batch_get(keys)
    link = _found(found[0])
    session = _found(found[1]) if len(found) > 1 else None
    return (
        str(link["file_request_id"]) if link else None,
        (str(session["file_request_id"]), datetime.fromisoformat(str(session["expires_at"]))) if session else None,
    )


AnswerOutcome = Literal["recorded", "duplicate", "document_id_taken"]


def record_answer(file: RequestFile, document_item: dict[str, Any]) -> AnswerOutcome:
    """The file and its patient document in one transaction, so that a file is recorded once.

    Both items are new, so parallel uploads to one request never contend; a second delivery
    of the same upload finds the file item and changes nothing ("duplicate").
    """
    file_keys = {"PK": _request_key(file.file_request_id)["PK"], "SK": f"FILE#{file.id}"}
    try:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": _table(),
                        "Item": _item(file, file_keys, "request_file"),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Put": {
                        "TableName": _table(),
                        "Item": document_item,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") for reason in exc.response.get("CancellationReasons", [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return "duplicate"
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            return "document_id_taken"
        raise  # a conflict with another transaction: the message is retried
    return "recorded"


def mark_responded(file_request_id: str, at: datetime) -> None:
    """An open request that has a file is ``responded`` (idempotent: later files change nothing)."""
    with contextlib.suppress(RecordChanged):
        _update(
            file_request_id,
            "SET #status = :responded, responded_at = if_not_exists(responded_at, :at), updated_at = :at",
            f"#status IN ({_OPEN_LIST})",
            {":responded": {"S": "responded"}, ":at": {"S": stored_time(at)}, **_open_status_values()},
            {"#status": "status"},
        )
