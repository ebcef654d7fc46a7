"""Every route of ``template.yaml`` × every role × every kind of target → what the permissions table decides.

The rows are generated: routes from the template, roles from ``patient_docs.auth.ROLES``, targets
from ``tests.authz_fixtures.OWNERSHIPS``. Each route declares (``tests/authz_fixtures.py``
``ROWS``) the actions it performs and how it names its target; the expected answer is
``patient_docs.permissions.decide``'s: allowed → the route's success status, not found → 404,
forbidden → 403 in the door's format naming what is refused. A route or a role without a row
fails ``test_every_route_has_a_row`` / ``test_every_role_has_a_caller``.

For every cell: the status is the expected one; the answer holds none of the target's data when
the target is outside the caller's reach or the request is refused; a refusal writes nothing;
and nothing outside the caller's reach changes.

Token problems (no token, expired, wrong audience or issuer, ``alg: none``, another key) are
answered 401 by the JWT authorizer before any function runs, and a request that reaches a
function without claims is a 401 too (defence in depth). Public routes (``Auth: Authorizer:
NONE``) have no rows here: their link is the capability (tests/integration/test_patient_page.py).

The moto store is provisioned once for this module and emptied after each test (provisioning
is most of a test's time; each cell still starts from an empty table and bucket).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local import tokens
from local.events import http_event
from local.local_aws import REGION, provision
from local.template import Route, http_routes
from patient_docs.auth import ROLES, Caller
from patient_docs.permissions import Action, Decision, Target, decide, in_reach
from tests.authz_fixtures import (
    CALLERS,
    OWNERSHIPS,
    PUBLIC_ROUTES,
    ROWS,
    Names,
    Request,
    Row,
    World,
    owners_request,
)
from tests.conftest import _TEMPLATE, BASE_URL, NAMES, ORIGINS, MockedAws, _reset_cached_clients
from tests.integration.test_openapi_conformance import assert_documented
from tests.utils import Reply, call

ROUTES = http_routes()
PROTECTED = [route for route in ROUTES if not route.public]
STATUS = {Decision.NOT_FOUND: 404, Decision.FORBIDDEN: 403}


# ------------------------------------------------------------------ one store for the module, emptied per test
@pytest.fixture(scope="module")
def _store() -> Iterator[MockedAws]:
    from moto import mock_aws

    with mock_aws(), pytest.MonkeyPatch.context() as env:
        provision(_TEMPLATE, NAMES, lambda service: boto3.client(service, region_name=REGION), ORIGINS)
        # App push configured, so that a patient's device registration can succeed
        sns = boto3.client("sns", region_name=REGION)
        app = sns.create_platform_application(Name="app", Platform="GCM", Attributes={"PlatformCredential": "t"})
        env.setenv("PUSH_PLATFORM_APPLICATION_ARN", app["PlatformApplicationArn"])
        _reset_cached_clients()
        yield MockedAws(table=NAMES["DocumentsTable"], bucket=NAMES["DocumentsBucket"])
    _reset_cached_clients()


def _empty(store: MockedAws) -> None:
    dynamodb, s3 = store.client("dynamodb"), store.client("s3")
    for table in dynamodb.list_tables()["TableNames"]:
        keys = [k["AttributeName"] for k in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                dynamodb.delete_item(TableName=table, Key={k: item[k] for k in keys})
    for bucket in s3.list_buckets()["Buckets"]:
        listed = s3.list_object_versions(Bucket=bucket["Name"])
        for version in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket["Name"], Key=version["Key"], VersionId=version["VersionId"])


@pytest.fixture
def aws(_store: MockedAws) -> Iterator[MockedAws]:
    """This module's store (conftest's ``aws`` provisions one per test): empty at the start of each test."""
    yield _store
    _empty(_store)


@pytest.fixture(scope="module")
def api(_store: MockedAws) -> Any:
    from local.server import LocalApi

    return LocalApi(BASE_URL, quiet=True)


@pytest.fixture(scope="module")
def openapi(api: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(api.openapi())
    return document


# ------------------------------------------------------------------ the cells
def _cells() -> list[Any]:
    cells = []
    for route in PROTECTED:
        for row in ROWS.get(route.route_key, ()):
            for role in ROLES:
                for ownership in OWNERSHIPS:
                    label = f"{route.route_key}{' (' + row.name + ')' if row.name else ''} | {role} | {ownership}"
                    cells.append(pytest.param(route, row, role, ownership, id=label))
    return cells


def _caller(world: World) -> Caller:
    token = world.caller
    return Caller(
        subject=token.get("sub", "patient"),
        name="caller",
        account_id=token["account"],
        role=token["role"],
        patient_id=token.get("patient"),
        user_id=1,
    )


def _effective_target(row: Row, world: World, caller: Caller) -> Target:
    """What the use case asks the permissions about, given how the route names its target."""
    made = world.target("document")
    if row.names is Names.DOCUMENT:
        return made
    if row.names is Names.FILE_REQUEST:
        return Target(made.account_id, "file request")
    if row.names is Names.PATIENT:  # the account is the token's: a number names the caller's own patient
        return Target(caller.account_id, "patient", made.patient_id, caller.role)
    if row.names in (Names.BODY_ACCOUNT, Names.WEBHOOK):
        return Target(made.account_id, "account")
    if row.names is Names.SELF:
        return Target(caller.account_id, "patient", caller.patient_id)
    return Target(caller.account_id, "account")


def expected(row: Row, world: World, caller: Caller) -> tuple[int, Action | None]:
    """The status the table decides (and the refused action, for a 403)."""
    target = _effective_target(row, world, caller)
    for action in row.actions:
        decision = decide(caller, action, target)
        if decision is not Decision.ALLOW:
            return STATUS[decision], action
    refused = row.input_refusals.get(world.ownership)
    return (refused[0], None) if refused else (row.success, None)


def _send(api: Any, request: Request, caller: dict[str, Any] | None = None, authorization: str | None = None) -> Reply:
    headers = dict(request.headers)
    if authorization is not None:
        headers["authorization"] = authorization
    return call(api, request.method, request.path, request.json, caller, headers=headers, raw=request.raw)


def _everything(aws: MockedAws) -> tuple[list[Any], list[str]]:
    return sorted(aws.all_items(), key=json.dumps), sorted(aws.all_objects())


def _state_of(aws: MockedAws, target: Target) -> tuple[list[Any], list[str]]:
    """The items and objects of the target's account (and patient, if it names one)."""

    def theirs(item: dict[str, Any]) -> bool:
        if item.get("account_id", {}).get("S") != target.account_id:
            return False
        number = (item.get("patient_number") or item.get("patient_id") or {}).get("N")  # door C: patient_number
        return target.patient_id is None or number in (None, str(target.patient_id))

    prefix = f"accounts/{target.account_id}/" + (f"patients/{target.patient_id}/" if target.patient_id else "")
    items = sorted((i for i in aws.all_items() if theirs(i)), key=json.dumps)
    return items, sorted(k for k in aws.all_objects() if k.startswith(prefix))


