"""File requests and the files sent in answer, in the one table.

Layout (PK / SK; GSI1PK / GSI1SK; GSI2PK / GSI2SK):
  FILEREQ#<id>  / REQUEST    file request; GSI1: FILEREQS#<account> / <created_at>#<id>
                             GSI2 (keys only): FILEREQS#<account>#<patient> / <created_at>#<id>
  FILEREQ#<id>  / FILE#<id>  a file sent in answer (one Query reads request and files)

GSI2 lists one patient's requests: it projects keys only, so the request's state changes (status,
counters, timestamps) never rewrite it, and a page's requests are read by one BatchGetItem.

A new request is written with its short link and any new patient or staff user in one
transaction, each on condition that its key is free, so a race between two creates for the same
new patient cannot make two patients. State changes are conditional updates that hand back the
record when their condition does not hold, so no read comes first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from patient_docs.adapters import audit_log, patient_page_table, patients_table, sms_quota
from patient_docs.adapters.audit_log import EventValues
from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.table import (
    INDEX_POSITION,
    Item,
    Key,
    batch_get,
    cancellation_reasons,
    decode,
    decode_position,
    is_conditional_failure,
    put_new,
    record_item,
    stored_time,
    table_name,
    typed_key,
)
from patient_docs.errors import QuotaUsedUp, RecordChanged, RecordTaken
from patient_docs.models.file_requests import FileRequest, RequestFile
from patient_docs.models.people import Patient, StaffUser
from patient_docs.rules.file_requests import OPEN_STATUSES, effective_status

REQUEST_SK = "REQUEST"
_MAX_QUERIES_PER_PAGE = 10


def _request_key(file_request_id: str) -> Key:
    return {"PK": f"FILEREQ#{file_request_id}", "SK": REQUEST_SK}


def _file_key(file: RequestFile) -> Key:
    return {"PK": _request_key(file.file_request_id)["PK"], "SK": f"FILE#{file.id}"}


def account_partition(account_id: str) -> str:
    return f"FILEREQS#{account_id}"


def patient_partition(account_id: str, patient_id: str) -> str:
    return f"FILEREQS#{account_id}#{patient_id}"


# A position in GSI2 (where a page of one patient's requests ended).
PATIENT_INDEX_POSITION = ("PK", "SK", "GSI2PK", "GSI2SK")


# ------------------------------------------------------------------ file requests


def _request_item(request: FileRequest) -> Item:
    created = f"{stored_time(request.created_at)}#{request.id}"
    keys = {
        **_request_key(request.id),
        "GSI1PK": account_partition(request.account_id),
        "GSI1SK": created,
        "GSI2PK": patient_partition(request.account_id, request.patient_id),
        "GSI2SK": created,
    }
    return record_item(request, keys, "file_request")


def create_file_request(
    request: FileRequest,
    new_patient: Patient | None,
    new_staff: StaffUser | None,
    event: EventValues,
    sms_daily_quota: int,
) -> None:
    """Write the request, its short link, any new patient or staff user, the account's SMS count and the
    audit event, all or nothing. QuotaUsedUp: the account's daily SMS quota is used up (nothing written)."""
    writes = [put_new(_request_item(request)), put_new(patient_page_table.link_item(request.short_link_id, request.id))]
    if new_patient is not None:
        writes.extend(patients_table.new_patient_writes(new_patient))
    if new_staff is not None:
        writes.extend(patients_table.new_staff_writes(new_staff))
    writes.append(sms_quota.count_write(request.account_id, request.created_at, sms_daily_quota))
    try:
        audit_log.append(event, writes)
    except ClientError as exc:
        if sms_quota.refused_by_quota(exc, len(writes) - 1):
            raise QuotaUsedUp() from exc
        if is_conditional_failure(exc):
            raise RecordTaken("file request") from exc
        raise


