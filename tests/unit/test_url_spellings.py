"""URL checks read every spelling of an IP address as an address, and enforce the documented pattern.

A URL parser (a browser, curl, a thumbnail proxy) reads ``https://127.1/`` or ``https://0x7f000001/``
as the loopback address; ``ipaddress`` does not, so those passed as DNS names.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patient_docs.rules.urls import PUBLIC_HTTPS_URL_PATTERN, check_public_https_url, is_ip_literal

ADDRESS = "not an IP address"
PRIVATE = "private, local or link-local"
PATTERN = "documented pattern"

SPELLINGS = [
    # IPv4, as WHATWG URL parsers read it
    ("https://127.0.0.1/x", ADDRESS),
    ("https://127.1/x", ADDRESS),
    ("https://127.0.1/x", ADDRESS),
    ("https://2130706433/x", ADDRESS),
    ("https://0x7f000001/x", ADDRESS),
    ("https://0X7F000001/x", ADDRESS),
    ("https://0x7f.0.0.1/x", ADDRESS),
    ("https://0x7f.1/x", ADDRESS),
    ("https://0177.0.0.1/x", ADDRESS),
    ("https://017700000001/x", ADDRESS),
    ("https://127.0.0.1./x", ADDRESS),
    ("https://169.254.169.254/latest/meta-data", ADDRESS),
    ("https://8.8.8.8/x", ADDRESS),  # public, but the pattern names hosts by DNS name only
    ("https://a.b.0x7f/x", ADDRESS),  # ends in a number: an IPv4 address to a URL parser
    ("https://0x/x", ADDRESS),
    ("https://%31%32%37.0.0.1/x", ADDRESS),
    ("https://127.0.0.1:443/x", ADDRESS),
    # IPv6
    ("https://[::1]/x", ADDRESS),
    ("https://[0:0:0:0:0:0:0:1]/x", ADDRESS),
    ("https://[::ffff:127.0.0.1]/x", ADDRESS),
    ("https://[::FFFF:7F00:1]/x", ADDRESS),
    ("https://[fe80::1%25eth0]/x", ADDRESS),
    ("https://[2001:db8::1]:8443/x", ADDRESS),
    # names
    ("https://localhost/x", PRIVATE),
    ("https://LOCALHOST/x", PRIVATE),
    ("https://localhost./x", PRIVATE),
    ("https://%6c%6f%63%61%6c%68%6f%73%74/x", PRIVATE),
    ("https://printer.local/x", PRIVATE),
    ("https://db.internal./x", PRIVATE),
    ("https://app.localhost/x", PRIVATE),
    # spellings the documented pattern refuses
    ("https://Example.com/x", PATTERN),
    ("HTTPS://example.com/x", PATTERN),
    ("https://example.com./x", PATTERN),
    ("https://example.com:443/x", PATTERN),
    ("https://ex%61mple.com/x", PATTERN),
    ("https://example/x", PATTERN),
    ("https://exa_mple.com/x", PATTERN),
    ("https://еxample.com/x", PATTERN),  # a Cyrillic "е"
    ("https://example.com/x#fragment", PATTERN),
    ("https://example.com/a b", PATTERN),
    ("https://example.com\\@evil.com/x", "credentials"),  # WHATWG reads a path, Python userinfo: refused
    # and the rest
    ("http://example.com/x", "https"),
    ("https://user:pw@example.com/x", "credentials"),
    ("https:///x", "host"),
]


@pytest.mark.parametrize(("url", "reason"), SPELLINGS, ids=[url for url, _ in SPELLINGS])
def test_every_spelling_of_an_address_or_a_private_host_is_refused_with_its_reason(url, reason):
    with pytest.raises(ValueError, match=reason):
        check_public_https_url(url)
    # And the documented pattern refuses it too: what the document allows, the check allows
    assert not re.fullmatch(PUBLIC_HTTPS_URL_PATTERN, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://cdn.example.com/thumbs/a-1_b.png",
        "https://cdn.example.com/x%20y.png?v=2&w=100",
        "https://xn--bcher-kva.example/t.png",
        "https://a1.b2.example.com/",
        "https://s3.us-east-1.amazonaws.com/bucket/key.png",
    ],
)
def test_public_https_urls_by_dns_name_are_accepted_as_written(url):
    assert check_public_https_url(url) == url
    assert re.fullmatch(PUBLIC_HTTPS_URL_PATTERN, url)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", True),
        ("0x7F.1", True),
        ("[::1]", True),
        ("1.2.3.4.", True),
        ("%30x7f000001", True),
        ("example.com", False),
        ("0x7f.example", False),
        ("a1b2", False),
        ("", False),
    ],
)
def test_what_a_url_parser_reads_as_an_ip_address(host, address):
    assert is_ip_literal(host) is address


# Hosts and paths from an alphabet that can spell addresses, ports, dots, case and percent-encoding.
_HOSTISH = st.text(alphabet="abcxAX0179.-:[]%@_", min_size=1, max_size=20)
_PATHISH = st.text(alphabet="ab/.%2F?#= ", max_size=10)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host=_HOSTISH, path=_PATHISH)
def test_the_documented_pattern_is_enforced_every_accepted_url_matches_it(host, path):
    url = f"https://{host}/{path}"
    try:
        accepted = check_public_https_url(url)
    except ValueError:
        return
    assert re.fullmatch(PUBLIC_HTTPS_URL_PATTERN, accepted), url
    assert not is_ip_literal(host)
