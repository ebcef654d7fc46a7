"""Webhook targets in every spelling of a private address, the signature, and the backoff."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections import deque
from typing import Any

import pytest

from patient_docs.errors import InvalidField
from patient_docs.rules import webhooks as rules

REFUSED = [
    # schemes, user information, fragments
    "http://hooks.example.com/in",
    "ftp://hooks.example.com/in",
    "//hooks.example.com/in",
    "https://user@hooks.example.com/in",
    "https://user:pw@hooks.example.com/in",
    "https://hooks.example.com@127.0.0.1/in",
    "https://hooks.example.com/in#part",
    "https:///in",
    "https://hooks.example.com:99999/in",
    "https://hooks example.com/in",
    # loopback, in every spelling
    "https://127.0.0.1/in",
    "https://127.1/in",
    "https://127.0.1/in",
    "https://2130706433/in",
    "https://0x7f000001/in",
    "https://0x7f.1/in",
    "https://0X7F.0.0.1/in",
    "https://0177.0.0.1/in",
    "https://017700000001/in",
    "https://127.0.0.1./in",
    "https://[::1]/in",
    "https://[0:0:0:0:0:0:0:1]/in",
    "https://[::ffff:127.0.0.1]/in",
    "https://[::ffff:7f00:1]/in",
    "https://[64:ff9b::127.0.0.1]/in",
    "https://[2002:7f00:1::]/in",
    "https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/in",  # full-width digits, IDNA-mapped to 127.0.0.1
    "https://localhost/in",
    "https://LOCALHOST./in",
    "https://api.localhost/in",
    # private, link-local, metadata, unique-local, CGNAT, multicast, unspecified, reserved, broadcast
    "https://10.0.0.1/in",
    "https://10.1/in",
    "https://172.16.0.1/in",
    "https://192.168.1.1/in",
    "https://3232235777/in",
    "https://169.254.169.254/latest/meta-data/",
    "https://0xa9fea9fe/latest/meta-data/",
    "https://169.254.43518/latest/meta-data/",
    "https://[::ffff:169.254.169.254]/in",
    "https://[fe80::1]/in",
    "https://[fd00:ec2::254]/in",
    "https://[fc00::1]/in",
    "https://100.64.0.1/in",
    "https://100.127.255.254/in",
    "https://224.0.0.1/in",
    "https://239.255.255.250/in",
    "https://[ff02::1]/in",
    "https://0.0.0.0/in",
    "https://0/in",
    "https://[::]/in",
    "https://240.0.0.1/in",
    "https://255.255.255.255/in",
    "https://192.0.2.1/in",
    # IPv6 forms outside the global unicast space that carry an IPv4 address or reach a site
    "https://[::127.0.0.1]/in",  # IPv4-compatible (deprecated, ::/96)
    "https://[::a9fe:a9fe]/latest/meta-data/",
    "https://[::ffff:0:7f00:1]/in",  # IPv4-translated (::ffff:0:0:0/96)
    "https://[fec0::1]/in",  # site-local (deprecated, fec0::/10)
    "https://[3fff::1]/in",  # documentation (3fff::/20)
    "https://[5f00::1]/in",  # reserved (SRv6 SIDs)
    "https://[2606:4700:4700::1111%25eth0]/in",  # a zone: an interface of the caller's own machine
    # not a host name at all, or names that never leave the network
    "https://1.2.3.4.5/in",
    "https://256.1.1.1/in",
    "https://0x100000000/in",
    "https://08.1.1.1/in",
    "https://%31%32%37.0.0.1/in",
    "https://intranet/in",
    "https://printer.local/in",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://router.home.arpa/in",
    "https://-bad-.example.com/in",
    "https://a..example.com/in",
    "https://hooks.example.com/" + "a" * rules.MAX_URL_LENGTH,
    "https://hooks.example.com/\ud800",  # a lone surrogate: no UTF-8 spelling
]

ACCEPTED = [
    ("https://hooks.example.com/in", "https://hooks.example.com/in"),
    ("HTTPS://Hooks.Example.COM./in?x=1", "https://hooks.example.com/in?x=1"),
    ("https://hooks.example.com:8443/in", "https://hooks.example.com:8443/in"),
    ("https://hooks.example.com:443/in", "https://hooks.example.com/in"),
    ("https://hooks.example.com", "https://hooks.example.com/"),
    ("https://8.8.8.8/in", "https://8.8.8.8/in"),
    ("https://134744072/in", "https://8.8.8.8/in"),  # 8.8.8.8 as one number: kept in its plain spelling
    ("https://[2606:4700:4700::1111]/in", "https://[2606:4700:4700::1111]/in"),
    ("https://bücher.example.com/in", "https://xn--bcher-kva.example.com/in"),
    # non-ASCII in the path and query: percent-encoded UTF-8, as browsers send it (escapes kept as they are)
    ("https://hooks.example.com/ünicode?clinic=é&x=%41", "https://hooks.example.com/%C3%BCnicode?clinic=%C3%A9&x=%41"),
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_malformed_targets_are_refused_in_every_spelling(url):
    with pytest.raises(InvalidField) as refused:
        rules.target_url(url)
    assert refused.value.field == "url"


@pytest.mark.parametrize("url", REFUSED)
def test_the_local_servers_setting_does_not_open_any_of_them(url):
    with pytest.raises(InvalidField):
        rules.target_url(url, allow_local=True)


@pytest.mark.parametrize(("url", "stored"), ACCEPTED)
def test_public_https_targets_are_kept_in_one_spelling(url, stored):
    assert rules.target_url(url) == stored


def test_local_http_targets_only_with_the_local_servers_setting():
    assert rules.target_url("http://127.0.0.1:8123/hook", allow_local=True) == "http://127.0.0.1:8123/hook"
    for url in ("http://127.0.0.1:8123/hook", "http://127.0.0.1/hook"):
        with pytest.raises(InvalidField):
            rules.target_url(url)
    # Only that exact spelling, with a port: not another loopback spelling, not localhost, not https
    for url in ("http://127.0.0.1/hook", "http://127.1:8123/", "http://localhost:8123/", "https://127.0.0.1:8123/"):
        with pytest.raises(InvalidField):
            rules.target_url(url, allow_local=True)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a00:1", False),
        ("2002:a00:1::", False),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo carrying 10.0.0.1 (inverted)
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("224.0.0.251", False),
        ("::a9fe:a9fe", False),
        ("::ffff:0:a00:1", False),
        ("fec0::1", False),
        ("3fff::1", False),
    ],
)
def test_resolved_addresses_are_judged_by_the_address_they_carry(address, public):
    assert rules.is_public(ipaddress.ip_address(address)) is public


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_with_one_v1_per_secret():
    body = b'{"id":"evt_1"}'
    expected = hmac.new(b"whsec_a", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert rules.signature_header(["whsec_a"], 1700000000, body) == f"v1={expected}"
    both = rules.signature_header(["whsec_a", "whsec_b"], 1700000000, body).split(" ")
    assert both[0] == f"v1={expected}" and both[1].startswith("v1=") and both[1] != both[0]


def test_secrets_are_long_random_and_prefixed():
    first, second = rules.new_secret(), rules.new_secret()
    assert first.startswith("whsec_") and len(first) >= 40 and first != second


def test_backoff_grows_and_is_capped_within_the_queues_limits():
    waits = [rules.backoff_seconds(attempt) for attempt in range(1, rules.WEBHOOK_TRIES)]
    assert waits == sorted(waits) and waits[0] == 30 and max(waits) <= 6 * 3600
    assert max(waits) <= 12 * 3600  # SQS's longest visibility timeout


# ------------------------------------------------------------------ endpoint slots
def test_the_lowest_free_slot_is_chosen_and_none_when_all_are_taken():
    assert rules.free_slot(set()) == 0
    assert rules.free_slot({0, 1, 3, None}) == 2
    assert rules.free_slot(set(range(rules.MAX_ENDPOINTS_PER_ACCOUNT))) is None


def _over_the_limit(
    limit: int, choose: Any, most_pending: int = 3
) -> tuple[int, frozenset[int], tuple[int, ...]] | None:
    """Every interleaving of register_webhook's steps, searched: a create counts the endpoints and chooses a
    slot (``choose``), then writes, later, only if its slot is still free (DynamoDB's condition); meanwhile
    other creates land, and endpoints with a slot or without one (stored before slots, never added now) are
    deleted. The first state (endpoints without a slot, slots held, creates yet to write) with more endpoints
    than ``limit``, or None."""
    starts = [(legacy, frozenset[int](), ()) for legacy in range(limit + 1)]
    seen, queue = set(starts), deque(starts)
    while queue:
        legacy, held, pending = queue.popleft()
        if legacy + len(held) > limit:
            return legacy, held, pending
        after = [(legacy - 1, held, pending)] if legacy else []
        after += [(legacy, held - {slot}, pending) for slot in held]
        after += [(legacy, held | {slot}, pending[:i] + pending[i + 1 :]) for i, slot in enumerate(pending)]
        if legacy + len(held) < limit and len(pending) < most_pending:
            slot = choose(held)
            if slot is not None:
                after.append((legacy, held, tuple(sorted((*pending, slot)))))
        for state in after:
            if state not in seen:
                seen.add(state)
                queue.append(state)
    return None


@pytest.mark.parametrize("limit", [2, 3, 4])
def test_creates_and_deletes_in_any_interleaving_never_pass_the_limit(monkeypatch, limit):
    monkeypatch.setattr(rules, "MAX_ENDPOINTS_PER_ACCOUNT", limit)
    assert _over_the_limit(limit, rules.free_slot) is None

    # (and it does find the way past the limit that an arbitrary choice of a free slot opens)
    def lowest_or_highest(held: frozenset[int]) -> int | None:
        return rules.free_slot(set(held)) if len(held) % 2 == 0 else max(set(range(limit)) - held, default=None)

    assert limit < 3 or _over_the_limit(limit, lowest_or_highest) is not None
