"""The date-of-birth lock under concurrency: answers racing in separate processes, like Lambda containers.

Each answer is decided in one conditional write (the count or the session, with its audit event), so
whatever the interleaving: no more than five wrong answers are counted, and no session is issued
once the fifth has locked the link. The audit trail's chain orders every decision: every confirmed
answer comes before the lock in it.

The emulator takes one AWS call at a time, atomic as each DynamoDB call is (tests/integration/
serial_moto.py says why); the processes race between their calls (read the request, read the date of
birth, write), which is the race the single conditional write has to win.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from local import tokens
from local.events import http_event
from local.local_aws import REGION, provision
from local.template import load_template
from patient_docs.adapters.audit_log import decode
from patient_docs.rules.audit_chain import verify_chain
from patient_docs.rules.patient_page import MAX_WRONG_ANSWERS
from tests.conftest import NAMES, ORIGINS
from tests.integration import concurrency_worker
from tests.integration.page_helpers import DOB, SEED_REQUEST
from tests.integration.serial_moto import serial_moto_server

WORKERS = 4


@dataclass
class Containers:
    endpoint: str
    pool: ProcessPoolExecutor

    def invoke(self, module: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self.pool.map(concurrency_worker.invoke, [module] * len(events), events))

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)


@pytest.fixture
def containers() -> Iterator[Containers]:
    server = serial_moto_server()
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    provision(load_template(), NAMES, lambda s: boto3.client(s, endpoint_url=endpoint, region_name=REGION), ORIGINS)
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        WORKERS, mp_context=context, initializer=concurrency_worker.start, initargs=(env,)
    ) as pool:
        list(pool.map(concurrency_worker.warm, range(WORKERS * 2)))
        yield Containers(endpoint, pool)
    server.stop()


def _create_event() -> dict[str, Any]:
    claims = tokens.jwt.decode(tokens.issue("staff", "12"), options={"verify_signature": False})
    body = json.dumps(SEED_REQUEST).encode()
    headers = {"content-type": "application/json"}
    return http_event("POST", "/v1/file-requests", "POST /v1/file-requests", None, headers, body=body, claims=claims)


def _answer_event(link: str, date_of_birth: str) -> dict[str, Any]:
    body = json.dumps({"date_of_birth": date_of_birth}).encode()
    headers = {"content-type": "application/json"}
    return http_event(
        "POST", f"/r/{link}/verify", "POST /r/{short_link_id}/verify", {"short_link_id": link}, headers, body=body
    )


def test_answers_racing_the_fifth_wrong_one_never_get_a_session_after_the_lock(containers):
    # Given a request, and twelve wrong and eight right answers to its link, in a shuffled order
    created = json.loads(containers.invoke("functions.file_requests_create.app", [_create_event()])[0]["body"])
    link, request_id = created["short_link_id"], created["id"]
    answers = [f"1999-01-{day:02d}" for day in range(1, 13)] + [DOB] * 8
    random.Random(13).shuffle(answers)

    # When they all arrive at once, in four containers
    replies = containers.invoke("functions.patient_page_verify.app", [_answer_event(link, a) for a in answers])

    # Then each got a session, a wrong answer's count, or the lock
    statuses = [reply["statusCode"] for reply in replies]
    assert set(statuses) <= {200, 400, 423}, statuses
    bodies = [json.loads(reply["body"]) for reply in replies]
    sessions_handed_out = [b["upload_session"] for b in bodies if "upload_session" in b]
    assert len(sessions_handed_out) == statuses.count(200)
    # And exactly five wrong answers were counted: four said so, the fifth locked
    dynamodb = containers.client("dynamodb")
    stored = dynamodb.get_item(
        TableName=NAMES["DocumentsTable"], Key={"PK": {"S": f"FILEREQ#{request_id}"}, "SK": {"S": "REQUEST"}}
    )["Item"]
    assert int(stored["failed_verifications"]["N"]) == MAX_WRONG_ANSWERS
    assert sorted(b["attempts_left"] for b in bodies if "attempts_left" in b) == [1, 2, 3, 4]
    # And every session handed out is stored, and no other
    items = dynamodb.scan(TableName=NAMES["DocumentsTable"])["Items"]
    stored_sessions = [i for i in items if i["entity"]["S"] == "upload_session"]
    assert len(stored_sessions) == len(sessions_handed_out)

    # And the patient's audit chain is intact and orders every decision: each confirmed answer before
    # the lock, and after it only refusals
    chain = f"12#P#{created['patient_number']}"
    events = [
        decode(item)
        for item in dynamodb.query(
            TableName=NAMES["AuditTable"],
            KeyConditionExpression="chain = :c",
            ExpressionAttributeValues={":c": {"S": chain}},
            ConsistentRead=True,
        )["Items"]
    ]
    assert verify_chain(chain, events, datetime.now(UTC)).intact
    answered = [(e["action"], e["outcome"]) for e in sorted(events, key=lambda e: e["seq"]) if e.get("file_request_id")]
    answered = [a for a in answered if a[0].startswith("patient_page.") and a[0] != "patient_page.opened"]
    assert len(answered) == len(answers)
    lock = answered.index(("patient_page.locked", "failure"))
    assert answered.count(("patient_page.locked", "failure")) == 1
    assert answered[:lock].count(("patient_page.verify_failed", "failure")) == MAX_WRONG_ANSWERS - 1
    assert answered[:lock].count(("patient_page.verified", "success")) == statuses.count(200)
    assert set(answered[lock + 1 :]) <= {("patient_page.verify_failed", "denied")}
