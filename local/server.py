"""``make run``: serve every route of ``template.yaml`` with the real handlers on 127.0.0.1."""

from __future__ import annotations

import base64
import errno
import importlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from local import iam_check, lambda_logs, recording, state, tokens
from local.email import EmailLog
from local.eventbridge import EventRules
from local.events import LambdaContext, http_event
from local.local_aws import LocalAws
from local.queues import QueueConsumers, deliver_now
from local.recording import Restored
from local.scanner import LocalScanner, delay_seconds
from local.schedules import LocalClock, fire_due
from local.sms import SmsLog
from local.template import Route, api_cors, http_routes
from local.webhooks import WebhookLog, enable_local_targets
from patient_docs.rules.timestamps import utc_now

# Lambda's synchronous request limit; HTTP API refuses bodies over 10 MB before that.
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
API_BODY_LIMIT = 10 * 1024 * 1024
# The HTTP API's CORS, as template.yaml configures it (origins: the CorsAllowedOrigins parameter).
_CORS = api_cors()
CORS_HEADERS = ",".join(_CORS["AllowHeaders"])
CORS_METHODS = ",".join(_CORS["AllowMethods"])
CORS_EXPOSE = ",".join(_CORS["ExposeHeaders"])
CORS_MAX_AGE = str(_CORS["MaxAge"])

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# The email fallback's sender locally (DefaultEmailSender), verified in the embedded SES at every start.
LOCAL_EMAIL_SENDER = "no-reply@clinic.example"
SCHEDULE_CHECK_SECONDS = 30


