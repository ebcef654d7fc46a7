"""Malware scan results kept under their object key, where the record of that object finds them, in the one table.

Layout (one item per scanned object, entity ``scan_result``):
  PK = SCAN#<object key>, SK = SCAN
    scan_status, scanned_at   the result GuardDuty sent for the object (absent until one came)
    document_id, patient_id   the document recorded for the object (absent until one is)
    image                     an image's renditions (rules/images.py), once the image processor made them
    ttl                       when the table's TTL removes the entry: set only on an entry no record names
                              whose object was found gone (``expire_unclaimed``), removed by a link

A scan result and the record of its upload can come in either order (door B saves a document after
its upload is scanned; the patient page's register step may run before or after the scan). Each half
is one write to this item (the result an UpdateItem that answers the item as it is afterwards; the
link part of the transaction that records the document, read again after it), so whichever comes
second sees both halves and applies the result to the document (a conditional write of its own:
``documents_table.set_scan_status``). A result is stored only where ``rules.scanning.next_status``
lets it follow the stored one, so a duplicate, or an older result arriving late, changes nothing (a skip
or a failure, which may follow each other, replaces the other only when its scan is later).

A result or renditions may also come after their object's document was deleted (and the entry with it),
or for an object removed before anything recorded it: that write makes an entry no record will ever
name. The function that wrote it then looks at the object, after its write; if the object is gone,
the entry gets an expiry (``expire_unclaimed``, conditional on no record naming it). An object is
always deleted before its document's transaction removes the entry, so a write that lands after the
transaction is followed by a look that finds the object gone, whatever the interleaving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.table import Item, Key, decode, serialize, stored_time, table_name, typed_key
from patient_docs.models.documents import ImageRenditions
from patient_docs.rules.scanning import ScanStatus, may_precede, replaces_only_older

ENTITY = "scan_result"


@dataclass(frozen=True)
class ScanEntry:
    scan_status: ScanStatus | None = None
    scanned_at: datetime | None = None
    document_id: int | None = None
    patient_id: int | None = None
    image: ImageRenditions | None = None


def _key(object_key: str) -> Key:
    return {"PK": f"SCAN#{object_key}", "SK": "SCAN"}


def _entry(item: Item | None) -> ScanEntry:
    values = decode(item or {})
    scanned_at = values.get("scanned_at")
    document_id = values.get("document_id")
    patient_id = values.get("patient_id")
    image = values.get("image")
    return ScanEntry(
        image=ImageRenditions.model_validate(image) if image else None,
        scan_status=values.get("scan_status"),
        scanned_at=datetime.fromisoformat(scanned_at) if scanned_at else None,
        document_id=int(document_id) if document_id is not None else None,
        patient_id=int(patient_id) if patient_id is not None else None,
    )


def store_result(object_key: str, status: ScanStatus, scanned_at: datetime) -> tuple[bool, ScanEntry]:
    """Keep ``status`` for the object unless the stored result already says as much or more; whether it
    was kept, and the entry as it is now (naming the object's document, if one is recorded)."""
    condition = "attribute_not_exists(scan_status)"
    values: dict[str, Any] = {
        ":status": {"S": status},
        ":at": {"S": stored_time(scanned_at)},
        ":entity": {"S": ENTITY},
    }
    earlier = may_precede(status)
    if earlier:
        names = [f":earlier{index}" for index in range(len(earlier))]
        follows = f"scan_status IN ({', '.join(names)})"
        if replaces_only_older(status):
            follows = f"({follows} AND scanned_at < :at)"
        condition += f" OR {follows}"
        values.update({name: {"S": value} for name, value in zip(names, earlier, strict=True)})
    try:
        response = dynamodb().update_item(
            TableName=table_name(),
            Key=typed_key(_key(object_key)),
            UpdateExpression="SET scan_status = :status, scanned_at = :at, entity = :entity",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False, _entry(exc.response.get("Item"))  # type: ignore[arg-type]
        raise
    return True, _entry(response.get("Attributes"))


def link_write(object_key: str, document_id: int, patient_id: int) -> Item:
    """The transaction write that names the document recorded for the object (made with the document,
    so that one never exists without the other); it keeps any result already there."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": typed_key(_key(object_key)),
            # REMOVE: an entry a record names never expires (an object uploaded again under its key
            # after it was found gone may be recorded).
            "UpdateExpression": "SET document_id = :document, patient_id = :patient, entity = :entity REMOVE #ttl",
            "ExpressionAttributeNames": {"#ttl": "ttl"},
            "ExpressionAttributeValues": {
                ":document": {"N": str(document_id)},
                ":patient": {"N": str(patient_id)},
                ":entity": {"S": ENTITY},
            },
        }
    }


def store_image(object_key: str, image: ImageRenditions) -> ScanEntry:
    """Keep what the image processor made of the object (the same renditions whenever it runs again);
    the entry as it is now, naming the object's document if one is recorded. The same split as scan
    results: whichever of this and the document's record comes second puts the renditions on the document."""
    response = dynamodb().update_item(
        TableName=table_name(),
        Key=typed_key(_key(object_key)),
        UpdateExpression="SET image = :image, entity = :entity",
        ExpressionAttributeValues={
            ":image": serialize(image.model_dump(mode="json", exclude_none=True)),
            ":entity": {"S": ENTITY},
        },
        ReturnValues="ALL_NEW",
    )
    return _entry(response.get("Attributes"))


def expire_unclaimed(object_key: str, expires_at: int) -> bool:
    """Give the object's entry an expiry (epoch seconds, the table's TTL), unless a record names it, it
    has one already, or it is not there: whether it was given one now."""
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=typed_key(_key(object_key)),
            UpdateExpression="SET #ttl = :ttl",
            ConditionExpression=(
                "attribute_exists(PK) AND attribute_not_exists(document_id) AND attribute_not_exists(#ttl)"
            ),
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues={":ttl": {"N": str(expires_at)}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_entry(object_key: str) -> ScanEntry | None:
    response = dynamodb().get_item(TableName=table_name(), Key=typed_key(_key(object_key)), ConsistentRead=True)
    item = response.get("Item")
    return _entry(item) if item else None


def forget_write(object_key: str) -> Item:
    """The transaction write that removes the object's entry, made with its document's delete: nothing will
    look for it again, and a delete that fails leaves both."""
    return {"Delete": {"TableName": table_name(), "Key": typed_key(_key(object_key))}}
