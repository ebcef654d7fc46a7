"""``make invoke FN=<LogicalId> [EVENT=events/<file>.json]``: a Docker-free ``sam local invoke``.

Runs one function's handler with an event against the local AWS and prints its JSON result as
the last line of standard output (the function's own logs go to standard error, as with SAM).
The local AWS is the one ``make run`` serves: its embedded AWS while it is up, otherwise the
same stored state (``.local/``) loaded here, and what the function writes is kept there. With
``AWS_ENDPOINT_URL`` set, that endpoint is used instead. The event defaults to the function's
file in ``events/`` (``events/<function folder>.json``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local import lambda_logs, state
from local.email import EmailLog
from local.events import LambdaContext
from local.local_aws import LocalAws
from local.server import local_parameters
from local.sms import SmsLog
from local.template import ROOT, Function, functions
from local.webhooks import WebhookLog


class InvokeError(Exception):
    """Why the function could not be run (one line)."""


def find_function(name: str) -> Function:
    """The template's function by logical id (``InlineDocumentsCreateFunction``) or folder name."""
    for function in functions():
        if name in (function.logical_id, Path(function.code_uri).name):
            return function
    known = ", ".join(sorted(f.logical_id for f in functions()))
    raise InvokeError(f"no function {name!r} in template.yaml; one of: {known}")


def default_event(function: Function) -> Path:
    return ROOT / "events" / f"{Path(function.code_uri).name}.json"


def invoke(function: Function, event: dict[str, Any]) -> Any:
    """Call the handler as Lambda would (the environment must already point at the local AWS)."""
    handler = getattr(importlib.import_module(function.module), function.handler_name)
    return lambda_logs.invoke(handler, event, LambdaContext(function_name=function.logical_id))


@contextmanager
def local_aws() -> Iterator[None]:
    """The environment of ``make run``'s functions: its running AWS, or its stored state loaded here."""
    directory = state.state_dir()
    SmsLog(directory / state.SMS_LOG).attach()  # SMS sent here show in make run's /_local/sms too
    EmailLog(directory / state.EMAIL_LOG).attach()  # and emails in its /_local/email
    WebhookLog(directory / state.WEBHOOK_LOG).attach()  # and webhook tries in its /_local/webhooks
    port = state.api_port()
    base_url = f"http://127.0.0.1:{port}"
    external = os.environ.get("AWS_ENDPOINT_URL")
    lock = state.StateLock(directory)
    if external:
        LocalAws(external).configure_environment(local_parameters(base_url))
        yield
    elif not lock.try_acquire():  # make run holds the state: use its embedded AWS
        running = state.read_server_file(directory)
        if running is None:
            raise InvokeError(f"{directory} is in use but no server is up yet: try again in a moment")
        LocalAws(running["aws_endpoint"]).configure_environment(local_parameters(running["base_url"]))
        yield
    else:
        try:
            yield from _stored_aws(directory, port, base_url)
        finally:
            lock.release()


def _stored_aws(directory: Path, port: int, base_url: str) -> Iterator[None]:
    aws_port = state.aws_port(port)
    state.check_port_free(aws_port, "the embedded AWS", f"choose another, e.g. LOCAL_AWS_PORT={aws_port + 100}")
    aws = LocalAws(None, aws_port, directory / state.RECORDING)
    try:
        aws.configure_environment(local_parameters(base_url))
        aws.restore([base_url, base_url.replace("127.0.0.1", "localhost")])
        yield
    finally:
        aws.stop()


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Everything written to standard output (file descriptor 1) goes to standard error meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one function's handler with an event against the local AWS.")
    parser.add_argument("function", help="logical id in template.yaml (or the function's folder name)")
    parser.add_argument("--event", help="event file (default: events/<function folder>.json)")
    args = parser.parse_args(argv)
    try:
        function = find_function(args.function)
        path = Path(args.event) if args.event else default_event(function)
        if not path.is_file():
            raise InvokeError(f"no event file {path}: pass one with EVENT=events/<file>.json")
        event = json.loads(path.read_text())
        with _stdout_to_stderr(), local_aws():
            try:
                result, status = invoke(function, event), 0
            except Exception as exc:  # what Lambda reports when a handler raises
                result, status = {"errorType": type(exc).__name__, "errorMessage": str(exc)}, 1
    except (InvokeError, state.StateBusy, state.PortInUse, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(result))
    return status


if __name__ == "__main__":
    sys.exit(main())
