"""Domain errors. Logic and adapters raise these; each door maps them to its format."""

from __future__ import annotations


class PatientDocsError(Exception):
    """Base class: ``status`` is the HTTP status, ``field`` the input at fault (if any)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def headers(self) -> dict[str, str]:
        """Response headers the error adds (none unless a subclass says so)."""
        return {}


class InvalidField(PatientDocsError):
    status = 400
    code = "invalid_field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field)


class PayloadTooLarge(InvalidField):
    status = 413
    code = "payload_too_large"


class Unauthenticated(PatientDocsError):
    status = 401
    code = "unauthenticated"

    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(message)


class Forbidden(PatientDocsError):
    """The caller may see the resource but not change it (e.g. account settings without ``admin``)."""

    status = 403
    code = "forbidden"


class NotFound(PatientDocsError):
    """Also what a caller gets for anything outside their account or patient."""

    status = 404
    code = "not_found"

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"{what} not found")


class Gone(PatientDocsError):
    """A short link that worked once: expired or cancelled."""

    status = 410
    code = "gone"


class Conflict(PatientDocsError):
    status = 409
    code = "conflict"


class UnprocessableRequest(PatientDocsError):
    status = 422
    code = "unprocessable"


class Locked(PatientDocsError):
    status = 423
    code = "locked"


class TooManyRequests(PatientDocsError):
    """``retry_after``: seconds until a retry can succeed (``Retry-After``); None when it never will."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(PatientDocsError):
    status = 503
    code = "service_unavailable"
