"""Pydantic models: the domain record and each door's request/response shapes."""
