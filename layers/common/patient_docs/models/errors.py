"""Error bodies, per door, as documented in the OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    """Doors A and C: ``{"error": {"status", "code", "message", "field"}}``."""

    error: ErrorDetail


class DoorBErrorResponse(BaseModel):
    """Door B: ``{"code": 4000, "message": "...", "data": null}``."""

    code: int
    message: str
    data: None = None