def test_every_route_has_a_row():
    protected = {route.route_key for route in PROTECTED}
    public = {route.route_key for route in ROUTES if route.public}
    missing = sorted(protected - set(ROWS))
    assert not missing, f"declare what these routes do in tests/authz_fixtures.py ROWS: {missing}"
    assert sorted(set(ROWS) - protected) == [], "ROWS names routes the template no longer has (or made public)"
    assert public == set(PUBLIC_ROUTES), "public routes (no authorizer) must be listed in PUBLIC_ROUTES"
    assert all(ROWS[key] for key in protected), "a route's ROWS entry needs at least one Row"


def test_every_role_has_a_caller():
    assert sorted(CALLERS) == sorted(ROLES), "every role of patient_docs.auth.ROLES needs a caller in CALLERS"


def test_the_matrix_covers_every_route_role_and_ownership():
    cells = {(param.values[0].route_key, param.values[2], param.values[3]) for param in _cells()}
    assert len(cells) == len(PROTECTED) * len(ROLES) * len(OWNERSHIPS)


@pytest.mark.parametrize(("route", "row", "role", "ownership"), _cells())
def test_each_role_gets_what_the_permissions_table_decides(api, aws, openapi, route, row, role, ownership):
    # Given the target (made through the API by its author) and the request that acts on it
    world = World(api, aws, role, ownership)
    request = row.build(world)
    caller = _caller(world)
    status, refused_action = expected(row, world, caller)
    made = world.target("target")
    before_all, before_theirs = _everything(aws), _state_of(aws, made)
    # When the caller sends it
    reply = _send(api, request, world.caller)
    # Then the answer is what the table decides (a 403 names what is refused), as /openapi.json documents it
    assert reply.status == status, reply.body
    assert_documented(openapi, route, reply)
    text = reply.body.decode(errors="replace")
    if refused_action is not None and status == 403:
        assert refused_action.value in text, text
    # And a refusal writes nothing, and nothing outside the caller's reach changes
    if status != row.success:
        assert _everything(aws) == before_all
    if not in_reach(caller, made):
        assert _state_of(aws, made) == before_theirs
    # And the answer shows the target's data only to a caller allowed to act on it within its reach
    if status != row.success or not in_reach(caller, made):
        for secret in request.secrets:
            assert secret not in text, f"{role} saw {secret!r} of a target ({ownership}) it may not see"


