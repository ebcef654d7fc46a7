"""Field-by-field shape comparison against a seed's example (names and JSON types)."""

from __future__ import annotations

from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_problems(actual: Any, expected: Any, nullable: frozenset[str] = frozenset(), path: str = "$") -> list[str]:
    """What differs between ``actual`` and the seed's ``expected``: missing fields and type changes.

    A field the seed shows as null, or lists in ``nullable`` ("may be null"), may be null or of
    the type the seed's table gives; extra fields in ``actual`` are additions and allowed.
    """
    problems: list[str] = []
    name = path.rsplit(".", 1)[-1]
    if expected is None or (actual is None and name in nullable):
        return problems
    if json_type(actual) != json_type(expected):
        return [f"{path}: {json_type(actual)} where the seed has {json_type(expected)}"]
    if isinstance(expected, dict):
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems.extend(shape_problems(actual[key], value, nullable, f"{path}.{key}"))
    elif isinstance(expected, list) and expected:
        common = set.intersection(*(set(e) for e in expected)) if all(isinstance(e, dict) for e in expected) else None
        template = {k: expected[0][k] for k in common} if common is not None else expected[0]
        for index, item in enumerate(actual):
            problems.extend(shape_problems(item, template, nullable, f"{path}[{index}]"))
    return problems
