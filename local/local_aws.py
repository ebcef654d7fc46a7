"""The embedded AWS of ``make run``: a moto server provisioned with what the template declares.

With a recording file it keeps its data across restarts (see ``local.recording``): the template's
resources are made afresh, the recorded requests that changed something are replayed, and only
then are uploads wired to their queue and recording switched on.

It serves one DynamoDB call at a time (``OneDynamoDbCallAtATime``), so that each call is atomic as
on AWS while the server's functions run in threads of their own.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import boto3

from local import recording
from local.template import load_template, resources_of_type

REGION = "us-east-1"
ACCOUNT = "123456789012"
# Client name -> the suffix of its AWS_ENDPOINT_URL_<SERVICE> variable (botocore's service id).
SERVICE_IDS = {"events": "EVENTBRIDGE"}


class OneDynamoDbCallAtATime:
    """WSGI middleware: DynamoDB calls are served one at a time, other services' calls as they come.

    DynamoDB makes each call atomic. moto applies a transaction item by item and undoes a cancelled
    one by restoring a copy of each table it touched, taken when the call began: with its threaded
    server, a call served meanwhile (a photo's scan result, kept while the photo's register step
    retried its transaction on a busy audit chain) was undone with it, and the file stayed
    ``pending`` with no ``file.scanned``. SQS long polls and S3 uploads keep their own threads.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))  # the whole answer, before the next call


def _moto_server(port: int) -> Any:
    """moto's threaded server (every service, one thread per call), its DynamoDB one call at a time."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    class Server(ThreadedMotoServer):  # type: ignore[misc]
        def _server_entry(self) -> None:
            app = OneDynamoDbCallAtATime(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return Server(ip_address="127.0.0.1", port=port, verbose=False)


def local_name(logical_id: str) -> str:
    return f"local-{logical_id.lower()}"


class LocalAws:
    """Starts a moto server (unless ``AWS_ENDPOINT_URL`` points elsewhere) and creates the resources.

    ``port`` 0 lets the system choose; ``recording`` (a file) makes the embedded AWS persistent.
    """

    def __init__(self, endpoint_url: str | None = None, port: int = 0, recording_file: Path | None = None) -> None:
        self._moto: Any = None
        self._clients: dict[str, Any] = {}
        self.recording_file: Path | None = None
        if endpoint_url:
            self.endpoint_url = endpoint_url.rstrip("/")
        else:
            if recording_file is not None:
                _record_to(recording_file)
                self.recording_file = recording_file
            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
            self._moto = _moto_server(port)
            self._moto.start()
            host, bound = self._moto.get_host_and_port()
            self.endpoint_url = f"http://{host}:{bound}"
        self.template = load_template()
        self.names = {logical: local_name(logical) for logical in self.template["Resources"]}

    def configure_environment(self, parameters: dict[str, str]) -> None:
        """Point boto3 (in this process) at the embedded AWS and give the functions their variables."""
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ["AWS_DEFAULT_REGION"] = os.environ.get("AWS_DEFAULT_REGION", REGION)
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
        os.environ.update(function_environment(self.template, self.names, parameters, self.endpoint_url))

    def client(self, service: str) -> Any:
        """One client per service (clients are thread-safe; making one costs tens of milliseconds)."""
        if service not in self._clients:
            region = os.environ.get("AWS_REGION", REGION)
            # A service's own AWS_ENDPOINT_URL_<SERVICE> wins, as it does for the functions' clients.
            endpoint = os.environ.get(
                f"AWS_ENDPOINT_URL_{SERVICE_IDS.get(service, service.upper())}", self.endpoint_url
            )
            client = boto3.client(service, endpoint_url=endpoint, region_name=region)  # type: ignore[call-overload]
            self._clients[service] = client
        return self._clients[service]

    def provision(self, cors_origins: list[str]) -> None:
        provision(self.template, self.names, self.client, cors_origins)

    def restore(self, cors_origins: list[str]) -> recording.Restored | None:
        """Provision, then (with a recording file) rebuild what was stored and record from now on."""
        if self.recording_file is None:
            self.provision(cors_origins)
            return None
        provision(self.template, self.names, self.client, cors_origins, notifications=False)
        # The emulator's own tables (not those of an AWS_ENDPOINT_URL_DYNAMODB elsewhere).
        embedded = boto3.client("dynamodb", endpoint_url=self.endpoint_url, region_name=REGION)
        restored = recording.restore(self.recording_file, self.endpoint_url, embedded)
        # Uploads replayed above were registered when they were first made: no queue message for them.
        connect_notifications(self.template, self.names, self.client)
        recording.set_recording(self.endpoint_url, True)
        return restored

    def stop(self) -> None:
        if self._moto is not None:
            self._moto.stop()


def _record_to(path: Path) -> None:
    """moto's recorder reads its file name once, when moto is first imported: before that, here."""
    if "moto.moto_api" in sys.modules and os.environ.get("MOTO_RECORDER_FILEPATH") != str(path):
        raise RuntimeError("moto was imported before the embedded AWS chose its recording file")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.environ["MOTO_RECORDER_FILEPATH"] = str(path)
    # Recording starts once the stored requests have been replayed (LocalAws.restore).
    os.environ.pop("MOTO_ENABLE_RECORDING", None)


