"""Shared fixtures: moto in-process with the template's resources, and the local API router.

Handler tests call the real handlers through ``LocalApi.handle`` — the same routing,
JWT check and event building as ``make run`` — against moto.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import iam_check
from local.local_aws import REGION, function_environment, local_name, provision
from local.template import load_template

BASE_URL = "http://127.0.0.1:3000"
ORIGINS = [BASE_URL]

_TEMPLATE = load_template()
NAMES = {logical: local_name(logical) for logical in _TEMPLATE["Resources"]}
EMAIL_SENDER = "no-reply@clinic.example"
PARAMETERS = {"CorsAllowedOrigins": BASE_URL, "PublicBaseUrl": BASE_URL, "DefaultEmailSender": EMAIL_SENDER}

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_SERVICE_NAME": "patient-docs",
        "POWERTOOLS_DEV": "false",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
# Tests sign tokens with a key of their own, never the developer's `.local` key.
os.environ.setdefault("PATIENT_DOCS_LOCAL_DIR", tempfile.mkdtemp(prefix="patient-docs-keys-"))
os.environ.update(function_environment(_TEMPLATE, NAMES, PARAMETERS, "http://moto.invalid"))

# Every AWS call a function makes is checked against its role as deployed (local/iam_check.py). Processes
# the tests start (the local server, worker processes) inherit the variable and report to this directory.
IAM_REPORTS = Path(os.environ.get(iam_check.ENVIRONMENT_VARIABLE) or tempfile.mkdtemp(prefix="patient-docs-iam-"))
IAM_REPORTS = IAM_REPORTS / f"pytest-{os.getpid()}"
IAM_REPORTS.mkdir(parents=True, exist_ok=True)
os.environ[iam_check.ENVIRONMENT_VARIABLE] = str(IAM_REPORTS)
iam_check.install()
_IAM_REPORTED: dict[Path, int] = {}


@pytest.fixture(autouse=True)
def _calls_are_allowed_by_the_deployed_policies() -> Iterator[None]:
    """Fails the test whose handlers made an AWS call their function's role (SAM-transformed) does not allow."""
    before = len(iam_check.violations())
    yield
    found = iam_check.violations()[before:] + iam_check.reported(IAM_REPORTS, _IAM_REPORTED)
    if found:
        listed = "\n".join(f"  {line}" for line in iam_check.summary(found))
        pytest.fail(f"AWS calls the deployed IAM policies do not allow:\n{listed}", pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    iam_check.write_stats(IAM_REPORTS, iam_check.counts())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    totals = {"checked": 0, "unattributed": 0, "violations": 0}
    for path in IAM_REPORTS.rglob("stats-*.json"):
        for name, count in json.loads(path.read_text()).items():
            totals[name] = totals.get(name, 0) + count
    terminalreporter.write_line(
        f"IAM/KMS check: {totals['checked']} AWS calls by functions checked against their deployed roles, "
        f"{totals['violations']} not allowed ({totals['unattributed']} calls outside any function not checked)"
    )


def _reset_cached_clients() -> None:
    from patient_docs.adapters import aws as aws_clients
    from patient_docs.adapters import object_store
    from patient_docs.settings import get_settings

    get_settings.cache_clear()
    object_store.upload_origin.cache_clear()
    for factory in (
        aws_clients.dynamodb,
        aws_clients.s3,
        aws_clients.sns,
        aws_clients.events,
        aws_clients.sqs,
        aws_clients.ses,
    ):
        factory.cache_clear()


@functools.cache
def _test_client(service: str) -> Any:
    """The tests' own client of a service, made once per process: moto serves it in every test's fresh
    ``mock_aws`` (its hook is on every client), and making a client costs more than provisioning the stack.
    The service's clients (patient_docs.adapters.aws) stay per test: event hooks such as the local SMS log
    attach to clients as they are made."""
    return boto3.client(service, region_name=REGION)


@dataclass
class MockedAws:
    table: str
    bucket: str

    def client(self, service: str) -> Any:
        return _test_client(service)

    def all_items(self) -> list[dict[str, Any]]:
        return self.client("dynamodb").scan(TableName=self.table)["Items"]

    def all_objects(self) -> list[str]:
        listed = self.client("s3").list_object_versions(Bucket=self.bucket)
        return [v["Key"] for v in listed.get("Versions", [])]

    def emails(self) -> list[Any]:
        """What SES sent: moto's messages (``source``, ``destinations``, ``subject``, ``body``)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)

    def sms_messages(self) -> list[tuple[str, str, str]]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        messages = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages
        return [(message_id, number, body) for message_id, (number, body) in messages.items()]


@pytest.fixture
def aws() -> Iterator[MockedAws]:
    from moto import mock_aws

    with mock_aws():
        provision(_TEMPLATE, NAMES, _test_client, ORIGINS)
        _test_client("ses").verify_email_identity(EmailAddress=EMAIL_SENDER)
        _reset_cached_clients()
        yield MockedAws(table=NAMES["DocumentsTable"], bucket=NAMES["DocumentsBucket"])
    _reset_cached_clients()


@pytest.fixture
def api(aws: MockedAws) -> Any:
    from local.server import LocalApi

    return LocalApi(BASE_URL, quiet=True, deliver_queued=True)


@pytest.fixture
def announced(aws: MockedAws, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every webhook event the service queues (the call still reaches the queue)."""
    from patient_docs.adapters import webhook_queue

    events: list[dict[str, Any]] = []
    original = webhook_queue.announce

    def announce(batch: list[dict[str, Any]], once: bool = False) -> None:
        events.extend(batch)
        original(batch, once)

    monkeypatch.setattr(webhook_queue, "announce", announce)
    return events


@pytest.fixture
def clock(monkeypatch):
    """Moves the service's clock (every ``utc_now``) forward by ``clock.advance(seconds)``."""
    from patient_docs.rules import timestamps

    class Clock(datetime):
        offset = timedelta(0)
        frozen: datetime | None = None

        @classmethod
        def now(cls, tz=None):
            base = datetime.now(tz) if cls.frozen is None else cls.frozen.astimezone(tz)
            return base + cls.offset

        @classmethod
        def advance(cls, seconds):
            cls.offset += timedelta(seconds=seconds)

        @classmethod
        def freeze(cls):
            """Stop the clock where it is (it moves by ``advance`` only): for a test a slow second could break."""
            cls.frozen = datetime.now(UTC)

    monkeypatch.setattr(timestamps, "datetime", Clock)
    return Clock
