"""Powertools idempotency records, kept in the one table beside everything else.

Each record is an item of its own, ``PK = IDEMPOTENCY#<use case>#<Lambda function>.<function>#<sha256>``,
``SK = RECORD`` (the hash covers the caller's account, subject and key), and the table's TTL attribute
(``ttl``) removes it after ``EXPIRES_AFTER_SECONDS``. Powertools' own layout with a sort key puts every
record of a use case under one partition key, which would take every account's creates (DynamoDB serves
about 1,000 writes a second per partition); one partition per record shares no key between accounts.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from patient_docs.adapters.aws import dynamodb
from patient_docs.settings import get_settings

EXPIRES_AFTER_SECONDS = 24 * 3600
RECORD_SK = "RECORD"


class _LazyClientPersistenceLayer(DynamoDBPersistenceLayer):
    """Uses the shared DynamoDB client, created on first use rather than when a module is imported.

    The layer is built at import time (the decorator needs it), and a client made then would cost
    cold-start time on every function importing it, and outlive the process's other clients.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._ready = False
        super().__init__(boto3_client=_NOT_YET, **kwargs)
        self._ready = True

    @property  # type: ignore[override]
    def client(self) -> Any:
        return dynamodb() if self._ready else _NOT_YET

    @client.setter
    def client(self, value: Any) -> None:
        """The base class assigns its client; the shared one is used instead."""

    def _get_key(self, idempotency_key: str) -> dict[str, Any]:
        """The record's own partition (Powertools would put it under the one ``static_pk_value``)."""
        return {self.key_attr: {"S": self._partition_of(idempotency_key)}, str(self.sort_key_attr): {"S": RECORD_SK}}

    def _item_to_data_record(self, item: dict[str, Any]) -> DataRecord:
        record = super()._item_to_data_record(item)
        record.idempotency_key = record.idempotency_key.removeprefix(self._partition_of(""))
        return record

    def _partition_of(self, idempotency_key: str) -> str:
        return f"{self.static_pk_value}#{idempotency_key}"


_NOT_YET: Any = object()


def persistence_layer(use_case: str) -> DynamoDBPersistenceLayer:
    return _LazyClientPersistenceLayer(
        table_name=get_settings().table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value=f"IDEMPOTENCY#{use_case}",
        expiry_attr="ttl",
    )


def config(event_key_jmespath: str, payload_validation_jmespath: str) -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath=event_key_jmespath,
        payload_validation_jmespath=payload_validation_jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        hash_function="sha256",
    )
