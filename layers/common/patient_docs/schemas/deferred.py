"""HTTP models built when a route needs them, not when their module is imported.

A schema module holds the models of every route of its door, and a function serves one route:
building every model at import (pydantic's schema and validator, 1-12 ms each) made a function pay
for its neighbours' routes on every cold start. Models deriving from :class:`Schema` are declared
with ``defer_build``; :func:`build_reachable` builds those a route reads or answers with, when the
route is registered (``http/resolver.py``), so the function's first request finds them built as before;
a module whose code validates a model no route names (door D's create makes door A's and B's requests)
builds it at import the same way.
A model no route of the function names (another route's body, a door's error body, used on a refusal)
is built on first use. Before a SnapStart snapshot, :func:`build_all` builds every one of them
(``warmup.py``), so a restored function builds none (docs/performance.md, "Own code at import").
"""

from typing import Any, get_args

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """A model of a request or response body (see the module's docstring)."""

    model_config = ConfigDict(defer_build=True)


def _models_in(annotation: Any, found: list[type[BaseModel]], seen: set[int]) -> None:
    """Every deferred model ``annotation`` holds (in ``Annotated``, unions, lists, generics, fields), children first."""
    if id(annotation) in seen:
        return
    seen.add(id(annotation))
    for argument in get_args(annotation):
        _models_in(argument, found, seen)
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found, seen)
        # A named base is a model of its own too (a handler may build the base, then the subclass from it);
        # private ones (``_Answer``) are never validated alone.
        for base in annotation.__mro__[1:]:
            if issubclass(base, Schema) and base is not Schema and not base.__name__.startswith("_"):
                _models_in(base, found, seen)
        found.append(annotation)


def build_reachable(*annotations: Any) -> None:
    """Build the deferred models in ``annotations`` and in their fields, innermost first (a model's
    schema then reuses its fields' models as built, and each model gets its own validator)."""
    found: list[type[BaseModel]] = []
    seen: set[int] = set()
    for annotation in annotations:
        _models_in(annotation, found, seen)
    for model in found:
        if not model.__pydantic_complete__:
            model.model_rebuild()


def _subclasses(kind: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def build_all() -> None:
    """Build every deferred model loaded so far (the before-snapshot hook: nothing is left to build after a restore)."""
    for model in _subclasses(Schema):
        if not model.__pydantic_complete__ and not model.__pydantic_generic_metadata__["parameters"]:
            model.model_rebuild()
