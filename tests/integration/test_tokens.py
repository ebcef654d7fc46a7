"""Bad tokens are stopped at the authorizer (as API Gateway's JWT authorizer would) and write nothing."""

from __future__ import annotations

import base64
import json

import pytest

from tests.devserver import tokens
from tests.utils import b64, call, png_bytes

PATH = "/api/v2/patients/1172416/documents"
BODY = {
    "doc": {"document_name": "a.png", "data": b64(png_bytes()), "mime_type": "image/png", "record_type": "Behavioral"}
}


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


BAD_TOKENS = {
    "missing": None,
    "not a bearer": "Basic dXNlcjpwdw==",
    "garbage": "Bearer not.a.jwt",
    "expired": "Bearer " + tokens.issue(lifetime_seconds=-60),
    "wrong audience": "Bearer " + tokens.issue(audience="someone-else"),
    "wrong issuer": "Bearer " + tokens.issue(issuer="https://evil.example.com"),
    "alg none": "Bearer "
    + _unsigned(
        {
            "sub": "x",
            "role": "staff",
            "account_id": "12",
            "iss": tokens.ISSUER,
            "aud": tokens.AUDIENCE,
            "exp": 4102444800,
        }
    ),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_token_is_401_and_writes_nothing(api, aws, case):
    value = BAD_TOKENS[case]
    headers = {"authorization": value} if value else {}
    reply = call(api, "POST", PATH, BODY, headers=headers)
    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}
    assert aws.all_items() == [] and aws.all_objects() == []


def test_a_token_without_the_service_claims_is_refused_by_the_function(api, aws):
    token = tokens.issue(role="superuser")
    reply = call(api, "POST", PATH, BODY, headers={"authorization": f"Bearer {token}"})
    assert reply.status == 401 and reply.json["error"]["code"] == "unauthenticated"
    assert aws.all_items() == [] and aws.all_objects() == []
