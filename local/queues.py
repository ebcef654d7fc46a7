"""Lambda's SQS event source mapping, locally: poll each queue a function subscribes to and invoke it.

Batch size and ``ReportBatchItemFailures`` come from the template. Failed messages are
left on the queue; they become visible again after the visibility timeout, and the
queue's redrive policy moves them to the dead-letter queue, as in AWS.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from typing import Any

from local import lambda_logs
from local.events import LambdaContext
from local.template import Function, functions

REGION = "us-east-1"


def sqs_subscriptions(names: dict[str, str]) -> list[tuple[Function, str, dict[str, Any]]]:
    """(function, local queue name, event properties) for every SQS event in the template."""
    found = []
    for function in functions():
        for event in function.events.values():
            if event.get("Type") != "SQS":
                continue
            props = event["Properties"]
            queue_ref = props["Queue"]
            logical = queue_ref["Fn::GetAtt"][0] if isinstance(queue_ref, dict) else queue_ref
            found.append((function, names[logical], props))
    return found


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


class QueueConsumers:
    """One polling thread per subscription; ``drain()`` lets tests wait until queues are empty."""

    def __init__(
        self,
        client: Callable[[str], Any],
        names: dict[str, str],
        locks: dict[str, threading.Lock],
        quiet: bool = True,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self._client = client
        self._locks = locks
        self._quiet = quiet
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # ``skip``: functions whose queue the caller delivers itself (``deliver_now``).
        self._subscriptions = [s for s in sqs_subscriptions(names) if s[0].logical_id not in skip]

    def start(self) -> None:
        for function, queue_name, props in self._subscriptions:
            # Imported here, before any request is served: two threads importing at once can break an import.
            handler = getattr(importlib.import_module(function.module), function.handler_name)
            thread = threading.Thread(target=self._poll, args=(function, handler, queue_name, props), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def _poll(self, function: Function, handler: Any, queue_name: str, props: dict[str, Any]) -> None:
        sqs = self._client("sqs")
        queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        batch_size = min(int(props.get("BatchSize", 10)), 10)
        partial = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        lock = self._locks.setdefault(function.logical_id, threading.Lock())
        while not self._stop.is_set():
            try:
                # Long polling, as the event source mapping does: an idle queue costs (and records) one
                # request every 20 s, and a message is handed over as soon as it arrives.
                received = sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=batch_size, WaitTimeSeconds=20, AttributeNames=["All"]
                )
            except Exception:  # the embedded AWS is going away
                time.sleep(0.5)
                continue
            messages = received.get("Messages", [])
            if not messages:
                continue
            failed: set[str] = set()
            try:
                with lock:
                    context = LambdaContext(function_name=function.logical_id)
                    result = lambda_logs.invoke(handler, sqs_event(messages, queue_arn), context)
                if partial and isinstance(result, dict):
                    failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
            except Exception as exc:  # the whole batch fails, as in Lambda
                failed = {m["MessageId"] for m in messages}
                if not self._quiet:
                    print(f"  {function.logical_id} failed: {type(exc).__name__}", flush=True)
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
                )
            if not self._quiet:
                print(f"  {function.logical_id}: {len(done)} processed, {len(failed)} failed", flush=True)


def deliver_now(client: Callable[[str], Any], names: dict[str, str], queue_logical_id: str) -> int:
    """The event source mapping of one queue, at once rather than by polling: hand each message waiting
    on it to its function until none is left; the number handled. Failed messages stay (invisible for
    their timeout, as in AWS). Tests and the local clock use it to see queued work done."""
    subscriptions = [s for s in sqs_subscriptions(names) if s[1] == names[queue_logical_id]]
    if not subscriptions:
        return 0
    function, queue_name, _ = subscriptions[0]
    handler = getattr(importlib.import_module(function.module), function.handler_name)
    sqs = client("sqs")
    queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    handled = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return handled
        context = LambdaContext(function_name=function.logical_id)
        result = lambda_logs.invoke(handler, sqs_event(messages, queue_arn), context)
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        handled += len(messages)
