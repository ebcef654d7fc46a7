"""Defaults that guard limits are the template's (issue 13, probe findings).

A deployment sets every setting from a template parameter; the code's defaults apply only where a
variable is unset (a function added without the Globals, a test, ``make invoke`` with a partial
environment). They must then be the template's defaults, and the code's bounds the template's,
so that no limit silently grows or shrinks where a variable is missing.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from local.template import load_template
from patient_docs.settings import CLAIM_ENVIRONMENT, ENVIRONMENT, ClaimNames, Settings, get_claim_names, get_settings

TEMPLATE = load_template()
VARIABLES: dict[str, Any] = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
# Settings the template does not set, with why the code's default is the deployed value.
CODE_ONLY = {
    "presign_ttl_seconds": "not a deployment choice: presigned POSTs live 5 minutes",
    "download_ttl_seconds": "not a deployment choice: download URLs live 5 minutes",
    "upload_session_minutes": "not a deployment choice: a verified page may upload for 15 minutes",
}
# Variables the template sets from its own resources: no default to compare, and required in the code.
FROM_RESOURCES = {
    "table_name",
    "bucket_name",
    "event_bus_name",
    "audit_table_name",
    "notifications_queue_url",
    "notifications_queue_arn",
    "webhook_queue_url",
    "reminder_schedule_group",
    "reminder_role_arn",
    "email_configuration_set",
}
# Parameters without a default (a deployment must choose): the code's default is for `make run` only.
NO_TEMPLATE_DEFAULT = {"public_base_url"}


def _parameter(variable: str) -> tuple[str, dict[str, Any]] | None:
    value = VARIABLES.get(variable)
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in PARAMETERS:
        return value["Ref"], PARAMETERS[value["Ref"]]
    return None


def _as_setting(model: type[BaseModel], field: str, value: Any) -> Any:
    """A template value (YAML number or string) as the setting's type."""
    annotation = model.model_fields[field].annotation
    return int(value) if annotation is int else str(value)


def _bounds(model: type[BaseModel], field: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for rule in model.model_fields[field].metadata:
        for name, parameter in (("ge", "MinValue"), ("le", "MaxValue")):
            if getattr(rule, name, None) is not None:
                found[parameter] = getattr(rule, name)
    return found


CASES = [(Settings, field, variable) for field, variable in ENVIRONMENT.items()] + [
    (ClaimNames, field, variable) for field, variable in CLAIM_ENVIRONMENT.items()
]


def test_every_setting_is_classified():
    # A new setting must say where its value comes from: the template, a resource, or the code alone.
    for _model, field, variable in CASES:
        in_template = _parameter(variable) is not None or field in FROM_RESOURCES
        assert in_template != (field in CODE_ONLY), f"{field}: set by the template, or listed in CODE_ONLY"
        if field in FROM_RESOURCES:
            assert variable in VARIABLES, field
    # And every variable the template gives the functions is one the settings read
    read = set(ENVIRONMENT.values()) | set(CLAIM_ENVIRONMENT.values())
    service = {name for name in VARIABLES if not name.startswith(("POWERTOOLS_", "PYDANTIC_"))}
    assert service <= read, f"set by the template but read by no setting: {sorted(service - read)}"


FROM_PARAMETERS = [case for case in CASES if _parameter(case[2]) and case[1] not in NO_TEMPLATE_DEFAULT]


@pytest.mark.parametrize(("model", "field", "variable"), FROM_PARAMETERS, ids=[case[1] for case in FROM_PARAMETERS])
def test_the_code_default_and_bounds_are_the_template_parameters(model, field, variable):
    name, parameter = _parameter(variable) or ("", {})
    assert "Default" in parameter, f"{name} has no default, but {field} is not listed in NO_TEMPLATE_DEFAULT"
    # The model's default is the parameter's default
    default = model.model_fields[field].default
    assert default == _as_setting(model, field, parameter["Default"]), f"{field} vs {name}"
    # And the model refuses what the template refuses: the same lower and upper bounds
    template_bounds = {key: parameter[key] for key in ("MinValue", "MaxValue") if key in parameter}
    code_bounds = _bounds(model, field)
    for key, value in template_bounds.items():
        assert code_bounds.get(key) == value, f"{field}: template {key} {value}, code {code_bounds.get(key)}"


def test_with_no_variable_set_the_settings_are_the_template_defaults(monkeypatch):
    # Given an environment with none of the service's variables (only the table and bucket names)
    for variable in [*ENVIRONMENT.values(), *CLAIM_ENVIRONMENT.values()]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("BUCKET_NAME", "b")
    get_settings.cache_clear()
    get_claim_names.cache_clear()
    try:
        # When the settings are read
        settings, claims = get_settings(), get_claim_names()
        # Then every value with a template parameter is that parameter's default: no second default
        # hides in get_settings() (the inline limit once had one of its own)
        for model, field, variable in CASES:
            found = _parameter(variable)
            if found is None or "Default" not in found[1]:
                continue
            value = getattr(settings if model is Settings else claims, field)
            assert value == _as_setting(model, field, found[1]["Default"]), field
    finally:
        get_settings.cache_clear()
        get_claim_names.cache_clear()


def test_an_empty_variable_counts_as_unset_and_a_value_beyond_the_template_bound_is_refused(monkeypatch):
    # Given the inline limit's variable empty, then set beyond the template's MaxValue
    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("BUCKET_NAME", "b")
    monkeypatch.setenv("INLINE_MAX_BYTES", "")
    get_settings.cache_clear()
    try:
        assert get_settings().inline_max_bytes == int(PARAMETERS["InlineMaxBytes"]["Default"])
        monkeypatch.setenv("INLINE_MAX_BYTES", str(10 * int(PARAMETERS["InlineMaxBytes"]["MaxValue"])))
        get_settings.cache_clear()
        # Then ten times the bound does not start: the container fails its first request, loudly
        with pytest.raises(ValueError, match="inline_max_bytes"):
            get_settings()
    finally:
        get_settings.cache_clear()