def provision(
    template: dict[str, Any],
    names: dict[str, str],
    client: Callable[[str], Any],
    cors_origins: list[str],
    notifications: bool = True,
) -> None:
    """Create the template's tables, queues, topics and buckets (idempotent)."""
    client = functools.cache(client)  # one client per service: making one costs more than most calls here
    for logical, resource in resources_of_type("AWS::DynamoDB::Table", template).items():
        _create_table(client, names[logical], resource["Properties"])
    queues = resources_of_type("AWS::SQS::Queue", template)
    # Dead-letter queues first: the queues that redrive to them name their ARN.
    for logical, resource in sorted(queues.items(), key=lambda item: "RedrivePolicy" in item[1]["Properties"]):
        _create_queue(client, names, logical, resource.get("Properties", {}))
    for logical in resources_of_type("AWS::SNS::Topic", template):
        client("sns").create_topic(Name=names[logical])
    for logical in resources_of_type("AWS::Events::EventBus", template):
        buses = {bus["Name"] for bus in client("events").list_event_buses()["EventBuses"]}
        if names[logical] not in buses:
            client("events").create_event_bus(Name=names[logical])
    for logical in resources_of_type("AWS::Scheduler::ScheduleGroup", template):
        groups = {group["Name"] for group in client("scheduler").list_schedule_groups()["ScheduleGroups"]}
        if names[logical] not in groups:
            client("scheduler").create_schedule_group(Name=names[logical])
    for logical, resource in resources_of_type("AWS::S3::Bucket", template).items():
        _create_bucket(client, names[logical], resource["Properties"], cors_origins)
    if notifications:
        connect_notifications(template, names, client)


def connect_notifications(template: dict[str, Any], names: dict[str, str], client: Callable[[str], Any]) -> None:
    """The buckets' event notifications to their queues (S3 -> SQS)."""
    for logical, resource in resources_of_type("AWS::S3::Bucket", template).items():
        _notify_queues(client, names, names[logical], resource["Properties"])


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def _logical_of(reference: Any) -> str:
    return str(reference["Fn::GetAtt"][0] if isinstance(reference, dict) and "Fn::GetAtt" in reference else reference)


def _create_queue(client: Callable[[str], Any], names: dict[str, str], logical: str, props: dict[str, Any]) -> None:
    attributes: dict[str, str] = {}
    if "VisibilityTimeout" in props:
        attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
    redrive = props.get("RedrivePolicy")
    if redrive:
        target = names[_logical_of(redrive["deadLetterTargetArn"])]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": queue_arn(target), "maxReceiveCount": str(redrive["maxReceiveCount"])}
        )
    client("sqs").create_queue(QueueName=names[logical], Attributes=attributes)


def _notify_queues(client: Callable[[str], Any], names: dict[str, str], bucket: str, props: dict[str, Any]) -> None:
    configurations = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
    if not configurations:
        return
    queue_configurations = []
    for configuration in configurations:
        entry: dict[str, Any] = {
            "QueueArn": queue_arn(names[_logical_of(configuration["Queue"])]),
            "Events": [configuration["Event"]],
        }
        rules = configuration.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        if rules:
            entry["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
        queue_configurations.append(entry)
    client("s3").put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queue_configurations}
    )


def _create_table(client: Callable[[str], Any], name: str, props: dict[str, Any]) -> None:
    dynamodb = client("dynamodb")
    if name in dynamodb.list_tables()["TableNames"]:
        return
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    dynamodb.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def _create_bucket(client: Callable[[str], Any], name: str, props: dict[str, Any], cors_origins: list[str]) -> None:
    s3 = client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if name not in existing:
        s3.create_bucket(Bucket=name)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    rules = props.get("CorsConfiguration", {}).get("CorsRules", [])
    if rules:
        # CloudFormation spells it MaxAge; the S3 API, MaxAgeSeconds.
        cors_rules = [
            {
                "AllowedMethods": rule["AllowedMethods"],
                "AllowedHeaders": rule.get("AllowedHeaders", []),
                "AllowedOrigins": cors_origins,
                "MaxAgeSeconds": int(rule.get("MaxAge", 600)),
            }
            for rule in rules
        ]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": cors_rules})


def function_environment(
    template: dict[str, Any], names: dict[str, str], parameters: dict[str, str], endpoint_url: str
) -> dict[str, str]:
    """Every function's environment variables, with references resolved to the local resources."""
    env = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    for resource in resources_of_type("AWS::Serverless::Function", template).values():
        env.update(resource["Properties"].get("Environment", {}).get("Variables", {}))
    return {name: str(_resolve(template, names, parameters, endpoint_url, value)) for name, value in env.items()}


def _resolve(
    template: dict[str, Any], names: dict[str, str], parameters: dict[str, str], endpoint: str, value: Any
) -> Any:
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        ref = value["Ref"]
        if ref in names:
            return names[ref]
        if ref in parameters:
            return parameters[ref]
        return template.get("Parameters", {}).get(ref, {}).get("Default", "")
    if "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        name = names[logical]
        kind = template["Resources"][logical]["Type"]
        if kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return f"{endpoint}/{ACCOUNT}/{name}"
        if kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{name}"
        service = {"AWS::SQS::Queue": "sqs", "AWS::SNS::Topic": "sns", "AWS::Events::EventBus": "events"}.get(
            kind, "local"
        )
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{name}"
    raise ValueError(f"cannot resolve {value!r} locally")
