"""Every AWS call a function makes, checked against that function's IAM role as deployed.

moto enforces no IAM and no KMS. This module does the part of it the service depends on: a botocore
hook sees each call (and each presigned URL or POST, which a browser later uses with the signer's
permissions) while a handler in ``functions/<name>/app.py`` is on the stack, works out what IAM
evaluates for it — the action and the resource ARN (object keys included), plus the KMS actions an
SSE-KMS object or a customer-keyed table implies on the key — and compares that with the function's
role in ``sam_transform(template.yaml)``, its intrinsics resolved to the local names and ARNs.

What is not modelled: conditions (a conditional Allow grants nothing here, a conditional Deny denies
nothing), permission boundaries, SCPs, session policies, bucket policies other than the role's own
statements, AWS managed policies (SAM attaches logging, X-Ray and queue-polling ones, which cover no
call a handler makes). Key policies are checked only for enabling IAM policies (the account root).

Tests enable it for the whole session (``tests/conftest.py``). A process started with
``PATIENT_DOCS_IAM_CHECK=<directory>`` (the local server, test worker processes) enables it through
``enable_from_environment()`` and writes each violation to ``<directory>/violations-<pid>.jsonl``
and its counts to ``<directory>/stats-<pid>.json``. A developer tool: never deployed.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from local.deployed import PARTITION, Resolver, deployed_template
from local.local_aws import ACCOUNT, REGION
from local.template import ROOT

ENVIRONMENT_VARIABLE = "PATIENT_DOCS_IAM_CHECK"
# A transformed template (JSON) to check against instead of template.yaml's: how a test proves that
# a process it starts reports what a broken policy would refuse.
TEMPLATE_VARIABLE = "PATIENT_DOCS_IAM_TEMPLATE"

# ------------------------------------------------------------------ what IAM evaluates for a call
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_TABLE_READS = {"GetItem", "BatchGetItem", "Query", "Scan", "ConditionCheckItem"}
_TABLE_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}
# What DynamoDB asks KMS for on the caller's behalf when the table has a customer managed key
# (AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS"; aws-cdk issues 10010 and 19531).
_TABLE_KEY_READ = ("kms:Decrypt", "kms:DescribeKey")
_TABLE_KEY_WRITE = (*_TABLE_KEY_READ, "kms:Encrypt", "kms:GenerateDataKey")
_S3_OBJECT_ACTIONS = {"HeadObject": "GetObject", "GetObject": "GetObject", "PutObject": "PutObject"}


@dataclass(frozen=True)
class Need:
    """One thing IAM must allow: an action on a resource, and why it is needed."""

    action: str
    resource: str
    why: str


@dataclass(frozen=True)
class Violation:
    function: str
    call: str  # "s3:GetObject (presigned)"
    action: str
    resource: str
    why: str

    def __str__(self) -> str:
        return f"{self.function}: {self.call} needs {self.action} on {self.resource} ({self.why})"


def _table_arn(name: str) -> str:
    return name if name.startswith("arn:") else f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def _base_table(arn: str) -> str:
    return arn.split("/index/", 1)[0]


def _dynamodb_needs(operation: str, params: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(action, table or index ARN, writes?) for one DynamoDB call."""
    if operation == "TransactWriteItems":
        found = []
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                action = _TRANSACT_ACTIONS[kind]
                found.append((f"dynamodb:{action}", _table_arn(body["TableName"]), action != "ConditionCheckItem"))
        return found
    if operation == "TransactGetItems":
        return [("dynamodb:GetItem", _table_arn(i["Get"]["TableName"]), False) for i in params.get("TransactItems", [])]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", _table_arn(t), operation == "BatchWriteItem") for t in params["RequestItems"]]
    table = _table_arn(str(params.get("TableName", "*")))
    if params.get("IndexName"):
        table = f"{table}/index/{params['IndexName']}"
    return [(f"dynamodb:{operation}", table, operation in _TABLE_WRITES)]


