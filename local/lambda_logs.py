"""Each log line names its own function when the local harness runs several functions in one process.

In Lambda one process runs one function, one invocation at a time. Powertools' ``inject_lambda_context``
appends the invocation's keys (``function_name``, ``function_request_id``, ``cold_start``, ...) and the
correlation id to its logger with ``append_keys``: one dict on the logger's formatter, shared by the whole
process, which is right there. The harness (``make run``: HTTP requests, queue pollers and event rules,
each in threads; ``make invoke``; the tests) runs every function's handler in one process, so with two
invocations at once a line could carry whichever function appended last.

``isolate`` makes the project's logger append keys to Powertools' context-variable keys instead
(``thread_safe_append_keys``, which the formatter puts over the shared ones): each thread has its own.
``invoke`` also runs each invocation in a copy of the caller's context, so a handler called inside another
(a test delivering an event while a request is being handled) leaves the outer one's keys as they were.
Only the harness calls these (``LambdaContext`` below, whose every local invocation makes one): the
deployed functions keep Powertools' own behaviour.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TypeVar

Event = TypeVar("Event")
Context = TypeVar("Context")
Result = TypeVar("Result")

# What inject_lambda_context and set_correlation_id append (Powertools' LambdaContextModel, and more).
_INVOCATION_KEYS = (
    "cold_start",
    "function_name",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "correlation_id",
)

_isolated = False


def isolate() -> None:
    """From now on, the keys a handler's invocation appends to the project's logger are its thread's only."""
    global _isolated
    if _isolated:
        return
    from patient_docs.observability import logger

    # An instance attribute over the method: inject_lambda_context and set_correlation_id call it.
    vars(logger)["append_keys"] = logger.thread_safe_append_keys
    logger.registered_formatter.remove_keys(_INVOCATION_KEYS)  # any appended before, shared by every thread
    _isolated = True


def invoke(handler: Callable[[Event, Context], Result], event: Event, context: Context) -> Result:
    """Call ``handler`` as Lambda would, its log keys (and any other context variable it sets) its own."""
    isolate()
    return contextvars.copy_context().run(handler, event, context)
