"""A photo's scan result that arrives while its register step's transaction runs, on ``make run``'s embedded AWS.

Seen locally: a patient page photo with ``file.registered`` and ``file.image_processed`` but no
``file.scanned``, left ``pending``, and ScanResultRecordFunction logging ``applied: false``. The code's
order is sound on DynamoDB (whichever of the register step and the result comes second applies the
result: tests/integration/test_file_safety.py). The embedded AWS was not: moto undoes a cancelled
transaction by restoring the tables as they were when it began, and its threaded server ran the
result's write meanwhile, so a register step that retried on a busy audit chain undid the kept
result. This test makes that interleaving happen on purpose, through the real handlers, against
``local.local_aws.LocalAws`` (which now serves one DynamoDB call at a time).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from local.local_aws import LocalAws
from local.server import LocalApi
from tests import scanning
from tests.conftest import BASE_URL, NAMES, ORIGINS, PARAMETERS, _reset_cached_clients
from tests.integration import page_helpers
from tests.utils import STAFF_12, call, png_bytes

# How long the register step's transaction waits for the result's write to land inside it. Before the
# fix it lands in milliseconds; with one call at a time it cannot, and the transaction goes on after this.
RESULT_WAIT_SECONDS = 1.0


@dataclass
class Embedded:
    local: LocalAws
    bucket: str

    def client(self, service: str) -> Any:
        return self.local.client(service)


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Embedded]:
    """``make run``'s embedded AWS, in this process, with the functions' variables pointing at it."""
    for name in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCOUNT_ID_ENDPOINT_MODE"):
        monkeypatch.delenv(name, raising=False)
    local = LocalAws()
    saved = dict(os.environ)
    try:
        local.configure_environment(PARAMETERS)
        local.provision(ORIGINS)
        _reset_cached_clients()
        yield Embedded(local, NAMES["DocumentsBucket"])
    finally:
        # moto's backends are this process's: leave nothing for the next test's embedded AWS
        requests.post(f"{local.endpoint_url}/moto-api/reset", timeout=30)
        local.stop()
        os.environ.clear()
        os.environ.update(saved)
        _reset_cached_clients()


def _audit_actions(embedded: Embedded, document_id: int) -> list[str]:
    items = embedded.client("dynamodb").scan(TableName=NAMES["AuditTable"])["Items"]
    mine = [item for item in items if item.get("document_id", {}).get("N") == str(document_id)]
    return [item["action"]["S"] for item in sorted(mine, key=lambda item: int(item["seq"]["N"]))]


def test_a_scan_result_kept_while_the_register_step_retries_its_transaction_is_applied(embedded, monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    # Given a photo sent through the patient page, its upload queued for the register step
    api = LocalApi(BASE_URL, quiet=True)
    request = page_helpers.create_request(api)
    link = request["short_link_id"]
    key = page_helpers.upload(api, link, page_helpers.session_for(api, link), png_bytes(), "rash.png", "image/png")
    messages = [m for m in page_helpers.queued_events(embedded) if key.rsplit("/", 1)[-1] in m["Body"]]
    result = scanning.result_event(embedded, key)

    # When GuardDuty's result comes while the register step's transaction runs, and that transaction is
    # cancelled (another event took the audit chain's next place) and retried
    real_transact, real_put, real_update = (
        DynamoDBBackend.transact_write_items,
        DynamoDBBackend.put_item,
        DynamoDBBackend.update_item,
    )
    armed, landed, running = threading.Event(), threading.Event(), threading.local()
    armed.set()
    scanned: list[threading.Thread] = []

    def transact(self: Any, items: list[dict[str, Any]]) -> None:
        puts = [item["Put"] for item in items if "Put" in item]
        running.registering = any(put["Item"].get("entity", {}).get("S") == "request_file" for put in puts)
        running.audit = next((put for put in puts if put["TableName"] == NAMES["AuditTable"]), None)
        try:
            real_transact(self, items)
        finally:
            running.registering = False

    def put_item(self: Any, table_name: str, item: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        # Inside the register step's first transaction, as it writes the photo's document:
        if getattr(running, "registering", False) and armed.is_set() and item.get("SK", {}).get("S") == "DOC":
            armed.clear()
            # the scan result arrives (its own function, its own connection) and is kept, if it may be served now,
            delivery = threading.Thread(target=scanning.deliver, args=(result,))
            scanned.append(delivery)
            delivery.start()
            landed.wait(RESULT_WAIT_SECONDS)
            # and another event takes the audit chain's next place: this transaction is cancelled and retried
            real_put(self, running.audit["TableName"], running.audit["Item"])
        return real_put(self, table_name, item, *args, **kwargs)

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        answer = real_update(self, table_name, key, *args, **kwargs)
        if str(key.get("PK", {}).get("S", "")).startswith("SCAN#") and "scan_status" in str((args, kwargs)):
            landed.set()  # the result is kept under the photo's object key
        return answer

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact)
    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)
    monkeypatch.setattr(DynamoDBBackend, "update_item", update_item)
    assert page_helpers.register(messages) == {"batchItemFailures": []}
    for delivery in scanned:
        delivery.join()
    assert scanned, "the register step's transaction was not reached"

    # Then the photo shows its result, and its audit chain says it was scanned, once
    (photo,) = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12).json["files"]
    assert photo["scan_status"] == "clean", photo
    actions = _audit_actions(embedded, photo["document_id"])
    assert actions.count("file.scanned") == 1, actions
    assert actions.index("file.registered") < actions.index("file.scanned")
