"""Reliability and abuse limits the template must keep, checked on every route and consumer it declares.

checkov (``make checkov``) covers the generic rules; these are the project's own, written so
that a route or consumer added later is held to them without anyone editing this file.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.template import functions, http_routes, load_template, resources_of_type

# The patient page and anything else without a JWT: throttled by these parameters, whose defaults are sized for
# the stated load's SMS volume (docs/capacity.md) and stay below the authenticated routes'.
PUBLIC_RATE_PARAMETER = "PatientPageRateLimit"
PUBLIC_BURST_PARAMETER = "PatientPageBurstLimit"
# The stated load (docs/capacity.md): requests per second the defaults must take.
STATED_API_RATE = 2500
STATED_PATIENT_PAGE_RATE = 25

# Event sources Lambda invokes asynchronously: a failure must land somewhere, not vanish.
ASYNC_EVENT_TYPES = {"S3", "SNS", "EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2", "CloudWatchLogs"}

TEMPLATE = load_template()


def _http_api() -> dict[str, Any]:
    (api,) = resources_of_type("AWS::Serverless::HttpApi", TEMPLATE).values()
    return api["Properties"]


def _logical_id(reference: Any) -> str | None:
    if isinstance(reference, dict):
        if "Ref" in reference:
            return str(reference["Ref"])
        if "Fn::GetAtt" in reference:
            return str(reference["Fn::GetAtt"][0])
    return None


def test_every_route_setting_names_a_route_of_the_template():
    # A RouteSettings key without its route fails the deployment ("Unable to find Route by key").
    keys = {route.route_key for route in http_routes(TEMPLATE)}
    unknown = sorted(set(_http_api().get("RouteSettings", {})) - keys)
    assert unknown == [], f"RouteSettings for routes that do not exist: {unknown}"


@pytest.mark.parametrize("route", [r for r in http_routes(TEMPLATE) if r.public] or [None], ids=str)
def test_every_public_route_has_the_patient_page_throttle(route):
    if route is None:
        pytest.skip("no public route in the template yet")
    settings = _http_api().get("RouteSettings", {}).get(route.route_key)
    assert settings, f"public route {route.route_key} needs an entry in HttpApi RouteSettings"
    assert settings["ThrottlingRateLimit"] == {"Ref": PUBLIC_RATE_PARAMETER}
    assert settings["ThrottlingBurstLimit"] == {"Ref": PUBLIC_BURST_PARAMETER}


def _default(parameter: str) -> int:
    return int(TEMPLATE["Parameters"][parameter]["Default"])


def test_throttle_defaults_take_the_stated_load_and_public_routes_stay_below_the_rest():
    # Given the stated load: 2,500 requests/s over the API, about 25/s on the patient page at its busiest
    assert _default("ApiRateLimit") >= STATED_API_RATE
    assert _default(PUBLIC_RATE_PARAMETER) >= STATED_PATIENT_PAGE_RATE
    # Then the public routes, whose only capability is the link, are still throttled harder than the rest
    assert _default(PUBLIC_RATE_PARAMETER) < _default("InlineUploadRateLimit") < _default("ApiRateLimit")
    assert _default(PUBLIC_BURST_PARAMETER) < _default("InlineUploadBurstLimit") < _default("ApiBurstLimit")
    # And no route's limit is a constant the parameters cannot change
    settings = [_http_api()["DefaultRouteSettings"], *_http_api()["RouteSettings"].values()]
    for limits in settings:
        assert all(isinstance(value, dict) and "Ref" in value for value in limits.values()), limits


def test_default_route_throttle_is_set():
    defaults = _http_api()["DefaultRouteSettings"]
    assert defaults["ThrottlingRateLimit"] and defaults["ThrottlingBurstLimit"]


def test_every_function_reserves_concurrency_once_the_deployment_asks():
    # Nothing is reserved by default (a new account's quota may be 10, and 100 stay unreserved);
    # with FunctionConcurrency set, every function reserves, the queue consumer as much as its queue may use.
    from local.deployed import deployed_template, reserved_concurrency

    deployed = deployed_template()
    assert reserved_concurrency(deployed, {}) == {}
    reserved = reserved_concurrency(deployed, {"FunctionConcurrency": 5})
    assert set(reserved) == set(resources_of_type("AWS::Serverless::Function", TEMPLATE))
    assert all(count >= 2 for count in reserved.values())


def test_every_asynchronous_consumer_has_a_failure_destination():
    resources = TEMPLATE["Resources"]
    for function in functions(TEMPLATE):
        props = resources[function.logical_id]["Properties"]
        for name, event in function.events.items():
            kind = event.get("Type")
            if kind in ASYNC_EVENT_TYPES:
                on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
                assert props.get("DeadLetterQueue") or on_failure, (
                    f"{function.logical_id}.{name} ({kind}) is invoked asynchronously: "
                    "give it a DeadLetterQueue or EventInvokeConfig OnFailure"
                )
            if kind == "SQS":
                queue = _logical_id(event["Properties"]["Queue"])
                redrive = resources[queue]["Properties"].get("RedrivePolicy", {}) if queue else {}
                assert redrive.get("deadLetterTargetArn") and redrive.get("maxReceiveCount"), (
                    f"{function.logical_id}.{name}: queue {queue} needs a RedrivePolicy to a dead-letter queue"
                )


def test_documents_bucket_logs_access_and_expires_what_must_not_stay():
    bucket = TEMPLATE["Resources"]["DocumentsBucket"]["Properties"]
    assert _logical_id(bucket["LoggingConfiguration"]["DestinationBucketName"]) == "AccessLogsBucket"
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert any(r.get("AbortIncompleteMultipartUpload") for r in rules)
    quarantine = [r for r in rules if r.get("Prefix") == "quarantine/"]
    assert quarantine and quarantine[0].get("ExpirationInDays")


@pytest.mark.parametrize("logical_id", sorted(resources_of_type("AWS::S3::Bucket", TEMPLATE)))
def test_every_bucket_is_encrypted_private_and_tls_only(logical_id):
    props = TEMPLATE["Resources"][logical_id]["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    policies = [
        p["Properties"]
        for p in resources_of_type("AWS::S3::BucketPolicy", TEMPLATE).values()
        if _logical_id(p["Properties"]["Bucket"]) == logical_id
    ]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in statements
    ), f"{logical_id} needs a TLS-only policy"


def test_table_has_point_in_time_recovery_and_a_customer_key():
    table = TEMPLATE["Resources"]["DocumentsTable"]["Properties"]
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEType"] == "KMS"
    assert _logical_id(table["SSESpecification"]["KMSMasterKeyId"]) == "DataKey"


def test_logs_are_kept_for_a_bounded_time_and_encrypted():
    for logical_id, group in resources_of_type("AWS::Logs::LogGroup", TEMPLATE).items():
        assert group["Properties"].get("RetentionInDays"), logical_id
        assert _logical_id(group["Properties"].get("KmsKeyId")) == "DataKey", logical_id
    assert _http_api()["AccessLogSettings"]["DestinationArn"]
