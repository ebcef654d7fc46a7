"""Presigned URLs name the bucket's regional virtual host, and the patient page's CSP allows exactly it.

A bucket outside us-east-1 answers the global host (bucket.s3.amazonaws.com) with 307 redirects for
up to a day after it is made; browsers' CORS uploads do not follow them. The local server's embedded
AWS (a custom endpoint) keeps path-style URLs, which its single host can serve.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.integration.page_helpers import create_request
from tests.utils import call


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Run the adapters with other AWS settings (region, endpoint), fresh clients each time."""
    from patient_docs.adapters import aws as clients
    from patient_docs.adapters import object_store
    from patient_docs.settings import get_settings

    def reset() -> None:
        get_settings.cache_clear()
        clients.s3.cache_clear()
        object_store.upload_origin.cache_clear()

    def use(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        reset()

    yield use
    reset()


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-2", "ap-southeast-2"])
def test_urls_name_the_buckets_regional_virtual_host(environment, region):
    from patient_docs.adapters import object_store
    from patient_docs.settings import get_settings

    # Given functions deployed in a region, talking to AWS itself
    environment(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    bucket = get_settings().bucket_name
    # When they sign a download and an upload (locally: nothing is sent)
    download = object_store.presign_download("accounts/1/patients/2/documents/a.png", "a.png", "image/png")
    upload, fields = object_store.presign_upload("accounts/1/k.png", "image/png", 1, 10, "k.png")
    # Then both name the bucket's own host in that region, and the page's CSP allows exactly it
    host = f"https://{bucket}.s3.{region}.amazonaws.com"
    assert _origin(download) == _origin(upload) == object_store.upload_origin() == host
    assert urlsplit(download).path == "/accounts/1/patients/2/documents/a.png"
    assert fields["key"] == "accounts/1/k.png"


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:4566", "http://localhost:4566"])
def test_a_custom_endpoint_keeps_path_style_urls(environment, endpoint):
    from patient_docs.adapters import object_store
    from patient_docs.settings import get_settings

    environment(AWS_ENDPOINT_URL=endpoint)
    bucket = get_settings().bucket_name
    download = object_store.presign_download("accounts/1/k.png", "k.png", "image/png")
    upload, _ = object_store.presign_upload("accounts/1/k.png", "image/png", 1, 10, "k.png")
    assert download.startswith(f"{endpoint}/{bucket}/accounts/1/k.png?")
    assert upload == f"{endpoint}/{bucket}"
    assert object_store.upload_origin() == endpoint


def test_the_patient_page_allows_uploads_to_the_regional_host_only(api, aws):
    # Given a request whose page a patient opens
    link = create_request(api)["short_link_id"]
    # When the page is served
    reply = call(api, "GET", f"/r/{link}")
    # Then its CSP lets the script talk to its own origin and to the bucket's regional host, nothing else
    policy = dict(part.strip().split(" ", 1) for part in reply.headers["content-security-policy"].split(";"))
    assert policy["connect-src"] == f"'self' https://{aws.bucket}.s3.us-east-1.amazonaws.com"
