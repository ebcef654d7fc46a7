"""Own code at import (docs/performance.md): work a cold start would pay for nothing."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

from pydantic import BaseModel

import patient_docs

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def _project_modules() -> list[str]:
    names = [module.name for module in pkgutil.walk_packages(patient_docs.__path__, "patient_docs.")]
    names += [f"functions.{app.parent.name}.app" for app in sorted(FUNCTIONS.glob("*/app.py"))]
    return names


def test_no_model_of_the_project_declares_a_field_annotation_as_a_string():
    # Given every module of the project and every function imported
    names = _project_modules()
    for name in names:
        importlib.import_module(name)
    # When the pydantic models they define are listed with their own annotations
    models = [
        value
        for name in names
        for value in vars(sys.modules[name]).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == name
    ]
    as_strings = {
        f"{model.__module__}.{model.__qualname__}": field
        for model in models
        for field, annotation in inspect.get_annotations(model).items()
        if isinstance(annotation, str)
    }
    # Then none is a string (``from __future__ import annotations`` in a model's module, or a quoted
    # type): pydantic would compile and evaluate each one when the model is declared, at import
    assert len(models) > 50
    assert as_strings == {}
