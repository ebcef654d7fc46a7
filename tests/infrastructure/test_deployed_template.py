"""template.yaml as CloudFormation receives it: SAM's own transform, checked for what a deployment refuses.

moto never sees the routes, roles and references API Gateway, IAM and CloudFormation check. Each
check is a function of the transformed template returning its problems; the real template has none,
and every check is shown failing on a copy with one of issue 12's findings applied back.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from local.deployed import PSEUDO_PARAMETERS, Resolver, deployed_template, reserved_concurrency
from local.template import functions, http_routes

DEPLOYED = deployed_template()
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"}
# Lambda keeps this much of the account's concurrency unreserved; 1,000 is the quota accounts are
# raised to, while new accounts may start at 10, where nothing at all can be reserved.
UNRESERVED_MINIMUM = 100
STANDARD_QUOTA = 1000
NEW_ACCOUNT_QUOTA = 10
# SNS stops sending SMS at the account's MonthlySpendLimit: 1 USD until AWS raises it.
DEFAULT_SMS_SPEND_LIMIT_USD = 1.0
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# An integration's target: a function's ARN, or (AutoPublishAlias) its alias, whose Ref is the alias ARN.
_FUNCTION_ARN = re.compile(r"/functions/\$\{(\w+?)(?:\.Arn)?\}/invocations")
_NAME_PROPERTIES = {"BucketName", "TableName", "QueueName", "TopicName", "Name", "FunctionName", "RoleName"}


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


# ------------------------------------------------------------------ routes
def _function_of(template: dict[str, Any], logical_id: str) -> str:
    """The function a logical id names: itself, or the function an alias points at."""
    resource = template["Resources"].get(logical_id, {})
    if resource.get("Type") == "AWS::Lambda::Alias":
        return str(resource["Properties"]["FunctionName"]["Ref"])
    return logical_id


def aliased_targets(template: dict[str, Any]) -> list[str]:
    """What routes, permissions and event sources invoke that is not a function's published alias."""
    aliases = _resources(template, "AWS::Lambda::Alias")
    found = []
    for api in _resources(template, "AWS::ApiGatewayV2::Api").values():
        for path, operations in api["Properties"].get("Body", {}).get("paths", {}).items():
            for method, operation in operations.items():
                uri = (
                    operation.get("x-amazon-apigateway-integration", {}).get("uri", {})
                    if method in HTTP_METHODS
                    else {}
                )
                text = uri.get("Fn::Sub", "") if isinstance(uri, dict) else ""
                target = _FUNCTION_ARN.search(text if isinstance(text, str) else text[0]) if text else None
                if target and target.group(1) not in aliases:
                    found.append(f"{method.upper()} {path}")
    for kind in ("AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping"):
        for logical_id, resource in _resources(template, kind).items():
            name = resource["Properties"].get("FunctionName")
            if isinstance(name, dict) and name.get("Ref") not in aliases:
                found.append(logical_id)
    return sorted(found)


def routes(template: dict[str, Any]) -> dict[str, str]:
    """Route key ("GET /path") -> the logical id its integration invokes ("" when none can be told)."""
    found: dict[str, str] = {}
    for api in _resources(template, "AWS::ApiGatewayV2::Api").values():
        for path, operations in api["Properties"].get("Body", {}).get("paths", {}).items():
            for method, operation in operations.items():
                if method not in HTTP_METHODS:
                    continue
                uri = operation.get("x-amazon-apigateway-integration", {}).get("uri", {})
                text = uri.get("Fn::Sub", "") if isinstance(uri, dict) else str(uri)
                target = _FUNCTION_ARN.search(text if isinstance(text, str) else text[0])
                key = f"{'ANY' if method.startswith('x-') else method.upper()} {path}"
                found[key] = _function_of(template, target.group(1)) if target else ""
    return found


def route_conflicts(template: dict[str, Any]) -> list[str]:
    """Two variable names at one level of one path, or one route declared twice (API Gateway refuses both)."""
    names: dict[tuple[str, ...], set[str]] = {}
    shapes: dict[str, list[str]] = {}
    for key in routes(template):
        method, path = key.split(" ", 1)
        level: tuple[str, ...] = ()
        for segment in path.strip("/").split("/"):
            if segment.startswith("{"):
                names.setdefault(level, set()).add(segment)
                segment = "{}"
            level = (*level, segment)
        shapes.setdefault(f"{method} /{'/'.join(level)}", []).append(key)
    problems = [f"/{'/'.join(level)}: {sorted(found)} at one level" for level, found in names.items() if len(found) > 1]
    problems += [f"one route twice: {keys}" for keys in shapes.values() if len(keys) > 1]
    return sorted(problems)


