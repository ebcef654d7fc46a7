"""GET /fhir/R4/Binary/{id} — door D: a document's file, by redirect (or inline as a Binary resource)."""

import base64
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.errors import NotAcceptable
from patient_docs.http import fhir
from patient_docs.logic.read_binary import INLINE_BINARY_MAX_BYTES, read_binary
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.fhir import binary_answer
from patient_docs.schemas.common import PathId
from patient_docs.schemas.fhir import Binary, Reference

app = fhir.resolver(serves_files=True)


@app.get(
    "/fhir/R4/Binary/<id>",
    operation_id="readBinary",
    summary="A document's file",
    description=(
        "A redirect (302) to a short-lived download URL of the file. With `Accept: application/fhir+json` "
        f"(or application/json), or `_format=json`, a file of at most {INLINE_BINARY_MAX_BYTES} bytes comes as a "
        "Binary resource instead; a larger one is redirected all the same. An Accept naming FHIR formats only, "
        "none of them R4 JSON (application/fhir+xml), or another _format is a 406."
    ),
    tags=fhir.TAGS,
    responses={
        **fhir.answers(200, Binary, "The file inline (asked for as a resource, and small)"),
        302: {"description": "Location: a presigned download URL, valid for minutes", "content": {}},
        **fhir.BINARY_ERRORS,
    },
)
def read(id: Annotated[PathId, Path(description="The document id")]) -> Response[str]:
    # _format (checked by the resolver: FHIR JSON only) asks for the resource; else Accept decides.
    if fhir.query_value(app, "_format") is not None:
        inline = True
    else:
        answer = binary_answer(app.current_event.headers.get("accept", ""))
        if answer == "none":
            raise NotAcceptable(fhir.NOT_ACCEPTABLE, "Accept")
        inline = answer == "resource"
    found = read_binary(caller_from_event(app.current_event), id, inline)
    if found.content is None:
        # No body, not cacheable: the URL is a short-lived credential.
        headers = {"Location": found.url or "", "Cache-Control": "no-store"}
        return Response(status_code=302, content_type=None, body="", headers=headers)
    binary = Binary(
        id=str(found.document.id),
        content_type=found.document.served_content().mime_type,  # as the DocumentReference's attachment says
        security_context=Reference(reference=f"DocumentReference/{found.document.id}"),
        data=base64.b64encode(found.content).decode(),
    )
    return fhir.resource(200, binary, {"Cache-Control": "no-store"})


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
