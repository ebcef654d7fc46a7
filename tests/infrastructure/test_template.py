"""template.yaml and the code agree, and the template keeps its security promises."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from local.template import ROOT, functions, http_routes, load_template, resources_of_type

TEMPLATE = load_template()
FUNCTIONS = functions()
ROUTES = http_routes()


def _props(kind: str) -> dict[str, Any]:
    (resource,) = resources_of_type(kind).values()
    return resource["Properties"]


# ------------------------------------------------------------------ template <-> code
@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_every_function_handler_exists(function):
    module = importlib.import_module(function.module)
    assert callable(getattr(module, function.handler_name))
    assert (function.directory / "app.py").is_file()


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_every_function_has_an_event_file_for_its_route(function):
    event_file = ROOT / "events" / f"{Path(function.code_uri).name}.json"
    assert event_file.is_file(), f"missing {event_file.relative_to(ROOT)}"
    event = json.loads(event_file.read_text())
    route_keys = {r.route_key for r in ROUTES if r.function == function.logical_id}
    if route_keys:
        assert event["routeKey"] in route_keys
        assert event["version"] == "2.0"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.route_key)
def test_every_template_route_is_served_by_its_function(route):
    app = importlib.import_module(route.module).app
    paths = app.get_openapi_schema().paths or {}
    assert route.path in paths, f"{route.module} does not serve {route.path}"
    assert getattr(paths[route.path], route.method.lower()) is not None


def test_every_function_event_is_handled_without_a_server_error(aws):
    from local.events import LambdaContext

    for function in FUNCTIONS:
        event = json.loads((ROOT / "events" / f"{Path(function.code_uri).name}.json").read_text())
        if event.get("requestContext", {}).get("authorizer"):
            event["requestContext"]["authorizer"]["jwt"]["claims"]["exp"] = "4102444800"
        handler = getattr(importlib.import_module(function.module), function.handler_name)
        result = handler(event, LambdaContext(function_name=function.logical_id))
        if event.get("Records", [{}])[0].get("EventSource") == "aws:sns":  # a topic subscriber
            assert result == {"outcomes": ["ignored"]}, (function.logical_id, result)
        elif "Records" in event:  # a queue consumer: nothing left to retry
            assert result == {"batchItemFailures": []}, (function.logical_id, result)
        elif "detail-type" in event:  # an EventBridge target: it answers what it did
            assert isinstance(result, dict) and result.get("outcome"), (function.logical_id, result)
        else:
            assert result["statusCode"] < 500, (function.logical_id, result)


def test_the_local_server_routes_are_exactly_the_templates():
    from local.server import LocalApi

    api = LocalApi("http://127.0.0.1:3000", quiet=True)
    declared = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for f in FUNCTIONS
        for event in f.events.values()
        if event["Type"] == "HttpApi"
    }
    served = {(r.method, r.path) for r in api.routes}
    assert served == declared


# ------------------------------------------------------------------ runtime and shape
def test_functions_run_python_313_on_arm64_with_the_shared_layers():
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    assert {"Ref": "SharedLayer"} in globals_["Layers"] and {"Ref": "DependenciesLayer"} in globals_["Layers"]
    for function in FUNCTIONS:
        props = TEMPLATE["Resources"][function.logical_id]["Properties"]
        assert props.get("Runtime", "python3.13") == "python3.13"
        assert props.get("Architectures", ["arm64"]) == ["arm64"]


def test_event_logging_is_never_switched_on():
    text = (ROOT / "template.yaml").read_text()
    assert "POWERTOOLS_LOGGER_LOG_EVENT" not in text
    for path in list((ROOT / "functions").rglob("*.py")) + list((ROOT / "layers").rglob("*.py")):
        assert "log_event=True" not in path.read_text(), path


def test_no_code_writes_trace_annotations():
    # X-Ray is on (Tracing: Active) and records AWS calls; annotations or metadata written by code
    # could carry request data, so none are, and no Tracer is created.
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == "Active"
    sources = list((ROOT / "functions").rglob("*.py")) + list((ROOT / "layers" / "common").rglob("*.py"))
    assert sources
    for path in sources:
        text = path.read_text()
        for forbidden in ("put_annotation", "put_metadata", "Tracer(", "aws_xray_sdk"):
            assert forbidden not in text, f"{path}: {forbidden}"


# ------------------------------------------------------------------ auth
def test_every_door_route_needs_the_jwt_authorizer():
    api = _props("AWS::Serverless::HttpApi")
    assert api["Auth"]["DefaultAuthorizer"] == "JwtAuthorizer"
    jwt = api["Auth"]["Authorizers"]["JwtAuthorizer"]["JwtConfiguration"]
    assert jwt == {"issuer": {"Ref": "JwtIssuer"}, "audience": {"Ref": "JwtAudience"}}
    for route in ROUTES:
        if route.public:
            assert route.path.startswith("/r/"), f"{route.route_key} is public but not a patient page route"


# ------------------------------------------------------------------ data at rest
def test_bucket_is_private_encrypted_versioned_and_tls_only():
    bucket = TEMPLATE["Resources"]["DocumentsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] == "aws:kms" and sse["KMSMasterKeyID"]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    api_clients, patient_page = bucket["CorsConfiguration"]["CorsRules"]
    assert api_clients["AllowedOrigins"] == {"Ref": "CorsAllowedOrigins"}
    # The page's photos: exactly the page's origin, POST only.
    assert patient_page["AllowedOrigins"] == [{"Ref": "PublicBaseUrl"}] and patient_page["AllowedMethods"] == ["POST"]
    statements = TEMPLATE["Resources"]["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_table_is_on_demand_with_point_in_time_recovery_and_kms():
    table = TEMPLATE["Resources"]["DocumentsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True and table["SSESpecification"]["SSEType"] == "KMS"


# ------------------------------------------------------------------ least privilege
def _statements(function_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in TEMPLATE["Resources"][function_id]["Properties"].get("Policies", []):
        assert isinstance(policy, dict) and "Statement" in policy, f"{function_id}: use explicit statements"
        statements.extend(policy["Statement"])
    return statements


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_function_policies_are_least_privilege(function):
    for statement in _statements(function.logical_id):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action, f"{function.logical_id}: wildcard action {action}"
        assert statement["Effect"] == "Allow"
        resource = json.dumps(statement["Resource"])
        if any(a.startswith("s3:") for a in actions):
            assert "DocumentsBucket.Arn" in resource and "/" in resource, "object actions only, scoped by prefix"
    text = json.dumps(TEMPLATE["Resources"][function.logical_id]["Properties"].get("Policies", []))
    assert "S3CrudPolicy" not in text and "S3FullAccess" not in text
