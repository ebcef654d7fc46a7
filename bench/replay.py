"""AWS answers recorded once from a real emulator, then played back in-process (botocore events).

While recording, every call goes out as usual and its answer (HTTP status and parsed
response) is kept per operation, in call order. While playing, a ``before-call`` hook
answers each call with the next recorded answer of its operation, so the call never
leaves the process; an operation with no answer left is refused (``UnrecordedCall``).
``rewind`` starts every operation's answers over (once per invocation).
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.response import StreamingBody


class UnrecordedCall(LookupError):
    """A call the recording holds no answer for."""


@dataclass(frozen=True)
class Answer:
    status: int
    parsed: bytes  # pickled: a fresh copy per answer, faster than copy.deepcopy
    streams: dict[str, bytes]  # streamed members (an object's Body), read once while recording


class Tape:
    """Attach before the session makes its clients (each client copies the session's hooks)."""

    def __init__(self, events: Any) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.refused: list[str] = []
        self.mode = "off"  # "record", "play" or "off" (calls go out, nothing kept)
        self._next: dict[str, int] = {}
        events.register("after-call", self._after)
        events.register("before-call", self._before)

    def record(self) -> None:
        self.mode = "record"

    def play(self) -> None:
        self.mode = "play"
        self.rewind()

    def rewind(self) -> None:
        self._next.clear()

    def stop(self) -> None:
        self.mode = "off"

    def _after(self, event_name: str, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if self.mode == "record":
            self._keep(event_name, http_response, parsed)

    def _before(self, event_name: str, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        return self._answer(event_name) if self.mode == "play" else None

    def _keep(self, event_name: str, http_response: Any, parsed: dict[str, Any]) -> None:
        streams: dict[str, bytes] = {}
        for name, value in list(parsed.items()):
            if isinstance(value, StreamingBody):  # the caller reads it after us: hand it a fresh one
                streams[name] = value.read()
                parsed[name] = StreamingBody(io.BytesIO(streams[name]), len(streams[name]))
        kept = pickle.dumps({name: value for name, value in parsed.items() if name not in streams})
        key = event_name.split(".", 1)[1]  # service.Operation
        self.answers.setdefault(key, []).append(Answer(http_response.status_code, kept, streams))

    def _answer(self, event_name: str) -> tuple[AWSResponse, dict[str, Any]]:
        key = event_name.split(".", 1)[1]
        index = self._next.get(key, 0)
        recorded = self.answers.get(key, [])
        if index >= len(recorded):
            self.refused.append(key)
            raise UnrecordedCall(f"no recorded answer for call {index + 1} of {key}")
        self._next[key] = index + 1
        answer = recorded[index]
        parsed: dict[str, Any] = pickle.loads(answer.parsed)  # noqa: S301 - pickled by _keep in this process
        for name, data in answer.streams.items():
            parsed[name] = StreamingBody(io.BytesIO(data), len(data))
        return AWSResponse("https://replayed.invalid", answer.status, HTTPHeaders(), None), parsed
