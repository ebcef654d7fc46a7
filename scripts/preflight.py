"""``make preflight``: read-only checks of the AWS account a deployment will land in.

What ``template.yaml`` needs from the account, and cannot create itself, checked with read-only
calls (``docs/going-live.md`` has the steps behind each line):

- Lambda concurrency: the account quota (``lambda:GetAccountSettings``, Service Quotas) against
  what the template reserves with the deployment's parameters, keeping the 100 Lambda requires
  unreserved; the upload queue's MaximumConcurrency within the quota.
- SMS: the SNS sandbox (``sns:GetSMSSandboxAccountStatus``), the monthly spend limit
  (``sns:GetSMSAttributes``) against the spend alarm's threshold, and an origination identity for
  each country patients are texted in (``sns:ListOriginationNumbers``): a registered toll-free or
  10DLC number for the US and Canada, which ignore sender IDs.
- The patient page's domain, when one is configured: its ACM certificate issued, in the region.

Parameters are the template's defaults, then ``samconfig.toml``'s ``parameter_overrides`` for
``--config-env``, then ``--parameter Name=Value``. Nothing is changed in the account. Exit status:
0 when nothing is missing, 1 when something is, 2 when the account cannot be asked at all.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
UNRESERVED_MINIMUM = 100  # Lambda refuses reservations that leave less than this unreserved
LAMBDA_CONCURRENCY_QUOTA = ("lambda", "L-B99A9384")  # Service Quotas: "Concurrent executions"
# Countries that ignore alphanumeric sender IDs: SMS there needs a registered origination number.
NUMBER_ONLY_COUNTRIES = {"US": "a registered toll-free number or 10DLC campaign", "CA": "a registered long code"}


@dataclass(frozen=True)
class Finding:
    status: Literal["ok", "missing", "warn"]
    topic: str
    text: str

    def __str__(self) -> str:
        return f"{self.status.upper():8}{self.topic:13}{self.text}"


@dataclass
class Clients:
    lambda_: Any
    quotas: Any
    sns: Any
    acm: Any


# ------------------------------------------------------------------ parameters
def template_defaults() -> dict[str, str]:
    from local.template import load_template

    parameters = load_template()["Parameters"]
    return {name: str(p["Default"]) for name, p in parameters.items() if "Default" in p}


def samconfig_parameters(config_env: str, path: Path = ROOT / "samconfig.toml") -> tuple[dict[str, str], str | None]:
    """(parameter overrides, region) of one samconfig environment's deploy command."""
    if not path.exists():
        return {}, None
    deploy = tomllib.loads(path.read_text()).get(config_env, {}).get("deploy", {}).get("parameters", {})
    overrides = deploy.get("parameter_overrides", [])
    pairs = overrides if isinstance(overrides, list) else shlex.split(overrides)
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair), deploy.get("region")


def reserved_by_template(parameters: dict[str, str]) -> dict[str, int]:
    from local.deployed import deployed_template, reserved_concurrency

    return reserved_concurrency(deployed_template(), parameters)


# ------------------------------------------------------------------ checks
def check_concurrency(clients: Clients, parameters: dict[str, str], reserved: dict[str, int]) -> list[Finding]:
    settings = clients.lambda_.get_account_settings()["AccountLimit"]
    limit = int(settings["ConcurrentExecutions"])
    unreserved = int(settings["UnreservedConcurrentExecutions"])
    findings = [_quota_finding(clients, limit)]
    needed = sum(reserved.values())
    if needed == 0:
        findings.append(Finding("ok", "concurrency", f"no reserved concurrency (FunctionConcurrency=0); quota {limit}"))
    elif needed + UNRESERVED_MINIMUM <= unreserved:
        text = (
            f"{len(reserved)} functions reserve {needed}; {unreserved} unreserved now, {UNRESERVED_MINIMUM} must stay"
        )
        findings.append(Finding("ok", "concurrency", text))
    else:
        text = (
            f"{len(reserved)} functions reserve {needed}, but only {unreserved - UNRESERVED_MINIMUM} of the account's "
            f"{limit} can be reserved (100 stay unreserved): lower FunctionConcurrency (0 reserves none) or ask "
            "for a higher quota (if this stack is deployed already, its own reservations count as used here)"
        )
        findings.append(Finding("missing", "concurrency", text))
    for parameter in ("UploadConsumerConcurrency", "NotificationConsumerConcurrency", "WebhookConsumerConcurrency"):
        consumers = int(parameters.get(parameter, "2"))
        if consumers > limit:
            text = f"{parameter} {consumers} is above the account's concurrency quota {limit}"
            findings.append(Finding("missing", "concurrency", text))
    return findings


def _quota_finding(clients: Clients, limit: int) -> Finding:
    service, code = LAMBDA_CONCURRENCY_QUOTA
    try:
        default = clients.quotas.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"]
    except Exception as exc:  # Service Quotas may be denied to a narrow role: the Lambda figure still stands
        return Finding("warn", "concurrency", f"quota {limit} (Service Quotas not readable: {type(exc).__name__})")
    if limit < default:
        text = f"quota {limit}, below the default {int(default)}: new accounts start low; ask for an increase"
        return Finding("warn", "concurrency", text)
    return Finding("ok", "concurrency", f"quota {limit} concurrent executions")


