"""EventBridge rules with Lambda targets, locally: an event reaches the functions whose template rules match it.

A function declares its rules as SAM events of ``Type: EventBridgeRule`` (a ``Pattern``, and an
``EventBusName`` or the account's default bus). ``EventRules.deliver`` matches an event against each
with moto's EventBridge pattern matcher and invokes the handler as Lambda invokes an asynchronous
target: a failure is retried twice, then the event goes to the function's dead-letter queue, if it
names one. The local server's malware scanner stand-in (``local.scanner``) delivers its scan results
this way; tests deliver real-shaped events the same way, so the template's pattern is what decides.
A developer tool: never deployed.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local import lambda_logs
from local.events import LambdaContext
from local.local_aws import local_name
from local.template import Function, functions, load_template

DEFAULT_BUS = "default"
# Lambda's asynchronous invocation: the first try and two retries.
ATTEMPTS = 3


@dataclass(frozen=True)
class Rule:
    function: Function
    name: str  # the SAM event's name
    bus: str  # "default", or the local name of the template's bus
    pattern: dict[str, Any]
    dead_letter_queue: str | None  # local name of the function's DeadLetterQueue, if any


def _resolved(value: Any, template: Mapping[str, Any], names: Mapping[str, str]) -> Any:
    """``Ref`` to a resource or parameter (anywhere in a pattern), as the local stack names it."""
    if isinstance(value, list):
        return [_resolved(item, template, names) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        ref = str(value["Ref"])
        if ref in names:
            return names[ref]
        return template.get("Parameters", {}).get(ref, {}).get("Default", "")
    if set(value) == {"Fn::GetAtt"}:
        return names[str(value["Fn::GetAtt"][0])]
    return {key: _resolved(item, template, names) for key, item in value.items()}


def rules(template: Mapping[str, Any] | None = None, names: Mapping[str, str] | None = None) -> list[Rule]:
    """Every EventBridgeRule event of the template's functions, its references resolved to local names."""
    template = template or load_template()
    names = names or {logical: local_name(logical) for logical in template["Resources"]}
    found = []
    for function in functions(dict(template)):
        properties = template["Resources"][function.logical_id]["Properties"]
        queue = properties.get("DeadLetterQueue", {}).get("TargetArn")
        dead_letter_queue = _resolved(queue, template, names) if queue else None
        for name, event in function.events.items():
            if event.get("Type") != "EventBridgeRule":
                continue
            props = event.get("Properties", {})
            bus = props.get("EventBusName")
            found.append(
                Rule(
                    function=function,
                    name=name,
                    bus=str(_resolved(bus, template, names)) if bus else DEFAULT_BUS,
                    pattern=_resolved(props["Pattern"], template, names),
                    dead_letter_queue=str(dead_letter_queue).rsplit(":", 1)[-1] if dead_letter_queue else None,
                )
            )
    return found


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """EventBridge's pattern matching, as moto implements it."""
    from moto.events.models import EventPattern

    return bool(EventPattern.load(json.dumps(pattern)).matches_event(dict(event)))  # type: ignore[arg-type]


@dataclass
class Delivery:
    function: str
    result: Any = None
    error: str | None = None  # the exception's type, when every attempt failed
    attempts: int = 0


class EventRules:
    """Delivers events to the template's EventBridge rules' functions (one invocation at a time per function).

    ``locks``: the local server's per-function locks, so a function runs one invocation at a time;
    ``client``: where a dead-letter queue lives (``LocalAws.client`` or boto3's), None to print only.
    """

    def __init__(
        self,
        locks: dict[str, threading.Lock] | None = None,
        client: Callable[[str], Any] | None = None,
        quiet: bool = True,
        template: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.rules = rules(template, names)
        self._locks = locks if locks is not None else {}
        self._client = client
        self._quiet = quiet
        self._handlers: dict[str, Any] = {}

    def _handler(self, function: Function) -> Any:
        if function.logical_id not in self._handlers:
            module = importlib.import_module(function.module)
            self._handlers[function.logical_id] = getattr(module, function.handler_name)
        return self._handlers[function.logical_id]

    def deliver(self, event: Mapping[str, Any], bus: str = DEFAULT_BUS) -> list[Delivery]:
        """Invoke every function whose rule on ``bus`` matches ``event``; what each answered, or why it failed."""
        deliveries = []
        for rule in self.rules:
            if rule.bus == bus and matches(rule.pattern, event):
                deliveries.append(self._invoke(rule, dict(event)))
        return deliveries

    def _invoke(self, rule: Rule, event: dict[str, Any]) -> Delivery:
        function = rule.function.logical_id
        delivery = Delivery(function)
        lock = self._locks.setdefault(function, threading.Lock())
        for _ in range(ATTEMPTS):
            delivery.attempts += 1
            try:
                with lock:
                    delivery.result = lambda_logs.invoke(
                        self._handler(rule.function), event, LambdaContext(function_name=function)
                    )
                delivery.error = None
                return delivery
            except Exception as exc:  # what Lambda retries
                delivery.error = type(exc).__name__
        if not self._quiet:
            print(f"  {function} failed {ATTEMPTS} times ({delivery.error})", flush=True)
        if rule.dead_letter_queue and self._client is not None:
            sqs = self._client("sqs")
            queue_url = sqs.get_queue_url(QueueName=rule.dead_letter_queue)["QueueUrl"]
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
        return delivery