# ------------------------------------------------------------------ token problems: 401 before any function runs
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
        "account_id": "12",
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
    "expired": lambda: "Bearer " + tokens.issue("staff", "12", lifetime_seconds=-60),
    "wrong audience": lambda: "Bearer " + tokens.issue("staff", "12", audience="someone-else"),
    "wrong issuer": lambda: "Bearer " + tokens.issue("staff", "12", issuer="https://evil.example"),
    "alg none": lambda: "Bearer " + _unsigned_token(),
    "signed with another key": lambda: "Bearer " + _foreign_key_token(),
}


def _ids(route: Route) -> str:
    return route.route_key


def _owners_request(api: Any, aws: Any, route: Route) -> Request:
    """The route's first row, built for staff acting on their own target: a request that would succeed."""
    return owners_request(api, aws, route.route_key)


@pytest.mark.parametrize("problem", sorted(BAD_TOKENS))
@pytest.mark.parametrize("route", PROTECTED, ids=_ids)
def test_token_problems_are_refused_before_the_function(api, aws, route, problem):
    # Given the owner's resource and a request that would succeed with a good token
    request = _owners_request(api, aws, route)
    before = _everything(aws)
    # When it is sent with a bad token
    reply = _send(api, request, authorization=BAD_TOKENS[problem]())
    # Then the authorizer refuses it and nothing changes
    assert reply.status == 401, reply.body
    assert _everything(aws) == before


@pytest.mark.parametrize("route", PROTECTED, ids=_ids)
def test_a_request_without_authorizer_claims_is_refused_by_the_function(api, aws, route):
    # Given a request that slipped past the authorizer (a misconfigured route): no claims at all
    request = _owners_request(api, aws, route)
    headers = {"content-type": "application/json"} if request.json is not None else {}
    headers.update(request.headers)
    body = json.dumps(request.json).encode() if request.json is not None else request.raw
    path, _, query = request.path.partition("?")
    found, parameters = api.match(request.method, path)
    assert found == route
    event = http_event(request.method, path, route.route_key, parameters, headers, query, body, claims=None)
    # When the function runs, Then it refuses to act for nobody
    assert int(api.invoke(route, event)["statusCode"]) == 401
