"""``make run``: serve every route of ``template.yaml`` with the real handlers on 127.0.0.1."""

from __future__ import annotations

import base64
import importlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from local import tokens
from local.events import LambdaContext, http_event
from local.local_aws import LocalAws
from local.queues import QueueConsumers
from local.template import Route, http_routes

# Lambda's synchronous request limit; HTTP API refuses bodies over 10 MB before that.
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
API_BODY_LIMIT = 10 * 1024 * 1024
CORS_HEADERS = "authorization,content-type,idempotency-key"
CORS_METHODS = "GET,POST,PUT,DELETE,OPTIONS"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class SmsSource(Protocol):
    def sms_messages(self) -> list[tuple[str, str, str]]: ...


def mask_number(number: str) -> str:
    return "*" * max(0, len(number) - 3) + number[-3:]


class LocalApi:
    """Routes requests like API Gateway would and invokes handlers like Lambda would."""

    def __init__(self, aws: SmsSource, base_url: str, quiet: bool = False) -> None:
        self.aws = aws
        self.base_url = base_url
        self.quiet = quiet
        self.routes = http_routes()
        self._handlers: dict[str, Handler] = {}
        # One request at a time per function, like one Lambda container.
        self.function_locks: dict[str, threading.Lock] = {r.function: threading.Lock() for r in self.routes}
        self._import_lock = threading.Lock()
        self._sms_seen: dict[str, str] = {}
        self._sms_lock = threading.Lock()
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
            return self.handler(route)(event, LambdaContext(function_name=route.function))

    # ------------------------------------------------------------------ local-only endpoints
    def sms(self) -> list[dict[str, str]]:
        messages = []
        with self._sms_lock:
            for message_id, number, body in self.aws.sms_messages():
                if message_id not in self._sms_seen:
                    self._sms_seen[message_id] = datetime.now(UTC).isoformat(timespec="seconds")
                    if not self.quiet:
                        print(f"  SMS to {mask_number(number)}: {body}", flush=True)
                messages.append({"to": number, "body": body, "sent_at": self._sms_seen[message_id]})
        return messages

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
                    "access-control-max-age": "600",
                },
                b"",
                [],
            )
        if method == "GET" and path == "/_local/sms":
            return 200, {"content-type": "application/json", **cors}, json.dumps(self.sms()).encode(), []
        if method == "GET" and path == "/openapi.json":
            return 200, {"content-type": "application/json", **cors}, self.openapi(), []

        route, path_parameters = self.match(method, path)
        if route is None:
            return _message(404, "Not Found", cors)
        if len(body) > API_BODY_LIMIT or len(body) * 4 // 3 > LAMBDA_PAYLOAD_LIMIT:
            return _message(413, "Request Entity Too Large", cors)

        claims = None
        if not route.public:
            try:
                claims = tokens.verify(lowered.get("authorization"))
            except tokens.InvalidToken:
                status, out_headers, out_body, _ = _message(401, "Unauthorized", cors)
                out_headers["www-authenticate"] = 'Bearer error="invalid_token"'
                return status, out_headers, out_body, []

        event = http_event(method, path, route.route_key, path_parameters, headers, query, body, claims)
        result = self.invoke(route, event)
        status = int(result.get("statusCode", 200))
        out_headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[name.lower()] = ", ".join(values)
        out_headers.update(cors)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        if method == "POST":
            self.sms()  # echo any SMS this request sent to the console
        return status, out_headers, data, list(result.get("cookies") or [])

    def _cors_headers(self, origin: str | None) -> dict[str, str]:
        if origin and origin in self.origins:
            return {"access-control-allow-origin": origin, "vary": "Origin"}
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

    def __init__(self, address: tuple[str, int], api: LocalApi) -> None:
        super().__init__(address, _RequestHandler)
        self.api = api


def serve(port: int, quiet: bool = False) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    base_url = f"http://127.0.0.1:{port}"
    aws = LocalAws(os.environ.get("AWS_ENDPOINT_URL"))
    origins = [base_url, base_url.replace("127.0.0.1", "localhost")]
    aws.configure_environment(
        {
            "JwtIssuer": tokens.ISSUER,
            "JwtAudience": tokens.AUDIENCE,
            "CorsAllowedOrigins": ",".join(origins),
            "PublicBaseUrl": base_url,
        }
    )
    aws.provision(origins)
    api = LocalApi(aws, base_url, quiet)
    # What Lambda's SQS event source mapping does in AWS: uploads reach the register function.
    consumers = QueueConsumers(aws.client, aws.names, api.function_locks, quiet)
    consumers.start()
    server = _Server(("127.0.0.1", port), api)
    staff = tokens.issue("staff", "12")
    print(f"patient-docs is serving on {base_url}  (embedded AWS at {aws.endpoint_url})", flush=True)
    print(f"  {len(api.routes)} routes from template.yaml", flush=True)
    print(f"  OpenAPI: {base_url}/openapi.json   SMS sent: {base_url}/_local/sms", flush=True)
    print("  staff token (account 12):", flush=True)
    print(staff, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        consumers.stop()
        server.server_close()
        aws.stop()