def route_target_problems(template: dict[str, Any]) -> list[str]:
    """Every route invokes a function of the template that API Gateway may invoke."""
    functions = _resources(template, "AWS::Lambda::Function")
    permissions = [p["Properties"] for p in _resources(template, "AWS::Lambda::Permission").values()]
    invokable = {
        _function_of(template, p["FunctionName"].get("Ref"))
        for p in permissions
        if p.get("Principal") == "apigateway.amazonaws.com" and isinstance(p["FunctionName"], dict)
    }
    problems = []
    for key, target in routes(template).items():
        if target not in functions:
            problems.append(f"{key}: integrates {target or 'nothing'}, not a function of the template")
        elif target not in invokable:
            problems.append(f"{key}: no permission lets API Gateway invoke {target}")
    return problems


def route_settings_problems(template: dict[str, Any]) -> list[str]:
    """Every RouteSettings key names a route ("Unable to find Route by key" otherwise)."""
    keys = set(routes(template))
    return [
        f"{stage}: RouteSettings for {key}, which is not a route"
        for stage, resource in _resources(template, "AWS::ApiGatewayV2::Stage").items()
        for key in resource["Properties"].get("RouteSettings", {})
        if key not in keys
    ]


# ------------------------------------------------------------------ references
def _walk(node: Any, where: str) -> Iterator[tuple[str, str, Any]]:
    """(where, intrinsic, argument) for every intrinsic function in ``node``."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{where}[{index}]")
    elif isinstance(node, dict):
        if len(node) == 1:
            ((name, argument),) = node.items()
            if name == "Ref" or name.startswith("Fn::") or name == "Condition":
                yield where, name, argument
        for key, item in node.items():
            yield from _walk(item, f"{where}.{key}")


def _attributes(kind: str) -> set[str] | None:
    """The attributes Fn::GetAtt may read from a resource type (None: cfn-lint has no schema for it)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind)
    except Exception:  # a type cfn-lint does not know
        return None
    return set(schema.get_atts)


def _get_att_problems(template: dict[str, Any], where: str, logical_id: str, attribute: str) -> list[str]:
    resources = template["Resources"]
    if logical_id not in resources:
        return [f"{where}: GetAtt {logical_id}.{attribute}: no such resource"]
    kind = resources[logical_id]["Type"]
    valid = _attributes(kind)
    if valid is not None and attribute not in valid:
        return [f"{where}: GetAtt {logical_id}.{attribute}: {kind} has no such attribute"]
    return []


def _sub_problems(template: dict[str, Any], where: str, argument: Any, known: set[str]) -> list[str]:
    text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
    problems = []
    for variable in _SUB_VARIABLE.findall(text):
        if variable.startswith("!") or variable in variables or variable in known:
            continue
        if "." in variable:
            problems += _get_att_problems(template, where, *variable.split(".", 1))
        else:
            problems.append(f"{where}: Sub ${{{variable}}}: no such resource or parameter")
    return problems


def _reference_problems(template: dict[str, Any], where: str, name: str, argument: Any) -> list[str]:
    known = set(template["Resources"]) | set(template.get("Parameters", {})) | PSEUDO_PARAMETERS
    if name == "Ref":
        return [] if argument in known else [f"{where}: Ref {argument}: no such resource or parameter"]
    if name == "Fn::GetAtt":
        logical_id, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
        return _get_att_problems(template, where, logical_id, attribute) if isinstance(attribute, str) else []
    if name == "Fn::Sub":
        return _sub_problems(template, where, argument, known)
    condition = argument[0] if name == "Fn::If" else argument if name == "Condition" else None
    if condition is not None and condition not in template.get("Conditions", {}):
        return [f"{where}: condition {condition} is not defined"]
    return []


