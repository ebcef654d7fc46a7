"""local/lambda_logs.py: with several functions' handlers running at once in the harness's threads, every
log line names its own function and request (Powertools keeps a logger's appended keys in one dict)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local import lambda_logs
from local.events import LambdaContext
from patient_docs.observability import CORRELATION_HTTP, logger


class Lines(logging.Handler):
    """The project logger's lines as its own handler formats them (JSON), parsed."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(logger.registered_formatter.format(record)))


@pytest.fixture
def lines() -> Iterator[list[dict[str, Any]]]:
    captured = Lines()
    logger.addHandler(captured)
    try:
        yield captured.lines
    finally:
        logger.removeHandler(captured)


def http_event(request_id: str) -> dict[str, Any]:
    return {"requestContext": {"requestId": request_id}}


def test_two_functions_logging_at_once_in_two_threads_each_name_their_own(lines):
    # Given two functions' handlers, decorated as every HTTP function's is, that both start (their
    # context injected) before either logs, and then log in turns, each waiting for the other
    turns = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    @logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
    def handler(event: dict[str, Any], context: Any) -> None:
        for line in range(3):
            turns.wait()
            logger.warning("step", extra={"step": line, "mine": context.function_name})

    def run(function: str) -> None:
        try:
            lambda_logs.invoke(handler, http_event(f"request-of-{function}"), LambdaContext(function_name=function))
        except BaseException as exc:  # shown by the assertion below
            errors.append(exc)

    # When the harness runs them in two threads at once
    threads = [threading.Thread(target=run, args=(name,)) for name in ("FunctionA", "FunctionB")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every line carries its own function's name, ARN and correlation id
    assert errors == []
    mine = [line for line in lines if line["message"] == "step"]
    assert sorted((line["mine"], line["step"]) for line in mine) == [
        (name, step) for name in ("FunctionA", "FunctionB") for step in range(3)
    ]
    for line in mine:
        assert line["function_name"] == line["mine"], line
        assert line["function_arn"].endswith(f":function:{line['mine']}"), line
        assert line["correlation_id"] == f"request-of-{line['mine']}", line


def test_a_handler_run_inside_another_leaves_the_outer_ones_keys_as_they_were(lines):
    @logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
    def inner(event: dict[str, Any], context: Any) -> None:
        logger.warning("inner")

    @logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
    def outer(event: dict[str, Any], context: Any) -> None:
        logger.warning("before")
        # (a test delivering an event while a request is handled)
        lambda_logs.invoke(inner, http_event("inner-request"), LambdaContext(function_name="Inner"))
        logger.warning("after")

    lambda_logs.invoke(outer, http_event("outer-request"), LambdaContext(function_name="Outer"))
    named = [(line["message"], line["function_name"], line["correlation_id"]) for line in lines]
    assert named == [
        ("before", "Outer", "outer-request"),
        ("inner", "Inner", "inner-request"),
        ("after", "Outer", "outer-request"),
    ]
