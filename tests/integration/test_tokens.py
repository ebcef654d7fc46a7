"""Bad tokens are stopped at the authorizer (as API Gateway's JWT authorizer would) and write nothing."""

from __future__ import annotations

import base64
import json

import pytest

from local import tokens
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
    # Given a valid door A create carrying a bad (or no) token
    value = BAD_TOKENS[case]
    headers = {"authorization": value} if value else {}
    # When it is sent
    reply = call(api, "POST", PATH, BODY, headers=headers)
    # Then the authorizer's 401 answers it, and nothing is written
    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}
    assert aws.all_items() == [] and aws.all_objects() == []


def test_a_token_without_the_service_claims_is_refused_by_the_function(api, aws):
    token = tokens.issue(role="superuser")
    reply = call(api, "POST", PATH, BODY, headers={"authorization": f"Bearer {token}"})
    assert reply.status == 401 and reply.json["error"]["code"] == "unauthenticated"
    assert aws.all_items() == [] and aws.all_objects() == []


def _public_key_in_a_fresh_process(directory: str) -> bytes:
    import os

    os.environ["PATIENT_DOCS_LOCAL_DIR"] = directory
    from local import tokens as fresh

    return fresh.public_key_pem()


def test_processes_that_make_the_key_at_once_all_end_up_with_the_one_on_disk(tmp_path):
    # Test workers and the local server may all make the signing key on a fresh machine; a process
    # that kept its own key while another's landed on disk signed tokens the server refused (401).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Given four fresh processes that each make the signing key in one empty folder at once
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        keys = list(pool.map(_public_key_in_a_fresh_process, [str(tmp_path)] * 4))
    from cryptography.hazmat.primitives import serialization

    # Then each uses the one key on disk, and no temporary file is left
    on_disk = serialization.load_pem_private_key((tmp_path / "jwt-signing-key.pem").read_bytes(), password=None)
    expected = on_disk.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert keys == [expected] * 4
    assert [p.name for p in tmp_path.iterdir()] == ["jwt-signing-key.pem"]  # no temporary file left
