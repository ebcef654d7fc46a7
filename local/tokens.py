"""Local bearer tokens: RS256 JWTs signed with a key kept in ``.local/``.

The local server checks them the way the HTTP API JWT authorizer does: signature,
algorithm (RS256 only, never ``none``), issuer, audience, expiry and not-before.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.state import SIGNING_KEY, state_dir
from patient_docs.settings import get_claim_names

ISSUER = "https://auth.patient-docs.local"
AUDIENCE = "patient-docs-local"
ALGORITHM = "RS256"


def _key_dir() -> Path:
    return state_dir()


def public_key_pem() -> bytes:
    return _key_pair(_key_dir())[1]


@cache
def _key_pair(directory: Path) -> tuple[bytes, bytes]:
    """The signing key (made on first use) and its public half; loading a key costs ~30 ms."""
    path = directory / SIGNING_KEY
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(pem)
        temporary.chmod(0o600)
        # Linking fails when the key exists: of processes starting together (test workers, a
        # server), the first one's key is the key, and every other one reads it from disk below.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
        temporary.unlink()
    private_pem = path.read_bytes()
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


@cache
def _signing_key(directory: Path) -> Any:
    return serialization.load_pem_private_key(_key_pair(directory)[0], password=None)


@cache
def _verifying_key(directory: Path) -> Any:
    return serialization.load_pem_public_key(_key_pair(directory)[1])


def issue(
    role: str = "staff",
    account: str = "12",
    patient: int | None = None,
    name: str | None = None,
    user_id: int | None = None,
    lifetime_seconds: int = 12 * 3600,
    audience: str = AUDIENCE,
    issuer: str = ISSUER,
    **extra: Any,
) -> str:
    now = int(time.time())
    named = get_claim_names()  # the deployment's claim names (JWT_CLAIM_*), as the functions read them
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": extra.pop("sub", f"{role}-{account}-{patient or user_id or 'user'}"),
        "iat": now,
        "nbf": now - 5,
        "exp": now + lifetime_seconds,
        "jti": uuid.uuid4().hex,
        named.role: role,
        named.account: account,
        named.name: name or ("test patient" if role == "patient" else "Dr Local Staff"),
        named.user_id: user_id if user_id is not None else (patient if role == "patient" else 8821),
    }
    if patient is not None:
        claims[named.patient] = patient
    claims.update(extra)
    return jwt.encode(claims, _signing_key(_key_dir()), algorithm=ALGORITHM)


class InvalidToken(Exception):
    pass


def verify(authorization: str | None) -> dict[str, Any]:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise InvalidToken("missing bearer token")
    token = authorization.split(" ", 1)[1].strip()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _verifying_key(_key_dir()),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from exc
    return claims


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a bearer token the local server accepts.")
    parser.add_argument("--role", default="staff", choices=["staff", "patient", "admin"])
    parser.add_argument("--account", default="12")
    parser.add_argument("--patient", type=int, default=None)
    parser.add_argument("--name", default=None)
    parser.add_argument("--user-id", type=int, default=None)
    args = parser.parse_args()
    if args.role == "patient" and args.patient is None:
        parser.error("ROLE=patient needs PATIENT=<patient id>")
    token = issue(args.role, args.account, args.patient, args.name, args.user_id)
    print(f"# {args.role} token for account {args.account}" + (f", patient {args.patient}" if args.patient else ""))
    print(token)


if __name__ == "__main__":
    main()
