"""Every error the service raises on purpose, in one catalogue.

Refusals (``Refused`` and its kinds) end a request: each door renders them in its own format,
with the HTTP status that ``patient_docs.http.errors`` gives each kind. Outcomes of a storage or
delivery call (``RecordTaken``, ``RecordChanged``, ``QuotaUsedUp``, ``DocumentIdTaken``, ``ObjectClaimed``,
``NotificationFailed``) are
raised by adapters in place of ``ClientError`` and handled by the logic that made the call; a
handler never sees them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patient_docs.models.file_requests import FileRequest


class Refused(Exception):
    """A request the service will not carry out. ``field``: the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidField(Refused):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field)


class PayloadTooLarge(InvalidField):
    """A file above the inline or upload limit."""


class NotSupported(InvalidField):
    """A parameter (or modifier, or value) the request may send in its standard but this service does not
    support: refused rather than ignored, so that nothing is answered wider than asked (door D).
    ``named_by_client``: ``field`` is a name the client chose (an unknown parameter): the answer names it,
    the log does not (a client's text can be anything)."""

    def __init__(self, field: str, message: str, named_by_client: bool = False) -> None:
        super().__init__(field, message)
        self.named_by_client = named_by_client


class NotAcceptable(Refused):
    """No answer in a media type the request accepts can be made (door D: ``Accept`` or ``_format``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field)


class UnsupportedMediaType(Refused):
    """A request body's media type (or one of its parameters) that the route does not read."""

    def __init__(self, message: str, field: str = "Content-Type") -> None:
        super().__init__(message, field)


class WrongAnswer(InvalidField):
    """A date of birth that does not match; carries how many tries are left."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__("date_of_birth", "does not match our records")
        self.attempts_left = attempts_left


class Unauthenticated(Refused):
    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(message)


class Forbidden(Refused):
    """The caller may see the resource but not change it (e.g. account settings without ``admin``)."""


class NotFound(Refused):
    """Also what a caller gets for anything outside their account or patient."""

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"{what} not found")


class Gone(Refused):
    """A short link that worked once: expired or cancelled."""


class Conflict(Refused):
    """The record is not in a state that allows the change, or the same key is in flight."""


class FileNotScanned(Conflict):
    """The file's malware scan has not finished: asking again after ``retry_after`` seconds may succeed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the file is still being scanned for malware; retry shortly")
        self.retry_after = retry_after


class FileWithheld(Conflict):
    """The file is never served as it is: its scan found a threat (it is in quarantine), or gave no
    clean verdict and the deployment withholds such files (rules/scanning.py)."""

    def __init__(self, scan_status: str) -> None:
        super().__init__(f"the file is not served: its malware scan status is {scan_status}")
        self.scan_status = scan_status


class ImageNotProcessed(FileNotScanned):
    """An image whose clean rendition is still being made (rules/images.py): its original is never served."""

    def __init__(self, retry_after: int) -> None:
        Conflict.__init__(self, "the image is still being processed; retry shortly")
        self.retry_after = retry_after


class ImageWithheld(FileWithheld):
    """An image that could not be decoded (corrupt, or a decompression bomb): it is in quarantine."""

    def __init__(self) -> None:
        Conflict.__init__(self, "the image is not served: it could not be read as an image")
        self.scan_status = "clean"


class UnprocessableRequest(Refused):
    """Well-formed, but contradicts an earlier request (an idempotency key reused with another body)."""


class Locked(Refused):
    """A patient page link locked after too many wrong answers."""


class TooManyRequests(Refused):
    """``retry_after``: seconds until a retry can succeed (``Retry-After``); None when it never will."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SmsQuotaExceeded(TooManyRequests):
    """The account sent its daily SMS quota of notifications; nothing was written or sent."""

    def __init__(self, quota: int, retry_after: int) -> None:
        super().__init__(
            f"the account's daily SMS quota ({quota} notifications a day, UTC) is used up;"
            " nothing was sent: retry after Retry-After seconds, or an admin may raise smsDailyQuota",
            retry_after,
        )
        self.field = "smsDailyQuota"


class ServiceUnavailable(Refused):
    """A feature this deployment has not configured (e.g. app push)."""


class AuditUnavailable(ServiceUnavailable):
    """The access-audit event could not be stored, so the action was not done (the trail fails closed)."""

    def __init__(self) -> None:
        super().__init__("the access record could not be stored, so nothing was done; retry shortly")


# ------------------------------------------------------------------ outcomes of storage and delivery calls


class RecordTaken(Exception):
    """A conditional create lost a race (or drew an id already in use): read again and retry."""


class DocumentIdTaken(RecordTaken):
    """Another document already holds this id (a 1-in-4096 same-millisecond clash)."""


class ObjectClaimed(RecordTaken):
    """Another document already points at this object (one object, one record)."""


class QuotaUsedUp(Exception):
    """A transaction's SMS count found the account's daily quota used up: nothing of it was written."""


class RecordChanged(Exception):
    """A conditional update found the record missing or not in the expected state.

    ``current`` is the record as the failed update found it, where the update asked for it.
    """

    def __init__(self, what: str, current: FileRequest | None = None) -> None:
        super().__init__(what)
        self.current = current


class NotificationFailed(Exception):
    """SNS refused the message or could not be reached; ``reason`` is an error code, never data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotificationThrottled(NotificationFailed):
    """SNS asked us to slow down, or could not be reached: the same message may be tried again later."""
