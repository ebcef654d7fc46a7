"""Tokens from other identity providers: the claim names are deployment parameters (JwtClaim*).

Requests go through the local server's token check (``LocalApi.handle``: signature, issuer,
audience, expiry, then the claims handed to the function as API Gateway hands them), with tokens
issued by ``local.tokens`` under the same claim names the functions are configured with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from local.template import load_template
from tests.integration.test_inline_documents import create_png
from tests.utils import bearer, call

PATIENT = 1172416
DOCS = f"/api/v2/patients/{PATIENT}/documents"
COGNITO = {  # custom attributes added by a pre-token-generation trigger (docs/going-live.md)
    "JWT_CLAIM_ACCOUNT": "custom:account_id",
    "JWT_CLAIM_ROLE": "custom:role",
    "JWT_CLAIM_PATIENT": "custom:patient_id",
}
NAMESPACED = {  # Auth0 and others namespace custom claims with a URL
    "JWT_CLAIM_ACCOUNT": "https://example.com/account_id",
    "JWT_CLAIM_ROLE": "https://example.com/role",
    "JWT_CLAIM_PATIENT": "https://example.com/patient_id",
    "JWT_CLAIM_USER_ID": "https://example.com/user_id",
    "JWT_CLAIM_NAME": "https://example.com/name",
}


@pytest.fixture
def claim_names(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, str]], None]]:
    """Deploy with other claim names: the functions read them, and local tokens carry them."""
    from patient_docs.settings import get_claim_names

    def use(names: dict[str, str]) -> None:
        for variable, name in names.items():
            monkeypatch.setenv(variable, name)
        get_claim_names.cache_clear()

    yield use
    get_claim_names.cache_clear()


@pytest.mark.parametrize("names", [COGNITO, NAMESPACED], ids=["cognito", "namespaced"])
def test_staff_and_patients_are_recognised_by_the_providers_claim_names(api, aws, claim_names, names):
    # Given a deployment told the provider's claim names, and a document staff of account 12 stored
    claim_names(names)
    created = create_png(api, name="scan.png")
    assert created.status == 201, created.body
    assert created.json["doc"]["upload_by"] == "Dr Local Staff"  # the name claim, under its configured name
    # When the patient, staff of the account and staff of another account list the patient's documents
    own = call(api, "GET", DOCS, caller={"role": "patient", "account": "12", "patient": PATIENT})
    staff = call(api, "GET", DOCS, caller={"role": "staff", "account": "12"})
    other = call(api, "GET", DOCS, caller={"role": "staff", "account": "13"})
    # Then the claims decide as before: the patient and the account's staff see it, other accounts do not
    assert own.status == staff.status == other.status == 200
    assert [d["id"] for d in own.json["docs"]] == [d["id"] for d in staff.json["docs"]] == [created.json["doc"]["id"]]
    assert other.json["docs"] == []


def test_a_token_whose_claims_carry_other_names_is_refused(api, aws, claim_names):
    # Given a token issued under today's claim names
    token = bearer(role="staff", account="12")
    # When the deployment expects the provider's names instead
    claim_names(COGNITO)
    reply = call(api, "GET", DOCS, headers=token)
    # Then the caller is not recognised: no account, no role
    assert reply.status == 401, reply.body


def test_a_patient_token_must_carry_the_patient_claim_under_its_configured_name(api, aws, claim_names):
    claim_names(COGNITO)
    token = bearer(role="patient", account="12", **{"patient_id": PATIENT})  # the old name, not custom:patient_id
    assert call(api, "GET", DOCS, headers=token).status == 401


def test_each_claim_name_is_a_template_parameter_passed_to_every_function():
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    defaults = {}
    for variable, parameter in {
        "JWT_CLAIM_ACCOUNT": "JwtClaimAccount",
        "JWT_CLAIM_ROLE": "JwtClaimRole",
        "JWT_CLAIM_PATIENT": "JwtClaimPatient",
        "JWT_CLAIM_USER_ID": "JwtClaimUserId",
        "JWT_CLAIM_NAME": "JwtClaimName",
    }.items():
        assert variables[variable] == {"Ref": parameter}
        defaults[variable] = template["Parameters"][parameter]["Default"]
    # Today's names are the defaults, so that existing tokens keep working
    assert defaults == {
        "JWT_CLAIM_ACCOUNT": "account_id",
        "JWT_CLAIM_ROLE": "role",
        "JWT_CLAIM_PATIENT": "patient_id",
        "JWT_CLAIM_USER_ID": "user_id",
        "JWT_CLAIM_NAME": "name",
    }
