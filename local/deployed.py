"""``template.yaml`` as CloudFormation deploys it: SAM's own transform, then its intrinsics resolved.

``sam_transform`` runs ``samtranslator`` (the code behind ``AWS::Serverless-2016-10-31``) over the
template, so roles, policies, routes and event source mappings are the ones AWS would create.
``Resolver`` evaluates ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If`` and the other intrinsics of
that output with the names and ARNs the local AWS (moto) uses, so that IAM policies can be compared
with the calls the functions really make. A developer tool: never deployed.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any

from local.local_aws import ACCOUNT, REGION, local_name
from local.template import load_template

PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
STACK_NAME = "patient-docs-local"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_CODE_PROPERTIES = ("CodeUri", "ContentUri", "DefinitionUri")


class NoValue:
    """``AWS::NoValue``: the property or list item is left out."""


NO_VALUE = NoValue()


class UnresolvableError(ValueError):
    """An intrinsic names something the template does not define."""


def sam_transform(template: Mapping[str, Any] | None = None, region: str = REGION) -> dict[str, Any]:
    """The CloudFormation template SAM's transform makes of ``template`` (``template.yaml`` by default).

    Local code paths become S3 locations first, as ``sam package`` does; the transform refuses others.
    """
    import boto3
    from samtranslator.internal.managed_policies import get_bundled_managed_policy_map  # type: ignore[import-untyped]
    from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
    from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]
    from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template  # type: ignore[import-untyped]

    source = copy.deepcopy(dict(template if template is not None else load_template()))
    for resource in source.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for name in _CODE_PROPERTIES:
            if isinstance(properties.get(name), str) and not properties[name].startswith("s3://"):
                properties[name] = f"s3://local-code/{properties[name].strip('/')}"
    parameter_values: dict[str, Any] = {}
    to_py27_compatible_template(source, parameter_values)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    transformed = translator.translate(
        source,
        parameter_values=parameter_values,
        get_managed_policy_map=lambda: get_bundled_managed_policy_map(PARTITION) or {},
    )
    result: dict[str, Any] = undo_mark_unicode_str_in_template(transformed)
    return result


@cache
def _deployed_template() -> dict[str, Any]:
    return sam_transform()


def deployed_template() -> dict[str, Any]:
    """``template.yaml`` transformed once per process (a copy: callers may change it)."""
    return copy.deepcopy(_deployed_template())


def key_id(logical_id: str) -> str:
    """A stable KMS key id for a key the template declares (what ``Ref`` returns)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"patient-docs/{logical_id}"))