class LocalApi:
    """Routes requests like API Gateway would and invokes handlers like Lambda would.

    Without an ``sms_log`` it keeps one in memory, fed by the SNS calls made in this process.
    """

    def __init__(
        self,
        base_url: str,
        quiet: bool = False,
        sms_log: SmsLog | None = None,
        deliver_queued: bool = False,
        email_log: EmailLog | None = None,
        webhook_log: WebhookLog | None = None,
    ) -> None:
        self.base_url = base_url
        self.quiet = quiet
        self.email_log = email_log or EmailLog(quiet=quiet).attach()
        self.webhook_log = webhook_log or WebhookLog(quiet=quiet).attach()
        # Without the server's queue pollers (tests): after each request, queued notifications are sent.
        self.deliver_queued = deliver_queued
        self._queue_client: Any = None
        self._scheduler_client: Any = None
        self._schedules_checked = float("-inf")
        self.clock: LocalClock | None = None  # POST /_local/clock: only the make run server moves its clock
        self._queue_names: dict[str, str] = {}
        self.sms_log = sms_log or SmsLog(quiet=quiet).attach()
        self.routes = http_routes()
        self._handlers: dict[str, Handler] = {}
        # One request at a time per function, like one Lambda container.
        self.function_locks: dict[str, threading.Lock] = {r.function: threading.Lock() for r in self.routes}
        self._import_lock = threading.Lock()
        self._openapi: bytes | None = None
        self.origins = [base_url, base_url.replace("127.0.0.1", "localhost")]

    # ------------------------------------------------------------------ routing
    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        """The most specific route for method and path (API Gateway's rule), with its parameters."""
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None, {}

    def handler(self, route: Route) -> Handler:
        with self._import_lock:
            if route.function not in self._handlers:
                module = importlib.import_module(route.module)
                self._handlers[route.function] = module.lambda_handler
            return self._handlers[route.function]

    def invoke(self, route: Route, event: dict[str, Any]) -> dict[str, Any]:
        with self.function_locks[route.function]:
            return lambda_logs.invoke(self.handler(route), event, LambdaContext(function_name=route.function))

    def send_queued_notifications(self, fire_schedules: bool = True) -> int:
        """What the notifications queue's event source mapping does, at once (see ``deliver_queued``);
        first, with ``fire_schedules``, what EventBridge Scheduler does: due reminders reach the queue."""
        if self._queue_client is None:
            import boto3

            from local.local_aws import local_name
            from local.template import load_template

            self._queue_client = boto3.client("sqs")
            self._queue_names = {logical: local_name(logical) for logical in load_template()["Resources"]}
            self._scheduler_client = boto3.client("scheduler")
        client = self._queue_client
        with self.function_locks.setdefault("NotificationSendFunction", threading.Lock()):
            if fire_schedules:  # by the service's clock
                fire_due(self._scheduler_client, client, utc_now())
                self._schedules_checked = time.monotonic()
            return deliver_now(lambda service: client, self._queue_names, "NotificationsQueue")

    # ------------------------------------------------------------------ local-only endpoints
    def sms(self) -> list[dict[str, str]]:
        return self.sms_log.messages()

    def openapi(self) -> bytes:
        if self._openapi is None:
            from local.openapi import build_openapi

            self._openapi = build_openapi(self.routes, self.base_url).encode()
        return self._openapi

    # ------------------------------------------------------------------ one request
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, list[str]]:
        parts = urlsplit(raw_path)
        path, query = parts.path, parts.query
        lowered = {k.lower(): v for k, v in headers.items()}
        origin = lowered.get("origin")
        cors = self._cors_headers(origin)

        if method == "OPTIONS":
            return (
                204,
                {
                    **cors,
                    "access-control-allow-headers": CORS_HEADERS,
                    "access-control-allow-methods": CORS_METHODS,
                    "access-control-max-age": CORS_MAX_AGE,
                },
                b"",
                [],
            )
        if method == "POST" and path == "/_local/clock" and self.clock is not None:
            return self._advance_clock(self.clock, body, cors)
        local = self._local_route(method, path)
        if local is not None:
            return 200, {"content-type": "application/json", **cors}, local, []

        route, path_parameters = self.match(method, path)
        if route is None:
            return _message(404, "Not Found", cors)

        claims = None
        if not route.public:
            try:
                claims = tokens.verify(lowered.get("authorization"))
            except tokens.InvalidToken:
                status, out_headers, out_body, _ = _message(401, "Unauthorized", cors)
                out_headers["www-authenticate"] = 'Bearer error="invalid_token"'
                return status, out_headers, out_body, []

        event = http_event(method, path, route.route_key, path_parameters, headers, query, body, claims)
        # The gateway's body limit, then Lambda's, on the invocation's payload: the event as JSON, where a JSON
        # body rides as text and a binary one base64-encoded (a third larger); a 4 MiB file in door A's JSON fits.
        if len(body) > API_BODY_LIMIT or len(json.dumps(event)) > LAMBDA_PAYLOAD_LIMIT:
            return _message(413, "Request Entity Too Large", cors)
        result = self.invoke(route, event)
        if self.deliver_queued:
            # Schedules are read at most every SCHEDULE_CHECK_SECONDS on the way (each costs a call per
            # schedule waiting), and at every POST /_local/clock.
            due_check = time.monotonic() - self._schedules_checked >= SCHEDULE_CHECK_SECONDS
            self.send_queued_notifications(fire_schedules=due_check)
        status = int(result.get("statusCode", 200))
        out_headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[name.lower()] = ", ".join(values)
        out_headers.update(cors)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        return status, out_headers, data, list(result.get("cookies") or [])

    def _advance_clock(
        self, clock: LocalClock, body: bytes, cors: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes, list[str]]:
        """``{"advance_hours": N}``: the clock moves N hours on; due schedules fire, queued notices go."""
        try:
            hours = json.loads(body or b"{}")["advance_hours"]
            if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24 * 366:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return _message(400, "advance_hours must be a number of hours, more than 0 and at most a year", cors)
        offset = clock.advance(float(hours))
        sent = self.send_queued_notifications()
        now = utc_now().isoformat(timespec="seconds")
        answer = {"now": now, "offset_hours": offset.total_seconds() / 3600, "notifications_handled": sent}
        return 200, {"content-type": "application/json", **cors}, json.dumps(answer).encode(), []

    def _local_route(self, method: str, path: str) -> bytes | None:
        """The JSON body of a local-only route (never deployed), or None for every other path."""
        if method != "GET":
            return None
        if path == "/_local/sms":
            return json.dumps(self.sms()).encode()
        if path == "/_local/email":
            return json.dumps(self.email_log.messages()).encode()
        if path == "/_local/webhooks":
            return json.dumps(self.webhook_log.attempts()).encode()
        if path == "/openapi.json":
            return self.openapi()
        return None

    def _cors_headers(self, origin: str | None) -> dict[str, str]:
        if origin and origin in self.origins:
            return {
                "access-control-allow-origin": origin,
                "access-control-expose-headers": CORS_EXPOSE,
                "vary": "Origin",
            }
        return {}


