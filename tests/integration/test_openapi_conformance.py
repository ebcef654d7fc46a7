"""What the handlers really answer is what ``/openapi.json`` documents: statuses, bodies, formats.

Every route is called through the local router (the real handlers, moto) with the owner's data made
by ``tests/authz_fixtures.py``; each answer must be a documented status whose documented schema the
body matches, ``format: date``/``date-time`` included (checked strictly, as RFC 3339). The statuses
the document lists for every route (400; 415 only where a route reads a body) are provoked here too.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from local.template import Route, http_routes
from patient_docs.auth import Role
from tests.authz_fixtures import OWNER_ACCOUNT, OWNER_PATIENT, Request, owners_request
from tests.utils import STAFF_12, Reply, call

ROUTES = http_routes()
ADMIN_12 = {"role": "admin", "account": OWNER_ACCOUNT}
PATIENT_12 = {"role": "patient", "account": OWNER_ACCOUNT, "patient": OWNER_PATIENT}


def _document(api: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(api.openapi())
    return document


def _operation(document: dict[str, Any], route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][route.path][route.method.lower()]
    return operation


# The owner's role where staff may not call the route: only admins change settings and read the audit
# trail and manage webhooks; only a patient reads its own access log.
_ROLE_OF: dict[str, Role] = {
    "PUT /v1/account-settings": "admin",
    "GET /v1/audit-events": "admin",
    "GET /v1/me/access-log": "patient",
    "POST /v1/webhooks": "admin",
    "GET /v1/webhooks": "admin",
    "DELETE /v1/webhooks/{webhookId}": "admin",
    "POST /v1/webhooks/{webhookId}/rotate-secret": "admin",
    "GET /v1/webhook-deliveries": "admin",
    "POST /v1/webhook-deliveries/{deliveryId}/redeliver": "admin",
}


def _role(route: Route) -> Role:
    return _ROLE_OF.get(route.route_key, "staff")


def _caller(route: Route) -> dict[str, Any] | None:
    if route.public:
        return None
    return {"staff": STAFF_12, "admin": ADMIN_12, "patient": PATIENT_12}[_role(route)]


def _send(api: Any, route: Route, request: Request) -> Reply:
    return call(api, request.method, request.path, request.json, _caller(route), request.headers, request.raw)


# Any value of the right shape: the refusals below come before anything is looked up.
_SAMPLE = {"fileRequestId": "0f6a7c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b", "short_link_id": "AAAAAAAAAAAA"}


def _send_body(api: Any, route: Route, content_type: str, raw: bytes) -> Reply:
    path = re.sub(r"\{(\w+)\}", lambda found: _SAMPLE.get(found[1], "1172416"), route.path)
    return call(api, route.method, path, None, _caller(route), {"content-type": content_type}, raw)


def assert_documented(document: dict[str, Any], route: Route, reply: Reply) -> None:
    responses = _operation(document, route)["responses"]
    assert str(reply.status) in responses, f"{route.route_key} answered an undocumented {reply.status}: {reply.body!r}"
    content = responses[str(reply.status)].get("content", {})
    if not content:
        assert not reply.body, f"{route.route_key} {reply.status} has a body the document does not mention"
        return
    media = reply.headers["content-type"].split(";")[0]
    assert media in content, (route.route_key, reply.status, media)
    if media != "application/json" and not media.endswith("+json"):  # JSON bodies: door D's application/fhir+json too
        return
    schema = {**content[media]["schema"], "components": document["components"]}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(reply.json)]
    assert not problems, f"{route.route_key} {reply.status}: {problems}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.route_key)
def test_the_owners_call_answers_as_documented_formats_included(api, aws, route):
    # Given the owner's resource for this route, made through the API
    request = owners_request(api, aws, route.route_key, _role(route))
    # When the owner's staff (an admin where only admins may, nobody on the public page) call it
    reply = _send(api, route, request)
    # Then the status and the body are the documented ones
    if route.route_key != "POST /v1/patient-devices":  # patients only, and push needs a platform application
        assert 200 <= reply.status < 300, reply.body
    assert_documented(_document(api), route, reply)


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.route_key)
def test_bodies_refused_before_any_lookup_get_the_documented_400_and_415(api, aws, route):
    document = _document(api)
    reads_a_body = "requestBody" in _operation(document, route)

    # When a route gets a JSON array for a body (even a route that reads none)
    reply = _send_body(api, route, "application/json", b"[]")
    # Then it is refused 400 in the door's format, as documented
    assert reply.status == 400, reply.body
    assert_documented(document, route, reply)

    # When it gets a text/plain body
    reply = _send_body(api, route, "text/plain", b"hello")
    # Then routes that read a body refuse it 415; the others never read it, and never answer 415
    assert (reply.status == 415) == reads_a_body, (reply.status, reply.body)
    assert ("415" in _operation(document, route)["responses"]) == reads_a_body
    assert_documented(document, route, reply)

    # When a route that reads a body gets one that is not valid JSON
    if reads_a_body:
        reply = _send_body(api, route, "application/json", b"{")
        # Then it is a documented 400 in the door's format, never the 422 Powertools would document
        assert reply.status == 400, reply.body
        assert_documented(document, route, reply)
