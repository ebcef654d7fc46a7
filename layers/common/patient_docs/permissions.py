"""Who may do what: one table of role × action, and the one function every use case asks.

Each use case calls ``require(caller, action, target)`` before it reads or writes anything the
caller names; nothing else in the service decides who may act. ``decide`` answers the same
question without raising (the authorization matrix test derives its expectations from it).

Two questions, in this order:

1. **Reach.** A target of another account, or (for a patient token) of another patient, is
   outside the caller's reach: ``NotFound``, exactly as if it did not exist, so ids cannot be
   probed. Staff and admin reach every patient of their own account.
2. **The table.** For a target within reach, the role's cell for the action:

   ========================== ======== ======== ================
   action                     staff    admin    patient
   ========================== ======== ======== ================
   list documents             yes      yes      yes (its own)
   read document metadata     yes      yes      yes
   download a document        yes      yes      yes
   create a document          yes      yes      yes (for itself)
   update document fields     yes      yes      authored
   sign a document            yes      yes      403
   delete a document          yes      yes      authored
   create a file request      yes      yes      404
   read a file request        yes      yes      404
   list file requests         yes      yes      404
   cancel / resend a request  yes      yes      404
   register a device          404      404      yes (itself)
   read account settings      yes      yes      404
   change account settings    403      yes      404
   read audit events          403      yes      404
   read own access log        404      404      yes (itself)
   manage webhooks            403      yes      404
   ========================== ======== ======== ================

   *yes*: allowed. *authored*: allowed on documents the patient added itself (door A, door B, or
   a photo sent through the patient page), 403 on the rest of its documents (added by staff).
   *403* (``Forbidden``): the caller may see the target but not do this; the answer says what is
   refused. *404* (``NotFound``): not part of the role's world, answered as if absent.

Decisions behind the table:

- A patient reads, lists and downloads its own patient's documents, whoever added them, and
  creates documents for itself through every door (door A; door B's upload, presigned upload and
  save naming its own patient). It changes or deletes only what it added itself, never the
  signature fields (``signature_status``, ``signed_by``, ``signed_at``: sending any of them,
  null included, is signing, on create as on update), and never anything staff wrote.
- Document authorship is stored on the record (``author_role``, ``author_subject``). A patient
  token is its patient: a document added by the patient's role is the patient's own, whichever
  token or page sent it. Records from before authorship was stored count as staff-authored
  (door C photos excepted: their ``source`` says the patient sent them).
- File requests, account settings and audit events are staff matters: a patient token gets 404
  for them, as if they did not exist. Staff read settings; only ``admin`` changes them or reads
  the audit trail (403 for staff: they belong to the account but lack the right). Webhooks, their
  secrets and their deliveries are the admin's alone too (staff 403, a patient token 404).
- Device registration and the access log concern the caller's own patient: a staff token has
  none (404).
- The public patient page is outside this table: its link is the capability.

Adding an action: add it to ``Action`` with a cell for every role in ``TABLE`` (the unit tests
refuse a missing cell), call ``require`` from the use case, and declare it on the route's row in
``tests/authz_fixtures.py`` (see docs/security.md, "Who may do what").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from patient_docs.auth import ROLE_ADMIN, ROLE_PATIENT, ROLE_STAFF, ROLES, Caller, Role
from patient_docs.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from patient_docs.models.documents import Document
    from patient_docs.models.file_requests import FileRequest


class Action(Enum):
    """What a caller asks to do. The value is the phrase a 403 names."""

    LIST_DOCUMENTS = "list documents"
    READ_DOCUMENT = "read documents"
    DOWNLOAD_DOCUMENT = "download documents"
    CREATE_DOCUMENT = "create documents"
    UPDATE_DOCUMENT = "change documents"
    SIGN_DOCUMENT = "sign documents (signature_status, signed_by, signed_at)"
    DELETE_DOCUMENT = "delete documents"
    CREATE_FILE_REQUEST = "create file requests"
    READ_FILE_REQUEST = "read file requests"
    LIST_FILE_REQUESTS = "list file requests"
    CHANGE_FILE_REQUEST = "cancel or resend file requests"
    REGISTER_DEVICE = "register a device"
    READ_SETTINGS = "read account settings"
    CHANGE_SETTINGS = "change account settings"
    READ_AUDIT_EVENTS = "read audit events"
    READ_ACCESS_LOG = "read the access log"
    MANAGE_WEBHOOKS = "manage webhooks"


class Grant(Enum):
    ALLOWED = "yes"
    AUTHORED = "authored"  # only on what the caller's role added; 403 on the rest within reach
    FORBIDDEN = "403"  # the caller may see the target but not do this
    HIDDEN = "404"  # not part of this role's world: answered as if absent


class Decision(Enum):
    ALLOW = "allow"
    NOT_FOUND = "not found"
    FORBIDDEN = "forbidden"


_YES, _AUTHORED, _403, _404 = Grant.ALLOWED, Grant.AUTHORED, Grant.FORBIDDEN, Grant.HIDDEN


def _row(staff: Grant, admin: Grant, patient: Grant) -> dict[Role, Grant]:
    return {ROLE_STAFF: staff, ROLE_ADMIN: admin, ROLE_PATIENT: patient}


# The table. Keep it in step with the grid in the module docstring and docs/security.md.
TABLE: dict[Action, dict[Role, Grant]] = {
    Action.LIST_DOCUMENTS: _row(_YES, _YES, _YES),
    Action.READ_DOCUMENT: _row(_YES, _YES, _YES),
    Action.DOWNLOAD_DOCUMENT: _row(_YES, _YES, _YES),
    Action.CREATE_DOCUMENT: _row(_YES, _YES, _YES),
    Action.UPDATE_DOCUMENT: _row(_YES, _YES, _AUTHORED),
    Action.SIGN_DOCUMENT: _row(_YES, _YES, _403),
    Action.DELETE_DOCUMENT: _row(_YES, _YES, _AUTHORED),
    Action.CREATE_FILE_REQUEST: _row(_YES, _YES, _404),
    Action.READ_FILE_REQUEST: _row(_YES, _YES, _404),
    Action.LIST_FILE_REQUESTS: _row(_YES, _YES, _404),
    Action.CHANGE_FILE_REQUEST: _row(_YES, _YES, _404),
    Action.REGISTER_DEVICE: _row(_404, _404, _YES),
    Action.READ_SETTINGS: _row(_YES, _YES, _404),
    Action.CHANGE_SETTINGS: _row(_403, _YES, _404),
    Action.READ_AUDIT_EVENTS: _row(_403, _YES, _404),
    Action.READ_ACCESS_LOG: _row(_404, _404, _YES),
    Action.MANAGE_WEBHOOKS: _row(_403, _YES, _404),
}


# Setting any of these (null included) is signing: Action.SIGN_DOCUMENT, on create as on update.
SIGNATURE_FIELDS = ("signature_status", "signed_by", "signed_at")


def signature_field(fields: Iterable[str]) -> str | None:
    """The first signature field among ``fields`` (the fields a request sets), or None."""
    sent = set(fields)
    return next((name for name in SIGNATURE_FIELDS if name in sent), None)


@dataclass(frozen=True)
class Target:
    """What an action applies to, as far as permissions care.

    ``patient_id`` None: an account-level target (settings, file requests, audit events).
    ``author_role``: for documents, the role that added it (None: not a document).
    ``what``: the word a 404 names ("document", "patient", ...).
    """

    account_id: str
    what: str
    patient_id: int | None = None
    author_role: Role | None = None


def patient_target(account_id: str, patient_id: int) -> Target:
    """A patient's documents as a whole: listing them, or adding one."""
    return Target(account_id, "patient", patient_id)


