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
    status = 429
    code = "too_many_requests"


class ServiceUnavailable(PatientDocsError):
    status = 503
    code = "service_unavailable"
