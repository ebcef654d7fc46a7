"""Signed webhooks through the real handlers against moto: an admin registers an endpoint (its secret
shown once), events reach it signed so that the documented recipe verifies them, failed tries back off
and end in the dead-letter queue, a delivery can be sent again, and no target outside the internet is
ever called."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from local.events import LambdaContext
from local.queues import deliver_now, sqs_event
from tests.conftest import NAMES
from tests.integration.page_helpers import create_request, queued_events, register, session_for, upload
from tests.utils import STAFF_12, b64, call, pdf_bytes, png_bytes
from tests.webhook_receiver import receiver, recipe

ADMIN_12 = {"role": "admin", "account": "12", "sub": "admin-12"}
WEBHOOKS = "/v1/webhooks"
# Whole values: a 4-digit year alone can turn up in an id or a signature by chance.
PHI = ("John", "Smith", "1980-06-17", "+447777", "rash", "Rachel", "Williams", "IMG_", ".png")


@pytest.fixture
def local_targets(monkeypatch):
    """What the local server sets (and only it): http://127.0.0.1:<port> targets are allowed."""
    from patient_docs.settings import get_settings

    monkeypatch.setenv("LOCAL_WEBHOOK_TARGETS", "127.0.0.1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def hook(local_targets):
    with receiver() as running:
        yield running


def add_webhook(api: Any, url: str, *types: str) -> dict[str, Any]:
    reply = call(api, "POST", WEBHOOKS, {"url": url, "eventTypes": list(types)}, ADMIN_12)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def deliver(aws: Any) -> int:
    """What the webhooks queue's event source mapping does: every message waiting goes to the function."""
    return deliver_now(lambda service: aws.client(service), NAMES, "WebhookQueue")


def queue_url(aws: Any, logical_id: str) -> str:
    return str(aws.client("sqs").get_queue_url(QueueName=NAMES[logical_id])["QueueUrl"])


def responded(api: Any, aws: Any) -> dict[str, Any]:
    """A door C request the patient answers with one photo, registered as the upload queue would."""
    created = create_request(api)
    link = created["short_link_id"]
    upload(api, link, session_for(api, link), png_bytes(), "IMG_0292.png", "image/png")
    assert register(queued_events(aws)) == {"batchItemFailures": []}
    return created


def deliveries(aws: Any) -> list[dict[str, Any]]:
    from patient_docs.adapters.table import decode

    items = aws.all_items()
    return [decode(item) for item in items if item.get("entity", {}).get("S") == "webhook_delivery"]


# ------------------------------------------------------------------ registering
def test_an_admin_registers_an_endpoint_and_sees_its_secret_only_once(api, aws):
    # When an admin registers an https endpoint
    created = add_webhook(api, "https://Hooks.Clinic.example.com./in", "file_request.responded")
    # Then the answer holds the secret, and the URL in its one spelling
    assert created["secret"].startswith("whsec_") and created["url"] == "https://hooks.clinic.example.com/in"
    assert created["event_types"] == ["file_request.responded"]
    # And no later answer holds it: the list, nor a rotation's (which shows the new one only)
    listed = call(api, "GET", WEBHOOKS, caller=ADMIN_12)
    assert listed.status == 200 and [w["id"] for w in listed.json["webhooks"]] == [created["id"]]
    assert created["secret"] not in listed.body.decode() and "secret" not in listed.json["webhooks"][0]
    rotated = call(api, "POST", f"{WEBHOOKS}/{created['id']}/rotate-secret", caller=ADMIN_12)
    assert rotated.status == 200 and rotated.json["secret"] not in (created["secret"], None)
    assert created["secret"] not in rotated.body.decode()
    assert call(api, "GET", WEBHOOKS, caller=ADMIN_12).json["webhooks"][0]["previous_secret_expires_at"]
    # And each change is in the audit trail, by id
    events = call(api, "GET", "/v1/audit-events?action=webhook.secret_rotated", caller=ADMIN_12).json["events"]
    assert [e["target"]["webhook_id"] for e in events] == [created["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.example.com/in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://2130706433/in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://0x7f.1/in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://[::ffff:127.0.0.1]/in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://169.254.169.254/latest/meta-data/", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://user@hooks.example.com/in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://10.0.0.8./in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://[::127.0.0.1]/in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://[::a9fe:a9fe]/latest/meta-data/", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://[::ffff:0:7f00:1]/in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "https://[fec0::1]/in", "eventTypes": ["document.created"]}, "url"),
        ({"url": "http://127.0.0.1:8123/in", "eventTypes": ["document.created"]}, "url"),  # not without the setting
        ({"url": "https://hooks.example.com/in", "eventTypes": ["document.deleted"]}, "eventTypes"),
        ({"url": "https://hooks.example.com/in", "eventTypes": []}, "eventTypes"),
        ({"url": "https://hooks.example.com/in"}, "eventTypes"),
        ({"eventTypes": ["document.created"]}, "url"),
        ({"url": "https://hooks.example.com/in", "eventTypes": ["document.created"], "secret": "mine"}, "secret"),
    ],
)
def test_a_bad_target_or_event_type_is_a_400_naming_the_field_and_nothing_is_stored(api, aws, body, field):
    reply = call(api, "POST", WEBHOOKS, body, ADMIN_12)
    assert reply.status == 400, reply.body
    assert field in json.dumps(reply.json["error"])
    assert aws.all_items() == []
    assert call(api, "GET", WEBHOOKS, caller=ADMIN_12).json == {"webhooks": []}


def test_staff_may_not_manage_webhooks(api, aws):
    reply = call(
        api, "POST", WEBHOOKS, {"url": "https://hooks.example.com/in", "eventTypes": ["document.created"]}, STAFF_12
    )
    assert reply.status == 403 and aws.all_items() == []


def audit_items(aws: Any) -> list[dict[str, Any]]:
    return list(aws.client("dynamodb").scan(TableName=NAMES["AuditTable"])["Items"])


def sort_keys(aws: Any) -> list[str]:
    return sorted(item["SK"]["S"] for item in aws.all_items())


def strip_slots(aws: Any) -> None:
    """Make the account's endpoints as they were stored before slots: no slot on them, no slot items."""
    client = aws.client("dynamodb")
    for item in aws.all_items():
        key = {"PK": item["PK"], "SK": item["SK"]}
        if item["SK"]["S"].startswith("WEBHOOK_SLOT#"):
            client.delete_item(TableName=NAMES["DocumentsTable"], Key=key)
        elif item["SK"]["S"].startswith("WEBHOOK#"):
            client.update_item(TableName=NAMES["DocumentsTable"], Key=key, UpdateExpression="REMOVE slot")


@pytest.fixture
def first_list_as_it_was(monkeypatch):
    """``as_it_was = first_list_as_it_was()`` notes the account's endpoints now; after ``reads = as_it_was()``
    the next create reads them as they were noted (another create landed meanwhile: the race of two creates
    that counted the same endpoints), and every later read is real. ``reads``: the account ids read since."""
    from patient_docs.adapters import webhooks_table
    from patient_docs.logic import webhooks

    real = webhooks_table.list_webhooks

    def note() -> Any:
        before = real("12")
        reads: list[str] = []

        def listed(account_id: str) -> list[Any]:
            reads.append(account_id)
            return before if len(reads) == 1 else real(account_id)

        def stale_next() -> list[str]:
            monkeypatch.setattr(webhooks.webhooks_table, "list_webhooks", listed)
            return reads

        return stale_next

    return note


@pytest.mark.parametrize("stored_before_slots", [False, True], ids=["slotted", "stored-before-slots"])
def test_two_creates_that_counted_the_same_endpoints_never_pass_the_limit(
    api, aws, first_list_as_it_was, stored_before_slots
):
    from patient_docs.rules.webhooks import MAX_ENDPOINTS_PER_ACCOUNT

    # Given an account one endpoint short of the limit (endpoints with slots, or stored before slots had one)
    for index in range(MAX_ENDPOINTS_PER_ACCOUNT - 1):
        add_webhook(api, f"https://hooks{index}.example.com/in", "document.created")
    if stored_before_slots:
        strip_slots(aws)
    # When one create reads the endpoints, and another create lands before the first one writes
    as_it_was = first_list_as_it_was()
    winner = call(
        api, "POST", WEBHOOKS, {"url": "https://winner.example.com/in", "eventTypes": ["document.created"]}, ADMIN_12
    )
    assert winner.status == 201, winner.body
    items, audited = aws.all_items(), audit_items(aws)
    reads = as_it_was()
    loser = call(
        api, "POST", WEBHOOKS, {"url": "https://loser.example.com/in", "eventTypes": ["document.created"]}, ADMIN_12
    )
    # Then the later one is the limit's 400 (it counted again after losing its slot), and wrote nothing
    assert loser.status == 400, loser.body
    assert len(reads) == 2, "the loser read the endpoints as they were, then again"
    assert loser.json["error"]["field"] == "url" and str(MAX_ENDPOINTS_PER_ACCOUNT) in loser.json["error"]["message"]
    assert aws.all_items() == items and len(audit_items(aws)) == len(audited)
    # And the account has exactly the limit's endpoints, none of them the loser's
    listed = call(api, "GET", WEBHOOKS, caller=ADMIN_12).json["webhooks"]
    assert len(listed) == MAX_ENDPOINTS_PER_ACCOUNT
    assert "https://loser.example.com/in" not in {webhook["url"] for webhook in listed}
    slots = [key for key in sort_keys(aws) if key.startswith("WEBHOOK_SLOT#")]
    assert slots == (["WEBHOOK_SLOT#0"] if stored_before_slots else [f"WEBHOOK_SLOT#{n}" for n in range(10)])


def test_a_create_that_lost_its_slot_to_another_takes_the_next_one_while_there_is_room(api, aws, first_list_as_it_was):
    # Given two endpoints, and a create that read them just before another create landed
    for index in range(2):
        add_webhook(api, f"https://hooks{index}.example.com/in", "document.created")
    as_it_was = first_list_as_it_was()
    landed = {"url": "https://a.example.com/in", "eventTypes": ["document.created"]}
    assert call(api, "POST", WEBHOOKS, landed, ADMIN_12).status == 201
    reads = as_it_was()
    # When it writes, its slot (the lowest free one it saw) is taken: it reads again and takes the next
    later = call(
        api, "POST", WEBHOOKS, {"url": "https://b.example.com/in", "eventTypes": ["document.created"]}, ADMIN_12
    )
    assert later.status == 201, later.body
    # Then both are there, each with a slot of its own, and one audit event each
    assert len(reads) == 2
    assert len(call(api, "GET", WEBHOOKS, caller=ADMIN_12).json["webhooks"]) == 4
    assert [k for k in sort_keys(aws) if k.startswith("WEBHOOK_SLOT#")] == [f"WEBHOOK_SLOT#{n}" for n in range(4)]
    created = call(api, "GET", "/v1/audit-events?action=webhook.created", caller=ADMIN_12).json["events"]
    assert len(created) == 4 and later.json["id"] in {event["target"]["webhook_id"] for event in created}


def test_a_create_that_keeps_losing_its_slot_is_a_409_to_try_again_and_writes_nothing(api, aws, monkeypatch):
    from patient_docs.adapters import webhooks_table
    from patient_docs.errors import RecordTaken

    # Given a table where every slot the create chooses was just taken by another create
    def taken(*args: Any, **kwargs: Any) -> None:
        raise RecordTaken("webhook id or slot in use")

    monkeypatch.setattr(webhooks_table, "put_webhook", taken)
    reply = call(
        api, "POST", WEBHOOKS, {"url": "https://a.example.com/in", "eventTypes": ["document.created"]}, ADMIN_12
    )
    assert reply.status == 409, reply.body
    assert "try again" in reply.json["error"]["message"]
    assert aws.all_items() == [] and audit_items(aws) == []


def test_a_deleted_endpoint_frees_its_slot_and_slots_never_show_in_lists(api, aws, hook):
    from patient_docs.rules.webhooks import MAX_ENDPOINTS_PER_ACCOUNT

    # Given an account at the limit, and a delivery made to its endpoints
    made = [add_webhook(api, hook.url, "document.created") for _ in range(MAX_ENDPOINTS_PER_ACCOUNT)]
    doc = {"document_name": "card.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    body = {"doc": {**doc, "record_type": "Test Result"}}
    assert call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12).status == 201
    deliver(aws)
    late = {"url": "https://late.example.com/in", "eventTypes": ["document.created"]}
    assert call(api, "POST", WEBHOOKS, late, ADMIN_12).status == 400
    # Then the lists hold endpoints and deliveries only: no slot
    listed = call(api, "GET", WEBHOOKS, caller=ADMIN_12).json["webhooks"]
    assert [webhook["id"] for webhook in listed] == [webhook["id"] for webhook in made]
    assert all("slot" not in webhook for webhook in listed)
    found = call(api, "GET", "/v1/webhook-deliveries?limit=100", caller=ADMIN_12).json
    assert len(found["deliveries"]) == MAX_ENDPOINTS_PER_ACCOUNT and found["next_cursor"] is None
    # When an admin deletes one endpoint, its slot goes with it, and a new endpoint takes it
    assert call(api, "DELETE", f"{WEBHOOKS}/{made[3]['id']}", caller=ADMIN_12).status == 204
    assert "WEBHOOK_SLOT#3" not in sort_keys(aws)
    assert call(api, "POST", WEBHOOKS, late, ADMIN_12).status == 201
    assert [k for k in sort_keys(aws) if k.startswith("WEBHOOK_SLOT#")] == [f"WEBHOOK_SLOT#{n}" for n in range(10)]
    assert call(api, "POST", WEBHOOKS, late, ADMIN_12).status == 400


def test_an_endpoint_stored_before_slots_is_deleted_and_counts_until_then(api, aws):
    from patient_docs.rules.webhooks import MAX_ENDPOINTS_PER_ACCOUNT

    made = [
        add_webhook(api, f"https://h{n}.example.com/in", "document.created") for n in range(MAX_ENDPOINTS_PER_ACCOUNT)
    ]
    strip_slots(aws)
    late = {"url": "https://late.example.com/in", "eventTypes": ["document.created"]}
    assert call(api, "POST", WEBHOOKS, late, ADMIN_12).status == 400
    assert call(api, "DELETE", f"{WEBHOOKS}/{made[0]['id']}", caller=ADMIN_12).status == 204
    assert call(api, "POST", WEBHOOKS, late, ADMIN_12).status == 201
    assert [k for k in sort_keys(aws) if k.startswith("WEBHOOK_SLOT#")] == ["WEBHOOK_SLOT#0"]
    assert call(api, "POST", WEBHOOKS, late, ADMIN_12).status == 400


# ------------------------------------------------------------------ delivering
def test_a_responded_request_reaches_the_endpoint_signed_with_ids_only_and_the_recipe_verifies_it(api, aws, hook):
    # Given an endpoint for answered requests (and another for new documents only)
    webhook = add_webhook(api, hook.url, "file_request.responded")
    with receiver() as other:
        add_webhook(api, other.url, "file.quarantined")
        # When the patient answers a request with a photo
        created = responded(api, aws)
        deliver(aws)
        assert other.received == []
    # Then the endpoint got one POST
    (got,) = hook.received
    assert got.path == "/hooks/patient-docs" and got.headers["content-type"] == "application/json"
    body = json.loads(got.body)
    assert body["type"] == "file_request.responded" and body["account_id"] == "12"
    assert body["data"]["file_request_id"] == created["id"]
    assert set(body["data"]) == {"file_request_id", "file_id", "document_id"}
    assert got.headers["webhook-id"] == body["id"] and got.headers["webhook-delivery-id"].startswith("whd_")
    # And it carries nothing personal
    for personal in PHI:
        assert personal not in got.body.decode() and personal not in json.dumps(got.headers)
    # And the documented recipe verifies it with the secret shown at registration, and nothing else
    verify = recipe()
    assert verify(webhook["secret"], got.headers, got.body)
    assert not verify(webhook["secret"], got.headers, got.body.replace(b'"12"', b'"13"'))
    assert not verify("whsec_another", got.headers, got.body)
    stale = {**got.headers, "webhook-timestamp": str(int(got.headers["webhook-timestamp"]) - 3600)}
    assert not verify(webhook["secret"], stale, got.body)
    # And the delivery is recorded delivered, with its try
    (delivery,) = deliveries(aws)
    assert delivery["status"] == "delivered" and delivery["attempts"][0]["status_code"] == 204


def test_an_answer_announces_its_two_events_in_one_call_to_the_queue_and_both_reach_the_endpoint(api, aws, hook):
    import boto3

    # Given an endpoint for answered requests and new documents, and a count of the queue's send calls
    add_webhook(api, hook.url, "file_request.responded", "document.created")
    sends: list[str] = []

    def counted(model: Any, **_: Any) -> None:
        if model.name.startswith("SendMessage"):
            sends.append(model.name)

    boto3.DEFAULT_SESSION.events.register("before-call.sqs", counted)  # type: ignore[union-attr]
    from patient_docs.adapters import aws as clients

    clients.sqs.cache_clear()  # a client copies the session's hooks when it is made
    try:
        # When the patient answers a request with a photo and the upload is registered
        created = create_request(api)
        link = created["short_link_id"]
        upload(api, link, session_for(api, link), png_bytes(), "IMG_0292.png", "image/png")
        sends.clear()
        assert register(queued_events(aws)) == {"batchItemFailures": []}
        registered = list(sends)
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-call.sqs", counted)  # type: ignore[union-attr]
        clients.sqs.cache_clear()
    # Then both events went to the webhooks queue in one call
    assert registered == ["SendMessageBatch"]
    # And the endpoint gets both, each once, naming the same document
    deliver(aws)
    bodies = sorted((json.loads(got.body) for got in hook.received), key=lambda body: str(body["type"]))
    assert [body["type"] for body in bodies] == ["document.created", "file_request.responded"]
    assert bodies[0]["data"]["document_id"] == bodies[1]["data"]["document_id"]
    assert bodies[0]["data"]["file_request_id"] == bodies[1]["data"]["file_request_id"] == created["id"]


def test_announcements_beyond_ten_go_in_batches_of_ten_and_none_is_lost(aws):
    from patient_docs.logic import webhooks

    # When 23 events of one account are announced at once
    happened: list[Any] = [("document.created", {"document_id": index, "patient_id": 7}) for index in range(23)]
    webhooks.announce_all("12", happened)
    # Then the queue holds 23 messages, one per event, in their order within each batch
    sqs, url = aws.client("sqs"), queue_url(aws, "WebhookQueue")
    received: list[int] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            body = json.loads(message["Body"])
            assert body["kind"] == "event" and body["event"]["account_id"] == "12"
            received.append(body["event"]["data"]["document_id"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(received) == list(range(23))


def test_a_batch_the_queue_refuses_does_not_keep_the_next_ones_from_being_sent(aws, monkeypatch):
    from patient_docs.adapters import webhook_queue
    from patient_docs.adapters.aws import sqs as sqs_client
    from patient_docs.errors import NotificationFailed

    # Given a queue that refuses the first batch of events it is sent
    client, calls = sqs_client(), []
    real = client.send_message_batch

    def first_refused(**request: Any) -> Any:
        calls.append(len(request["Entries"]))
        if len(calls) == 1:
            return {"Successful": [], "Failed": [{"Id": "0", "Code": "KMS.ThrottlingException", "SenderFault": False}]}
        return real(**request)

    monkeypatch.setattr(client, "send_message_batch", first_refused)
    events = [{"id": f"evt_{index}", "type": "document.created", "account_id": "12"} for index in range(23)]
    # When 23 events are announced, the refusal is still reported to the caller
    with pytest.raises(NotificationFailed):
        webhook_queue.announce(events)
    # Then the batches after the refused one were sent all the same
    assert calls == [10, 10, 3]
    sqs, url = aws.client("sqs"), queue_url(aws, "WebhookQueue")
    waiting = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert waiting["Attributes"]["ApproximateNumberOfMessages"] == "13"


def test_a_quarantine_announced_again_by_a_retried_step_is_the_same_event(aws):
    from patient_docs.logic import webhooks
    from patient_docs.models.audit import Target

    # When one file's quarantine is announced twice (a step retried before it moved the file), and another file's
    target = Target(patient_id=7, file_id="f1")
    webhooks.announce_quarantined("12", target, "accounts/12/patients/7/documents/a.pdf")
    webhooks.announce_quarantined("12", target, "accounts/12/patients/7/documents/a.pdf")
    webhooks.announce_quarantined("12", target, "accounts/12/patients/7/documents/b.pdf")
    webhooks.announce("document.created", "12", {"document_id": 1})
    webhooks.announce("document.created", "12", {"document_id": 1})
    # Then the first two carry one event id, in the usual shape; other files and other events get their own
    sqs, url = aws.client("sqs"), queue_url(aws, "WebhookQueue")
    ids: list[tuple[str, str]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            event = json.loads(message["Body"])["event"]
            ids.append((event["type"], event["id"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    quarantined = [event_id for kind, event_id in ids if kind == "file.quarantined"]
    created = [event_id for kind, event_id in ids if kind == "document.created"]
    assert len(quarantined) == 3 and len(set(quarantined)) == 2
    assert all(len(event_id) == 32 and event_id.startswith("evt_") for event_id in quarantined)
    assert len(created) == 2 and len(set(created)) == 2


@pytest.mark.parametrize("second", ["in-the-same-batch", "after-the-first-was-delivered"])
def test_a_quarantine_announced_twice_is_delivered_once_per_endpoint(api, aws, hook, clock, second):
    from patient_docs.logic import webhooks
    from patient_docs.models.audit import Target

    # Given two endpoints for quarantined files (and one for new documents only)
    add_webhook(api, hook.url, "file.quarantined")
    with receiver() as other, receiver() as documents_only:
        add_webhook(api, other.url, "file.quarantined", "document.created")
        add_webhook(api, documents_only.url, "document.created")
        target, key = Target(patient_id=7, file_id="f1"), "accounts/12/patients/7/documents/a.pdf"
        # When a step announces a file's quarantine, and announces it again when it is retried a minute later
        webhooks.announce_quarantined("12", target, key)
        if second == "after-the-first-was-delivered":
            deliver(aws)
        clock.advance(60)
        webhooks.announce_quarantined("12", target, key)
        # (the queue's messages say the event is once-only; the event itself is as receivers get it)
        deliver(aws)
        got = hook.received + other.received
        assert documents_only.received == []
    # Then the deliver function made one delivery per endpoint, each sent once
    made = deliveries(aws)
    assert len(made) == 2 and len({d["webhook_id"] for d in made}) == 2
    assert {d["status"] for d in made} == {"delivered"}
    assert len(hook.received) == 1 and len(other.received) == 1
    # And both carry the one event, as first announced, and nothing else
    bodies = [json.loads(request.body) for request in got]
    assert bodies[0] == bodies[1] and set(bodies[0]) == {"id", "type", "created_at", "account_id", "data"}
    assert {request.headers["webhook-id"] for request in got} == {bodies[0]["id"]}
    assert bodies[0]["data"] == {"patient_id": 7, "file_id": "f1"}
    # And the fan-outs recorded the event's first time once: one item, with an expiry like its deliveries'
    (claim,) = [item for item in aws.all_items() if item["SK"]["S"].startswith("WEBHOOK_EVENT#")]
    assert claim["SK"]["S"] == f"WEBHOOK_EVENT#{bodies[0]['id']}" and int(claim["ttl"]["N"]) > 0


def test_a_once_only_event_goes_as_a_marked_message_and_other_events_write_no_claim(api, aws, hook):
    from patient_docs.logic import webhooks
    from patient_docs.models.audit import Target

    add_webhook(api, hook.url, "file.quarantined", "document.created")
    webhooks.announce_quarantined("12", Target(patient_id=7, file_id="f1"), "accounts/12/patients/7/documents/a.pdf")
    webhooks.announce("document.created", "12", {"document_id": 1, "patient_id": 7})
    sqs, url = aws.client("sqs"), queue_url(aws, "WebhookQueue")
    bodies = []
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
        bodies.append(json.loads(message["Body"]))
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    marks = {body["event"]["type"]: body.get("once") for body in bodies}
    assert marks == {"file.quarantined": True, "document.created": None}
    deliver(aws)
    # An ordinary event's fan-out writes its deliveries only; the once-only one adds one item
    assert len(hook.received) == 2 and len(deliveries(aws)) == 2
    claims = [item["SK"]["S"] for item in aws.all_items() if item["SK"]["S"].startswith("WEBHOOK_EVENT#")]
    quarantined = next(json.loads(r.body) for r in hook.received if b"file.quarantined" in r.body)
    assert claims == [f"WEBHOOK_EVENT#{quarantined['id']}"]


def test_a_once_only_event_no_endpoint_wants_writes_nothing(api, aws):
    from patient_docs.logic import webhooks
    from patient_docs.models.audit import Target

    add_webhook(api, "https://hooks.example.com/in", "document.created")
    items = aws.all_items()
    webhooks.announce_quarantined("12", Target(patient_id=7, file_id="f1"), "accounts/12/patients/7/documents/a.pdf")
    assert deliver(aws) == 1
    assert aws.all_items() == items


def test_after_a_rotation_both_secrets_verify_a_delivery(api, aws, hook):
    webhook = add_webhook(api, hook.url, "document.created")
    rotated = call(api, "POST", f"{WEBHOOKS}/{webhook['id']}/rotate-secret", caller=ADMIN_12).json
    doc = {"document_name": "card.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    reply = call(
        api, "POST", "/api/v2/patients/1172416/documents", {"doc": {**doc, "record_type": "Test Result"}}, STAFF_12
    )
    assert reply.status == 201
    deliver(aws)
    (got,) = hook.received
    assert json.loads(got.body)["data"] == {"document_id": reply.json["doc"]["id"], "patient_id": 1172416}
    assert len(got.headers["webhook-signature"].split()) == 2
    verify = recipe()
    assert verify(rotated["secret"], got.headers, got.body) and verify(webhook["secret"], got.headers, got.body)


def test_failed_tries_back_off_then_go_to_the_dead_letter_queue_and_an_admin_redelivers(api, aws, hook):
    from functions.webhook_deliver.app import lambda_handler
    from patient_docs.rules.webhooks import WEBHOOK_TRIES

    # Given an endpoint that answers 500, then (for the redelivery) 204
    add_webhook(api, hook.url, "file_request.responded")
    hook.statuses = [500] * WEBHOOK_TRIES
    responded(api, aws)
    sqs, url = aws.client("sqs"), queue_url(aws, "WebhookQueue")

    def one_message() -> tuple[dict[str, Any], dict[str, Any]]:
        """Receive one message and hand it to the function, as the event source mapping does."""
        (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
        event = sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:WebhookQueue")
        return message, dict(lambda_handler(event, LambdaContext(function_name="WebhookDeliverFunction")))

    # When the event is fanned out and its delivery tried: the first try fails, and its message waits (backoff)
    for _ in ("file_request.responded", "document.created"):  # the two events the answer made
        message, result = one_message()
        assert result == {"batchItemFailures": []} and json.loads(message["Body"])["kind"] == "event"
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    message, result = one_message()
    assert result["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}] and len(hook.received) == 1
    waiting = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (waiting["ApproximateNumberOfMessages"], waiting["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    (delivery,) = deliveries(aws)
    assert delivery["status"] == "pending" and delivery["attempts"][0]["status_code"] == 500
    # And each later try comes when its wait is over (here: at once), up to the last
    for _ in range(WEBHOOK_TRIES - 1):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        message, result = one_message()
        assert result["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
    assert len(hook.received) == WEBHOOK_TRIES
    (delivery,) = deliveries(aws)
    assert delivery["status"] == "failed" and len(delivery["attempts"]) == WEBHOOK_TRIES
    # Then the message moves to the dead-letter queue at its next receive
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    dead = sqs.receive_message(QueueUrl=queue_url(aws, "WebhookDeadLetterQueue")).get("Messages", [])
    assert [json.loads(m["Body"])["delivery_id"] for m in dead] == [delivery["id"]]
    # When an admin redelivers it by id
    reply = call(api, "POST", f"/v1/webhook-deliveries/{delivery['id']}/redeliver", caller=ADMIN_12)
    assert reply.status == 202, reply.body
    assert (reply.json["status"], len(reply.json["attempts"])) == ("pending", WEBHOOK_TRIES)
    # (redelivering what is still being tried is refused)
    again = call(api, "POST", f"/v1/webhook-deliveries/{delivery['id']}/redeliver", caller=ADMIN_12)
    assert again.status == 409
    deliver(aws)
    # Then the same event arrives again, with the same Webhook-Id, and is delivered
    first, last = hook.received[0], hook.received[-1]
    assert len(hook.received) == WEBHOOK_TRIES + 1 and last.body == first.body
    assert last.headers["webhook-id"] == first.headers["webhook-id"]
    assert deliveries(aws)[0]["status"] == "delivered"
    redelivered = call(api, "GET", "/v1/audit-events?action=webhook_delivery.redelivered", caller=ADMIN_12)
    assert [e["target"]["webhook_delivery_id"] for e in redelivered.json["events"]] == [delivery["id"]]


def test_an_admin_lists_the_deliveries_and_their_tries_newest_first_with_filters_and_a_cursor(api, aws, hook):
    webhook = add_webhook(api, hook.url, "document.created")
    hook.statuses = [503]
    doc = {"document_name": "card.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    for _ in range(3):
        body = {"doc": {**doc, "record_type": "Test Result"}}
        assert call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12).status == 201
    deliver(aws)
    # The first try of the first delivery failed (503); the other two were delivered
    listed = call(api, "GET", "/v1/webhook-deliveries", caller=ADMIN_12)
    assert listed.status == 200, listed.body
    found = listed.json["deliveries"]
    assert [d["status"] for d in found] == ["delivered", "delivered", "pending"]  # newest first
    assert found[-1]["attempts"][0]["status_code"] == 503 and found[-1]["attempts"][0]["excerpt"] == "ok"
    assert {d["webhook_id"] for d in found} == {webhook["id"]} and listed.json["next_cursor"] is None
    assert webhook["secret"] not in listed.body.decode()
    pending = call(api, "GET", "/v1/webhook-deliveries?status=pending", caller=ADMIN_12).json["deliveries"]
    assert [d["id"] for d in pending] == [found[-1]["id"]]
    # Paging: one at a time, the cursor goes on where the page ended
    first = call(api, "GET", "/v1/webhook-deliveries?limit=2", caller=ADMIN_12).json
    rest = call(api, "GET", f"/v1/webhook-deliveries?limit=2&cursor={first['next_cursor']}", caller=ADMIN_12).json
    assert [d["id"] for d in first["deliveries"] + rest["deliveries"]] == [d["id"] for d in found]
    # A cursor of another list, or nonsense, is a 400 naming it; staff get 403
    other = call(
        api, "GET", f"/v1/webhook-deliveries?cursor={first['next_cursor']}", caller={"role": "admin", "account": "13"}
    )
    assert other.status == 400 and other.json["error"]["field"] == "cursor"
    assert call(api, "GET", "/v1/webhook-deliveries", caller=STAFF_12).status == 403


def test_a_name_that_resolves_to_a_private_address_is_never_called(api, aws, monkeypatch):
    from patient_docs.adapters import webhook_http

    # Given an endpoint whose public-looking name resolves, at delivery time, to an internal address too
    add_webhook(api, "https://hooks.clinic.example.com/in", "file_request.responded")
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443)) for address in ("8.8.8.8", "10.0.0.7")]
    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", lambda *args, **kwargs: answers)

    def connect(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no connection may be made")

    monkeypatch.setattr(webhook_http.socket, "create_connection", connect)
    responded(api, aws)
    # When its delivery is tried
    deliver(aws)
    # Then no connection was made, and the try says why
    (delivery,) = deliveries(aws)
    assert delivery["status"] == "pending"
    assert delivery["attempts"][0]["error"] == "the target resolves to a non-public address"
    assert "status_code" not in delivery["attempts"][0]


def test_a_deleted_endpoint_gets_nothing_more(api, aws, hook):
    webhook = add_webhook(api, hook.url, "file_request.responded")
    assert call(api, "DELETE", f"{WEBHOOKS}/{webhook['id']}", caller=ADMIN_12).status == 204
    assert call(api, "DELETE", f"{WEBHOOKS}/{webhook['id']}", caller=ADMIN_12).status == 404
    responded(api, aws)
    deliver(aws)
    assert hook.received == [] and deliveries(aws) == []


def test_an_endpoint_of_the_local_server_is_refused_where_the_setting_is_not_set(api, aws):
    # A stored http://127.0.0.1 target (the local server's) is not called by a function without the setting
    with receiver() as local:
        from patient_docs.adapters import webhooks_table
        from patient_docs.logic.webhooks import fan_out
        from patient_docs.models.webhooks import Webhook, WebhookEvent
        from patient_docs.rules.timestamps import utc_now

        now = utc_now()
        webhooks_table.put_webhook(
            Webhook(
                id="wh_" + "0" * 24,
                account_id="12",
                url=local.url,
                event_types=["document.created"],
                created_at=now,
                secret="whsec_x",
            ),
            {
                "chain": "12#S#0",
                "id": "e",
                "at": now.isoformat(),
                "account_id": "12",
                "action": "webhook.created",
                "outcome": "success",
                "actor_role": "system",
            },
        )
        fan_out(
            WebhookEvent(id="evt_1", type="document.created", created_at=now, account_id="12", data={"document_id": 1})
        )
        deliver(aws)
        assert local.received == []
    (delivery,) = deliveries(aws)
    assert delivery["attempts"][0]["error"] == "the target is not allowed"


def test_a_delivery_being_tried_is_not_sent_again_until_its_claim_is_stale(api, aws, hook, clock):
    from patient_docs.adapters import webhooks_table
    from patient_docs.logic.webhooks import handle_message, send_delivery
    from patient_docs.rules.timestamps import utc_now

    # Given a delivery whose try was claimed just now (another copy of its message is being handled)
    add_webhook(api, hook.url, "document.created")
    doc = {"document_name": "card.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    assert (
        call(
            api, "POST", "/api/v2/patients/1172416/documents", {"doc": {**doc, "record_type": "Test Result"}}, STAFF_12
        ).status
        == 201
    )
    sqs, url = aws.client("sqs"), queue_url(aws, "WebhookQueue")
    (event,) = sqs.receive_message(QueueUrl=url)["Messages"]
    handle_message(json.loads(event["Body"]), 1, event["ReceiptHandle"])  # the fan-out: one delivery, queued
    (delivery,) = deliveries(aws)
    webhooks_table.claim_delivery("12", delivery["id"], utc_now(), utc_now())
    # When a second copy comes meanwhile, it sends nothing
    assert send_delivery("12", delivery["id"], 1, "handle", utc_now()) == "skipped" and hook.received == []
    # Then once the claim is older than two function timeouts, a try takes it over and sends
    clock.advance(121)
    assert send_delivery("12", delivery["id"], 2, "handle", utc_now()) == "delivered" and len(hook.received) == 1
    assert send_delivery("12", delivery["id"], 3, "handle", utc_now()) == "skipped" and len(hook.received) == 1


@pytest.mark.parametrize("sort_key", ["WEBHOOK#wh_000000000000000000000000", "A", "ZZZZ", "WEBHOOK_DELIVERY#"])
def test_a_cursor_of_this_account_outside_its_deliveries_is_a_400_naming_it(api, aws, sort_key):
    from patient_docs.rules.cursors import encode_cursor

    # A cursor that names this account's partition but a position outside its deliveries (DynamoDB refuses
    # such a starting key: it is outside the query's key condition) is not one this service issued
    add_webhook(api, "https://hooks.example.com/in", "document.created")
    cursor = encode_cursor({"PK": "ACCOUNT#12", "SK": sort_key})
    reply = call(api, "GET", f"/v1/webhook-deliveries?cursor={cursor}", caller=ADMIN_12)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["field"] == "cursor"


def test_a_delivery_of_a_deleted_endpoint_is_not_redelivered_and_nothing_is_written(api, aws, hook):
    # Given a delivered delivery, and one still pending, of an endpoint an admin then deletes
    webhook = add_webhook(api, hook.url, "document.created")
    doc = {"document_name": "card.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    body = {"doc": {**doc, "record_type": "Test Result"}}
    assert call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12).status == 201
    deliver(aws)
    assert call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12).status == 201
    sqs, url = aws.client("sqs"), queue_url(aws, "WebhookQueue")
    (event,) = sqs.receive_message(QueueUrl=url)["Messages"]
    from patient_docs.logic.webhooks import handle_message

    handle_message(json.loads(event["Body"]), 1, event["ReceiptHandle"])  # fanned out: one delivery queued
    sqs.delete_message(QueueUrl=url, ReceiptHandle=event["ReceiptHandle"])
    assert call(api, "DELETE", f"{WEBHOOKS}/{webhook['id']}", caller=ADMIN_12).status == 204
    deliver(aws)
    assert len(hook.received) == 1
    assert sorted(d["status"] for d in deliveries(aws)) == ["delivered", "skipped"]
    items = aws.all_items()
    # When an admin asks to redeliver either
    for delivery in deliveries(aws):
        reply = call(api, "POST", f"/v1/webhook-deliveries/{delivery['id']}/redeliver", caller=ADMIN_12)
        # Then it is refused (its endpoint is gone: nothing could be sent), and nothing is written or queued
        assert reply.status == 409, reply.body
        assert "deleted" in reply.json["error"]["message"]
    assert aws.all_items() == items
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_a_target_with_non_ascii_characters_is_called_percent_encoded_and_its_tries_recorded(api, aws, hook):
    # Given an endpoint whose path and query hold non-ASCII characters (as typed into a browser)
    webhook = add_webhook(api, hook.url + "/ünicode?clinic=é", "document.created")
    # Then it is kept as it will be called: percent-encoded UTF-8, as browsers send it
    assert webhook["url"] == hook.url + "/%C3%BCnicode?clinic=%C3%A9"
    doc = {"document_name": "card.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    body = {"doc": {**doc, "record_type": "Test Result"}}
    assert call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12).status == 201
    # When its delivery is tried, then the receiver gets it there, and the delivery is recorded delivered
    deliver(aws)
    (got,) = hook.received
    assert got.path == "/hooks/patient-docs/%C3%BCnicode?clinic=%C3%A9"
    (delivery,) = deliveries(aws)
    assert delivery["status"] == "delivered"


def test_a_stored_target_with_non_ascii_characters_is_still_called(api, aws, hook):
    from patient_docs.adapters import webhooks_table
    from patient_docs.models.webhooks import Webhook

    # Given an endpoint stored before targets were percent-encoded
    created = add_webhook(api, hook.url, "document.created")
    stored = webhooks_table.get_webhook("12", created["id"])
    assert isinstance(stored, Webhook)
    item = {
        "TableName": NAMES["DocumentsTable"],
        "Key": {"PK": {"S": "ACCOUNT#12"}, "SK": {"S": f"WEBHOOK#{stored.id}"}},
    }
    aws.client("dynamodb").update_item(
        **item,
        UpdateExpression="SET #url = :url",
        ExpressionAttributeNames={"#url": "url"},
        ExpressionAttributeValues={":url": {"S": hook.url + "/ü"}},
    )
    doc = {"document_name": "card.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    body = {"doc": {**doc, "record_type": "Test Result"}}
    assert call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12).status == 201
    # When its delivery is tried, then it is sent, percent-encoded, and never left claimed ("sending")
    deliver(aws)
    (got,) = hook.received
    assert got.path == "/hooks/patient-docs/%C3%BC"
    (delivery,) = deliveries(aws)
    assert delivery["status"] == "delivered"


def test_a_redelivery_that_cannot_be_queued_leaves_the_delivery_as_it_was(api, aws, hook, monkeypatch):
    from patient_docs.adapters import webhook_queue
    from patient_docs.errors import NotificationFailed

    # Given a delivered delivery
    add_webhook(api, hook.url, "document.created")
    doc = {"document_name": "card.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    body = {"doc": {**doc, "record_type": "Test Result"}}
    assert call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12).status == 201
    deliver(aws)
    (delivery,) = deliveries(aws)
    assert delivery["status"] == "delivered"

    # When an admin redelivers it while the queue cannot be reached
    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise NotificationFailed("ServiceUnavailable")

    monkeypatch.setattr(webhook_queue, "deliver", unreachable)
    reply = call(api, "POST", f"/v1/webhook-deliveries/{delivery['id']}/redeliver", caller=ADMIN_12)
    # Then it is a 409 to try again, and the delivery still says what happened to it: delivered, not failed
    assert reply.status == 409, reply.body
    (after,) = deliveries(aws)
    assert after["status"] == "delivered" and after["attempts"] == delivery["attempts"]