def get_file_request(file_request_id: str) -> FileRequest | None:
    """The request and its files, in one consistent Query of the request's partition."""
    response = dynamodb().query(
        TableName=table_name(),
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": _request_key(file_request_id)["PK"]}},
        ConsistentRead=True,
    )
    request: dict[str, Any] | None = None
    files: list[RequestFile] = []
    for item in response.get("Items", []):
        if item["SK"]["S"] == REQUEST_SK:
            request = decode(item)
        else:
            files.append(RequestFile.model_validate(decode(item)))
    if request is None:
        return None
    files.sort(key=lambda file: (file.created_at, file.id))
    return FileRequest.model_validate({**request, "files": files})


def get_file_request_by_short_link(short_link_id: str) -> FileRequest | None:
    """For the patient page: the request a short link points to, whatever its state."""
    file_request_id = patient_page_table.get_link(short_link_id)
    return get_file_request(file_request_id) if file_request_id else None


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
        "TableName": table_name(),
        "Key": typed_key(_request_key(file_request_id)),
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
        if is_conditional_failure(exc):
            item: Any = exc.response.get("Item")  # type: ignore[typeddict-item]
            current = FileRequest.model_validate(decode(item)) if item else None
            raise RecordChanged("file request", current) from exc
        raise
    return FileRequest.model_validate(decode(response["Attributes"]))


def record_notification(
    file_request_id: str, channel: str | None, status: str, at: datetime, advance_to_notified: bool
) -> FileRequest:
    """Store a notification outcome; ``advance_to_notified`` moves a ``created`` request on.
    ``channel`` None: nothing was tried on any channel (the notice could not be queued)."""
    expression = (
        "SET notification_status = :status, last_notification_at = :at,"
        " updated_at = :at, notification_attempts = if_not_exists(notification_attempts, :zero) + :one"
    )
    values: dict[str, Any] = {
        ":status": {"S": status},
        ":at": {"S": stored_time(at)},
        ":zero": {"N": "0"},
        ":one": {"N": "1"},
    }
    if channel is not None:
        expression += ", notification_channel = :channel"
        values[":channel"] = {"S": channel}
    condition = "attribute_exists(PK)"
    names: dict[str, str] = {}
    if advance_to_notified:
        expression += ", #status = :notified, notified_at = if_not_exists(notified_at, :at)"
        condition += " AND #status = :created"
        values.update({":notified": {"S": "notified"}, ":created": {"S": "created"}})
        names["#status"] = "status"
    return _update(file_request_id, expression, condition, values, names)


def move_notification(file_request_id: str, from_status: str, to_status: str) -> FileRequest:
    """Move the notification from one status to another if it is still in the first: the sender's claim
    (queued -> sending), which makes one send of each notice however often its message arrives, and its
    release (sending -> queued) when SNS throttled it. RecordChanged (with the record) if it was not."""
    return _update(
        file_request_id,
        "SET notification_status = :to",
        "attribute_exists(PK) AND notification_status = :from",
        {":to": {"S": to_status}, ":from": {"S": from_status}},
        current_on_failure=True,
    )


_REMINDER_OPEN = f"attribute_exists(PK) AND #status IN ({_OPEN_LIST}) AND short_link_expires_at > :now"


def claim_reminder(request: FileRequest, now: datetime, event: EventValues, sms_daily_quota: int) -> FileRequest:
    """Claim the request's one reminder and count it against the account's daily SMS quota, with its audit
    event, in one transaction: only while the request is open, unexpired and has had no reminder.

    RecordChanged otherwise (answered, cancelled, expired, or reminded already); QuotaUsedUp when the
    request allowed the reminder but the account's quota did not (nothing written).
    """
    claim = _update_write(
        request.id,
        "SET reminder_status = :sending",
        f"{_REMINDER_OPEN} AND attribute_not_exists(reminder_status)",
        {":sending": {"S": "sending"}, ":now": {"S": stored_time(now)}, **_open_status_values()},
        {"#status": "status"},
    )
    try:
        _with_event([claim, sms_quota.count_write(request.account_id, now, sms_daily_quota)], event)
    except ClientError as exc:
        if sms_quota.refused_by_quota(exc, 1):
            raise QuotaUsedUp() from exc
        raise
    return request.model_copy(update={"reminder_status": "sending"})


