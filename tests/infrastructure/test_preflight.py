"""scripts/preflight.py decides from the account's answers (botocore Stubber: no network, no account)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from local.template import functions
from scripts import preflight

REGION = "eu-west-2"
NEW_ACCOUNT = {"ConcurrentExecutions": 10, "UnreservedConcurrentExecutions": 10}
RAISED_ACCOUNT = {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 1000}
TOLL_FREE_US = {
    "PhoneNumber": "+18005550100",
    "Status": "ACTIVE",
    "Iso2CountryCode": "US",
    "RouteType": "Transactional",
    "NumberCapabilities": ["SMS"],
}
CERTIFICATE = "arn:aws:acm:eu-west-2:123456789012:certificate/0f6a2b3c-1111-2222-3333-444455556666"


class Account:
    """Stubbed clients answering as one account would; every stubbed answer must be asked for."""

    def __init__(self) -> None:
        self.clients = preflight.Clients(
            *(boto3.client(name, region_name=REGION) for name in ("lambda", "service-quotas", "sns", "acm"))
        )
        self.stubs = {name: Stubber(getattr(self.clients, name)) for name in ("lambda_", "quotas", "sns", "acm")}

    def concurrency(self, limits: dict[str, int], default_quota: float = 1000.0) -> Account:
        self.stubs["lambda_"].add_response("get_account_settings", {"AccountLimit": limits})
        quota = {"ServiceCode": "lambda", "QuotaCode": "L-B99A9384", "Value": default_quota}
        self.stubs["quotas"].add_response("get_aws_default_service_quota", {"Quota": quota})
        return self

    def sms(self, sandbox: bool, limit: str, numbers: list[dict[str, Any]] | None = None) -> Account:
        self.stubs["sns"].add_response("get_sms_sandbox_account_status", {"IsInSandbox": sandbox})
        self.stubs["sns"].add_response("get_sms_attributes", {"attributes": {"MonthlySpendLimit": limit}})
        self.stubs["sns"].add_response("list_origination_numbers", {"PhoneNumbers": numbers or []})
        return self

    def certificate(self, status: str, domain: str) -> Account:
        answer = {"CertificateArn": CERTIFICATE, "DomainName": domain, "Status": status}
        self.stubs["acm"].add_response("describe_certificate", {"Certificate": answer}, {"CertificateArn": CERTIFICATE})
        return self


@pytest.fixture
def account() -> Iterator[Account]:
    stubbed = Account()
    with ExitStack() as stack:
        for stub in stubbed.stubs.values():
            stack.enter_context(stub)
        yield stubbed
        for stub in stubbed.stubs.values():
            stub.assert_no_pending_responses()


def _parameters(**overrides: str) -> dict[str, str]:
    return {**preflight.template_defaults(), "PublicBaseUrl": "https://docs.example.com", **overrides}


def _by_status(findings: list[preflight.Finding]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in findings:
        found.setdefault(finding.status, []).append(f"{finding.topic}: {finding.text}")
    return found


def test_a_new_account_is_told_what_it_lacks(account):
    # Given a new account: concurrency quota 10, in the SMS sandbox, 1 USD a month, no origination numbers
    account.concurrency(NEW_ACCOUNT).sms(sandbox=True, limit="1")
    # When the template's defaults are checked for patients in the UK and the US
    found = _by_status(preflight.run(account.clients, _parameters(), ["GB", "US"]))
    # Then nothing reserved fits; the sandbox and the US number are missing; the spend alarm can fire
    assert "concurrency: no reserved concurrency (FunctionConcurrency=0); quota 10" in found["ok"]
    assert "sms: spend alarm at 0.8 USD, below the 1.0 USD monthly limit" in found["ok"]
    assert [m.split(":", 2)[1].strip() for m in found["missing"]] == [
        "the account is in the SNS SMS sandbox",
        "US",
    ]
    assert any(w.startswith("concurrency: quota 10, below the default 1000") for w in found["warn"])
    assert any(w.startswith("sms: GB: sender ID PatientDocs") for w in found["warn"])


def test_reserving_more_than_the_account_leaves_unreserved_is_missing(account):
    # Given an account with 300 of its 1000 still unreserved (another stage reserves the rest)
    account.concurrency({"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 300}).sms(False, "10")
    # When every function reserves 10 (the register, notification send and webhook deliver functions their queues' 2)
    findings = preflight.run(account.clients, _parameters(FunctionConcurrency="10"), ["GB"])
    # Then 10 per function (the three queue consumers' 2 each) cannot be reserved with 100 kept back
    count = len(functions())
    (missing,) = [f for f in findings if f.status == "missing"]
    assert missing.topic == "concurrency"
    expected = (
        f"{count} functions reserve {10 * (count - 3) + 2 * 3}, but only 200 of the account's 1000 can be reserved"
    )
    assert missing.text.startswith(expected)


def test_reserving_within_a_raised_quota_passes(account):
    account.concurrency(RAISED_ACCOUNT).sms(False, "50", [TOLL_FREE_US])
    findings = preflight.run(
        account.clients, _parameters(FunctionConcurrency="10", SmsMonthlySpendAlarmUsd="40"), ["US"]
    )
    assert [f for f in findings if f.status == "missing"] == []
    assert "US: 1 active origination number(s) (Transactional)" in [f.text for f in findings]


def test_a_spend_alarm_above_the_spend_limit_can_never_fire(account):
    # Given the alarm at 50 USD, as issue 12 found it, on an account still at the 1 USD limit
    account.concurrency(RAISED_ACCOUNT).sms(False, "1")
    findings = preflight.run(account.clients, _parameters(SmsMonthlySpendAlarmUsd="50"), [])
    (missing,) = [f for f in findings if f.status == "missing"]
    assert missing.text.startswith("the spend alarm fires at 50.0 USD but SNS stops sending at the 1.0 USD")


@pytest.mark.parametrize(
    ("status", "domain", "base_url", "missing"),
    [
        ("ISSUED", "docs.example.com", "https://docs.example.com", []),
        ("ISSUED", "*.example.com", "https://docs.example.com", []),
        (
            "PENDING_VALIDATION",
            "docs.example.com",
            "https://docs.example.com",
            ["certificate for docs.example.com is PENDING_VALIDATION"],
        ),
        (
            "ISSUED",
            "other.example.org",
            "https://docs.example.com",
            ["the certificate does not cover docs.example.com"],
        ),
        (
            "ISSUED",
            "docs.example.com",
            "https://abc.execute-api.eu-west-2.amazonaws.com",
            ["PublicBaseUrl must be https://docs.example.com"],
        ),
    ],
)
def test_a_custom_domain_needs_an_issued_certificate_and_the_base_url(account, status, domain, base_url, missing):
    account.concurrency(RAISED_ACCOUNT).sms(False, "10").certificate(status, domain)
    parameters = _parameters(
        PublicDomainName="docs.example.com", PublicDomainCertificateArn=CERTIFICATE, PublicBaseUrl=base_url
    )
    found = [f.text for f in preflight.run(account.clients, parameters, []) if f.status == "missing"]
    assert [text.split(" (it is")[0] for text in found] == missing


def test_samconfig_parameters_and_region_are_read_per_environment(tmp_path):
    config = tmp_path / "samconfig.toml"
    config.write_text(
        "[prod.deploy.parameters]\n"
        'region = "eu-west-2"\n'
        'parameter_overrides = ["Stage=prod", "FunctionConcurrency=5"]\n'
    )
    assert preflight.samconfig_parameters("prod", config) == (
        {"Stage": "prod", "FunctionConcurrency": "5"},
        "eu-west-2",
    )
    assert preflight.samconfig_parameters("default", config) == ({}, None)


class _Session:
    """What main() asks of a boto3 session, answering with stubbed clients."""

    region_name = REGION

    def __init__(self, account: Account) -> None:
        self.account = account
        self.sts = boto3.client("sts", region_name=REGION)
        self.stub = Stubber(self.sts)
        self.stub.add_response(
            "get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/a"}
        )
        self.stub.activate()

    def get_credentials(self) -> object:
        return object()

    def client(self, name: str) -> Any:
        clients = self.account.clients
        return {"sts": self.sts, "lambda": clients.lambda_, "service-quotas": clients.quotas, "sns": clients.sns}.get(
            name, clients.acm
        )


def test_main_exits_1_and_points_to_the_guide_when_something_is_missing(account, capsys):
    account.concurrency(NEW_ACCOUNT).sms(sandbox=True, limit="1")
    assert preflight.main(["--countries", "GB"], session=_Session(account)) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "preflight: account 123456789012, region eu-west-2"
    assert out[-1] == "preflight: 1 missing (see docs/going-live.md)"


def test_main_without_credentials_says_so_in_one_line(monkeypatch, tmp_path, capsys):
    # Given no credentials anywhere boto3 looks (and no instance metadata to ask)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # When preflight runs, then it stops with one clear line, and no traceback
    assert preflight.main(["--region", REGION]) == 2
    assert capsys.readouterr().out.splitlines() == [
        "preflight: no AWS credentials (set AWS_PROFILE, or run `aws configure`); nothing was checked"
    ]
