"""What the doors' Idempotency-Key tests share: everything a request may store (the ``announced`` fixture,
in tests/conftest.py, holds what it announces)."""

from __future__ import annotations

from typing import Any

from tests.conftest import NAMES

RECORD_PREFIX = "IDEMPOTENCY#"


def stored(aws: Any) -> dict[str, list[str]]:
    """Every item of the table and of the audit trail, and every object version: what a request may add."""
    dynamodb = aws.client("dynamodb")
    return {
        "items": sorted(map(str, aws.all_items())),
        "audit": sorted(map(str, dynamodb.scan(TableName=NAMES["AuditTable"])["Items"])),
        "objects": sorted(aws.all_objects()),
    }


def records(aws: Any, use_case: str) -> list[dict[str, Any]]:
    return [item for item in aws.all_items() if item["PK"]["S"].startswith(f"{RECORD_PREFIX}{use_case}#")]


def items_of(aws: Any, entity: str) -> list[dict[str, Any]]:
    return [item for item in aws.all_items() if item.get("entity", {}).get("S") == entity]