def _message(status: int, message: str, cors: dict[str, str]) -> tuple[int, dict[str, str], bytes, list[str]]:
    return status, {"content-type": "application/json", **cors}, json.dumps({"message": message}).encode(), []


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        try:
            status, out_headers, data, cookies = self.server.api.handle(self.command, self.path, headers, body)
        except Exception as exc:  # what API Gateway answers when the function itself fails
            print(f"  function error: {type(exc).__name__}", flush=True)
            status, out_headers, data, cookies = _message(500, "Internal Server Error", {})
        self.send_response(status)
        for name, value in out_headers.items():
            if name not in ("content-length", "connection"):
                self.send_header(name, value)
        for cookie in cookies:
            self.send_header("set-cookie", cookie)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        if not self.server.api.quiet:
            elapsed = (time.perf_counter() - started) * 1000
            # The route, not the path: paths carry patient ids.
            route, _ = self.server.api.match(self.command, urlsplit(self.path).path)
            print(f"{route.route_key if route else self.command + ' (local)'} -> {status} {elapsed:.0f} ms", flush=True)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_HEAD = do_TRACE = _serve  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        # Any other method (QUERY, PROPFIND, ...) is routed too: API Gateway answers 404, never 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default log line prints the full path, which carries ids."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: LocalApi, activate: bool = True) -> None:
        super().__init__(address, _RequestHandler, bind_and_activate=False)
        self.api = api
        try:
            self.server_bind()  # claims the port (a busy one fails here) ...
            if activate:
                self.server_activate()  # ... and from here on connections are accepted
        except OSError:
            self.server_close()
            raise


