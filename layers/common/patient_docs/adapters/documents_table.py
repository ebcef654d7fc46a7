"""Document records in the DynamoDB table. Every write goes with its audit event, in one transaction.

Layout (one item per document, no counter item anywhere):
  PK = DOC#<id>, SK = DOC                         -> get/update/delete by id: 1 call
  GSI1PK = PATIENT#<account>#<patient>, GSI1SK = <created_at>#<id>  -> list a patient's documents
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from patient_docs.adapters import audit_log
from patient_docs.adapters.audit_log import EventValues
from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.table import (
    INDEX_POSITION,
    Item,
    Key,
    cancellation_reasons,
    decode,
    encode,
    put_new,
    serialize,
    table_name,
    typed_key,
)
from patient_docs.errors import DocumentIdTaken, NotFound
from patient_docs.models.documents import Document


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


def _from_item(item: Item) -> Document:
    return Document.model_validate(decode(item))


def put_document(doc: Document, event: EventValues) -> None:
    """Store a new document with its audit event, in one transaction (DocumentIdTaken: the id is in use)."""
    try:
        audit_log.append(event, [put_new(document_item(doc))])
    except ClientError as exc:
        if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
            raise DocumentIdTaken(str(doc.id)) from exc
        raise


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


def delete_document(document_id: int, account_id: str, patient_id: int | None, event: EventValues) -> None:
    """Delete a document the caller owns, with its audit event in one transaction."""
    condition, values = _ownership_condition(account_id, patient_id)
    delete = {
        "TableName": table_name(),
        "Key": _doc_key(document_id),
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }
    _write_with_event({"Delete": delete}, event)


def _write_with_event(write: Item, event: EventValues) -> None:
    """One write of a document the caller owns and its audit event; NotFound when the document is not there."""
    try:
        audit_log.append(event, [write])
    except ClientError as exc:
        if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
            raise NotFound("document") from exc
        raise
