"""Door B's URL fields through the real handlers: every spelling of an address is refused, naming the field."""

from __future__ import annotations

import pytest

from tests.integration.probe_helpers import PATIENT, save_document, upload_unsigned
from tests.utils import STAFF_12, call

SPELLINGS = [
    "https://127.1/t.png",
    "https://2130706433/t.png",
    "https://0x7f000001/t.png",
    "https://0x7f.0.0.1/t.png",
    "https://0177.0.0.1/t.png",
    "https://[::1]/t.png",
    "https://[::ffff:127.0.0.1]/t.png",
    "https://[0:0:0:0:0:0:0:1]/t.png",
    "https://[fe80::1%25eth0]/t.png",
    "https://localhost./t.png",
    "https://LOCALHOST/t.png",
    "https://%31%32%37.0.0.1/t.png",
    "https://169.254.169.254./latest/meta-data",
    "https://example.com:8443/t.png",
]


def test_thumbnail_url_refuses_every_address_spelling_on_save_and_update(api, aws):
    # Given an uploaded file, and a saved document
    uploaded = upload_unsigned(api, aws, "card.png")
    doc = save_document(api, aws, "other.png")
    items_before = aws.all_items()
    for url in SPELLINGS:
        # When a save or an update names the thumbnail by an address or a private name
        body = {
            "patient_id": PATIENT,
            "name": "Card",
            "document_url": uploaded["file_url"],
            "bucket_name": aws.bucket,
            "thumbnail_url": url,
        }
        saved = call(api, "POST", "/apis/v1/patient-document", body, STAFF_12)
        updated = call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", {"thumbnail_url": url}, STAFF_12)
        # Then both are 400 in door B's envelope naming thumbnail_url
        for reply in (saved, updated):
            assert reply.status == 400, (url, reply.body)
            assert reply.json["code"] == 4000 and reply.json["message"].startswith("thumbnail_url:"), url
    # And nothing was written or changed
    assert aws.all_items() == items_before


@pytest.mark.parametrize("url", SPELLINGS[:9])
def test_document_url_by_address_is_refused_naming_it(api, aws, url):
    # Given a URL that spells an address, with this bucket's name in its path
    body = {
        "patient_id": PATIENT,
        "name": "Card",
        "document_url": f"{url.rsplit('/', 1)[0]}/{aws.bucket}/accounts/12/patients/{PATIENT}/documents/a.png",
        "bucket_name": aws.bucket,
    }
    # When it is saved
    reply = call(api, "POST", "/apis/v1/patient-document", body, STAFF_12)
    # Then it is refused naming document_url, and nothing is written
    assert reply.status == 400 and reply.json["message"].startswith("document_url:"), reply.body
    assert aws.all_items() == []


def test_a_public_thumbnail_url_with_a_query_is_stored_as_sent(api, aws):
    # Given a saved document
    doc = save_document(api, aws, "card.png")
    # When its thumbnail is set to a CDN URL with a percent-encoded path and a query
    url = "https://cdn.example.com/thumbs/card%201.png?w=200&v=2"
    reply = call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", {"thumbnail_url": url}, STAFF_12)
    # Then it is kept as written
    assert reply.status == 200 and reply.json["data"]["thumbnail_url"] == url