class _Stop(BaseException):
    """SIGTERM (and SIGINT): shut down. A BaseException, as KeyboardInterrupt is: raised wherever the main
    thread is when the signal comes, it must not be taken for an error by an ``except Exception``."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def serve(port: int, aws_port: int, quiet: bool = False) -> int:
    """``make run``: 0 after Ctrl-C or SIGTERM; 1, with one line of explanation, if it cannot start."""
    started = time.perf_counter()
    base_url = f"http://127.0.0.1:{port}"
    directory = state.state_dir()
    lock = state.StateLock(directory)
    # Queued notifications are sent at the end of the request that queued them: the create still answers
    # "queued", and /_local/sms already holds the SMS (no poller racing the walkthrough).
    api = LocalApi(
        base_url,
        quiet,
        SmsLog(directory / state.SMS_LOG, quiet).attach(),
        deliver_queued=True,
        email_log=EmailLog(directory / state.EMAIL_LOG, quiet).attach(),
        webhook_log=WebhookLog(directory / state.WEBHOOK_LOG, quiet).attach(),
    )
    try:
        server = _Server(("127.0.0.1", port), api, activate=False)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(f"port {port} is already in use: choose another one, e.g. PORT={port + 100} make run", flush=True)
        return 1
    try:
        external = os.environ.get("AWS_ENDPOINT_URL")
        lock.acquire()
        if not external:
            state.check_port_free(
                aws_port, "the embedded AWS", f"choose another, e.g. LOCAL_AWS_PORT={aws_port + 100} make run"
            )
        aws = LocalAws(external, aws_port, None if external else directory / state.RECORDING)
    except (state.StateBusy, state.PortInUse) as exc:
        print(exc, flush=True)
        server.server_close()
        return 1
    signal.signal(signal.SIGTERM, _stop)
    # Ctrl-C stops it even when whatever started it ignored SIGINT (a background command of a shell without
    # job control inherits it ignored, and Python then leaves it so) or blocked it (a signal mask is inherited
    # too): make run's contract is Ctrl-C.
    signal.signal(signal.SIGINT, _stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    consumers = None
    scanner = None
    try:
        origins = [base_url, base_url.replace("127.0.0.1", "localhost")]
        aws.configure_environment(local_parameters(base_url))
        enable_local_targets()  # this server only: webhooks may call a receiver on http://127.0.0.1:<port>
        iam_check.enable_from_environment()  # PATIENT_DOCS_IAM_CHECK: report calls the deployed roles refuse
        api.clock = LocalClock()  # POST /_local/clock moves it
        if aws.recording_file is not None and aws.recording_file.exists() and not quiet:
            size = aws.recording_file.stat().st_size / 1e6
            print(f"restoring the data kept in {directory} ({size:.1f} MB) ...", flush=True)
        restored = aws.restore(origins)
        # What a verified SES identity is in AWS: the local sender may send.
        aws.client("ses").verify_email_identity(EmailAddress=LOCAL_EMAIL_SENDER)
        # What Lambda's SQS event source mapping does in AWS: uploads reach the register function.
        consumers = QueueConsumers(
            aws.client, aws.names, api.function_locks, quiet, skip=frozenset({"NotificationSendFunction"})
        )
        consumers.start()
        # What GuardDuty Malware Protection for S3 does in AWS: new files are scanned, their results reach
        # the functions the template's EventBridge rules name.
        rules = EventRules(api.function_locks, aws.client, quiet)
        scanner = LocalScanner(aws.client, aws.names, rules, quiet=quiet)
        scanner.connect(lambda: _not_recorded(aws))
        scanner.start()
        server.server_activate()
        state.write_server_file(directory, base_url, aws.endpoint_url)
        _banner(api, aws, restored, time.perf_counter() - started, directory)
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        if consumers is not None:
            consumers.stop()
        if scanner is not None:
            scanner.stop()
        server.server_close()
        aws.stop()
        state.remove_server_file(directory)
        lock.release()
    return 0


@contextmanager
def _not_recorded(aws: LocalAws) -> Iterator[None]:
    """Requests made meanwhile are not kept (wiring made afresh at every start)."""
    if aws.recording_file is None:
        yield
        return
    recording.set_recording(aws.endpoint_url, False)
    try:
        yield
    finally:
        recording.set_recording(aws.endpoint_url, True)


def local_parameters(base_url: str) -> dict[str, str]:
    """The template parameters the local stack gives its functions."""
    origins = [base_url, base_url.replace("127.0.0.1", "localhost")]
    return {
        "JwtIssuer": tokens.ISSUER,
        "JwtAudience": tokens.AUDIENCE,
        "CorsAllowedOrigins": ",".join(origins),
        "PublicBaseUrl": base_url,
        "DefaultEmailSender": LOCAL_EMAIL_SENDER,
    }


def _banner(api: LocalApi, aws: LocalAws, restored: Restored | None, seconds: float, directory: Path) -> None:
    base_url = api.base_url
    print(f"patient-docs is serving on {base_url}  (embedded AWS at {aws.endpoint_url})", flush=True)
    if restored is not None:
        skipped = f"; {restored.unreadable} unreadable line(s) skipped" if restored.unreadable else ""
        snapshot = ", items snapshot taken" if restored.snapshot_taken else ""
        print(
            f"  data kept in {directory} (make reset starts clean): {restored.items} table items, "
            f"{restored.replayed} requests replayed{snapshot}, ready in {seconds:.1f} s{skipped}",
            flush=True,
        )
    print(f"  {len(api.routes)} routes from template.yaml", flush=True)
    print(f"  malware scanning (local stand-in): each new file after {delay_seconds():g} s", flush=True)
    print(f"  OpenAPI: {base_url}/openapi.json   SMS sent: {base_url}/_local/sms", flush=True)
    print(f"  email sent: {base_url}/_local/email   webhook tries: {base_url}/_local/webhooks", flush=True)
    print("  staff token (account 12):", flush=True)
    print(tokens.issue("staff", "12"), flush=True)