def reference_problems(template: dict[str, Any]) -> list[str]:
    """Every Ref, GetAtt (attribute valid for the type), Sub variable, condition and DependsOn resolves."""
    problems = []
    for section in ("Resources", "Outputs", "Conditions", "Rules"):
        for where, name, argument in _walk(template.get(section, {}), section):
            problems += _reference_problems(template, where, name, argument)
    for logical_id, resource in template["Resources"].items():
        depends = resource.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            if target not in template["Resources"]:
                problems.append(f"{logical_id}: DependsOn {target}: no such resource")
        if resource.get("Condition") and resource["Condition"] not in template.get("Conditions", {}):
            problems.append(f"{logical_id}: condition {resource['Condition']} is not defined")
    return problems


def function_role_problems(template: dict[str, Any]) -> list[str]:
    """Every function runs as a role of the template."""
    roles = _resources(template, "AWS::IAM::Role")
    problems = []
    for logical_id, function in _resources(template, "AWS::Lambda::Function").items():
        role = function["Properties"].get("Role")
        if not (isinstance(role, dict) and role.get("Fn::GetAtt", [None])[0] in roles):
            problems.append(f"{logical_id}: its role {role} is not a role of the template")
    return problems


# ------------------------------------------------------------------ deploying twice, queues, quotas
def retained_name_problems(template: dict[str, Any]) -> list[str]:
    """A named resource kept when the first create fails blocks the retry ("already exists")."""
    return [
        f"{logical_id}: named ({', '.join(sorted(named))}) and DeletionPolicy Retain: use RetainExceptOnCreate"
        for logical_id, resource in template["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain"
        # A published version's FunctionName says whose version it is; it names nothing of its own.
        and resource.get("Type") != "AWS::Lambda::Version"
        and (named := _NAME_PROPERTIES & set(resource.get("Properties", {})))
    ]


def queue_consumer_problems(template: dict[str, Any]) -> list[str]:
    """An SQS event source mapping ignores reserved concurrency: it needs its own MaximumConcurrency."""
    queues = _resources(template, "AWS::SQS::Queue")
    problems = []
    for logical_id, mapping in _resources(template, "AWS::Lambda::EventSourceMapping").items():
        source = mapping["Properties"].get("EventSourceArn", {})
        capped = mapping["Properties"].get("ScalingConfig", {}).get("MaximumConcurrency")
        if isinstance(source, dict) and source.get("Fn::GetAtt", [None])[0] in queues and not capped:
            problems.append(f"{logical_id}: no ScalingConfig.MaximumConcurrency")
    return problems


def _maximum(template: dict[str, Any], parameter: str) -> Any:
    return template["Parameters"][parameter]["MaxValue"]


# ------------------------------------------------------------------ the deployed template passes
@pytest.mark.parametrize(
    "check",
    [
        route_conflicts,
        route_target_problems,
        route_settings_problems,
        reference_problems,
        function_role_problems,
        retained_name_problems,
        queue_consumer_problems,
        aliased_targets,
    ],
)
def test_the_transformed_template_passes(check):
    assert check(DEPLOYED) == []


def test_the_checks_see_every_route_and_function_the_template_declares():
    # The checks would pass vacuously on an empty template: they see each route and its function.
    declared = {route.route_key: route.function for route in http_routes()}
    assert routes(DEPLOYED) == declared and len(declared) >= 20
    assert set(_resources(DEPLOYED, "AWS::Lambda::Function")) == {f.logical_id for f in functions()}
    assert sum(1 for _ in _walk(DEPLOYED["Resources"], "Resources")) > 200


def test_by_default_nothing_is_reserved_so_a_new_account_can_deploy():
    defaults = reserved_concurrency(DEPLOYED, {})
    assert sum(defaults.values()) + UNRESERVED_MINIMUM <= max(NEW_ACCOUNT_QUOTA, UNRESERVED_MINIMUM)


def test_the_largest_reservation_the_template_accepts_fits_the_standard_quota():
    largest = {p: _maximum(DEPLOYED, p) for p in ("FunctionConcurrency", "UploadConsumerConcurrency")}
    reserved = reserved_concurrency(DEPLOYED, largest)
    assert len(reserved) == len(functions())
    assert sum(reserved.values()) + UNRESERVED_MINIMUM <= STANDARD_QUOTA


def test_the_queue_consumer_reserves_what_its_queue_may_use():
    # Given reservations switched on
    chosen = {
        "FunctionConcurrency": 5,
        "UploadConsumerConcurrency": 3,
        "NotificationConsumerConcurrency": 4,
        "WebhookConsumerConcurrency": 6,
    }
    reserved = reserved_concurrency(DEPLOYED, chosen)
    resolver = Resolver(DEPLOYED, parameters=chosen)
    caps = {
        mapping["Properties"]["FunctionName"]["Ref"].removesuffix("Aliaslive"): int(
            resolver.value(mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"])
        )
        for mapping in _resources(DEPLOYED, "AWS::Lambda::EventSourceMapping").values()
    }
    # Then each queue consumer reserves exactly its mapping's cap: never throttled into the dead-letter queue
    assert caps == {"UploadedFileRegisterFunction": 3, "NotificationSendFunction": 4, "WebhookDeliverFunction": 6}
    assert {k: reserved[k] for k in caps} == caps
    assert {v for k, v in reserved.items() if k not in caps} == {5}


def test_the_sms_spend_alarm_fires_before_the_default_spend_limit_stops_sending():
    alarm = DEPLOYED["Resources"]["SmsSpendAlarm"]["Properties"]
    assert alarm["Threshold"] == {"Ref": "SmsMonthlySpendAlarmUsd"}
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert float(DEPLOYED["Parameters"]["SmsMonthlySpendAlarmUsd"]["Default"]) < DEFAULT_SMS_SPEND_LIMIT_USD


def test_stateful_resources_are_kept_unless_the_first_create_fails():
    for logical_id in ("DataKey", "DocumentsTable", "DocumentsBucket", "AccessLogsBucket"):
        assert DEPLOYED["Resources"][logical_id]["DeletionPolicy"] == "RetainExceptOnCreate", logical_id


def test_the_custom_domain_is_optional_and_maps_the_api():
    resources = DEPLOYED["Resources"]
    assert resources["PublicDomain"]["Condition"] == resources["PublicDomainMapping"]["Condition"] == "HasCustomDomain"
    assert Resolver(DEPLOYED).condition("HasCustomDomain") is False
    assert Resolver(DEPLOYED, parameters={"PublicDomainName": "docs.example.com"}).condition("HasCustomDomain")
    mapping = resources["PublicDomainMapping"]["Properties"]
    assert mapping["ApiId"] == {"Ref": "HttpApi"} and mapping["DomainName"] == {"Ref": "PublicDomain"}
    stage = mapping["Stage"]["Ref"]
    assert resources[stage]["Type"] == "AWS::ApiGatewayV2::Stage"


# ------------------------------------------------------------------ each check catches its finding
def _broken(change: Any) -> dict[str, Any]:
    template = copy.deepcopy(DEPLOYED)
    change(template)
    return template


def _door_b_as_it_was(template: dict[str, Any]) -> None:
    paths = template["Resources"]["HttpApi"]["Properties"]["Body"]["paths"]
    shared = paths.pop("/apis/v1/patient-document/{id}")
    paths["/apis/v1/patient-document/{patientId}"] = {"get": shared["get"]}
    paths["/apis/v1/patient-document/{documentId}"] = {"post": shared["post"]}


def test_two_variable_names_at_one_level_are_caught():
    # Given door B's routes as issue 12 found them: {patientId} and {documentId} at one level
    problems = route_conflicts(_broken(_door_b_as_it_was))
    # Then the conflict is reported, naming both variables
    assert problems == ["/apis/v1/patient-document: ['{documentId}', '{patientId}'] at one level"]


def test_snapstart_is_a_parameter_and_every_function_is_called_through_its_published_alias():
    # Every route, API Gateway permission and event source invokes the alias (aliased_targets above);
    # SnapStart applies to the published versions when the parameter says so, and costs nothing otherwise
    functions_ = _resources(DEPLOYED, "AWS::Lambda::Function")
    assert len(_resources(DEPLOYED, "AWS::Lambda::Alias")) == len(functions_)
    for function in functions_.values():
        apply_on = Resolver(DEPLOYED, parameters={"SnapStart": "Enabled"}).value(function["Properties"]["SnapStart"])
        assert apply_on == {"ApplyOn": "PublishedVersions"}
        assert Resolver(DEPLOYED).value(function["Properties"]["SnapStart"]) == {"ApplyOn": "None"}


def test_a_route_on_the_function_rather_than_its_alias_is_caught():
    def call_the_function(template: dict[str, Any]) -> None:
        operation = template["Resources"]["HttpApi"]["Properties"]["Body"]["paths"]["/v1/file-requests"]["get"]
        uri = (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${FileRequestsListFunction.Arn}/invocations"
        )
        operation["x-amazon-apigateway-integration"]["uri"] = {"Fn::Sub": uri}

    assert aliased_targets(_broken(call_the_function)) == ["GET /v1/file-requests"]


def test_a_route_without_a_function_is_caught():
    def integrate_nothing(template: dict[str, Any]) -> None:
        operation = template["Resources"]["HttpApi"]["Properties"]["Body"]["paths"]["/v1/file-requests"]["get"]
        uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${GoneFunction.Arn}/invocations"
        operation["x-amazon-apigateway-integration"]["uri"] = {"Fn::Sub": uri}

    problems = route_target_problems(_broken(integrate_nothing))
    assert problems == ["GET /v1/file-requests: integrates GoneFunction, not a function of the template"]


def test_route_settings_for_a_route_that_does_not_exist_are_caught():
    def throttle_a_ghost(template: dict[str, Any]) -> None:
        settings = template["Resources"]["HttpApiApiGatewayDefaultStage"]["Properties"]["RouteSettings"]
        settings["GET /r/{link}"] = {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 1}

    assert route_settings_problems(_broken(throttle_a_ghost)) == [
        "HttpApiApiGatewayDefaultStage: RouteSettings for GET /r/{link}, which is not a route"
    ]


def test_references_to_nothing_are_caught():
    def misname(template: dict[str, Any]) -> None:
        statements = template["Resources"]["FileRequestsGetFunctionRole"]["Properties"]["Policies"][0]
        statements["PolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": {"Fn::Sub": "${PhotosBucket.Arn}/*"}}
        )
        template["Resources"]["SmsSpendAlarm"]["Properties"]["AlarmActions"] = [{"Fn::GetAtt": ["DataKey", "Url"]}]
        template["Resources"]["FunctionLogs"]["DependsOn"] = "LogKey"

    problems = reference_problems(_broken(misname))
    assert len(problems) == 3
    assert any("GetAtt PhotosBucket.Arn: no such resource" in p for p in problems)
    assert any("GetAtt DataKey.Url: AWS::KMS::Key has no such attribute" in p for p in problems)
    assert "FunctionLogs: DependsOn LogKey: no such resource" in problems


def test_a_function_without_its_role_is_caught():
    def drop_role(template: dict[str, Any]) -> None:
        del template["Resources"]["AccountSettingsGetFunctionRole"]

    problems = function_role_problems(_broken(drop_role))
    assert len(problems) == 1 and problems[0].startswith("AccountSettingsGetFunction:")


def test_a_named_bucket_retained_on_a_failed_create_is_caught():
    def retain_as_it_was(template: dict[str, Any]) -> None:
        template["Resources"]["DocumentsBucket"]["DeletionPolicy"] = "Retain"

    problems = retained_name_problems(_broken(retain_as_it_was))
    assert problems == ["DocumentsBucket: named (BucketName) and DeletionPolicy Retain: use RetainExceptOnCreate"]


def test_a_queue_consumer_without_a_cap_is_caught():
    def uncap(template: dict[str, Any]) -> None:
        del template["Resources"]["UploadedFileRegisterFunctionUploads"]["Properties"]["ScalingConfig"]

    assert queue_consumer_problems(_broken(uncap)) == [
        "UploadedFileRegisterFunctionUploads: no ScalingConfig.MaximumConcurrency"
    ]


def test_ten_reserved_per_function_does_not_fit_a_new_account():
    # Given every function reserving 10, as the template did
    def reserve_ten(template: dict[str, Any]) -> None:
        for function in _resources(template, "AWS::Lambda::Function").values():
            function["Properties"]["ReservedConcurrentExecutions"] = 10

    reserved = reserved_concurrency(_broken(reserve_ten), {})
    # Then it needs a quota of 10 per function and 100 kept unreserved, far above a new account's
    assert sum(reserved.values()) + UNRESERVED_MINIMUM == 10 * len(functions()) + 100 > NEW_ACCOUNT_QUOTA
