"""``make audit-verify``: prove the access-audit trail intact, chain by chain.

Reads every event of the audit table (or of one account's chains) and walks each hash chain
(``patient_docs.rules.audit_chain.verify_chain``): an event whose hash does not match its
contents (altered), a gap or repeat in a chain's ``seq`` (removed), a ``prev_hash`` that is not
its predecessor's (removed or reordered), a TTL shorter than the retention, or missing oldest
events that cannot have aged out yet, are each reported. A chain whose oldest events aged out
(DynamoDB's TTL removed them after the retention period) is intact.

Run it with credentials that may read the table (``dynamodb:Scan``, and ``kms:Decrypt`` on the
data key): an auditor's or operator's, never a function's (no function may scan the trail).
Read-only. Exit status: 0 when every chain is intact, 1 when one is not, 2 when the table cannot
be read.

  python scripts/verify_audit.py --table <AuditTableName output> [--account 12] [--retention-days 2190]
  python scripts/verify_audit.py --local        # make run's embedded AWS, while it runs
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT)]

from patient_docs.adapters.audit_log import decode  # noqa: E402 - after the path above
from patient_docs.rules.audit_chain import MIN_RETENTION_DAYS, ChainReport, verify_chain  # noqa: E402


def stored_events(client: Any, table: str, account: str | None = None) -> Iterator[dict[str, Any]]:
    """Every event of ``table`` (of ``account``'s chains only, if given), as plain values."""
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    if account is not None:
        request["FilterExpression"] = "account_id = :account"
        request["ExpressionAttributeValues"] = {":account": {"S": account}}
    while True:
        response = client.scan(**request)
        yield from (decode(item) for item in response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def verify(
    client: Any,
    table: str,
    now: datetime | None = None,
    retention_days: int = MIN_RETENTION_DAYS,
    account: str | None = None,
) -> list[ChainReport]:
    """A report per chain of the table (or of one account), in chain order."""
    chains: dict[str, list[dict[str, Any]]] = {}
    for event in stored_events(client, table, account):
        chains.setdefault(str(event["chain"]), []).append(event)
    moment = now or datetime.now(UTC)
    return [verify_chain(chain, events, moment, retention_days) for chain, events in sorted(chains.items())]


def _local_target() -> tuple[str, str]:
    """make run's embedded AWS and its audit table, while the server runs."""
    from local import state
    from local.local_aws import local_name

    running = state.read_server_file(state.state_dir())
    if running is None:
        raise SystemExit("make run is not running: start it, or name a --table")
    return str(running["aws_endpoint"]), local_name("AuditTable")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--table", help="the audit table (the stack's AuditTableName output)")
    parser.add_argument("--local", action="store_true", help="make run's embedded AWS")
    parser.add_argument("--account", help="only this account's chains")
    parser.add_argument("--retention-days", type=int, default=MIN_RETENTION_DAYS, help="AuditRetentionDays")
    parser.add_argument("--endpoint-url", help="a DynamoDB endpoint other than AWS's")
    parser.add_argument("--region", help="the table's region (else the AWS configuration's)")
    args = parser.parse_args(argv)
    endpoint, table = args.endpoint_url, args.table
    if args.local:
        endpoint, table = _local_target()
    if not table:
        parser.error("name the audit table (--table) or use --local")

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=args.region)
    try:
        reports = verify(client, table, retention_days=args.retention_days, account=args.account)
    except (BotoCoreError, ClientError) as exc:
        print(f"cannot read {table}: {exc}", file=sys.stderr)
        return 2
    broken = [report for report in reports if not report.intact]
    for report in broken:
        for problem in report.problems:
            print(f"BROKEN  {report.chain}  {problem}")
    events = sum(report.events for report in reports)
    print(f"{len(reports)} chains, {events} events: " + (f"{len(broken)} broken" if broken else "all intact"))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
