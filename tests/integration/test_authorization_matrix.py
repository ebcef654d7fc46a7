"""Every route of ``template.yaml`` × every kind of caller → the expected status, and no leak.

Rows (callers):
  * token problems, answered 401 by the JWT authorizer before any function runs: no token,
    expired, wrong audience, wrong issuer, ``alg: none``, signed with another key;
  * a request reaching the function without authorizer claims (defence in depth): 401;
  * staff of another account and a patient token of another patient: see ``tests/authz_fixtures.py``;
  * the right callers: the account's staff and, where it applies, the patient's own token.

Public routes (``Auth: Authorizer: NONE``) have no token rows: their scenario decides who may.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local import tokens
from local.events import http_event
from local.template import Route, http_routes
from tests.authz_fixtures import OTHER_ACCOUNT, OTHER_PATIENT, OWNER_ACCOUNT, OWNER_PATIENT, SCENARIOS, Request
from tests.utils import Reply, call

ROUTES = http_routes()
PROTECTED = [route for route in ROUTES if not route.public]


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "sub": "staff-12-user",
        "iat": now,
        "nbf": now - 5,
        "exp": now + 600,
        "role": "staff",
        "account_id": OWNER_ACCOUNT,
        "name": "Dr Local Staff",
        "user_id": 8821,
    }
    claims.update(overrides)
    return claims


def _foreign_key_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return jwt.encode(_claims(), pem, algorithm="RS256")


def _unsigned_token() -> str:
    header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode()
    payload = jwt.utils.base64url_encode(json.dumps(_claims()).encode()).decode()
    return f"{header}.{payload}."


BAD_TOKENS = {
    "no token": lambda: None,
    "not a bearer": lambda: "Basic c3RhZmY6c3RhZmY=",
    "expired": lambda: "Bearer " + tokens.issue("staff", OWNER_ACCOUNT, lifetime_seconds=-60),
    "wrong audience": lambda: "Bearer " + tokens.issue("staff", OWNER_ACCOUNT, audience="someone-else"),
    "wrong issuer": lambda: "Bearer " + tokens.issue("staff", OWNER_ACCOUNT, issuer="https://evil.example"),
    "alg none": lambda: "Bearer " + _unsigned_token(),
    "signed with another key": lambda: "Bearer " + _foreign_key_token(),
}

RIGHT_CALLERS = {
    "staff of the account": {"role": "staff", "account": OWNER_ACCOUNT},
    "the patient": {"role": "patient", "account": OWNER_ACCOUNT, "patient": OWNER_PATIENT},
}
WRONG_CALLERS = {
    "staff of another account": ({"role": "staff", "account": OTHER_ACCOUNT}, "other_account"),
    "another patient": ({"role": "patient", "account": OWNER_ACCOUNT, "patient": OTHER_PATIENT}, "other_patient"),
}


def _send(api: Any, request: Request, caller: dict[str, Any] | None = None, authorization: str | None = None) -> Reply:
    headers = dict(request.headers)
    if authorization is not None:
        headers["authorization"] = authorization
    return call(api, request.method, request.path, request.json, caller, headers=headers, raw=request.raw)


def _owner_state(aws: Any) -> tuple[list[Any], list[str]]:
    items = [i for i in aws.all_items() if i.get("account_id", {}).get("S") == OWNER_ACCOUNT]
    objects = [k for k in aws.all_objects() if k.startswith(f"accounts/{OWNER_ACCOUNT}/")]
    return sorted(items, key=json.dumps), sorted(objects)


def _ids(route: Route) -> str:
    return route.route_key


def test_every_route_has_an_authorization_scenario():
    keys = {route.route_key for route in ROUTES}
    missing = sorted(keys - set(SCENARIOS))
    stale = sorted(set(SCENARIOS) - keys)
    assert not missing, f"add these routes to tests/authz_fixtures.py SCENARIOS: {missing}"
    assert not stale, f"SCENARIOS names routes the template no longer has: {stale}"


@pytest.mark.parametrize("problem", sorted(BAD_TOKENS))
@pytest.mark.parametrize("route", PROTECTED, ids=_ids)
def test_token_problems_are_refused_before_the_function(api, aws, route, problem):
    # Given the owner's resource and a request that would succeed with a good token
    request = SCENARIOS[route.route_key].prepare(api, aws)
    before = (sorted(aws.all_items(), key=json.dumps), sorted(aws.all_objects()))
    # When it is sent with a bad token
    reply = _send(api, request, authorization=BAD_TOKENS[problem]())
    # Then the authorizer refuses it and nothing changes
    assert reply.status == 401, reply.body
    assert (sorted(aws.all_items(), key=json.dumps), sorted(aws.all_objects())) == before


@pytest.mark.parametrize("route", PROTECTED, ids=_ids)
def test_a_request_without_authorizer_claims_is_refused_by_the_function(api, aws, route):
    # Given a request that slipped past the authorizer (a misconfigured route): no claims at all
    request = SCENARIOS[route.route_key].prepare(api, aws)
    headers = {"content-type": "application/json"} if request.json is not None else {}
    headers.update(request.headers)
    body = json.dumps(request.json).encode() if request.json is not None else request.raw
    path = request.path
    found, parameters = api.match(request.method, path)
    assert found == route
    event = http_event(request.method, path, route.route_key, parameters, headers, "", body, claims=None)
    # When the function runs, Then it refuses to act for nobody
    assert int(api.invoke(route, event)["statusCode"]) == 401


@pytest.mark.parametrize("who", sorted(WRONG_CALLERS))
@pytest.mark.parametrize("route", ROUTES, ids=_ids)
def test_wrong_callers_get_the_expected_status_and_none_of_the_owners_data(api, aws, route, who):
    scenario = SCENARIOS[route.route_key]
    if route.public:
        pytest.skip("public: the link is the capability (tests/integration/test_patient_page.py)")
    # Given the owner's resource, the request that reads or changes it, and the owner's state before
    request = scenario.prepare(api, aws)
    caller, expectation = WRONG_CALLERS[who]
    before = _owner_state(aws)
    # When another caller sends the owner's request
    reply = _send(api, request, caller)
    # Then the status is the expected one, the body holds none of the owner's data,
    # and nothing of the owner's changed
    assert reply.status == getattr(scenario, expectation), reply.body
    text = reply.body.decode(errors="replace")
    for secret in [*request.secrets, f"accounts/{OWNER_ACCOUNT}/"]:
        assert secret not in text, f"{who} saw {secret!r} of account {OWNER_ACCOUNT}"
    assert _owner_state(aws) == before


@pytest.mark.parametrize("who", sorted(RIGHT_CALLERS))
@pytest.mark.parametrize("route", ROUTES, ids=_ids)
def test_the_right_caller_succeeds(api, aws, route, who):
    scenario = SCENARIOS[route.route_key]
    if who == "the patient" and not scenario.patient_ok:
        pytest.skip("staff only")
    if who == "staff of the account" and not scenario.staff_ok:
        pytest.skip("patients only")
    # Given the owner's resource and the request that reads or changes it
    request = scenario.prepare(api, aws)
    # When the right caller sends it, Then it gets the scenario's success status
    reply = _send(api, request, RIGHT_CALLERS[who])
    assert reply.status == scenario.right, reply.body