def _object_arn(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


def _sns_resource(params: Mapping[str, Any]) -> str:
    return str(params.get("TopicArn") or params.get("TargetArn") or "*")


def _queue_arn(queue_url: str) -> str:
    """A queue URL's ARN: its last path segment is the queue's name."""
    return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{queue_url.rstrip('/').rsplit('/', 1)[-1]}"


# SQS with a customer managed key: a sender needs the key to make the data key, a receiver to read it.
_QUEUE_KEY_NEEDS = {
    "SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "SendMessageBatch": ("kms:GenerateDataKey", "kms:Decrypt"),
    "ReceiveMessage": ("kms:Decrypt",),
}


def _event_bus_arn(name: str | None) -> str:
    name = name or "default"
    return name if name.startswith("arn:") else f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/{name}"


# ------------------------------------------------------------------ policies
@cache
def _pattern(text: str, case_sensitive: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{regex}$", 0 if case_sensitive else re.IGNORECASE)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditional: bool = False

    @classmethod
    def of(cls, statement: Mapping[str, Any]) -> Statement:
        return cls(
            effect=str(statement.get("Effect", "")),
            actions=tuple(_as_list(statement.get("Action"))),
            not_actions=tuple(_as_list(statement.get("NotAction"))),
            resources=tuple(_as_list(statement.get("Resource"))),
            not_resources=tuple(_as_list(statement.get("NotResource"))),
            conditional=bool(statement.get("Condition")),
        )

    def covers(self, action: str, resource: str) -> bool:
        if self.actions:
            action_ok = any(_pattern(a, False).match(action) for a in self.actions)
        else:
            action_ok = bool(self.not_actions) and not any(_pattern(a, False).match(action) for a in self.not_actions)
        if not action_ok:
            return False
        if self.resources:
            return any(_pattern(r, True).match(resource) for r in self.resources)
        return bool(self.not_resources) and not any(_pattern(r, True).match(resource) for r in self.not_resources)


def allows(statements: list[Statement], action: str, resource: str) -> bool:
    """IAM's answer for one principal's identity policies: an explicit Deny wins, else any Allow."""
    if any(s.effect == "Deny" and not s.conditional and s.covers(action, resource) for s in statements):
        return False
    return any(s.effect == "Allow" and not s.conditional and s.covers(action, resource) for s in statements)


def _key_arn(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)
    if text.startswith("arn:"):
        return text
    if text.startswith("alias/"):
        return f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:{text}"
    return f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/{text}"


@dataclass
class Deployment:
    """The roles and encryption of a transformed template, resolved for one set of names and parameters."""

    roles: dict[str, list[Statement]] = field(default_factory=dict)  # function logical id -> statements
    table_keys: dict[str, str] = field(default_factory=dict)  # table ARN -> customer managed key ARN
    bucket_keys: dict[str, str] = field(default_factory=dict)  # bucket name -> KMS key ARN
    queue_keys: dict[str, str] = field(default_factory=dict)  # queue ARN -> customer managed key ARN
    iam_enabled_keys: set[str] = field(default_factory=set)  # key ARNs whose policy lets IAM policies grant

    @classmethod
    def of(cls, template: Mapping[str, Any], names: Mapping[str, str], parameters: Mapping[str, Any]) -> Deployment:
        resolver = Resolver(template, names, parameters, strict=False)
        resources = template.get("Resources", {})
        found = cls()
        role_statements: dict[str, list[Statement]] = {}
        for logical_id, resource in resources.items():
            kind, props = resource.get("Type"), resource.get("Properties") or {}
            if kind in ("AWS::IAM::Role", "AWS::IAM::Policy"):
                for role, statements in _role_policies(resolver, logical_id, kind, props):
                    role_statements.setdefault(role, []).extend(statements)
            elif kind == "AWS::DynamoDB::Table":
                key = _table_key(resolver.value(props.get("SSESpecification") or {}))
                if key:
                    found.table_keys[resolver.get_att(logical_id, "Arn")] = key
            elif kind == "AWS::S3::Bucket":
                key = _bucket_key(resolver.value(props.get("BucketEncryption") or {}))
                if key:
                    found.bucket_keys[str(resolver.ref(logical_id))] = key
            elif kind == "AWS::SQS::Queue":
                found._add_queue_key(resolver, logical_id, props)
            elif kind == "AWS::KMS::Key" and _enables_iam(resolver.value(props.get("KeyPolicy") or {})):
                found.iam_enabled_keys.add(resolver.get_att(logical_id, "Arn"))
        found.roles = {function: role_statements.get(role, []) for function, role in _function_roles(resources).items()}
        return found

    def _add_queue_key(self, resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> None:
        key = resolver.value(props.get("KmsMasterKeyId"))
        if isinstance(key, str) and key.startswith("arn:"):
            self.queue_keys[resolver.get_att(logical_id, "Arn")] = key


def _function_roles(resources: Mapping[str, Any]) -> dict[str, str]:
    """Function logical id -> its role's logical id (empty when the role is not in the template)."""
    roles = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::Lambda::Function":
            role = (resource.get("Properties") or {}).get("Role")
            roles[logical_id] = role["Fn::GetAtt"][0] if isinstance(role, dict) and "Fn::GetAtt" in role else ""
    return roles


def _role_policies(
    resolver: Resolver, logical_id: str, kind: str, props: Mapping[str, Any]
) -> list[tuple[str, list[Statement]]]:
    """(role, statements) for a role's inline and customer managed policies, or a policy attached to roles."""
    resources = resolver.resources
    if kind == "AWS::IAM::Policy":
        statements = _statements(resolver, [props["PolicyDocument"]])
        roles = [role["Ref"] for role in props.get("Roles", []) if isinstance(role, dict) and "Ref" in role]
        return [(role, statements) for role in roles]
    documents = [policy["PolicyDocument"] for policy in props.get("Policies", [])]
    for arn in props.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and arn.get("Ref") in resources:
            documents.append(resources[arn["Ref"]]["Properties"]["PolicyDocument"])
    return [(logical_id, _statements(resolver, documents))]


def _table_key(sse: Mapping[str, Any]) -> str | None:
    """The table's customer managed key (an AWS managed or owned key needs no grant of the caller's)."""
    key = _key_arn(sse.get("KMSMasterKeyId")) if sse.get("SSEEnabled") else None
    return None if key is None or key.endswith("alias/aws/dynamodb") else key


def _bucket_key(encryption: Mapping[str, Any]) -> str | None:
    for rule in encryption.get("ServerSideEncryptionConfiguration", []):
        default = rule.get("ServerSideEncryptionByDefault", {})
        key = _key_arn(default.get("KMSMasterKeyID"))
        if str(default.get("SSEAlgorithm", "")).startswith("aws:kms") and key:
            return key
    return None


def _statements(resolver: Resolver, documents: list[Any]) -> list[Statement]:
    statements: list[Statement] = []
    for document in documents:
        resolved = resolver.value(document)
        listed = resolved.get("Statement", [])
        statements.extend(Statement.of(s) for s in (listed if isinstance(listed, list) else [listed]))
    return statements


def _enables_iam(policy: Mapping[str, Any]) -> bool:
    """Whether a key policy lets the account's IAM policies grant use of the key (the root principal)."""
    roots = {ACCOUNT, f"arn:{PARTITION}:iam::{ACCOUNT}:root"}
    for statement in _as_list_of_dicts(policy.get("Statement")):
        principal = statement.get("Principal", {})
        aws = _as_list(principal.get("AWS")) if isinstance(principal, dict) else _as_list(principal)
        grants = any(_pattern(a, False).match("kms:Decrypt") for a in _as_list(statement.get("Action")))
        if statement.get("Effect") == "Allow" and roots & set(aws) and not statement.get("Condition") and grants:
            return True
    return False


def _as_list_of_dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    return [v for v in value or [] if isinstance(v, dict)]


# ------------------------------------------------------------------ the needs of one call
def needs(service: str, operation: str, params: Mapping[str, Any], deployment: Deployment) -> list[Need]:
    """Every (action, resource) IAM must allow for one call, KMS on the caller's behalf included."""
    if service == "dynamodb":
        return _table_needs(operation, params, deployment)
    if service == "s3":
        return _s3_needs(operation, params, deployment)
    if service == "sns":
        if operation == "CreatePlatformEndpoint":
            return [Need("sns:CreatePlatformEndpoint", str(params.get("PlatformApplicationArn")), operation)]
        return [Need(f"sns:{operation}", _sns_resource(params), operation)]
    if service == "ses" and operation == "SendEmail":
        return _ses_needs(params)
    if service == "scheduler" and operation in ("CreateSchedule", "DeleteSchedule"):
        group = params.get("GroupName") or "default"
        arn = f"arn:{PARTITION}:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{params.get('Name')}"
        return [Need(f"scheduler:{operation}", arn, operation)]
    if service == "sqs" and params.get("QueueUrl"):
        return _sqs_needs(operation, str(params["QueueUrl"]), deployment)
    if service == "events" and operation == "PutEvents":
        buses = {_event_bus_arn(entry.get("EventBusName")) for entry in params.get("Entries", [])}
        return [Need("events:PutEvents", bus, operation) for bus in sorted(buses)]
    return [Need(f"{service}:{operation}", "*", f"{operation} (resource not modelled)")]


def _table_needs(operation: str, params: Mapping[str, Any], deployment: Deployment) -> list[Need]:
    found = []
    for action, resource, writes in _dynamodb_needs(operation, params):
        found.append(Need(action, resource, operation))
        key = deployment.table_keys.get(_base_table(resource))
        if key and (writes or action.split(":")[1] in _TABLE_READS):
            for kms in _TABLE_KEY_WRITE if writes else _TABLE_KEY_READ:
                found.append(Need(kms, key, f"{operation} on a table with a customer managed key"))
    return found


def _ses_needs(params: Mapping[str, Any]) -> list[Need]:
    """SES authorizes a send against the sending identity and the configuration set it names."""
    from email.utils import parseaddr

    base = f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}"
    found = [Need("ses:SendEmail", f"{base}:identity/{parseaddr(str(params.get('Source')))[1]}", "SendEmail")]
    if params.get("ConfigurationSetName"):
        found.append(Need("ses:SendEmail", f"{base}:configuration-set/{params['ConfigurationSetName']}", "SendEmail"))
    return found


# SQS authorizes a batch call by its single-message action: there is no sqs:SendMessageBatch in IAM.
_SQS_BATCH_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _sqs_needs(operation: str, queue_url: str, deployment: Deployment) -> list[Need]:
    queue = _queue_arn(queue_url)
    found = [Need(f"sqs:{_SQS_BATCH_ACTIONS.get(operation, operation)}", queue, operation)]
    key = deployment.queue_keys.get(queue)
    if key:
        for kms in _QUEUE_KEY_NEEDS.get(operation, ()):
            found.append(Need(kms, key, f"{operation} on a queue with a customer managed key"))
    return found


def _object_key_arn(params: Mapping[str, Any], deployment: Deployment) -> str | None:
    """The key the object is encrypted with, unless the call asks for SSE-S3."""
    if params.get("ServerSideEncryption") == "AES256":
        return None
    return _key_arn(params.get("SSEKMSKeyId")) or deployment.bucket_keys.get(str(params.get("Bucket")))


def _s3_needs(operation: str, params: Mapping[str, Any], deployment: Deployment) -> list[Need]:
    bucket = str(params.get("Bucket", ""))
    key = str(params.get("Key", ""))
    kms = _object_key_arn(params, deployment)
    if operation == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, str):
            source_bucket, _, source_key = source.lstrip("/").partition("/")
        else:
            source_bucket, source_key = source["Bucket"], source["Key"]
        found = [
            Need("s3:GetObject", _object_arn(source_bucket, source_key), "CopyObject source"),
            Need("s3:PutObject", _object_arn(bucket, key), "CopyObject target"),
        ]
        source_kms = deployment.bucket_keys.get(source_bucket)
        if source_kms:
            found.append(Need("kms:Decrypt", source_kms, "CopyObject reads an SSE-KMS object"))
        if kms:
            found.append(Need("kms:GenerateDataKey", kms, "CopyObject writes an SSE-KMS object"))
        return found
    if operation in _S3_OBJECT_ACTIONS:
        action = _S3_OBJECT_ACTIONS[operation]
        found = [Need(f"s3:{action}", _object_arn(bucket, key), operation)]
        if kms and operation == "GetObject":
            found.append(Need("kms:Decrypt", kms, "GetObject of an SSE-KMS object"))
        if kms and operation == "PutObject":
            found.append(Need("kms:GenerateDataKey", kms, "PutObject of an SSE-KMS object"))
        return found
    if operation in ("DeleteObject", "GetObjectTagging", "PutObjectTagging"):
        return [Need(f"s3:{operation}", _object_arn(bucket, key), operation)]
    if operation in ("ListObjectsV2", "ListObjects"):
        return [Need("s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}", operation)]
    return [Need(f"s3:{operation}", f"arn:{PARTITION}:s3:::{bucket}", operation)]


# ------------------------------------------------------------------ which function is calling
@cache
def _handler_files() -> dict[str, str]:
    """Real path of each handler module -> the function's logical id (from the template)."""
    from local.template import functions

    files = {}
    for function in functions():
        module_file = function.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
        files[os.path.realpath(ROOT / function.code_uri / module_file)] = function.logical_id
    return files


_FILE_OWNERS: dict[str, str | None] = {}


def current_function() -> str | None:
    """The logical id of the function whose handler is on this thread's stack (innermost), if any."""
    frame = sys._getframe(1)
    files = _handler_files()
    while frame is not None:
        name = frame.f_code.co_filename
        if name not in _FILE_OWNERS:
            _FILE_OWNERS[name] = files.get(os.path.realpath(name))
        owner = _FILE_OWNERS[name]
        if owner:
            return owner
        frame = frame.f_back  # type: ignore[assignment]
    return None


# ------------------------------------------------------------------ the checker
class Checker:
    """Checks calls against a transformed template; names and parameter values come from the environment.

    A function's environment is how the deployed template hands it names and parameters
    (``TABLE_NAME: !Ref DocumentsTable``), so reading it back gives the resolution the
    function runs with — including a parameter a test changes with ``monkeypatch.setenv``.
    """

    def __init__(self, template: Mapping[str, Any] | None = None) -> None:
        self.template = template if template is not None else deployed_template()
        self._bindings = self._environment_bindings()
        self._deployments: dict[tuple[tuple[str, str], ...], Deployment] = {}

    def _environment_bindings(self) -> dict[str, str]:
        """Environment variable -> the resource or parameter it is a ``Ref`` to."""
        bindings: dict[str, str] = {}
        for resource in self.template.get("Resources", {}).values():
            if resource.get("Type") != "AWS::Lambda::Function":
                continue
            variables = (resource.get("Properties") or {}).get("Environment", {}).get("Variables", {})
            for variable, value in variables.items():
                if isinstance(value, dict) and isinstance(value.get("Ref"), str):
                    bindings[variable] = value["Ref"]
        return bindings

    def deployment(self) -> Deployment:
        seen = tuple(sorted((v, os.environ[v]) for v in self._bindings if v in os.environ))
        if seen not in self._deployments:
            names: dict[str, str] = {}
            parameters: dict[str, str] = {}
            for variable, value in seen:
                target = self._bindings[variable]
                if target in self.template.get("Resources", {}):
                    names[target] = value
                else:
                    parameters[target] = value
            self._deployments[seen] = Deployment.of(self.template, names, parameters)
        return self._deployments[seen]

    def check(
        self, function: str, service: str, operation: str, params: Mapping[str, Any], presigned: bool
    ) -> list[Violation]:
        deployment = self.deployment()
        statements = deployment.roles.get(function)
        call = f"{service}:{operation}" + (" (presigned)" if presigned else "")
        if statements is None:
            return [Violation(function, call, "*", "*", "the function has no role in the template")]
        found = []
        for need in needs(service, operation, params, deployment):
            if not allows(statements, need.action, need.resource):
                found.append(Violation(function, call, need.action, need.resource, need.why))
            elif need.action.startswith("kms:") and need.resource not in deployment.iam_enabled_keys:
                reason = "the key policy does not let IAM policies grant this key"
                found.append(Violation(function, call, need.action, need.resource, reason))
        return found


@dataclass
class _State:
    checker: Checker | None = None
    violations: list[Violation] = field(default_factory=list)
    checked: int = 0
    unattributed: int = 0
    report_dir: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATE = _State()


def _record(function: str, service: str, operation: str, params: Mapping[str, Any], presigned: bool) -> None:
    checker = _STATE.checker
    if checker is None:
        return
    found = checker.check(function, service, operation, params, presigned)
    with _STATE.lock:
        _STATE.checked += 1
        _STATE.violations.extend(found)
        if _STATE.report_dir is not None:
            _write_report(_STATE.report_dir, found)


def _write_report(directory: Path, found: list[Violation]) -> None:
    pid = os.getpid()
    if found:
        with (directory / f"violations-{pid}.jsonl").open("a") as handle:
            for violation in found:
                handle.write(json.dumps(asdict(violation)) + "\n")
    stats = {"checked": _STATE.checked, "unattributed": _STATE.unattributed, "violations": len(_STATE.violations)}
    write_stats(directory, stats)


def write_stats(directory: Path, stats: Mapping[str, int]) -> None:
    """This process's counts, as ``stats-<pid>.json``, replaced whole: a reader (the test session's summary)
    never sees a file cut short by a process stopped while it writes."""
    pid = os.getpid()
    partial = directory / f".stats-{pid}.json.tmp"
    partial.write_text(json.dumps(stats))
    os.replace(partial, directory / f"stats-{pid}.json")


def _on_parameters(params: Mapping[str, Any], model: Any, context: Mapping[str, Any] | None = None, **_: Any) -> None:
    presigned = bool((context or {}).get("is_presign_request"))
    if presigned and model.name == "CreateBucket":
        return  # generate_presigned_post builds on CreateBucket's URL; the POST itself is seen at signing
    function = current_function()
    if function is None:
        with _STATE.lock:
            _STATE.unattributed += 1
        return
    _record(function, model.service_model.signing_name, model.name, params, presigned)


def _on_sign(request: Any, **_: Any) -> None:
    fields = getattr(request, "context", {}).get("s3-presign-post-fields")
    if fields is None:
        return
    function = current_function()
    if function is None:
        return
    policy = request.context.get("s3-presign-post-policy", {})
    bucket = next((c["bucket"] for c in policy.get("conditions", []) if isinstance(c, dict) and "bucket" in c), "")
    params = {"Bucket": bucket, "Key": fields.get("key", "")}
    _record(function, "s3", "PutObject", params, presigned=True)


_HANDLERS = (("before-parameter-build", _on_parameters), ("before-sign.s3.PutObject", _on_sign))


def install() -> None:
    """Hook every botocore session (present and future) and check against ``template.yaml``."""
    import boto3
    from botocore import handlers

    if _STATE.checker is None:
        _STATE.checker = Checker()
    for handler in _HANDLERS:
        if handler not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(handler)
            if boto3.DEFAULT_SESSION is not None:
                boto3.DEFAULT_SESSION._session.register(*handler)


def enable_from_environment() -> bool:
    """Install the check when ``PATIENT_DOCS_IAM_CHECK`` names a report directory (subprocesses)."""
    directory = os.environ.get(ENVIRONMENT_VARIABLE)
    if not directory:
        return False
    _STATE.report_dir = Path(directory)
    _STATE.report_dir.mkdir(parents=True, exist_ok=True)
    other = os.environ.get(TEMPLATE_VARIABLE)
    if other and _STATE.checker is None:
        _STATE.checker = Checker(json.loads(Path(other).read_text()))
    install()
    return True


def summary(found: list[Violation]) -> list[str]:
    """One line per function, call and resource, with every action it lacks there."""
    grouped: dict[tuple[str, str, str, str], set[str]] = {}
    for v in found:
        grouped.setdefault((v.function, v.call, v.resource, v.why), set()).add(v.action)
    return sorted(
        f"{function}: {call} needs {', '.join(sorted(actions))} on {resource} ({why})"
        for (function, call, resource, why), actions in grouped.items()
    )


def violations() -> list[Violation]:
    with _STATE.lock:
        return list(_STATE.violations)


def counts() -> dict[str, int]:
    with _STATE.lock:
        return {"checked": _STATE.checked, "unattributed": _STATE.unattributed, "violations": len(_STATE.violations)}


@contextmanager
def checking(template: Mapping[str, Any]) -> Iterator[list[Violation]]:
    """Check against another transformed template while the block runs; its violations, kept apart."""
    install()
    with _STATE.lock:
        saved = (_STATE.checker, _STATE.violations)
        _STATE.checker, _STATE.violations = Checker(template), []
    found = _STATE.violations
    try:
        yield found
    finally:
        with _STATE.lock:
            _STATE.checker, _STATE.violations = saved


def reported(directory: Path, offsets: dict[Path, int]) -> list[Violation]:
    """Violations other processes wrote to ``directory`` past ``offsets`` (bytes read per file; updated)."""
    found: list[Violation] = []
    for path in sorted(directory.glob("violations-*.jsonl")):
        with path.open("rb") as handle:
            handle.seek(offsets.get(path, 0))
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written is read next time
        offsets[path] = offsets.get(path, 0) + len(complete)
        found.extend(Violation(**json.loads(line)) for line in complete.splitlines() if line.strip())
    return found
