"""Powertools idempotency records, kept in the one table beside everything else.

Records live under ``PK = IDEMPOTENCY#<use case>``, ``SK = <Lambda function>.<function>#<sha256>``,
and the table's TTL attribute (``ttl``) removes them after ``EXPIRES_AFTER_SECONDS``. One partition
per use case holds every record: DynamoDB serves about 1,000 writes a second per partition, far
above the rate at which staff create file requests.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

from patient_docs.adapters.aws import dynamodb
from patient_docs.settings import get_settings

EXPIRES_AFTER_SECONDS = 24 * 3600


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
