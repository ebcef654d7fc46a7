"""Finish built Lambda code: byte-code in, files no function reads out.

``make build`` runs it on ``sam build``'s output and ``make bench`` on the layers it builds,
so that the sizes the bench reports are the ones deployed.

- **Byte-code** (``.pyc`` for Python 3.13, checked by hash: the zip's timestamps would
  invalidate timestamp-checked ones). ``sam build`` unpacks wheels without it and ``/opt``
  is read-only on Lambda, so without it every cold start compiles pydantic and Powertools
  again: about +300 ms (docs/performance.md).
- **Except for modules no function loads** (``NOT_COMPILED``: Powertools utilities this
  service does not use, pydantic's v1 copy, short-number metadata): their sources stay,
  so if one is ever imported Python compiles it in memory, slower but correct.
  ``tests/unit/test_slim_layer.py`` imports every function, validates phone numbers of
  several countries, and fails if one of them was loaded.
- **Removed**: Powertools' Swagger UI assets (1.7 MB; only ``enable_swagger`` serves them,
  and this service publishes ``/openapi.json`` itself) and type stubs (``.pyi``: read by
  type checkers, never at run time).

Run as ``python scripts/slim_layer.py [--no-compile] DIR``.
"""

from __future__ import annotations

import argparse
import compileall
import py_compile
import re
import sys
from pathlib import Path

# Modules no function loads (as paths under the layer's python/): their sources stay.
NOT_COMPILED = (
    # Powertools utilities this service does not use
    "aws_lambda_powertools/utilities/(auth_alpha|circuit_breaker|data_masking|feature_flags|kafka|metadata"
    "|parameters|streaming|validation)/",
    # Powertools' parser envelopes, and its parser models and data classes of event sources no function
    # receives (the batch utility loads the SQS, EventBridge, DynamoDB, Kinesis, Kafka and CloudWatch models)
    "aws_lambda_powertools/utilities/parser/(envelopes/|models/(?=\\w)(?!(?:__init__|cloudwatch|dynamodb|event_bridge"
    "|kafka|kinesis|sqs)\\b))",
    "aws_lambda_powertools/utilities/data_classes/(active_mq|api_gateway_authorizer|appsync_authorizer|cognito_user_pool"
    "|iot_registry|rabbit_mq|s3_object)_event\\b",
    "aws_lambda_powertools/(logging/formatters|metrics/provider)/datadog",
    # pydantic's copy of its version 1, and its experimental features
    "pydantic/(v1|experimental)/",
    # short-number metadata (short codes, emergency numbers), read only by phonenumbers' shortnumberinfo
    "phonenumbers/shortdata/region_",
)
SWAGGER_UI = "aws_lambda_powertools/event_handler/openapi/swagger_ui"
UNUSED = (f"{SWAGGER_UI}/*.min.js", f"{SWAGGER_UI}/*.min.css", "*.pyi")
_NOT_COMPILED_PATH = re.compile("(?:^|/)(?:" + "|".join(f"(?:{pattern})" for pattern in NOT_COMPILED) + ")")


def not_compiled(module: str) -> bool:
    """Whether ``module`` (as ``sys.modules`` names it) ships without byte-code."""
    return bool(_NOT_COMPILED_PATH.search(module.replace(".", "/") + "/"))


def prune(root: Path) -> int:
    """Remove what no function reads; the bytes removed."""
    removed = 0
    for path in [path for pattern in UNUSED for path in root.rglob(pattern)]:
        if path.is_file():
            removed += path.stat().st_size
            path.unlink()
    return removed


def compile_bytecode(root: Path, invalidation: str = "unchecked-hash") -> None:
    """.pyc for every module but those of ``NOT_COMPILED`` (stale ones of those are removed).

    In a source tree that is still edited, pass ``timestamp`` so that edits are noticed.
    """
    for compiled in root.rglob("__pycache__/*.pyc"):
        source = compiled.parent.parent / (compiled.name.split(".", 1)[0] + ".py")
        if _NOT_COMPILED_PATH.search(source.as_posix()):
            compiled.unlink()
    mode = py_compile.PycInvalidationMode[invalidation.upper().replace("-", "_")]
    ok = compileall.compile_dir(root, quiet=1, workers=0, rx=_NOT_COMPILED_PATH, invalidation_mode=mode)
    if not ok:
        raise SystemExit(f"byte-compiling {root} failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--no-compile", action="store_true", help="only remove unused files")
    args = parser.parse_args()
    removed = prune(args.root)
    print(f"removed {removed / 1e6:.2f} MB of files no function reads", file=sys.stderr)
    if not args.no_compile:
        compile_bytecode(args.root)


if __name__ == "__main__":
    main()
