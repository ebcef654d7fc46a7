"""The permissions table: complete, as documented, and decided reach first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import patient_docs.permissions as permissions
from patient_docs.auth import ROLES, Caller
from patient_docs.errors import Forbidden, NotFound
from patient_docs.permissions import TABLE, Action, Decision, Grant, Target, decide, require

ROOT = Path(__file__).resolve().parents[2]
# The documented phrase of each action, as docs/security.md and the module docstring list them.
DOCUMENTED = {
    Action.LIST_DOCUMENTS: "list documents",
    Action.READ_DOCUMENT: "read document metadata",
    Action.DOWNLOAD_DOCUMENT: "download a document",
    Action.CREATE_DOCUMENT: "create a document",
    Action.UPDATE_DOCUMENT: "update document fields",
    Action.SIGN_DOCUMENT: "sign a document",
    Action.DELETE_DOCUMENT: "delete a document",
    Action.CREATE_FILE_REQUEST: "create a file request",
    Action.READ_FILE_REQUEST: "read a file request",
    Action.LIST_FILE_REQUESTS: "list file requests",
    Action.CHANGE_FILE_REQUEST: "cancel",
    Action.REGISTER_DEVICE: "register a device",
    Action.READ_SETTINGS: "read account settings",
    Action.CHANGE_SETTINGS: "change account settings",
    Action.READ_AUDIT_EVENTS: "read audit events",
    Action.READ_ACCESS_LOG: "own access log",
    Action.MANAGE_WEBHOOKS: "manage webhooks",
}
CELL = {Grant.ALLOWED: "yes", Grant.AUTHORED: "authored", Grant.FORBIDDEN: "403", Grant.HIDDEN: "404"}


def caller(role: str, account: str = "12", patient: int | None = None) -> Caller:
    return Caller(subject=f"{role}-sub", name="n", account_id=account, role=role, patient_id=patient, user_id=1)


def _documented_rows(text: str) -> dict[Action, list[str]]:
    """Each action's documented cells (staff, admin, patient): the first word of each."""
    rows: dict[Action, list[str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in re.split(r"\s{2,}|\|", line.strip()) if cell.strip()]
        for action, phrase in DOCUMENTED.items():
            if cells and phrase in cells[0] and len(cells) >= 4:
                rows[action] = [cell.split()[0] for cell in cells[-3:]]
    return rows


def test_every_action_has_a_cell_for_every_role():
    permissions.check_table()
    assert all(set(TABLE[action]) == set(ROLES) for action in Action)
    assert set(DOCUMENTED) == set(Action), "document the new action in docs/security.md and here"


@pytest.mark.parametrize(
    "source", [ROOT / "docs" / "security.md", ROOT / "layers/common/patient_docs/permissions.py"], ids=lambda p: p.name
)
def test_the_documented_grid_is_the_table(source):
    documented = _documented_rows(source.read_text())
    assert set(documented) == set(Action), sorted(a.name for a in set(Action) - set(documented))
    for action, cells in documented.items():
        assert cells == [CELL[TABLE[action][role]] for role in ("staff", "admin", "patient")], action.name


def test_the_decisions_the_issue_asks_for():
    # A patient: reads, downloads, creates its own; never signs; changes and deletes only what it added
    me = caller("patient", patient=5)
    staffs, mine = Target("12", "document", 5, "staff"), Target("12", "document", 5, "patient")
    for action in (Action.READ_DOCUMENT, Action.DOWNLOAD_DOCUMENT, Action.LIST_DOCUMENTS):
        assert decide(me, action, staffs) is Decision.ALLOW
    assert decide(me, Action.CREATE_DOCUMENT, Target("12", "patient", 5, "patient")) is Decision.ALLOW
    assert decide(me, Action.SIGN_DOCUMENT, mine) is Decision.FORBIDDEN
    for action in (Action.UPDATE_DOCUMENT, Action.DELETE_DOCUMENT):
        assert decide(me, action, mine) is Decision.ALLOW
        assert decide(me, action, staffs) is Decision.FORBIDDEN
    # Nothing on file requests or settings, as if they did not exist
    for action in (Action.CREATE_FILE_REQUEST, Action.CHANGE_FILE_REQUEST, Action.READ_SETTINGS):
        assert decide(me, action, Target("12", "account")) is Decision.NOT_FOUND
    # Staff: not settings changes nor the audit trail (403); admin: both
    for action in (Action.CHANGE_SETTINGS, Action.READ_AUDIT_EVENTS):
        assert decide(caller("staff"), action, Target("12", "account")) is Decision.FORBIDDEN
        assert decide(caller("admin"), action, Target("12", "account")) is Decision.ALLOW


def test_reach_comes_first_a_target_outside_it_is_not_found_whatever_the_cell():
    other_patient, other_account = Target("12", "document", 6, "patient"), Target("13", "document", 5, "staff")
    for action in (Action.SIGN_DOCUMENT, Action.UPDATE_DOCUMENT, Action.READ_DOCUMENT):
        assert decide(caller("patient", patient=5), action, other_patient) is Decision.NOT_FOUND
        assert decide(caller("admin"), action, other_account) is Decision.NOT_FOUND
    assert decide(caller("staff"), Action.CHANGE_SETTINGS, Target("13", "account")) is Decision.NOT_FOUND


def test_require_raises_in_the_errors_of_the_catalogue_naming_what_is_refused():
    with pytest.raises(NotFound, match="document not found"):
        require(caller("patient", patient=5), Action.READ_DOCUMENT, Target("12", "document", 6, "staff"))
    with pytest.raises(Forbidden) as refused:
        require(caller("patient", patient=5), Action.SIGN_DOCUMENT, Target("12", "document", 5), "signed_by")
    assert refused.value.field == "signed_by" and "may not sign documents" in refused.value.message
    with pytest.raises(Forbidden, match="staff added this one"):
        require(caller("patient", patient=5), Action.DELETE_DOCUMENT, Target("12", "document", 5, "admin"))
