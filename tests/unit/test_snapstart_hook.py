"""SnapStart: the clients are made before the snapshot, so a restored process makes none."""

from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import time
import uuid

import snapshot_restore_py
from botocore.httpsession import URLLib3Session

from patient_docs.adapters import aws
from patient_docs.schemas import deferred
from patient_docs.schemas.deferred import Schema


def test_the_before_snapshot_hook_is_registered_and_makes_every_client(monkeypatch):
    # Given no client made yet
    for make in (aws.dynamodb, aws.s3, aws.events, aws.sns):
        make.cache_clear()
    # When the runtime runs the hooks registered before a snapshot
    hooks = [hook for hook, _, _ in snapshot_restore_py.get_before_snapshot()]
    assert aws.make_clients_before_snapshot in hooks
    aws.make_clients_before_snapshot()
    # Then each client exists, and the first request after a restore uses it as made
    assert [make.cache_info().currsize for make in (aws.dynamodb, aws.s3, aws.events, aws.sns)] == [1, 1, 1, 1]
    assert aws.dynamodb() is aws.dynamodb()


_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TABLE_NAME": "t", "BUCKET_NAME": "b"}


def _routes(app):
    return [*app._static_routes, *app._dynamic_routes]


def _refuse(what):
    def refused(*args, **kwargs):
        raise AssertionError(f"{what} before the snapshot")

    return refused


def test_the_hook_builds_and_runs_validation_and_makes_nothing_unique(monkeypatch):
    # Given functions as imported: an HTTP one whose routes validate on their first request, one that
    # parses phone numbers, and one whose event is a model of its own (not behind HTTP)
    import functions.file_requests_create.app as create
    import functions.patient_document_list.app as door_b_list
    import functions.scan_result_record.app  # noqa: F401 - registers its event's models
    from patient_docs.schemas import scan_results

    apps = (door_b_list.app, create.app)
    for route in [route for app in apps for route in _routes(app)]:
        route._dependant, route._body_field = None, None  # as a fresh process has them
    calls = []
    monkeypatch.setattr(scan_results.ScanResultEvent, "model_validate", lambda value: calls.append(value))
    # and nothing unique can be made, nor AWS called: ids, tokens, random numbers, the time
    for name in ("randbits", "randbelow", "token_bytes", "token_hex", "token_urlsafe", "choice"):
        monkeypatch.setattr(secrets, name, _refuse(f"secrets.{name}"))
    for name in ("uuid1", "uuid4"):
        monkeypatch.setattr(uuid, name, _refuse(f"uuid.{name}"))
    for name in ("time", "time_ns"):
        monkeypatch.setattr(time, name, _refuse(f"time.{name}"))
    monkeypatch.setattr(URLLib3Session, "send", _refuse("an AWS call"))
    random_state = random.getstate()
    # When the runtime runs the before-snapshot hook
    aws.make_clients_before_snapshot()
    # Then every route's validation is built (Powertools keeps it for the first request) and run once
    for route in [route for app in apps for route in _routes(app)]:
        assert route._dependant is not None, route.rule
    assert calls == [{}]  # the event model refused an empty event: nothing kept
    assert "phonenumbers" in sys.modules  # libphonenumber loaded, as the create's first request needs
    # and every HTTP model an import left unbuilt (another route's, an error body) is built
    assert [model for model in deferred._subclasses(Schema) if not model.__pydantic_complete__] == []
    # And the process holds no random state it would share with every restored copy
    assert random.getstate() == random_state


_FRESH_IMPORT = """
import json, sys
import functions.fhir_document_reference_read.app
import functions.patient_document_list.app
import functions.patient_page_verify.app
from patient_docs import warmup
from patient_docs.schemas import deferred, errors, fhir, patient_documents as b, patient_page
built = lambda *models: [model.__pydantic_complete__ for model in models]
route = built(b.Envelope[b.PatientDocumentPage], b.PatientDocumentPage, b.PatientDocumentOut)
answered = built(fhir.DocumentReference, fhir.Meta, patient_page.UploadSessionOut)
others = built(b.SaveDocumentRequest, b.PresignedUploadOut, errors.ErrorResponse, fhir.Bundle, fhir.OperationOutcome)
unread = [name for name in ("fhir_capability", "fhir_input") if "patient_docs.schemas." + name in sys.modules]
warmup.run()
left = [model.__name__ for model in deferred._subclasses(deferred.Schema) if not model.__pydantic_complete__]
json.dump({"route": route, "answered": answered, "others": others, "unread": unread, "left": left}, sys.stdout)
"""


def test_a_function_builds_its_routes_models_at_import_and_the_hook_builds_the_rest():
    # Given a fresh process (this one has imported every function), as Lambda starts one
    # When it imports door B's list, door D's read and the patient page's check, then runs the warm-up
    done = subprocess.run([sys.executable, "-c", _FRESH_IMPORT], capture_output=True, text=True, check=True, env=_ENV)
    seen = json.loads(done.stdout)
    # Then the models its route validates and answers with were built at import, as its first request needs
    assert seen["route"] == [True, True, True]
    # and so were those a handler answers in a Response of its own, as its route documents them
    assert seen["answered"] == [True, True, True]
    # and those of their doors' other routes and the error bodies (a refusal builds its own) were not
    assert seen["others"] == [False, False, False, False, False]
    # and door D's capability statement and create models were not even imported
    assert seen["unread"] == []
    # and after the warm-up none is left to build after a restore
    assert seen["left"] == []
