"""Document records in the DynamoDB table. Every write goes with its audit event, in one transaction.

Layout:
  PK = DOC#<id>, SK = DOC                         -> get/update/delete by id: 1 call
  GSI1PK = PATIENT#<account>#<patient>, GSI1SK = <created_at>#<id>  -> list a patient's documents
  PK = DOC#<id>, SK = DELETED, account_id, patient_id, deleted_at -> a deleted document's tombstone (written
      by the delete's transaction): door D answers 410 Gone for it, as FHIR reads a deleted resource
  PK = OBJECT#<object key>, SK = OBJECT, document_id  -> the object's one document (its claim)
  PK = DOCCOUNT#<account>#<patient>, SK = COUNT, documents -> how many documents the patient has: changed
      in the transaction of every create and delete, so door B's ``total`` is one GetItem, not a read of
      every document (one partition per patient: no key shared between patients or accounts)
  PK = DOCCOUNT#<account>#<patient>, SK = D#<YYYY-MM-DD> / H#<YYYY-MM-DDTHH>, documents -> how many of them
      were created on that UTC day / in that UTC hour, changed in the same transactions: a start/end range's
      ``total`` sums its whole days and hours and counts only the documents of its partial end hours
      (rules/time_buckets.py)

One object, one record: a document is written with the claim of its object, created only if no
other document holds it, in one transaction; a delete removes both (and a patient's photo's file
item), so no record is left pointing at an object another record's delete removed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from patient_docs.adapters import audit_log
from patient_docs.adapters.audit_log import EventValues
from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.table import (
    INDEX_POSITION,
    Item,
    Key,
    batch_get,
    cancellation_reasons,
    decode,
    encode,
    put_new,
    serialize,
    stored_time,
    table_name,
    typed_key,
)
from patient_docs.errors import DocumentIdTaken, NotFound, ObjectClaimed
from patient_docs.models.documents import Document, ImageRenditions
from patient_docs.rules.images import EXTENSION
from patient_docs.rules.scanning import ScanStatus, may_precede
from patient_docs.rules.time_buckets import day_of, hour_of


def _doc_key(document_id: int) -> Item:
    return typed_key({"PK": f"DOC#{document_id}", "SK": "DOC"})


def patient_partition(account_id: str, patient_id: int) -> str:
    return f"PATIENT#{account_id}#{patient_id}"


def document_item(doc: Document) -> Item:
    """The item a document is stored as (also written inside other modules' transactions)."""
    attributes = doc.model_dump(mode="json", exclude_none=True)
    attributes.update(
        PK=f"DOC#{doc.id}",
        SK="DOC",
        GSI1PK=patient_partition(doc.account_id, doc.patient_id),
        GSI1SK=f"{attributes['created_at']}#{doc.id:016d}",
        entity="document",
    )
    return encode(attributes)


def _claim_key(object_key: str) -> Item:
    return typed_key({"PK": f"OBJECT#{object_key}", "SK": "OBJECT"})


def _claim(doc: Document) -> Item:
    """The transaction write that makes ``doc`` its object's one document (fails if another is)."""
    return put_new({**_claim_key(doc.object_key), "entity": {"S": "object_claim"}, "document_id": {"N": str(doc.id)}})


def _from_item(item: Item) -> Document:
    return Document.model_validate(decode(item))


def _count_key(account_id: str, patient_id: int, sort_key: str = "COUNT") -> Item:
    return typed_key({"PK": f"DOCCOUNT#{account_id}#{patient_id}", "SK": sort_key})


_COUNT_ENTITIES = {"COUNT": "document_count", "D": "document_day_count", "H": "document_hour_count"}


def count_changes(account_id: str, patient_id: int, created_at: datetime, delta: int) -> list[Item]:
    """The transaction writes that change by ``delta`` the patient's document count and its counts of the
    UTC day and hour of ``created_at`` (unconditional: three items of the patient's count partition)."""
    sort_keys = ("COUNT", f"D#{day_of(created_at)}", f"H#{hour_of(created_at)}")
    return [
        {
            "Update": {
                "TableName": table_name(),
                "Key": _count_key(account_id, patient_id, sort_key),
                "UpdateExpression": "SET entity = :entity ADD documents :delta",
                "ExpressionAttributeValues": {
                    ":entity": {"S": _COUNT_ENTITIES[sort_key.partition("#")[0]]},
                    ":delta": {"N": str(delta)},
                },
            }
        }
        for sort_key in sort_keys
    ]


def count_patient_documents(account_id: str, patient_id: int) -> int | None:
    """How many documents the patient has (one GetItem), or None when no count is kept for them yet."""
    response = dynamodb().get_item(TableName=table_name(), Key=_count_key(account_id, patient_id))
    item = response.get("Item")
    return int(item["documents"]["N"]) if item and "documents" in item else None


def put_document(doc: Document, event: EventValues, also: Sequence[Item] = ()) -> None:
    """Store a new document with its audit event, its patient's count and the writes ``also`` (unconditional
    ones: its link to its file's scan entry), in one transaction (DocumentIdTaken: the id is in use)."""
    try:
        counted = count_changes(doc.account_id, doc.patient_id, doc.created_at, 1)
        audit_log.append(event, [put_new(document_item(doc)), _claim(doc), *counted, *also])
    except ClientError as exc:
        reasons = cancellation_reasons(exc)
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise DocumentIdTaken(str(doc.id)) from exc
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise ObjectClaimed(doc.object_key) from exc
        raise


def tombstone_write(doc: Document, deleted_at: datetime) -> Item:
    """The tombstone a delete leaves (with the delete, in its transaction): whose it was, and when. Ids are
    never reused (rules/ids.py), so it never stands in a new document's way."""
    values = {
        "PK": f"DOC#{doc.id}",
        "SK": "DELETED",
        "entity": "deleted_document",
        "account_id": doc.account_id,
        "patient_id": doc.patient_id,
        "deleted_at": stored_time(deleted_at),
    }
    return {"Put": {"TableName": table_name(), "Item": encode(values)}}


def deleted_document(document_id: int) -> tuple[str, int] | None:
    """The account and patient of a deleted document (its tombstone), or None: never one, or not deleted."""
    key = typed_key({"PK": f"DOC#{document_id}", "SK": "DELETED"})
    item = dynamodb().get_item(TableName=table_name(), Key=key).get("Item")
    if item is None:
        return None
    values = decode(item)
    return str(values["account_id"]), int(values["patient_id"])


def get_document(document_id: int) -> Document | None:
    response = dynamodb().get_item(TableName=table_name(), Key=_doc_key(document_id))
    item = response.get("Item")
    return _from_item(item) if item else None


def list_patient_documents(account_id: str, patient_id: int, newest_first: bool = True) -> list[Document]:
    documents: list[Document] = []
    request: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": patient_partition(account_id, patient_id)}},
        "ScanIndexForward": not newest_first,
    }
    while True:
        response = dynamodb().query(**request)
        documents.extend(_from_item(item) for item in response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if not last_key:
            return documents
        request["ExclusiveStartKey"] = last_key


@dataclass(frozen=True)
class IndexRead:
    """What one list read from a patient's index: the documents, where reading stopped, and how much it read."""

    documents: list[Document]
    position: Key | None  # where the next read starts (None: nothing is left)
    items_read: int


def read_patient_documents(
    account_id: str,
    patient_id: int,
    *,
    newest_first: bool,
    wanted: int,
    after: Key | None = None,
    since: str | None = None,
    until: str | None = None,
    max_items: int | None = None,
) -> IndexRead:
    """A patient's documents in creation order from ``after``, until ``wanted`` are read or ``max_items``
    (as DynamoDB's ``Limit``) have been: the key condition holds ``since``/``until`` (GSI1SK prefixes), so
    only the range is read. ``position`` is the last document returned's, or where reading stopped."""
    request: dict[str, Any] = {
        **_index_range(account_id, patient_id, since, until),
        "ScanIndexForward": not newest_first,
    }
    if after:
        request["ExclusiveStartKey"] = typed_key(after)
    budget = max_items if max_items is not None else wanted
    items: list[Item] = []
    last_key: Any = None
    while len(items) < min(wanted, budget):
        request["Limit"] = min(wanted, budget) - len(items)
        response = dynamodb().query(**request)
        items.extend(response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if not last_key:
            break
        request["ExclusiveStartKey"] = last_key
    position = {name: items[-1][name]["S"] for name in INDEX_POSITION} if items and last_key else None
    return IndexRead([_from_item(item) for item in items], position, len(items))


def _index_range(account_id: str, patient_id: int, since: str | None, until: str | None) -> dict[str, Any]:
    """The Query of a patient's index partition, within GSI1SK ``since``..``until`` when either is given."""
    condition = "GSI1PK = :pk"
    values: dict[str, Any] = {":pk": {"S": patient_partition(account_id, patient_id)}}
    if since is not None or until is not None:
        # The smallest sort key is a digit (a year); "~" sorts after every stored one.
        condition += " AND GSI1SK BETWEEN :since AND :until"
        values[":since"] = {"S": since or "0"}
        values[":until"] = {"S": until or "~"}
    return {
        "TableName": table_name(),
        "IndexName": "GSI1",
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }


def count_patient_documents_between(account_id: str, patient_id: int, since: str | None, until: str | None) -> int:
    """How many of the patient's documents fall in a GSI1SK range (Select COUNT: reads the range, not more)."""
    request: dict[str, Any] = {**_index_range(account_id, patient_id, since, until), "Select": "COUNT"}
    total = 0
    while True:
        response = dynamodb().query(**request)
        total += int(response.get("Count", 0))
        if not response.get("LastEvaluatedKey"):
            return total
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def index_second(moment: datetime) -> str:
    """The GSI1SK prefix of ``moment``'s whole second (GSI1SK starts with ``created_at`` in UTC). Within one
    second the stored times do not sort in time order (``...:05Z`` after ``...:05.5Z``): whole seconds only."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def count_patient_documents_in(account_id: str, patient_id: int, since: datetime, until: datetime) -> int:
    """How many of the patient's documents were created in ``[since, until)``, exactly: the whole seconds
    inside by Select COUNT; a second only partly inside by reading its documents' ``created_at``."""
    whole_since = since.replace(microsecond=0) + (timedelta(seconds=1) if since.microsecond else timedelta(0))
    whole_until = until.replace(microsecond=0)
    total = 0
    if whole_since < whole_until:
        last = index_second(whole_until - timedelta(seconds=1)) + "~"
        total += count_patient_documents_between(account_id, patient_id, index_second(whole_since), last)
    partial = {moment.replace(microsecond=0) for moment in (since, until) if moment.microsecond}
    for second in partial:
        request: dict[str, Any] = {
            **_index_range(account_id, patient_id, index_second(second), index_second(second) + "~"),
            "ProjectionExpression": "created_at",
        }
        for item in _query_all(request):
            if since <= datetime.fromisoformat(item["created_at"]["S"]) < until:
                total += 1
    return total


def _query_all(request: dict[str, Any]) -> list[Item]:
    items: list[Item] = []
    while True:
        response = dynamodb().query(**request)
        items.extend(response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return items
        request = {**request, "ExclusiveStartKey": response["LastEvaluatedKey"]}


def _sum_counts(account_id: str, patient_id: int, first: str, last: str) -> int:
    """The sum of the patient's kept counts whose sort keys are ``first``..``last`` (one Query of its count
    partition, paged by DynamoDB only: it reads only the days or hours that hold documents)."""
    return sum(documents for _, documents in kept_counts(account_id, patient_id, first, last, per_read=None))


def kept_counts(
    account_id: str,
    patient_id: int,
    first: str,
    last: str,
    *,
    newest_first: bool = False,
    per_read: int | None = 100,
) -> Iterator[tuple[str, int]]:
    """The patient's kept counts whose sort keys are ``first``..``last`` (``D#<day>`` or ``H#<hour>``), in
    time order or newest first, as (day or hour, documents): read ``per_read`` at a time (None: as much as
    a Query returns), as far as the caller iterates (door B's deep pages stop at the day and hour their
    first document is in)."""
    request: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
        "ExpressionAttributeValues": {
            ":pk": _count_key(account_id, patient_id)["PK"],
            ":first": {"S": first},
            ":last": {"S": last},
        },
        "ProjectionExpression": "SK, documents",
        "ScanIndexForward": not newest_first,
    }
    if per_read is not None:
        request["Limit"] = per_read
    while True:
        response = dynamodb().query(**request)
        for item in response.get("Items", []):
            yield item["SK"]["S"].partition("#")[2], int(item.get("documents", {}).get("N", 0))
        if not response.get("LastEvaluatedKey"):
            return
        request = {**request, "ExclusiveStartKey": response["LastEvaluatedKey"]}


def count_days(account_id: str, patient_id: int, first: str | None, last: str | None) -> int:
    """How many of the patient's documents were created on the UTC days ``first``..``last`` (``YYYY-MM-DD``,
    both included; None: open on that side), from the days' counts."""
    return _sum_counts(account_id, patient_id, f"D#{first or '0'}", f"D#{last or '~'}")


def count_hours(account_id: str, patient_id: int, first: str, last: str) -> int:
    """How many of the patient's documents were created in the UTC hours ``first``..``last``
    (``YYYY-MM-DDTHH``, both included), from the hours' counts."""
    return _sum_counts(account_id, patient_id, f"H#{first}", f"H#{last}")


def list_patient_documents_page(
    account_id: str, patient_id: int, limit: int, after: Key | None = None
) -> tuple[list[Document], Key | None]:
    """One page of a patient's documents, newest first, and the position after it (None: last page).

    One Query: it reads one item more than the page, so a full last page does not promise a next one.
    """
    request: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": patient_partition(account_id, patient_id)}},
        "ScanIndexForward": False,
        "Limit": limit + 1,
    }
    if after:
        request["ExclusiveStartKey"] = typed_key(after)
    items = dynamodb().query(**request).get("Items", [])
    page = items[:limit]
    position = {name: page[-1][name]["S"] for name in INDEX_POSITION} if len(items) > limit else None
    return [_from_item(item) for item in page], position


def _ownership_condition(account_id: str, patient_id: int | None) -> tuple[str, dict[str, Any]]:
    condition = "attribute_exists(PK) AND account_id = :account"
    values: dict[str, Any] = {":account": {"S": account_id}}
    if patient_id is not None:
        condition += " AND patient_id = :patient"
        values[":patient"] = {"N": str(patient_id)}
    return condition, values


def update_document(
    document_id: int,
    account_id: str,
    patient_id: int | None,
    changes: dict[str, Any],
    updated_at: datetime,
    event: EventValues,
) -> Document:
    """Set (or, for None, remove) ``changes`` on a document the caller owns, with its audit event in
    one transaction; the document as it is then (a transaction returns no values: one GetItem)."""
    condition, values = _ownership_condition(account_id, patient_id)
    names: dict[str, str] = {"#updated_at": "updated_at"}
    values[":updated_at"] = {"S": updated_at.isoformat()}
    set_parts = ["#updated_at = :updated_at"]
    remove_parts: list[str] = []
    for index, (name, value) in enumerate(sorted(changes.items())):
        names[f"#f{index}"] = name
        if value is None:
            remove_parts.append(f"#f{index}")
        else:
            values[f":v{index}"] = serialize(value)
            set_parts.append(f"#f{index} = :v{index}")
    expression = "SET " + ", ".join(set_parts)
    if remove_parts:
        expression += " REMOVE " + ", ".join(remove_parts)
    update = {
        "TableName": table_name(),
        "Key": _doc_key(document_id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    _write_with_event({"Update": update}, event)
    response = dynamodb().get_item(TableName=table_name(), Key=_doc_key(document_id), ConsistentRead=True)
    if "Item" not in response:
        raise NotFound("document")  # deleted in the meantime
    return _from_item(response["Item"])


def delete_document(
    document_id: int, account_id: str, patient_id: int | None, object_key: str, event: EventValues, also: list[Item]
) -> None:
    """Delete a document the caller owns, its object's claim, the writes ``also`` (unconditional ones: its
    patient's ``count_changes`` of -1, a photo's file item) and its audit event, in one transaction."""
    condition, values = _ownership_condition(account_id, patient_id)
    delete = {
        "TableName": table_name(),
        "Key": _doc_key(document_id),
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }
    claim = {"Delete": {"TableName": table_name(), "Key": _claim_key(object_key)}}
    _write_with_event({"Delete": delete}, event, [claim, *also])


def _write_with_event(write: Item, event: EventValues, also: list[Item] | None = None) -> None:
    """One write of a document the caller owns, unconditional writes ``also`` and its audit event; NotFound
    when the document is not there."""
    try:
        audit_log.append(event, [write, *(also or [])])
    except ClientError as exc:
        if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
            raise NotFound("document") from exc
        raise


# ------------------------------------------------------------------ file safety (rules/scanning.py)


def set_scan_status(document_id: int, status: ScanStatus, scanned_at: datetime, event: EventValues) -> bool:
    """Record a malware scan's result on a document whose current status it may follow, with its audit
    event, in one transaction. False (nothing written) when the document is gone, or already says as
    much or more: a result is applied once, whichever way it reaches the document and however often."""
    earlier = ("pending", *may_precede(status))
    names = [f":earlier{index}" for index in range(len(earlier))]
    condition = f"attribute_exists(PK) AND (attribute_not_exists(scan_status) OR scan_status IN ({', '.join(names)}))"
    values: dict[str, Any] = {name: {"S": value} for name, value in zip(names, earlier, strict=True)}
    values.update({":status": {"S": status}, ":at": {"S": scanned_at.isoformat()}})
    update = {
        "TableName": table_name(),
        "Key": _doc_key(document_id),
        "UpdateExpression": "SET scan_status = :status, scanned_at = :at",
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }
    try:
        audit_log.append(event, [{"Update": update}])
    except ClientError as exc:
        if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True


def get_documents(document_ids: list[int]) -> dict[int, Document]:
    """The documents with these ids that exist (one BatchGetItem), by id."""
    if not document_ids:
        return {}
    items = batch_get([{"PK": f"DOC#{document_id}", "SK": "DOC"} for document_id in document_ids])
    return {doc.id: doc for doc in (_from_item(item) for item in items if item is not None)}


# ------------------------------------------------------------------ clean images (rules/images.py)


def set_image(document_id: int, image: ImageRenditions, event: EventValues, updated_at: datetime) -> bool:
    """Put an image's renditions on its document once, with its audit event, in one transaction; a clean
    image's type and extension become the document's (what its downloads serve), and the document is
    updated at ``updated_at`` (what it serves changed: door D's ``meta.lastUpdated``). A refused image
    changes nothing served, so nothing else. False (nothing written) when the document is gone or has
    them already."""
    values: dict[str, Any] = {":image": serialize(image.model_dump(mode="json", exclude_none=True))}
    expression = "SET image = :image"
    if image.status == "clean" and image.mime_type is not None:
        expression += ", mime_type = :mime, extension = :extension, updated_at = :updated_at"
        values.update(
            {
                ":mime": {"S": image.mime_type},
                ":extension": {"S": EXTENSION[image.mime_type]},
                ":updated_at": {"S": updated_at.isoformat()},
            }
        )
    update = {
        "TableName": table_name(),
        "Key": _doc_key(document_id),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(image)",
        "ExpressionAttributeValues": values,
    }
    try:
        audit_log.append(event, [{"Update": update}])
    except ClientError as exc:
        if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True
