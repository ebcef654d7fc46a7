"""bench/capacity.md is what scripts/capacity.py writes from template.yaml, and no route's ceiling is below the load."""

from __future__ import annotations

import copy

from local.template import functions, load_template
from scripts import capacity


def test_every_function_of_the_template_has_its_access_pattern_declared():
    assert set(capacity.PATTERNS) == {function.logical_id for function in functions()}


def test_the_committed_capacity_table_is_current():
    # When this fails: .venv/bin/python -m scripts.capacity, and commit bench/capacity.md
    assert capacity.OUTPUT.read_text() == capacity.render()


def test_no_route_has_a_deployment_ceiling_below_the_stated_load():
    assert "below the stated load: none." in capacity.render()


def test_a_throttle_below_the_stated_load_is_named():
    # Given the patient page's throttle lowered below the stated 25 requests/s
    template = copy.deepcopy(load_template())
    template["Parameters"]["PatientPageRateLimit"]["Default"] = 10
    # Then the table names each public route as below the stated load, and differs from the committed one
    text = capacity.render(template)
    assert "below the stated load: GET /r/{short_link_id}, POST /r/{short_link_id}/verify" in text
    assert text != capacity.OUTPUT.read_text()
