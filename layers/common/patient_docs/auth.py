"""Who is calling: the JWT claims the API Gateway authorizer has already verified.

Every claim the service relies on is read here and nowhere else. Apart from ``sub``, their names
are deployment parameters (``JwtClaim*`` in template.yaml, ``settings.ClaimNames``), so that the JWT
authorizer can trust Cognito, Auth0 or Entra ID tokens as they come. HTTP API passes claims as
strings, so numbers arrive as ``"12"``.
"""

import hashlib
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from patient_docs.errors import Unauthenticated
from patient_docs.settings import get_claim_names

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

CLAIM_SUBJECT = "sub"

Role = Literal["staff", "admin", "patient"]
ROLE_STAFF: Role = "staff"
ROLE_PATIENT: Role = "patient"
ROLE_ADMIN: Role = "admin"  # staff with the right to change account settings and read the audit trail
ROLES: tuple[Role, ...] = (ROLE_STAFF, ROLE_ADMIN, ROLE_PATIENT)  # what each may do: patient_docs.permissions

MAX_JSON_INT = 2**53 - 1


class Caller(BaseModel):
    """Who is calling. What they may do is decided by ``patient_docs.permissions`` alone."""

    model_config = ConfigDict(frozen=True)

    subject: str
    name: str
    account_id: str
    role: Role
    patient_id: int | None = None
    user_id: int


def _as_int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_JSON_INT else None


def _stable_user_id(subject: str) -> int:
    """A JSON-safe integer for subjects that carry no numeric user id claim."""
    digest = hashlib.sha256(subject.encode()).digest()
    return int.from_bytes(digest[:8], "big") % MAX_JSON_INT + 1


def caller_from_claims(claims: dict[str, Any] | None) -> Caller:
    if not claims:
        raise Unauthenticated()
    names = get_claim_names()
    subject = str(claims.get(CLAIM_SUBJECT) or "")
    account = str(claims.get(names.account) or "")
    role = str(claims.get(names.role) or "")
    if not subject or not account or role not in ROLES:
        raise Unauthenticated("the token lacks the claims this service needs")
    patient_id = _as_int(claims.get(names.patient))
    if role == ROLE_PATIENT and patient_id is None:
        raise Unauthenticated("a patient token must name its patient")
    return Caller(
        subject=subject,
        name=str(claims.get(names.name) or subject),
        account_id=account,
        role=role,  # type: ignore[arg-type]
        patient_id=patient_id if role == ROLE_PATIENT else None,
        user_id=_as_int(claims.get(names.user_id)) or _stable_user_id(subject),
    )


def caller_from_event(event: "APIGatewayProxyEventV2") -> Caller:
    authorizer = event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    return caller_from_claims(claims)
