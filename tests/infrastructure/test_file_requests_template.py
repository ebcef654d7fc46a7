"""Door C in template.yaml: routes behind the JWT authorizer, narrow policies, the SMS spend alarm."""

from __future__ import annotations

import json

import pytest

from local.template import ROOT, functions, http_routes, load_template

DOOR_C_ROUTES = {
    "POST /v1/file-requests": "FileRequestsCreateFunction",
    "GET /v1/file-requests": "FileRequestsListFunction",
    "GET /v1/file-requests/{fileRequestId}": "FileRequestsGetFunction",
    "POST /v1/file-requests/{fileRequestId}/cancel": "FileRequestsCancelFunction",
    "POST /v1/file-requests/{fileRequestId}/resend": "FileRequestsResendFunction",
    "POST /v1/patient-devices": "PatientDevicesRegisterFunction",
    "GET /v1/account-settings": "AccountSettingsGetFunction",
    "PUT /v1/account-settings": "AccountSettingsPutFunction",
}
# Actions that have no resource to name (SMS goes to a phone number, not an ARN).
RESOURCELESS_ACTIONS = {"sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut"}


def test_every_door_c_route_has_its_own_function_behind_the_jwt_authorizer():
    routes = {route.route_key: route for route in http_routes()}
    for route_key, function in DOOR_C_ROUTES.items():
        assert routes[route_key].function == function
        assert not routes[route_key].public


@pytest.mark.parametrize("function", sorted(set(DOOR_C_ROUTES.values())))
def test_door_c_functions_have_an_event_file_and_narrow_policies(function):
    (found,) = [f for f in functions() if f.logical_id == function]
    event = json.loads((ROOT / "events" / f"{found.directory.name}.json").read_text())
    assert f"{event['requestContext']['http']['method']} " in event["routeKey"]
    statements = load_template()["Resources"][function]["Properties"]["Policies"][0]["Statement"]
    for statement in statements:
        actions = set(statement["Action"])
        assert not any(action.endswith("*") for action in actions)
        if statement["Resource"] == "*":
            assert actions <= RESOURCELESS_ACTIONS, function


def test_sms_spend_alarm_watches_the_sns_month_to_date_metric():
    alarm = load_template()["Resources"]["SmsSpendAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SNS", "SMSMonthToDateSpentUSD")
    assert alarm["Threshold"] == {"Ref": "SmsMonthlySpendAlarmUsd"}


def test_door_c_settings_come_from_template_parameters():
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for variable, parameter in {
        "PUBLIC_BASE_URL": "PublicBaseUrl",
        "DEFAULT_SMS_SENDER_ID": "DefaultSmsSenderId",
        "DEFAULT_LINK_LIFETIME_HOURS": "DefaultLinkLifetimeHours",
        "PUSH_PLATFORM_APPLICATION_ARN": "PushPlatformApplicationArn",
    }.items():
        assert variables[variable] == {"Ref": parameter}
        assert parameter in template["Parameters"]
    assert template["Parameters"]["PushPlatformApplicationArn"]["Default"] == ""