def reclaim_reminder(file_request_id: str, now: datetime) -> FileRequest:
    """Claim again a reminder whose earlier try was throttled (``queued``: counted already, so not again).
    RecordChanged when it is no longer queued, or the request closed or expired meanwhile."""
    return _update(
        file_request_id,
        "SET reminder_status = :sending",
        f"{_REMINDER_OPEN} AND reminder_status = :queued",
        {
            ":sending": {"S": "sending"},
            ":queued": {"S": "queued"},
            ":now": {"S": stored_time(now)},
            **_open_status_values(),
        },
        {"#status": "status"},
    )


def skip_reminder(file_request_id: str, reason: str, now: datetime, event: EventValues) -> None:
    """Record that the request's one reminder was not sent, and why, with its audit event; on the same
    condition as the claim, so a reminder is skipped or sent, never both. RecordChanged otherwise."""
    update = _update_write(
        file_request_id,
        "SET reminder_status = :skipped, reminder_skipped_reason = :reason, updated_at = :now",
        f"{_REMINDER_OPEN} AND attribute_not_exists(reminder_status)",
        {
            ":skipped": {"S": "skipped"},
            ":reason": {"S": reason},
            ":now": {"S": stored_time(now)},
            **_open_status_values(),
        },
        {"#status": "status"},
    )
    _with_event([update], event)


def record_reminder(file_request_id: str, status: str | None, at: datetime) -> None:
    """The reminder's outcome; None puts it back (``queued``) when SNS throttled it: a later try may send
    it, and does not count it against the quota again."""
    if status is None:
        _update(
            file_request_id,
            "SET reminder_status = :queued",
            "reminder_status = :sending",
            {":sending": {"S": "sending"}, ":queued": {"S": "queued"}},
        )
        return
    _update(
        file_request_id,
        "SET reminder_status = :status, reminder_sent_at = :at, updated_at = :at",
        "attribute_exists(PK)",
        {":status": {"S": status}, ":at": {"S": stored_time(at)}},
    )


def record_email_feedback(file_request_id: str, kind: str, at: datetime) -> None:
    """A bounce or complaint of the request's email notice; a bounce while the notice is the one that went
    by email also marks the notification failed. RecordChanged: no such request."""
    values = {":kind": {"S": kind}, ":at": {"S": stored_time(at)}}
    if kind == "bounce":
        try:
            _update(
                file_request_id,
                "SET email_feedback = :kind, email_feedback_at = :at, notification_status = :failed",
                "attribute_exists(PK) AND notification_channel = :email",
                {**values, ":failed": {"S": "failed"}, ":email": {"S": "email"}},
            )
            return
        except RecordChanged:
            pass  # the notice went another way since (a resend by SMS): record the feedback only
    _update(file_request_id, "SET email_feedback = :kind, email_feedback_at = :at", "attribute_exists(PK)", values)


def cancel_file_request(file_request_id: str, account_id: str, at: datetime, event: EventValues) -> None:
    """Cancel a request that is open and unexpired (an expired one is past cancelling, as past resending),
    with its audit event in one transaction. RecordChanged (carrying the request as it is) otherwise."""
    update = _update_write(
        file_request_id,
        "SET #status = :cancelled, cancelled_at = :at, updated_at = :at",
        (
            f"attribute_exists(PK) AND account_id = :account AND #status IN ({_OPEN_LIST})"
            " AND (attribute_not_exists(short_link_expires_at) OR short_link_expires_at > :at)"
        ),
        {
            ":cancelled": {"S": "cancelled"},
            ":at": {"S": stored_time(at)},
            ":account": {"S": account_id},
            **_open_status_values(),
        },
        {"#status": "status"},
    )
    _with_event([update], event)


