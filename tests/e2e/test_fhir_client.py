"""A FHIR client library against ``make run``: fhirclient (the SMART on FHIR Python client) reads door D.

fhirclient is pointed at the local server's base URL with the bearer token on its session (door D
is no SMART server: the capability statement says so, and fhirclient then signs nothing itself). It
reads the capability statement, creates a DocumentReference, searches page by page through the
``next`` links, and reads one; every resource it got is checked as R4 as well.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fhirclient.auth import FHIROAuth2Auth
from fhirclient.models.documentreference import DocumentReference
from fhirclient.server import FHIRServer

from tests.e2e.server import RunningServer, local_server
from tests.fhir_validation import assert_us_core_document_reference, valid_r4
from tests.utils import b64, pdf_bytes, png_bytes

pytestmark = pytest.mark.server

PATIENT = 1172416


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # The local malware scanner stand-in answers at once: a file is served as soon as it is scanned.
    with local_server(tmp_path_factory.mktemp("fhir"), {"LOCAL_SCAN_DELAY_SECONDS": "0"}) as running:
        yield running


@pytest.fixture(scope="module")
def token(server: RunningServer) -> str:
    return server.token("--role", "staff", "--account", "12")


@pytest.fixture(scope="module")
def fhir(server: RunningServer, token: str) -> FHIRServer:
    client = FHIRServer(None, base_uri=f"{server.base_url}/fhir/R4")
    client.session.headers["Authorization"] = f"Bearer {token}"
    return client


def _door_a_document(server: RunningServer, token: str, name: str) -> int:
    body = {
        "doc": {"document_name": name, "data": b64(png_bytes()), "mime_type": "image/png", "record_type": "Behavioral"}
    }
    reply = requests.post(
        f"{server.base_url}/api/v2/patients/{PATIENT}/documents",
        json=body,
        headers={"authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["doc"]["id"])


def _binary(server: RunningServer, token: str, url: str, **headers: str) -> requests.Response:
    """The Binary, asked again while its file is being scanned (409 with Retry-After)."""
    deadline = time.monotonic() + 60
    while True:
        reply = requests.get(
            url, headers={"authorization": f"Bearer {token}", **headers}, allow_redirects=False, timeout=20
        )
        if reply.status_code != 409 or time.monotonic() > deadline:
            return reply
        time.sleep(min(float(reply.headers.get("retry-after", "1")), 1.0))


def test_fhirclient_reads_the_capability_statement_without_smart(fhir: FHIRServer):
    statement = fhir.capabilityStatement
    assert statement.fhirVersion == "4.0.1" and statement.format == ["json"]
    assert [resource.type for resource in statement.rest[0].resource] == ["DocumentReference", "Binary"]
    valid_r4(statement.as_json())
    # No SMART on FHIR endpoints advertised: fhirclient takes no OAuth flow of its own
    assert fhir.auth is not None and not isinstance(fhir.auth, FHIROAuth2Auth)


def test_fhirclient_creates_searches_page_by_page_and_reads(server: RunningServer, token: str, fhir: FHIRServer):
    # Given three documents from door A, and one fhirclient creates through door D
    door_a = [_door_a_document(server, token, f"photo-{index}.png") for index in range(3)]
    new = DocumentReference(
        {
            "resourceType": "DocumentReference",
            "status": "current",
            "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
            "subject": {"reference": f"Patient/{PATIENT}"},
            "content": [
                {"attachment": {"contentType": "application/pdf", "data": b64(pdf_bytes()), "title": "note.pdf"}}
            ],
        }
    )
    created: dict[str, Any] = new.create(fhir)
    assert_us_core_document_reference(created)

    # When fhirclient searches the patient two at a time, following the next links
    search = DocumentReference.where({"patient": f"Patient/{PATIENT}", "_count": "2"})
    bundles = list(search.perform_iter(fhir))

    # Then it reads every page as R4, newest first, and all four documents are there once
    assert len(bundles) == 2 and all(bundle.total == 4 for bundle in bundles)
    for bundle in bundles:
        valid_r4(bundle.as_json())
        for entry in bundle.entry:
            assert_us_core_document_reference(entry.resource.as_json())
    found = [entry.resource.id for bundle in bundles for entry in bundle.entry]
    assert found == [created["id"], *(str(number) for number in reversed(door_a))]

    # And it reads one by id, as the search had it
    read = DocumentReference.read(created["id"], fhir)
    assert read.as_json() == bundles[0].entry[0].resource.as_json()

    # And the created document's Binary, once scanned, is the bytes sent: inline, and by redirect
    binary_url = read.content[0].attachment.url
    inline = _binary(server, token, binary_url, accept="application/fhir+json")
    assert inline.status_code == 200, inline.text
    assert base64.b64decode(valid_r4(inline.json()).data) == pdf_bytes()
    redirect = _binary(server, token, binary_url)
    assert redirect.status_code == 302
    assert requests.get(redirect.headers["location"], timeout=20).content == pdf_bytes()
