"""scripts/slim_layer.py: what the built layers leave out, and that no function needs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from local.template import ROOT
from scripts.slim_layer import NOT_COMPILED, SWAGGER_UI, compile_bytecode, not_compiled, prune


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("VALUE = 1\n" if name.endswith(".py") else "asset")


def test_unused_files_go_and_the_rest_stays(tmp_path: Path) -> None:
    # Given a layer with Swagger UI assets and a type stub beside the modules
    _tree(
        tmp_path,
        [
            f"{SWAGGER_UI}/__init__.py",
            f"{SWAGGER_UI}/swagger-ui-bundle.min.js",
            f"{SWAGGER_UI}/swagger-ui.min.css",
            "pydantic_core/_pydantic_core.pyi",
            "pydantic_core/py.typed",
            "pydantic_core/__init__.py",
        ],
    )
    # When it is pruned
    removed = prune(tmp_path)
    # Then the assets and the stub are gone (their bytes counted); modules and py.typed stay
    left = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file())
    assert left == [f"{SWAGGER_UI}/__init__.py", "pydantic_core/__init__.py", "pydantic_core/py.typed"]
    assert removed == 3 * len("asset")


def test_byte_code_for_every_module_but_those_no_function_loads(tmp_path: Path) -> None:
    # Given modules the functions load, modules none loads, and stale byte code of one of the latter
    used = [
        "aws_lambda_powertools/utilities/batch/base.py",
        "aws_lambda_powertools/utilities/parser/__init__.py",
        "pydantic/main.py",
        "phonenumbers/shortdata/__init__.py",
        "phonenumbers/data/region_GB.py",
    ]
    unused = [
        "aws_lambda_powertools/utilities/parameters/base.py",
        "aws_lambda_powertools/utilities/validation/validator.py",
        "pydantic/v1/main.py",
        "pydantic/experimental/pipeline.py",
        "phonenumbers/shortdata/region_GB.py",
    ]
    _tree(tmp_path, used + unused)
    stale = tmp_path / "pydantic/v1/__pycache__/main.cpython-313.pyc"  # from an earlier build
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")

    # When byte code is compiled
    compile_bytecode(tmp_path)

    def has_byte_code(source: str) -> bool:
        path = tmp_path / source
        return any((path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"))

    # Then the used modules have byte code, the others none (the stale file gone), and every source stays
    assert [source for source in used if not has_byte_code(source)] == []
    assert [source for source in unused if has_byte_code(source)] == []
    assert all((tmp_path / source).exists() for source in unused)  # sources stay: importable, only slower


def test_module_names_match_the_same_rules() -> None:
    assert not_compiled("aws_lambda_powertools.utilities.parameters")
    assert not_compiled("aws_lambda_powertools.utilities.parameters.ssm")
    assert not_compiled("pydantic.v1")
    assert not_compiled("phonenumbers.shortdata.region_US")
    assert not not_compiled("phonenumbers.shortdata")
    assert not not_compiled("aws_lambda_powertools.utilities.parser")
    assert not_compiled("aws_lambda_powertools.utilities.parser.models.alb")
    assert not_compiled("aws_lambda_powertools.utilities.parser.envelopes.sqs")
    assert not not_compiled("aws_lambda_powertools.utilities.parser.models")
    assert not not_compiled("aws_lambda_powertools.utilities.parser.models.sqs")
    assert not not_compiled("aws_lambda_powertools.utilities.parser.models.event_bridge")
    assert not_compiled("aws_lambda_powertools.utilities.data_classes.s3_object_event")
    assert not not_compiled("aws_lambda_powertools.utilities.data_classes.s3_event")
    assert not not_compiled("pydantic.version")
    assert not not_compiled("my_pydantic.v1")


def test_no_function_loads_a_module_left_without_byte_code() -> None:
    """Every function imported, and mobile numbers of several countries checked, in a fresh process."""
    # Given a fresh process that imports every function and checks mobiles of five countries
    probe = """
import importlib, json, sys
from pathlib import Path
for app in sorted(Path("functions").glob("*/app.py")):
    importlib.import_module(".".join(app.with_suffix("").parts))
from patient_docs.rules.phone_numbers import normalise_mobile
for number in ("+447700900123", "+14155550123", "+61412345678", "+4915123456789", "+919812345678"):
    try:
        normalise_mobile(number)
    except ValueError:
        pass
print(json.dumps(sorted(sys.modules)))
"""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "table",
        "BUCKET_NAME": "bucket",
    }
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    # When it lists the modules it loaded
    modules = json.loads(completed.stdout)
    # Then the probe did import, and it loaded no module the build leaves without byte code
    assert len(modules) > 100 and "aws_lambda_powertools.utilities.batch" in modules  # the probe did import
    assert any(name.startswith("phonenumbers.data.region_") for name in modules)
    assert [name for name in modules if not_compiled(name)] == [], NOT_COMPILED