class Resolver:
    """Evaluates the intrinsics of a (transformed) template for one set of names and parameter values.

    ``names`` maps logical ids to physical names (default ``local-<logical id>``, the local server's);
    ``parameters`` overrides parameter defaults. ``strict`` refuses references to undefined things.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        names: Mapping[str, str] | None = None,
        parameters: Mapping[str, Any] | None = None,
        region: str = REGION,
        account: str = ACCOUNT,
        strict: bool = True,
    ) -> None:
        self.template = template
        self.resources: Mapping[str, Any] = template.get("Resources", {})
        self.names = dict(names or {})
        self.parameters = dict(parameters or {})
        self.region = region
        self.account = account
        self.strict = strict
        self._conditions: dict[str, bool] = {}

    # ------------------------------------------------------------------ names and ARNs
    def name(self, logical_id: str) -> str:
        return self.names.get(logical_id) or local_name(logical_id)

    def resource_type(self, logical_id: str) -> str:
        return str(self.resources[logical_id]["Type"])

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": self.account,
            "AWS::Partition": PARTITION,
            "AWS::Region": self.region,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{self.region}:{self.account}:stack/{STACK_NAME}/local",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        parameters = self.template.get("Parameters", {})
        if name in parameters:
            definition = parameters[name]
            value = self.parameters.get(name, definition.get("Default", ""))
            if definition.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                return [item.strip() for item in value.split(",")] if value else []
            return value
        if name in self.resources:
            kind = self.resource_type(name)
            physical = self.name(name)
            if kind == "AWS::KMS::Key":
                return key_id(name)
            if kind in ("AWS::SNS::Topic", "AWS::Lambda::LayerVersion"):
                return self.arn(name)
            if kind == "AWS::SQS::Queue":
                return f"https://sqs.{self.region}.{URL_SUFFIX}/{self.account}/{physical}"
            return physical
        return self._missing(f"Ref to {name}, which is neither a parameter nor a resource")

    def arn(self, logical_id: str) -> str:
        kind = self.resource_type(logical_id)
        name = self.name(logical_id)
        p, r, a = PARTITION, self.region, self.account
        arns = {
            "AWS::DynamoDB::Table": f"arn:{p}:dynamodb:{r}:{a}:table/{name}",
            "AWS::S3::Bucket": f"arn:{p}:s3:::{name}",
            "AWS::KMS::Key": f"arn:{p}:kms:{r}:{a}:key/{key_id(logical_id)}",
            "AWS::SQS::Queue": f"arn:{p}:sqs:{r}:{a}:{name}",
            "AWS::SNS::Topic": f"arn:{p}:sns:{r}:{a}:{name}",
            "AWS::Events::EventBus": f"arn:{p}:events:{r}:{a}:event-bus/{name}",
            "AWS::Logs::LogGroup": f"arn:{p}:logs:{r}:{a}:log-group:{name}:*",
            "AWS::Lambda::Function": f"arn:{p}:lambda:{r}:{a}:function:{name}",
            "AWS::Lambda::LayerVersion": f"arn:{p}:lambda:{r}:{a}:layer:{name}:1",
            "AWS::IAM::Role": f"arn:{p}:iam::{a}:role/{name}",
            "AWS::IAM::ManagedPolicy": f"arn:{p}:iam::{a}:policy/{name}",
        }
        if kind in arns:
            return arns[kind]
        service = kind.split("::")[1].lower()
        return f"arn:{p}:{service}:{r}:{a}:{name}"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.resources:
            return self._missing(f"GetAtt of {logical_id}, which is not a resource")
        kind = self.resource_type(logical_id)
        name = self.name(logical_id)
        if attribute in ("Arn", "TopicArn"):
            return self.arn(logical_id)
        if attribute == "StreamArn" and kind == "AWS::DynamoDB::Table":
            return self.arn(logical_id) + "/stream/local"
        attributes = {
            "QueueName": name,
            "QueueUrl": f"https://sqs.{self.region}.{URL_SUFFIX}/{self.account}/{name}",
            "TopicName": name,
            "Name": name,
            "KeyId": key_id(logical_id),
            "DomainName": f"{name}.s3.{URL_SUFFIX}",
            "RegionalDomainName": f"{name}.s3.{self.region}.{URL_SUFFIX}",
            "ApiEndpoint": f"https://{name}.execute-api.{self.region}.{URL_SUFFIX}",
        }
        return attributes.get(attribute, f"{name}.{attribute}")

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions", {})
            if name not in conditions:
                self._missing(f"condition {name} is not defined")
                return False
            self._conditions[name] = bool(self.value(conditions[name]))
        return self._conditions[name]

    # ------------------------------------------------------------------ values
    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.value(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((function, argument),) = node.items()
            if function == "Ref":
                return self.ref(str(argument))
            if function == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
                return self.get_att(str(logical_id), str(self.value(attribute)))
            if function == "Fn::Sub":
                return self._sub(argument)
            if function == "Fn::If":
                condition, when_true, when_false = argument
                return self.value(when_true if self.condition(condition) else when_false)
            if function == "Condition":
                return self.condition(str(argument))
            if function in _FUNCTIONS:
                return _FUNCTIONS[function](self, argument)
        out = {key: self.value(item) for key, item in node.items()}
        return {key: item for key, item in out.items() if item is not NO_VALUE}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])

        def replace(match: re.Match[str]) -> str:
            variable = match.group(1).strip()
            if variable.startswith("!"):
                return "${" + variable[1:] + "}"
            if variable in variables:
                return str(self.value(variables[variable]))
            if "." in variable and variable not in self.template.get("Parameters", {}):
                logical_id, attribute = variable.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(variable))

        return _SUB_VARIABLE.sub(replace, str(text))

    def _missing(self, message: str) -> str:
        if self.strict:
            raise UnresolvableError(message)
        return f"<unresolved: {message}>"


def _join(resolver: Resolver, argument: Any) -> str:
    separator, items = argument
    return str(separator).join(str(item) for item in resolver.value(items))


def _select(resolver: Resolver, argument: Any) -> Any:
    index, items = argument
    return resolver.value(items)[int(resolver.value(index))]


def _split(resolver: Resolver, argument: Any) -> list[str]:
    separator, text = argument
    return str(resolver.value(text)).split(str(separator))


def _equals(resolver: Resolver, argument: Any) -> bool:
    left, right = (resolver.value(item) for item in argument)
    return str(left) == str(right)


def _find_in_map(resolver: Resolver, argument: Any) -> Any:
    mapping, first, second = (resolver.value(item) for item in argument[:3])
    return resolver.template.get("Mappings", {})[mapping][first][second]


_FUNCTIONS: dict[str, Any] = {
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::Equals": _equals,
    "Fn::Not": lambda resolver, argument: not resolver.value(argument[0]),
    "Fn::And": lambda resolver, argument: all(resolver.value(item) for item in argument),
    "Fn::Or": lambda resolver, argument: any(resolver.value(item) for item in argument),
    "Fn::FindInMap": _find_in_map,
    "Fn::Base64": lambda resolver, argument: resolver.value(argument),
    "Fn::GetAZs": lambda resolver, argument: [f"{resolver.region}a", f"{resolver.region}b"],
}


def reserved_concurrency(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, int]:
    """What each function of a transformed template reserves with these parameter values (none: left out)."""
    resolver = Resolver(template, parameters=parameters)
    reserved = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        value = resolver.value(resource.get("Properties", {}).get("ReservedConcurrentExecutions", NO_VALUE))
        if value is not NO_VALUE:
            reserved[logical_id] = int(value)
    return reserved
