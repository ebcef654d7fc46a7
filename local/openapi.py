"""``GET /openapi.json``: merged from the handlers' own resolvers, never written by hand."""

from __future__ import annotations

import importlib
import json

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

from local.template import Route

TITLE = "patient-docs"
VERSION = "1.0.0"


def build_openapi(routes: list[Route], base_url: str) -> str:
    merge = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        description="Patient documents and photos: door A (/api/v2), door B (/apis/v1), door C (/v1/file-requests).",
        servers=[Server(url=base_url)],
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearerAuth": []}],
        on_conflict="error",
    )
    for module_name in sorted({route.module for route in routes}):
        app = importlib.import_module(module_name).app
        merge.add_schema(app.get_openapi_schema(title=TITLE, version=VERSION))
    document = json.loads(merge.get_openapi_json_schema())
    # The template says which routes have no authorizer: those need no bearer token.
    for route in routes:
        if route.public:
            document["paths"][route.path][route.method.lower()]["security"] = []
    return json.dumps(document, indent=2)
