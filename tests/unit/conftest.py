"""Fixtures for the unit tests of ``logic/``: adapter fakes, botocore Stubbers, a fixed clock, no network.

Nothing here is used automatically: a test module asks for it (``pytestmark`` or arguments).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from patient_docs.adapters import aws
from patient_docs.rules import timestamps
from patient_docs.settings import get_settings
from tests.unit.doubles import NOW, Fakes


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call that escaped its fake or Stubber fails at once instead of reaching for AWS."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("unit tests do not use the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    """Every adapter function the use cases call, replaced by an in-memory fake."""
    return Fakes.install(monkeypatch)


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """``utc_now()`` answers ``NOW`` (2026-11-22 12:00 UTC) for the whole test."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return NOW if tz is not None else NOW.replace(tzinfo=None)

    monkeypatch.setattr(timestamps, "datetime", Frozen)
    return NOW


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``settings_env(PHOTO_MAX_FILES=2, ...)``: deployment settings for this test only."""

    def override(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, str(value))
        get_settings.cache_clear()

    yield override
    get_settings.cache_clear()


_FACTORIES = {"dynamodb": aws.dynamodb, "s3": aws.s3, "sns": aws.sns, "events": aws.events}


@pytest.fixture
def stub() -> Iterator[Callable[[str], Stubber]]:
    """``stub("dynamodb")``: the adapters' own (cached) client of that service, under a botocore Stubber.

    Every response the test queued must have been asked for.
    """
    active: list[Stubber] = []
    for factory in _FACTORIES.values():
        factory.cache_clear()

    def stubbed(service: str) -> Stubber:
        stubber = Stubber(_FACTORIES[service]())
        stubber.activate()
        active.append(stubber)
        return stubber

    yield stubbed
    for stubber in active:
        stubber.deactivate()
    for factory in _FACTORIES.values():
        factory.cache_clear()
    for stubber in active:
        stubber.assert_no_pending_responses()
