"""POST /r/{short_link_id}/verify — the date-of-birth check that opens a short upload session."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.http import patient_page
from patient_docs.logic.patient_page import verify_patient
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.timestamps import iso_with_offset, utc_now
from patient_docs.schemas.patient_page import UploadSessionOut, VerifyBody

app = patient_page.resolver()


@app.post(
    "/r/<short_link_id>/verify",
    operation_id="verifyPatient",
    summary="Check the patient's date of birth (the 5th wrong answer locks the link)",
    tags=["Patient page"],
    responses={
        200: {"description": "Upload session", "content": {"application/json": {"model": UploadSessionOut}}},
        **patient_page.VERIFY_ERRORS,
    },
)
def verify(short_link_id: str, body: VerifyBody) -> Response[Any]:
    session = verify_patient(short_link_id, body.date_of_birth, utc_now())
    return patient_page.ok(
        UploadSessionOut(
            upload_session=session.token,
            expires_at=iso_with_offset(session.expires_at),
            max_files=session.max_files,
            max_bytes=session.max_bytes,
            accepted_types=session.accepted_types,
            staff_name=session.staff_name,
            prompt=session.prompt,
        )
    )


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
