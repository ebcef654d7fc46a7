"""Example events per function, seeded through the real handlers, and each route's minimum AWS calls.

A function's example is ``events/<function_dir>.json`` when that file exists, else one
built here from its route. Routes whose example needs data first (get, delete, update,
save) are seeded by calling the create/upload handlers, and their seeded parts (path
ids, the saved file's URL) replace those of an ``events/`` file. A route this module
does not know still gets a row: a generic event built from its path.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.devserver.events import LambdaContext, http_event, json_event
from tests.devserver.template import ROOT, Function, Route

EVENTS_DIR = ROOT / "events"
ACCOUNT = "12"
CLAIMS = {"sub": "bench-staff", "name": "Dr Bench", "account_id": ACCOUNT, "role": "staff", "user_id": 8821}
# One patient per scenario, so that creates and deletes never change what a list reads.
PATIENT_CREATE, PATIENT_LISTED, PATIENT_DELETE, PATIENT_UPLOAD, PATIENT_SAVE = range(1000001, 1000006)
LISTED_DOCUMENTS = 5  # what a patient's list page realistically holds (door B's default page size)
FILE_BYTES = 100_000  # a one-page scan


def example_pdf(size: int = FILE_BYTES) -> bytes:
    """A PDF-signed file of ``size`` bytes (the service sniffs the first bytes only)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    tail = b"\n%%EOF\n"
    body = (b"0 0 612 792 re f BT /F1 12 Tf (bench) Tj ET\n" * (size // 40 + 1))[: size - len(head) - len(tail)]
    return head + body + tail


def multipart(fields: dict[str, str], file_name: str, content: bytes, content_type: str) -> tuple[str, bytes]:
    boundary = "----patientdocsbench7d1f"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def fill_path(route: Route, parameters: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\+?\}", lambda match: parameters[match.group(1)], route.path)


class Seeder:
    """Calls handlers in this process (against the bench's moto server) to create prior data."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = {route.route_key: route for route in routes}
        self._handlers: dict[str, Any] = {}

    def route(self, route_key: str) -> Route:
        return self.routes[route_key]

    def event(
        self, route_key: str, parameters: dict[str, str] | None = None, payload: Any = None, query: str = ""
    ) -> dict[str, Any]:
        route = self.route(route_key)
        path = fill_path(route, parameters or {})
        claims = None if route.public else CLAIMS
        if payload is None:
            return http_event(route.method, path, route.route_key, parameters, {}, query, None, claims)
        event = json_event(route.method, path, route.route_key, parameters, payload, CLAIMS)
        if route.public:
            event["requestContext"].pop("authorizer", None)
        return event

    def invoke(self, route_key: str, event: dict[str, Any]) -> Any:
        route = self.route(route_key)
        if route.function not in self._handlers:
            self._handlers[route.function] = importlib.import_module(route.module).lambda_handler
        result = self._handlers[route.function](event, LambdaContext(function_name=route.function))
        if int(result["statusCode"]) >= 300:
            raise RuntimeError(f"seeding through {route_key} failed: {result['statusCode']} {result.get('body')}")
        return json.loads(result["body"]) if result.get("body") else None


# ------------------------------------------------------------------ door A
DOOR_A_DOCS = "POST /api/v2/patients/{patient_id}/documents"


def _door_a_body(name: str = "blood-panel-2026-03.pdf") -> dict[str, Any]:
    import base64

    data = base64.b64encode(example_pdf()).decode()
    return {"doc": {"document_name": name, "data": data, "mime_type": "application/pdf", "record_type": "Test Result"}}


def create_inline(seeder: Seeder, patient_id: int) -> int:
    event = seeder.event(DOOR_A_DOCS, {"patient_id": str(patient_id)}, _door_a_body())
    return int(seeder.invoke(DOOR_A_DOCS, event)["doc"]["id"])


def listed_document_ids(seeder: Seeder) -> list[int]:
    """The listed patient's documents (created once, shared by list, get and update)."""
    cached: list[int] | None = getattr(seeder, "_listed", None)
    if cached is None:
        cached = [create_inline(seeder, PATIENT_LISTED) for _ in range(LISTED_DOCUMENTS)]
        seeder._listed = cached  # type: ignore[attr-defined]
    return cached


def door_a_create(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    return [seeder.event(DOOR_A_DOCS, {"patient_id": str(PATIENT_CREATE)}, _door_a_body())]


def door_a_list(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    listed_document_ids(seeder)
    route = "GET /api/v2/patients/{patient_id}/documents"
    return [seeder.event(route, {"patient_id": str(PATIENT_LISTED)})]


def door_a_get(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    document_id = listed_document_ids(seeder)[0]
    route = "GET /api/v2/patients/{patient_id}/documents/{document_id}"
    return [seeder.event(route, {"patient_id": str(PATIENT_LISTED), "document_id": str(document_id)})]


def door_a_delete(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    route = "DELETE /api/v2/patients/{patient_id}/documents/{document_id}"
    ids = [create_inline(seeder, PATIENT_DELETE) for _ in range(count)]  # every delete needs its own document
    return [seeder.event(route, {"patient_id": str(PATIENT_DELETE), "document_id": str(i)}) for i in ids]


# ------------------------------------------------------------------ door B
UNSIGNED = "POST /apis/v1/file/upload/unsigned"


def _unsigned_event(seeder: Seeder, patient_id: int) -> dict[str, Any]:
    fields = {
        "bucket_name": os.environ["BUCKET_NAME"],
        "file_path": f"patients/{patient_id}/documents",
        "file_name": "insurance-card.pdf",
    }
    content_type, body = multipart(fields, "insurance-card.pdf", example_pdf(), "application/pdf")
    route = seeder.route(UNSIGNED)
    return http_event(route.method, route.path, route.route_key, None, {"content-type": content_type}, "", body, CLAIMS)


def door_b_unsigned(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    return [_unsigned_event(seeder, PATIENT_UPLOAD)]


def door_b_presigned(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    payload = {
        "patient_id": PATIENT_UPLOAD,
        "file_name": "mri-report.pdf",
        "content_type": "application/pdf",
        "size_bytes": 2_400_000,
    }
    return [seeder.event("POST /apis/v1/file/upload/presigned", None, payload)]


def door_b_save(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    uploaded = seeder.invoke(UNSIGNED, _unsigned_event(seeder, PATIENT_SAVE))["data"]
    payload = {
        "patient_id": PATIENT_SAVE,
        "name": "Insurance card",
        "document_url": uploaded["file_url"],
        "bucket_name": uploaded["bucket_name"],
        "document_type": "Insurance",
        "document_category": "INSURANCE_CARD",
        "notes": "front and back",
        "receipt_date": "2026-03-02T09:30:00",
    }
    return [seeder.event("POST /apis/v1/patient-document", None, payload)]


def door_b_list(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    listed_document_ids(seeder)
    route = "GET /apis/v1/patient-document/{patientId}"
    return [seeder.event(route, {"patientId": str(PATIENT_LISTED)}, query="page=1&size=5&sort=desc")]


def door_b_update(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    document_id = listed_document_ids(seeder)[1]
    route = "POST /apis/v1/patient-document/{documentId}"
    payload = {"notes": "reviewed with patient", "signature_status": "COMPLETED", "signed_by": "Dr Bench"}
    return [seeder.event(route, {"documentId": str(document_id)}, payload)]


# ------------------------------------------------------------------ per route
Builder = Callable[[Seeder, int], list[dict[str, Any]]]


@dataclass(frozen=True)
class RouteExample:
    build: Builder
    minimum: int
    why: str
    seeded: tuple[str, ...] = ()  # event parts that come from seeding, even over an events/ file


EXAMPLES: dict[str, RouteExample] = {
    # ("path",): each scenario keeps its own patient even over an events/ file, so that the
    # 1,000 warm creates do not become the list's documents.
    DOOR_A_DOCS: RouteExample(
        door_a_create,
        2,
        "the file must be written (PutObject) and the record too (PutItem); ids need no counter",
        ("path",),
    ),
    "GET /api/v2/patients/{patient_id}/documents": RouteExample(
        door_a_list, 1, "one Query on GSI1 (PATIENT#account#patient) returns the page", ("path",)
    ),
    "GET /api/v2/patients/{patient_id}/documents/{document_id}": RouteExample(
        door_a_get, 1, "one GetItem by id; the download URL is signed locally", ("path",)
    ),
    "DELETE /api/v2/patients/{patient_id}/documents/{document_id}": RouteExample(
        door_a_delete,
        2,
        "a conditional DeleteItem returning the old item (it names the key) and a DeleteObject",
        ("path",),
    ),
    UNSIGNED: RouteExample(door_b_unsigned, 1, "the file is written once (PutObject); no record until Save"),
    "POST /apis/v1/file/upload/presigned": RouteExample(
        door_b_presigned, 0, "a presigned POST is signed locally; the bytes go straight to S3"
    ),
    "POST /apis/v1/patient-document": RouteExample(
        door_b_save,
        2,
        "the object must be proven to exist and be of its type (one ranged GetObject), then PutItem",
        ("body",),
    ),
    "GET /apis/v1/patient-document/{patientId}": RouteExample(
        door_b_list, 1, "one Query on GSI1; filters and pages run on the patient's few items", ("path",)
    ),
    "POST /apis/v1/patient-document/{documentId}": RouteExample(
        door_b_update, 1, "one conditional UpdateItem returning ALL_NEW", ("path",)
    ),
}


@dataclass
class Example:
    source: str  # where the event came from
    events: list[dict[str, Any]]  # the warm loop cycles through them; cold runs take the last ones
    minimum: int | None
    why: str


def _generic(seeder: Seeder, route: Route) -> dict[str, Any]:
    parameters = dict.fromkeys(re.findall(r"\{(\w+)\+?\}", route.path), "1")
    payload = {} if route.method in ("POST", "PUT", "PATCH") else None
    return seeder.event(route.route_key, parameters or None, payload)


def _overlay(base: dict[str, Any], built: dict[str, Any], parts: tuple[str, ...]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    if "path" in parts:
        merged["pathParameters"] = built.get("pathParameters")
        merged["rawPath"] = built["rawPath"]
        merged.setdefault("requestContext", {}).setdefault("http", {})["path"] = built["rawPath"]
    if "body" in parts:
        merged["body"] = built.get("body")
        merged["isBase64Encoded"] = built.get("isBase64Encoded", False)
    return merged


def example_for(function: Function, routes: list[Route], seeder: Seeder, count: int) -> Example | None:
    """``count`` is how many distinct events a route that consumes its data (delete) must get."""
    event_file = EVENTS_DIR / f"{Path(function.code_uri).name}.json"
    base = json.loads(event_file.read_text()) if event_file.exists() else None
    route = next((r for r in routes if r.function == function.logical_id), None)
    known = EXAMPLES.get(route.route_key) if route else None
    source = f"events/{event_file.name}" if base is not None else "built from the route"
    if known is not None:
        built = known.build(seeder, count)
        events = [_overlay(base, event, known.seeded) for event in built] if base is not None else built
        return Example(source, events, known.minimum, known.why)
    if base is not None:
        return Example(source, [base], None, "no minimum recorded yet (bench/examples.py)")
    if route is not None:
        return Example("generic event from the route", [_generic(seeder, route)], None, "no example in bench yet")
    return None