def claim_resend(
    file_request_id: str,
    account_id: str,
    now: datetime,
    not_since: datetime,
    max_resends: int,
    event: EventValues,
    sms_daily_quota: int,
) -> None:
    """Count a resend if the request is open, unexpired, under the limit and not notified since ``not_since``,
    and the account's SMS count if under ``sms_daily_quota``.

    One transaction with its audit event, so two concurrent resends cannot both pass either limit.
    A failure carries the record as the write found it (``RecordChanged.current``); QuotaUsedUp when the
    request allowed the resend but the account's quota did not (nothing written).
    """
    update = _update_write(
        file_request_id,
        (
            "SET resend_count = if_not_exists(resend_count, :zero) + :one, last_notification_at = :now,"
            " updated_at = :now, notification_status = :queued"
        ),
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
            ":queued": {"S": "queued"},
            ":account": {"S": account_id},
            **_open_status_values(),
        },
        {"#status": "status"},
    )
    try:
        _with_event([update, sms_quota.count_write(account_id, now, sms_daily_quota)], event)
    except ClientError as exc:
        if sms_quota.refused_by_quota(exc, 1):
            raise QuotaUsedUp() from exc
        raise


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
    """A page of the account's requests, newest first, and the position after it (None: last page).

    ``patient_id`` filters the account's index (requests stored before GSI2 existed have no patient index
    entry); door C's list by patient reads ``list_patient_file_requests`` instead."""
    query: dict[str, Any] = {
        "TableName": table_name(),
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
        query["ExclusiveStartKey"] = typed_key(after)

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
        next_position = {name: item[name]["S"] for name in INDEX_POSITION}
    elif last_key:  # a sparse filter read its quota of pages: hand back where the reading stopped
        next_position = decode_position(last_key)
    requests = [FileRequest.model_validate(decode(item)) for item in page]
    return requests, next_position


def _has_status(request: FileRequest, status: str | None, now: datetime) -> bool:
    if status is None:
        return True
    return effective_status(request.status, request.short_link_expires_at, now) == status


def list_patient_file_requests(
    account_id: str,
    patient_id: str,
    now: datetime,
    limit: int,
    status: str | None = None,
    after: dict[str, str] | None = None,
) -> tuple[list[FileRequest], dict[str, str] | None]:
    """A page of one patient's requests, newest first, and the position after it (None: last page).

    The patient's index partition (keys only) gives the page's ids, one BatchGetItem the requests; a
    status is checked on the requests read, reading on (at most ``_MAX_QUERIES_PER_PAGE`` index pages).
    """
    query: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": "GSI2",
        "KeyConditionExpression": "GSI2PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": patient_partition(account_id, patient_id)}},
        "ScanIndexForward": False,
        "Limit": limit + 1,
    }
    if after:
        query["ExclusiveStartKey"] = typed_key(after)
    found: list[tuple[FileRequest, Item]] = []
    last_key: Any = None
    for _ in range(_MAX_QUERIES_PER_PAGE):
        response = dynamodb().query(**query)
        entries = response.get("Items", [])
        stored = batch_get([{"PK": e["PK"]["S"], "SK": e["SK"]["S"]} for e in entries]) if entries else []
        for entry, item in zip(entries, stored, strict=True):
            if item is not None:
                request = FileRequest.model_validate(decode(item))
                if _has_status(request, status, now):
                    found.append((request, entry))
        last_key = response.get("LastEvaluatedKey")
        if len(found) > limit or not last_key:
            break
        query["ExclusiveStartKey"] = last_key
    page = found[:limit]
    next_position: dict[str, str] | None = None
    if len(found) > limit or (len(found) == limit and last_key):
        entry = page[-1][1]
        next_position = {name: entry[name]["S"] for name in PATIENT_INDEX_POSITION}
    elif last_key:  # a sparse status read its quota of pages: hand back where the reading stopped
        next_position = {name: str(last_key[name]["S"]) for name in PATIENT_INDEX_POSITION}
    return [request for request, _ in page], next_position


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


def _update_write(
    file_request_id: str, expression: str, condition: str, values: dict[str, Any], names: dict[str, str] | None = None
) -> Item:
    """A transaction's conditional update of a request; a failed condition hands back the record."""
    update: dict[str, Any] = {
        "TableName": table_name(),
        "Key": typed_key(_request_key(file_request_id)),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if names:
        update["ExpressionAttributeNames"] = names
    return {"Update": update}


def _with_event(writes: list[Item], event: EventValues) -> None:
    """``writes`` (a request's update first) and the audit event in one transaction, all or nothing.

    RecordChanged, carrying the request as the write found it, when the update's condition fails.
    """
    try:
        audit_log.append(event, writes)
    except ClientError as exc:
        if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
            reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])  # type: ignore[assignment]
            item = reasons[0].get("Item") if reasons else None
            raise RecordChanged("file request", FileRequest.model_validate(decode(item)) if item else None) from exc
        raise


