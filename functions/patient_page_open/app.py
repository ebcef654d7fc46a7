"""GET /r/{short_link_id} — the patient page (public: the link itself is the capability)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.adapters.object_store import upload_origin
from patient_docs.errors import AuditUnavailable, Gone, Locked, NotFound
from patient_docs.http import patient_page
from patient_docs.logic.patient_page import LOCKED_MESSAGE, open_page
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.timestamps import utc_now
from patient_docs.web.render import content_security_policy, message_page, request_page

app = patient_page.resolver()


def _html_page(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


@app.get(
    "/r/<short_link_id>",
    operation_id="openPatientPage",
    summary="The page a patient opens from the SMS link",
    tags=["Patient page"],
    responses={
        200: _html_page("The page: who asks (staff member and practice) and the date-of-birth form"),
        **patient_page.PAGE_ERRORS,
        404: _html_page("Unknown link: a friendly page"),
        410: _html_page("Expired or cancelled link: a friendly page"),
        423: _html_page("Locked after too many wrong dates of birth: a friendly page"),
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
def show_page(short_link_id: str) -> Response[str]:
    policy = content_security_policy(None)
    try:
        view = open_page(short_link_id, utc_now())
    except NotFound:
        page = message_page("This link is not valid", "Please check the link in your message, or contact the practice.")
        return patient_page.html(404, page, policy)
    except Gone as exc:
        return patient_page.html(410, message_page("This link no longer works", exc.message), policy)
    except Locked:
        return patient_page.html(423, message_page("This link is locked", LOCKED_MESSAGE), policy)
    except AuditUnavailable:
        # The opening could not be recorded: nothing is shown until it can be.
        page = message_page("Please try again", "We could not open this page just now. Please try again in a minute.")
        return patient_page.html(503, page, policy)
    page = request_page(
        view.short_link_id, view.staff_name, view.practice, view.max_files, view.max_bytes, view.accepted_types
    )
    return patient_page.html(200, page, content_security_policy(upload_origin()))


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