def check_sms(clients: Clients, parameters: dict[str, str], countries: Sequence[str]) -> list[Finding]:
    findings = []
    if clients.sns.get_sms_sandbox_account_status()["IsInSandbox"]:
        text = "the account is in the SNS SMS sandbox: only verified numbers receive SMS; request to leave it"
        findings.append(Finding("missing", "sms", text))
    else:
        findings.append(Finding("ok", "sms", "out of the SNS SMS sandbox"))
    attributes = clients.sns.get_sms_attributes(attributes=["MonthlySpendLimit"]).get("attributes", {})
    limit = float(attributes.get("MonthlySpendLimit") or 1)
    threshold = float(parameters.get("SmsMonthlySpendAlarmUsd", "0.8"))
    if threshold >= limit:
        text = (
            f"the spend alarm fires at {threshold} USD but SNS stops sending at the {limit} USD monthly limit: "
            "set SmsMonthlySpendAlarmUsd below it"
        )
        findings.append(Finding("missing", "sms", text))
    else:
        findings.append(Finding("ok", "sms", f"spend alarm at {threshold} USD, below the {limit} USD monthly limit"))
    numbers = _origination_numbers(clients.sns)
    for country in countries:
        findings.append(_country_finding(country.upper(), numbers, parameters))
    return findings


def _origination_numbers(sns: Any) -> list[dict[str, Any]]:
    numbers: list[dict[str, Any]] = []
    request: dict[str, Any] = {}
    while True:
        page = sns.list_origination_numbers(**request)
        numbers.extend(page.get("PhoneNumbers", []))
        if not page.get("NextToken"):
            return numbers
        request = {"NextToken": page["NextToken"]}


def _country_finding(country: str, numbers: list[dict[str, Any]], parameters: dict[str, str]) -> Finding:
    usable = [
        n
        for n in numbers
        if n.get("Iso2CountryCode") == country
        and n.get("Status") == "ACTIVE"
        and "SMS" in n.get("NumberCapabilities", [])
    ]
    if usable:
        routes = ", ".join(sorted({str(n.get("RouteType", "?")) for n in usable}))
        return Finding("ok", "sms", f"{country}: {len(usable)} active origination number(s) ({routes})")
    if country in NUMBER_ONLY_COUNTRIES:
        text = f"{country}: ignores sender IDs; SMS needs {NUMBER_ONLY_COUNTRIES[country]}, and the account has none"
        return Finding("missing", "sms", text)
    sender = parameters.get("DefaultSmsSenderId", "PatientDocs")
    text = f"{country}: sender ID {sender} (check the SNS country table: some countries require it registered)"
    return Finding("warn", "sms", text)


def check_domain(clients: Clients, parameters: dict[str, str]) -> list[Finding]:
    domain = parameters.get("PublicDomainName", "")
    base = parameters.get("PublicBaseUrl", "")
    if not domain:
        return [Finding("ok", "domain", f"no custom domain; SMS links use PublicBaseUrl {base or '(unset)'}")]
    arn = parameters.get("PublicDomainCertificateArn", "")
    if not arn:
        return [Finding("missing", "domain", f"{domain} needs PublicDomainCertificateArn (ACM, this region)")]
    certificate = clients.acm.describe_certificate(CertificateArn=arn)["Certificate"]
    names = {certificate.get("DomainName"), *certificate.get("SubjectAlternativeNames", [])}
    covered = domain in names or any(n and n.startswith("*.") and domain.split(".", 1)[-1] == n[2:] for n in names)
    findings = []
    if certificate.get("Status") != "ISSUED":
        findings.append(Finding("missing", "domain", f"certificate for {domain} is {certificate.get('Status')}"))
    elif not covered:
        findings.append(Finding("missing", "domain", f"the certificate does not cover {domain}"))
    else:
        findings.append(Finding("ok", "domain", f"certificate for {domain} issued"))
    if base != f"https://{domain}":
        findings.append(Finding("missing", "domain", f"PublicBaseUrl must be https://{domain} (it is {base})"))
    return findings


def run(clients: Clients, parameters: dict[str, str], countries: Sequence[str]) -> list[Finding]:
    reserved = reserved_by_template(parameters)
    return [
        *check_concurrency(clients, parameters, reserved),
        *check_sms(clients, parameters, countries),
        *check_domain(clients, parameters),
        Finding("warn", "by hand", "not checkable read-only: sender ID and 10DLC registration status, DNS"),
    ]


# ------------------------------------------------------------------ command line
def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Read-only checks of the AWS account patient-docs deploys to.")
    parser.add_argument("--config-env", default="default", help="samconfig.toml environment (default, prod)")
    parser.add_argument("--region", help="AWS region (default: samconfig's, then the AWS configuration)")
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--countries", default="GB", help="ISO country codes patients are texted in: GB,US")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    args = _arguments(argv)
    overrides, samconfig_region = samconfig_parameters(args.config_env)
    parameters = {**template_defaults(), **overrides}
    parameters.update(dict(p.split("=", 1) for p in args.parameter if "=" in p))
    session = session or boto3.session.Session(region_name=args.region or samconfig_region)
    if session.get_credentials() is None:
        print("preflight: no AWS credentials (set AWS_PROFILE, or run `aws configure`); nothing was checked")
        return 2
    try:
        identity = session.client("sts").get_caller_identity()
        clients = Clients(
            session.client("lambda"), session.client("service-quotas"), session.client("sns"), session.client("acm")
        )
        print(f"preflight: account {identity['Account']}, region {session.region_name}", flush=True)
        findings = run(clients, parameters, [c for c in args.countries.split(",") if c])
    except NoCredentialsError:
        print("preflight: no AWS credentials (set AWS_PROFILE, or run `aws configure`); nothing was checked")
        return 2
    except NoRegionError:
        print("preflight: no AWS region (pass --region, or set AWS_REGION); nothing was checked")
        return 2
    except (ClientError, BotoCoreError) as exc:
        print(f"preflight: the account could not be asked ({exc}); nothing more was checked")
        return 2
    for finding in findings:
        print(finding)
    missing = [f for f in findings if f.status == "missing"]
    print(f"preflight: {len(missing)} missing" + (" (see docs/going-live.md)" if missing else ", ready to deploy"))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