def document_target(doc: Document) -> Target:
    return Target(doc.account_id, "document", doc.patient_id, doc.author or ROLE_STAFF)


def new_document_target(caller: Caller, account_id: str, patient_id: int) -> Target:
    """A document the caller is about to add (its author is the caller)."""
    return Target(account_id, "patient", patient_id, caller.role)


def file_request_target(request: FileRequest) -> Target:
    return Target(request.account_id, "file request")


def account_target(account_id: str, what: str) -> Target:
    """Something of the account as a whole: its settings, its file requests, its audit trail."""
    return Target(account_id, what)


def self_target(caller: Caller, what: str) -> Target:
    """The caller's own patient (device registration, access log); account-level for staff."""
    return Target(caller.account_id, what, caller.patient_id)


def in_reach(caller: Caller, target: Target) -> bool:
    if target.account_id != caller.account_id:
        return False
    if caller.role == ROLE_PATIENT and target.patient_id is not None:
        return target.patient_id == caller.patient_id
    return True


def grant(role: Role, action: Action) -> Grant:
    return TABLE[action][role]


def decide(caller: Caller, action: Action, target: Target) -> Decision:
    if not in_reach(caller, target):
        return Decision.NOT_FOUND
    cell = grant(caller.role, action)
    if cell is Grant.ALLOWED:
        return Decision.ALLOW
    if cell is Grant.AUTHORED:
        # Within reach, a patient's target is its own patient's: the role says who added it.
        return Decision.ALLOW if target.author_role == caller.role else Decision.FORBIDDEN
    if cell is Grant.FORBIDDEN:
        return Decision.FORBIDDEN
    return Decision.NOT_FOUND


def require(caller: Caller, action: Action, target: Target, field: str | None = None) -> None:
    """Return if the caller may; raise ``NotFound`` or ``Forbidden`` (naming ``field``, if given)."""
    decision = decide(caller, action, target)
    if decision is Decision.ALLOW:
        return
    if decision is Decision.NOT_FOUND:
        raise NotFound(target.what)
    if grant(caller.role, action) is Grant.AUTHORED:
        raise Forbidden(f"a {caller.role} may {action.value} only if it added them itself; staff added this one", field)
    raise Forbidden(f"the {caller.role} role may not {action.value}", field)


def check_table() -> None:
    """Every action has a cell for every role (run by the unit tests and at import)."""
    for action in Action:
        missing = [role for role in ROLES if role not in TABLE.get(action, {})]
        if missing:
            raise RuntimeError(f"permissions.TABLE has no cell for {action.name} × {missing}")


check_table()
