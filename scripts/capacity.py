"""Write bench/capacity.md: per route, the AWS calls, read and write units, keys, ceilings and cost.

The routes, their throttles and the stated load come from template.yaml (parameter defaults); each
function's access pattern is declared below, read from its adapters (``layers/common/patient_docs/
adapters``), one entry per function of the template (tests/infrastructure/test_capacity.py holds the
two together and checks that the committed bench/capacity.md is what this script writes).

    .venv/bin/python -m scripts.capacity          # rewrite bench/capacity.md
    .venv/bin/python -m scripts.capacity --check  # exit 1 when it is not current
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.template import functions, http_routes, load_template

OUTPUT = Path(__file__).resolve().parents[1] / "bench" / "capacity.md"

# The stated load (docs/capacity.md).
STATED_API_RATE = 2500  # requests/s over the API, all accounts
STATED_INLINE_RATE = 250  # of which carry a file through Lambda
STATED_PATIENT_PAGE_RATE = 25  # on the busiest /r/ route
# DynamoDB serves at most this many units a second per partition key (its documented per-partition limits).
PARTITION_WRITE_UNITS = 1000
PARTITION_READ_UNITS = 3000

# List prices, us-east-1, as published on the AWS pricing pages on 2026-12-01 (USD).
PRICES_AS_OF = "2026-12-01"
HTTP_API_PER_MILLION = 1.00  # first 300 million requests a month
LAMBDA_REQUESTS_PER_MILLION = 0.20
LAMBDA_ARM_GB_SECOND = 0.0000133334
DYNAMODB_WRITE_UNITS_PER_MILLION = 0.625  # on-demand write request units
DYNAMODB_READ_UNITS_PER_MILLION = 0.125  # on-demand read request units
S3_PUT_PER_THOUSAND = 0.005
S3_GET_PER_THOUSAND = 0.0004
SQS_PER_MILLION = 0.40  # standard queue requests (a message of 64 KB at most is one)
# What one invocation is assumed to take: the template's memory, a warm duration.
MEMORY_GB = 1.0
ASSUMED_DURATION_S = 0.1


@dataclass(frozen=True)
class Access:
    """What one request does at AWS (items of 1 KB at most written, 4 KB read)."""

    calls: str
    read_units: float
    write_units: float  # a transaction's item costs 2
    s3_puts: int = 0
    s3_gets: int = 0
    sqs_sends: int = 0  # SendMessage or SendMessageBatch calls (a batch is one request up to 64 KB)
    # The hottest key an account's (or a patient's) requests all write or read, and its units per request.
    account_key: tuple[str, float] | None = None
    patient_key: tuple[str, float] | None = None


# Every audited action: the chain's tail (a Query of 1 item) and its event, in the action's transaction.
_AUDIT = "Query audit tail; "
_CHAIN = ("audit chain `<account>#P#<patient>`", 2.0)
_ACCOUNT_CHAIN = ("audit chain of the account", 2.0)
# A create or delete changes three items of the patient's count partition: its total, its day's, its hour's.
_COUNTS = ("`DOCCOUNT#<account>#<patient>` (total, day, hour)", 6.0)
# Every new document is announced to the account's webhooks (the deliver function fans it out).
_ANNOUNCED = "SQS SendMessage (webhooks: document.created)"

PATTERNS: dict[str, Access] = {
    "InlineDocumentsCreateFunction": Access(
        _AUDIT
        + "S3 PutObject; GetItem scan entry; TransactWriteItems(document, object claim, 3 counts, scan link, event); "
        + _ANNOUNCED,
        2,
        14,
        s3_puts=1,
        sqs_sends=1,
        patient_key=_COUNTS,
    ),
    "InlineDocumentsListFunction": Access(_AUDIT + "Query GSI1 (page + 1); PutItem event", 2, 1, patient_key=_CHAIN),
    "InlineDocumentsGetFunction": Access(
        _AUDIT + "GetItem document; PutItem event; presign", 1.5, 1, patient_key=_CHAIN
    ),
    "InlineDocumentsDeleteFunction": Access(
        _AUDIT + "GetItem document; S3 DeleteObject; TransactWriteItems(document, claim, 3 counts, scan entry, event)",
        1.5,
        14,
        patient_key=_COUNTS,
    ),
    "FileUploadUnsignedFunction": Access("S3 PutObject", 0, 0, s3_puts=1),
    "FileUploadPresignedFunction": Access("presigned POST (no call)", 0, 0),
    "PatientDocumentSaveFunction": Access(
        _AUDIT
        + "S3 GetObject (first bytes); GetItem scan entry; TransactWriteItems(document, claim, 3 counts, link, event); "
        + _ANNOUNCED,
        2,
        14,
        s3_gets=1,
        sqs_sends=1,
        patient_key=_COUNTS,
    ),
    "PatientDocumentListFunction": Access(
        _AUDIT + "Query GSI1 range (page + 1); GetItem count, or for start/end a Query of the range's day counts, "
        "at most 2 of hour counts and a COUNT of its 2 partial hours (about 2 units more); PutItem event",
        2.5,
        1,
        patient_key=_CHAIN,
    ),
    "PatientDocumentUpdateFunction": Access(
        _AUDIT + "TransactWriteItems(document, event); GetItem document", 2, 4, patient_key=_CHAIN
    ),
    "FhirMetadataFunction": Access("none", 0, 0),
    "FhirDocumentReferenceSearchFunction": Access(
        _AUDIT + "Query GSI1 date range (page + 1; with category or type, the range, at most 2,000); GetItem "
        "count, or for a date range the day and hour counts and a COUNT of its 2 partial hours; PutItem event",
        2,
        1,
        patient_key=_CHAIN,
    ),
    "FhirDocumentReferenceReadFunction": Access(_AUDIT + "GetItem document; PutItem event", 1.5, 1, patient_key=_CHAIN),
    "FhirDocumentReferenceCreateFunction": Access(
        _AUDIT
        + "S3 PutObject; TransactWriteItems(document, claim, 3 counts, link, event); GetItem scan entry; "
        + _ANNOUNCED,
        2,
        14,
        s3_puts=1,
        sqs_sends=1,
        patient_key=_COUNTS,
    ),
    "FhirBinaryReadFunction": Access(
        _AUDIT + "GetItem document; S3 GetObject (small files); PutItem event", 1.5, 1, s3_gets=1, patient_key=_CHAIN
    ),
    "FileRequestsCreateFunction": Access(
        _AUDIT + "BatchGetItem(staff, patient, settings); TransactWriteItems(request, link, patient, staff, "
        "SMS count, event); Scheduler CreateSchedule (reminder); SQS SendMessage (notice)",
        4,
        16,
        sqs_sends=1,
        account_key=("`ACCOUNT#<account>` / `SMS#<day>`", 2.0),
        patient_key=_CHAIN,
    ),
    "FileRequestsGetFunction": Access(
        _AUDIT + "Query request and files; BatchGetItem documents; TransactWriteItems(events)", 4, 2, patient_key=_CHAIN
    ),
    "FileRequestsListFunction": Access(
        _AUDIT + "Query GSI1 (account) or GSI2 + BatchGetItem (patient); PutItem event",
        22,
        1,
        account_key=_ACCOUNT_CHAIN,
    ),
    "FileRequestsCancelFunction": Access(
        _AUDIT + "Query request; TransactWriteItems(request, event)", 2, 4, patient_key=_CHAIN
    ),
    "FileRequestsResendFunction": Access(
        _AUDIT + "Query request; BatchGetItem(patient, settings); TransactWriteItems(request, SMS count, event); "
        "SQS SendMessage (notice)",
        4,
        7,
        sqs_sends=1,
        account_key=("`ACCOUNT#<account>` / `SMS#<day>`", 2.0),
        patient_key=_CHAIN,
    ),
    "PatientDevicesRegisterFunction": Access("GetItem patient; SNS CreatePlatformEndpoint; UpdateItem patient", 1, 1),
    "AccountSettingsGetFunction": Access("GetItem settings", 0.5, 0),
    "AccountSettingsPutFunction": Access(
        _AUDIT + "TransactWriteItems(settings, event)", 1, 4, account_key=_ACCOUNT_CHAIN
    ),
    "AuditEventsListFunction": Access(
        _AUDIT + "Query ByAccount (page + 1); PutItem event", 12, 1, account_key=_ACCOUNT_CHAIN
    ),
    "AccessLogGetFunction": Access(_AUDIT + "Query chain (page + 1); PutItem event", 12, 1, patient_key=_CHAIN),
    "PatientPageOpenFunction": Access(_AUDIT + "GetItem link; UpdateItem request (opened)", 2, 3, patient_key=_CHAIN),
    "PatientPageVerifyFunction": Access(
        _AUDIT + "GetItem link; TransactWriteItems(request, session, event)", 2, 6, patient_key=_CHAIN
    ),
    "PatientPageUploadFunction": Access(
        _AUDIT + "BatchGetItem(session, link); TransactWriteItems(request slot, event); presigned POST",
        3,
        4,
        patient_key=_CHAIN,
    ),
    "UploadedFileRegisterFunction": Access(
        _AUDIT + "S3 GetObject (first bytes); Query request; TransactWriteItems(file, document, 3 counts, link, "
        "event); GetItem scan entry; EventBridge PutEvents; SQS SendMessageBatch (webhooks: file_request.responded and "
        "document.created)",
        3,
        14,
        s3_gets=1,
        sqs_sends=1,
        patient_key=_COUNTS,
    ),
    "NotificationSendFunction": Access(
        "Query request; UpdateItem claim; BatchGetItem(patient, settings); GetItem patient; "
        "SNS CheckIfPhoneNumberIsOptedOut, Publish (or SES SendEmail); UpdateItem outcome",
        4,
        2,
    ),
    "EmailFeedbackRecordFunction": Access("UpdateItem request (bounce or complaint)", 0, 1),
    "WebhooksCreateFunction": Access(
        _AUDIT + "Query endpoints; TransactWriteItems(endpoint, its slot, event)", 1, 6, account_key=_ACCOUNT_CHAIN
    ),
    "WebhooksListFunction": Access("Query endpoints", 1, 0),
    "WebhooksDeleteFunction": Access(
        _AUDIT + "GetItem endpoint; TransactWriteItems(delete, its slot, event)", 1, 6, account_key=_ACCOUNT_CHAIN
    ),
    "WebhooksRotateSecretFunction": Access(
        _AUDIT + "GetItem endpoint; TransactWriteItems(secret, event)", 1, 4, account_key=_ACCOUNT_CHAIN
    ),
    "WebhookDeliveriesListFunction": Access("Query deliveries (a page; more with filters)", 10, 0),
    "WebhookDeliveriesRedeliverFunction": Access(
        _AUDIT + "GetItem delivery; TransactWriteItems(reopen, event); SQS SendMessage",
        1,
        4,
        sqs_sends=1,
        account_key=_ACCOUNT_CHAIN,
    ),
    "WebhookDeliverFunction": Access(
        "event: Query endpoints, (a once-only event: UpdateItem its first fan-out time), PutItem + SQS SendMessage "
        "per delivery; delivery: UpdateItem claim, "
        "GetItem endpoint, HTTPS POST, UpdateItem outcome",
        2,
        4,
        sqs_sends=1,
    ),
    "ScanResultRecordFunction": Access(
        _AUDIT + "UpdateItem scan entry; Query; TransactWriteItems(document, event)", 3, 5, patient_key=_CHAIN
    ),
    "ImageProcessFunction": Access(
        _AUDIT
        + "GetItem scan entry; S3 GetObject, 3 PutObject (renditions), tags; UpdateItem scan entry; "
        + "TransactWriteItems(document, event)",
        2,
        5,
        s3_puts=4,
        s3_gets=2,
        patient_key=_CHAIN,
    ),
}


def _default(template: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and "Ref" in value:
        return template["Parameters"][value["Ref"]]["Default"]
    return value


def route_throttles(template: dict[str, Any]) -> dict[str, int]:
    """Route key -> the requests/s its throttle allows with the parameters' defaults."""
    (api,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi"]
    properties = api["Properties"]
    default = int(_default(template, properties["DefaultRouteSettings"]["ThrottlingRateLimit"]))
    per_route = {
        key: int(_default(template, settings["ThrottlingRateLimit"]))
        for key, settings in properties.get("RouteSettings", {}).items()
    }
    return {route.route_key: per_route.get(route.route_key, default) for route in http_routes(template)}


def _stated(route_key: str, inline_routes: set[str]) -> int:
    if " /r/" in route_key:
        return STATED_PATIENT_PAGE_RATE
    return STATED_INLINE_RATE if route_key in inline_routes else STATED_API_RATE


def cost_per_million(access: Access) -> float:
    lambda_cost = LAMBDA_REQUESTS_PER_MILLION + 1_000_000 * MEMORY_GB * ASSUMED_DURATION_S * LAMBDA_ARM_GB_SECOND
    dynamodb = (
        access.read_units * DYNAMODB_READ_UNITS_PER_MILLION + access.write_units * DYNAMODB_WRITE_UNITS_PER_MILLION
    )
    s3 = 1000 * (access.s3_puts * S3_PUT_PER_THOUSAND + access.s3_gets * S3_GET_PER_THOUSAND)
    return HTTP_API_PER_MILLION + lambda_cost + dynamodb + s3 + access.sqs_sends * SQS_PER_MILLION


def _ceiling(key: tuple[str, float] | None) -> str:
    if key is None:
        return "none of its own"
    name, units = key
    return f"{math.floor(PARTITION_WRITE_UNITS / units):,}/s ({name})"


def render(template: dict[str, Any] | None = None) -> str:
    template = template or load_template()
    throttles = route_throttles(template)
    routes = {route.function: route.route_key for route in http_routes(template)}
    inline_routes = {
        key
        for key, settings in template["Resources"]["HttpApi"]["Properties"].get("RouteSettings", {}).items()
        if settings["ThrottlingRateLimit"] == {"Ref": "InlineUploadRateLimit"}
    }
    lines = [
        "# Capacity on paper",
        "",
        "Written by `scripts/capacity.py` from `template.yaml` (routes, throttle parameter defaults) and the",
        "access pattern it declares per function (read from the adapters); `tests/infrastructure/test_capacity.py`",
        "fails when this file is not what the script writes. The stated load and what each limit is sized for:",
        "[docs/capacity.md](../docs/capacity.md).",
        "",
        "Units per request: DynamoDB read and write request units (items of 1 KB written, 4 KB read; a",
        "transaction's item counts twice). Ceilings: the deployment's, from the route's throttle (parameter",
        "defaults); an account's or a patient's, from the hottest key their requests share",
        f"({PARTITION_WRITE_UNITS:,} write units a second per partition key). Cost per million requests: HTTP API,",
        f"Lambda (arm64, {MEMORY_GB:g} GB, {ASSUMED_DURATION_S * 1000:.0f} ms assumed), DynamoDB on demand, S3 and",
        f"SQS requests, at us-east-1 list prices of {PRICES_AS_OF}; SMS (country-dependent), KMS (DynamoDB and SQS",
        "cache their data keys), the queue consumers' own invocations and data transfer are not included.",
        "",
        "| route | AWS calls | RRU | WRU | deployment ceiling (stated load) | per account | per patient | USD/1M |",
        "|---|---|---|---|---|---|---|---|",
    ]
    below: list[str] = []
    for function in functions(template):
        access = PATTERNS[function.logical_id]
        route = routes.get(function.logical_id)
        if route is None:
            deployment = "queue / event consumer"
        else:
            stated = _stated(route, inline_routes)
            deployment = f"{throttles[route]:,}/s ({stated:,}/s)"
            if throttles[route] < stated:
                below.append(route)
        lines.append(
            f"| `{route or function.logical_id}` | {access.calls} | {access.read_units:g} | {access.write_units:g} "
            f"| {deployment} | {_ceiling(access.account_key)} | {_ceiling(access.patient_key)} "
            f"| {cost_per_million(access):.2f} |"
        )
    lines += [
        "",
        "Routes whose deployment ceiling is below the stated load: " + (", ".join(below) if below else "none") + ".",
        "",
        "A patient's audit chain is also appended one event at a time (its tail read, then a conditional write),",
        "so a patient's audited actions are bounded by the round trip of those two calls (some 50-100/s) before",
        "the partition's units; accounts and patients share no key, so these ceilings hold for each of them at once.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when bench/capacity.md is not current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print("bench/capacity.md is not current: run .venv/bin/python -m scripts.capacity", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(OUTPUT.parents[1])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
