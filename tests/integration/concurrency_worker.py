"""Runs a handler in its own process, like one Lambda container, for the concurrency tests."""

from __future__ import annotations

import importlib
import os
import time
from typing import Any


def start(env: dict[str, str]) -> None:
    from local import iam_check

    os.environ.update(env)
    iam_check.enable_from_environment()  # this container's AWS calls are checked too, and reported


def warm(_: int) -> None:
    """Import the heavy modules once per process, before the timed part."""
    importlib.import_module("functions.file_requests_create.app")
    importlib.import_module("functions.uploaded_file_register.app")
    importlib.import_module("functions.notification_send.app")


# How long an invocation may run before Powertools' idempotency treats it as timed out and lets a
# duplicate take over its in-progress record. Lambda's 10 s is the real bound; on a loaded 2-core
# test machine a first create can take longer than that, and a duplicate would then run as well.
DEADLINE_SECONDS = 120


def invoke(module: str, event: dict[str, Any]) -> dict[str, Any]:
    from local.events import LambdaContext

    handler = importlib.import_module(module).lambda_handler
    deadline_ms = int(time.time() * 1000) + DEADLINE_SECONDS * 1000
    return dict(handler(event, LambdaContext(function_name=module, deadline_ms=deadline_ms)))
