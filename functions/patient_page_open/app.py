"""GET /r/{short_link_id} — the patient page (public: the link itself is the capability)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.adapters.object_store import upload_origin
from patient_docs.errors import AuditUnavailable, NotFound
from patient_docs.http import patient_page
from patient_docs.logic.patient_page import open_page
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.languages import page_language
from patient_docs.rules.timestamps import utc_now
from patient_docs.web.render import Practice, content_security_policy, message_page, request_page

app = patient_page.resolver()

# A link that no longer works: its status, and what the page says (catalogue keys).
_UNUSABLE = {
    "expired": (410, "expired.heading", "expired.text"),
    "cancelled": (410, "expired.heading", "cancelled.text"),
    "locked": (423, "locked.heading", "locked.text"),
}


def _html_page(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


@app.get(
    "/r/<short_link_id>",
    operation_id="openPatientPage",
    summary="The page a patient opens from the SMS link",
    description="In English, Spanish or Welsh: the browser's Accept-Language first, else the account's language.",
    tags=["Patient page"],
    responses={
        200: _html_page("The page: who asks (staff member, practice, its phone) and the date-of-birth form"),
        **patient_page.PAGE_ERRORS,
        404: _html_page("Unknown link: a friendly page"),
        410: _html_page("Expired or cancelled link: a friendly page with the practice's phone number"),
        423: _html_page("Locked after too many wrong dates of birth: a friendly page with the practice's phone number"),
        # The opening could not be recorded in the audit trail (a friendly page), or API Gateway's own 503.
        503: {
            "description": "The opening could not be recorded in the audit trail: a friendly page",
            "content": {
                **_html_page("")["content"],  # type: ignore[typeddict-item]
                **patient_page.PAGE_ERRORS[503]["content"],
            },
        },
    },
)
def show_page(
    short_link_id: str,
    accept_language: Annotated[str | None, Header(alias="Accept-Language")] = None,
) -> Response[str]:
    policy = content_security_policy(None)
    try:
        view = open_page(short_link_id, utc_now())
    except NotFound:
        language = page_language(accept_language, None)
        return patient_page.html(404, message_page(language, "unknown.heading", "unknown.text"), policy, language)
    except AuditUnavailable:
        # The opening could not be recorded: nothing is shown until it can be.
        language = page_language(accept_language, None)
        return patient_page.html(503, message_page(language, "busy.heading", "busy.text"), policy, language)
    language = page_language(accept_language, view.language)
    practice = Practice(view.practice, view.practice_phone)
    if view.state != "open":
        status, heading, message = _UNUSABLE[view.state]
        return patient_page.html(status, message_page(language, heading, message, practice), policy, language)
    page = request_page(
        language, view.short_link_id, view.staff_name, practice, view.max_files, view.max_bytes, view.accepted_types
    )
    return patient_page.html(200, page, content_security_policy(upload_origin()), language)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
