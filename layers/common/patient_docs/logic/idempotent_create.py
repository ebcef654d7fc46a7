"""Creates that a retry with the same ``Idempotency-Key`` answers from the record of the first.

Every door's create uses one ``IdempotentCreate``: the key is checked (1-255 visible ASCII characters,
else a 400 naming the header), scoped to the caller (account and subject: another caller's same key is
another create), and the request's payload is hashed, so the same key with another payload is refused
(422) and a retry while the first is still running is a 409. A create without the key runs as it
always did: no record is read or written. Records live 24 hours (adapters/idempotency.py) and hold
the payload's hash and the create's answer, never the payload itself.
"""

import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel

from patient_docs.adapters import idempotency
from patient_docs.auth import Caller
from patient_docs.errors import Conflict, InvalidField, UnprocessableRequest

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
REUSED_KEY = "was already used with a different request body; use a new key for a new request"
KEY_IN_FLIGHT = "a request with this key is still being processed; retry shortly"

Answer = TypeVar("Answer", bound=BaseModel)


class IdempotentCommand(BaseModel):
    """What the idempotency record hashes: the key is scoped to the caller, the body is validated."""

    caller: Caller
    idempotency_key: str | None = None
    body: Any  # the door's request (a model, or a dict of the path's ids and the model): hashed, never stored


def check_key(idempotency_key: str | None) -> None:
    if idempotency_key is not None and not IDEMPOTENCY_KEY_PATTERN.fullmatch(idempotency_key):
        raise InvalidField(IDEMPOTENCY_KEY_HEADER, "must be 1 to 255 visible ASCII characters")


class IdempotentCreate(Generic[Answer]):
    """One use case's idempotent create; built when its module is imported (the persistence layer with it).

    ``use_case`` names the records' partition (``IDEMPOTENCY#<use_case>#...``); ``answer`` is the model
    stored as the result and returned to a retry; ``owner`` is the module of the use case, which names
    the records' function (``<owner>._create_once``, as Powertools names a decorated function). The
    function's handler registers each invocation with ``config`` (``register_lambda_context``), so that a
    record left in progress expires with the invocation that wrote it.
    """

    def __init__(self, use_case: str, answer: type[Answer], owner: str) -> None:
        self.config = idempotency.config(
            event_key_jmespath="[caller.account_id, caller.subject, idempotency_key]",
            payload_validation_jmespath="body",
        )

        def _create_once(*, command: IdempotentCommand, create: Callable[[], Answer]) -> Answer:
            return create()

        _create_once.__module__ = owner
        _create_once.__qualname__ = _create_once.__name__
        self.persistence_store = idempotency.persistence_layer(use_case)
        # Powertools' decorator is untyped; it keeps the function's signature and return type.
        self._once: Callable[..., Answer] = idempotent_function(
            data_keyword_argument="command",
            persistence_store=self.persistence_store,
            config=self.config,
            output_serializer=PydanticSerializer(answer),
        )(_create_once)

    def __call__(self, caller: Caller, idempotency_key: str | None, body: Any, create: Callable[[], Answer]) -> Answer:
        """``create()``'s answer, or with a key already used by this caller for this ``body``, the stored one.

        Call it once the caller is known to be allowed: the key is checked before any record is read."""
        check_key(idempotency_key)
        if idempotency_key is None:
            return create()
        command = IdempotentCommand(caller=caller, idempotency_key=idempotency_key, body=body)
        try:
            return self._once(command=command, create=create)
        except IdempotencyValidationError as exc:
            raise UnprocessableRequest(REUSED_KEY, IDEMPOTENCY_KEY_HEADER) from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise Conflict(KEY_IN_FLIGHT, IDEMPOTENCY_KEY_HEADER) from exc
