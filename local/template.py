"""Reading ``template.yaml``: functions, their HTTP routes and resources, for the local server and tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML loader that keeps CloudFormation short-form tags as their long form."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@cache
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
        return loaded


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the template: /api/v2/patients/{patient_id}/documents
    function: str  # logical id
    code_uri: str
    public: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def module(self) -> str:
        return "functions." + self.code_uri.strip("/").split("/")[-1] + ".app"

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", self.path)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")

    @property
    def specificity(self) -> tuple[int, int]:
        parts = self.path.strip("/").split("/")
        return (len(parts), sum(1 for p in parts if not p.startswith("{")))


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: str
    handler: str
    environment: dict[str, Any] = field(default_factory=dict)
    events: dict[str, Any] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return ROOT / self.code_uri

    @property
    def module(self) -> str:
        return "functions." + self.code_uri.strip("/").split("/")[-1] + "." + self.handler.rsplit(".", 1)[0]

    @property
    def handler_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


def functions(template: dict[str, Any] | None = None) -> list[Function]:
    template = template or load_template()
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        found.append(
            Function(
                logical_id=logical_id,
                code_uri=props["CodeUri"],
                handler=props["Handler"],
                environment=props.get("Environment", {}).get("Variables", {}),
                events=props.get("Events", {}),
            )
        )
    return found


def http_routes(template: dict[str, Any] | None = None) -> list[Route]:
    routes = []
    for function in functions(template):
        for event in function.events.values():
            if event.get("Type") != "HttpApi":
                continue
            props = event["Properties"]
            auth = props.get("Auth", {}).get("Authorizer")
            routes.append(
                Route(
                    method=props["Method"].upper(),
                    path=props["Path"],
                    function=function.logical_id,
                    code_uri=function.code_uri,
                    public=auth == "NONE",
                )
            )
    return sorted(routes, key=lambda r: r.specificity, reverse=True)


def resources_of_type(kind: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    template = template or load_template()
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def api_cors(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The HTTP API's CorsConfiguration: AllowHeaders, AllowMethods, ExposeHeaders, MaxAge (origins: a parameter)."""
    (api,) = resources_of_type("AWS::Serverless::HttpApi", template).values()
    cors: dict[str, Any] = api["Properties"]["CorsConfiguration"]
    return cors