def confirm_answer(
    request: FileRequest,
    token_hash: str,
    session_expires_at: datetime,
    at: datetime,
    max_wrong: int,
    event: EventValues,
) -> None:
    """A right date of birth: the request verified, the upload session and the audit event, in one
    transaction that holds only while the link is usable (unexpired, open, and under ``max_wrong``
    wrong answers). So once a fifth wrong answer has locked the link, no session can be written.

    RecordChanged (with the request as it is) when the link changed since ``request`` was read.
    """
    values: dict[str, Any] = {":now": {"S": stored_time(at)}, ":max_wrong": {"N": str(max_wrong)}}
    if request.status in OPEN_STATUSES:
        expression = "SET #status = :verified, verified_at = if_not_exists(verified_at, :now), updated_at = :now"
        condition = f"#status IN ({_OPEN_LIST}) AND {_USABLE}"
        values.update({":verified": {"S": "verified"}, **_open_status_values()})
    else:  # answered already: more photos may follow, the status stays
        expression = "SET updated_at = :now"
        condition = f"#status = :current AND {_USABLE}"
        values[":current"] = {"S": request.status}
    session = patient_page_table.session_item(
        token_hash, request.id, session_expires_at, request.account_id, request.patient_number
    )
    update = _update_write(request.id, expression, condition, values, {"#status": "status"})
    _with_event([update, put_new(session)], event)


def count_wrong_answer(request: FileRequest, at: datetime, event: EventValues) -> int:
    """A wrong date of birth: the count after it, decided with the audit event in one transaction
    on condition that the count is still the one ``request`` was read with, so the event's action
    (wrong, or the answer that locks) is exact. RecordChanged when another answer came first.
    """
    expected = request.failed_verifications
    condition = "failed_verifications = :expected"
    if expected == 0:
        condition = f"(attribute_not_exists(failed_verifications) OR {condition})"
    update = _update_write(
        request.id,
        "SET failed_verifications = :next, updated_at = :now",
        f"attribute_exists(PK) AND {condition}",
        {":expected": {"N": str(expected)}, ":next": {"N": str(expected + 1)}, ":now": {"S": stored_time(at)}},
    )
    _with_event([update], event)
    return expected + 1


def reserve_upload_slot(file_request_id: str, max_files: int, at: datetime, max_wrong: int, event: EventValues) -> None:
    """Count one presigned upload against an open request's limit, with its audit event.

    RecordChanged (carrying the record as it is) when the request is no longer open or the limit is reached.
    """
    update = _update_write(
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
    )
    _with_event([update], event)


def delete_file_write(file_request_id: str, file_id: str) -> Item:
    """The transaction write that removes a file from its request (its document is being deleted)."""
    key = {"PK": _request_key(file_request_id)["PK"], "SK": f"FILE#{file_id}"}
    return {"Delete": {"TableName": table_name(), "Key": typed_key(key)}}


AnswerOutcome = Literal["recorded", "duplicate", "document_id_taken"]


def record_answer(
    file: RequestFile, document_item: Item, event: EventValues, also: Sequence[Item] = ()
) -> AnswerOutcome:
    """The file, its patient document, the audit event and the writes ``also`` (unconditional ones: the
    document's link to its file's scan entry) in one transaction, so that a file is recorded once.

    Both items are new, so parallel uploads to one request contend only on the patient's audit chain
    (the append retries); a second delivery of the same upload finds the file item and changes
    nothing ("duplicate").
    """
    try:
        audit_log.append(
            event, [put_new(record_item(file, _file_key(file), "request_file")), put_new(document_item), *also]
        )
    except ClientError as exc:
        reasons = cancellation_reasons(exc)
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
