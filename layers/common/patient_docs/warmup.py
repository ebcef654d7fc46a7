"""What a SnapStart snapshot should hold besides the clients: request validation already built and run once.

Powertools builds a route's validation (its parameters' and body's pydantic adapters) on the route's
first request, and a pydantic validator's first run does one-time work of its own. The before-snapshot
hook (``adapters/aws.py``) calls :func:`run`, which does that work for what was registered here: every
route of each door's resolver (``http/resolver.py`` registers it) and the event models of the functions
that are not behind HTTP; then it builds every HTTP model still unbuilt (``schemas/deferred.py``). Each
validation is of an empty value, which models refuse: nothing is written, called, logged or kept, and no
id, token, time or random state is made (``tests/unit/test_snapstart_hook.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from pydantic import BaseModel, ValidationError

_WARMERS: list[Callable[[], None]] = []


def register(warm: Callable[[], None]) -> Callable[[], None]:
    """Run ``warm`` before a snapshot (it must have no effect outside this process)."""
    _WARMERS.append(warm)
    return warm


def run() -> None:
    from patient_docs.schemas.deferred import build_all  # this module stays free of the project's own

    for warm in _WARMERS:
        warm()
    build_all()  # the HTTP models no route of this function builds at import (schemas/deferred.py)


def routes(app: Any) -> None:
    """Register the validation of every route of ``app`` (a Powertools resolver with validation)."""
    register(lambda: _warm_routes(app))


def models(*kinds: type[BaseModel]) -> None:
    """Register one validation of each model (for a function whose event no resolver validates)."""

    def warm() -> None:
        for kind in kinds:
            with suppress(ValidationError):
                kind.model_validate({})

    register(warm)


def _warm_routes(app: Any) -> None:
    for route in [*app._static_routes, *app._dynamic_routes]:
        dependant = route.dependant  # built and kept by Powertools, as on the route's first request
        _ = route.body_field
        fields = [
            *dependant.path_params,
            *dependant.query_params,
            *dependant.header_params,
            *dependant.cookie_params,
            *dependant.body_params,
        ]
        for field in [*fields, *([dependant.return_param] if dependant.return_param else [])]:
            field.validate(None, loc=("warm-up",))  # refused, or None: the answer is dropped
