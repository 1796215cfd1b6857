"""Canonical URLs: every address form of one page gives one key; different pages stay apart."""

from __future__ import annotations

import pytest

from ingest.urls import canonical_url

KEY = "example.com/world/2025/08/01/space-chiefs-meet"

SAME_PAGE = [
    "https://example.com/world/2025/08/01/space-chiefs-meet",
    "http://example.com/world/2025/08/01/space-chiefs-meet",
    "https://www.example.com/world/2025/08/01/space-chiefs-meet/",
    "https://WWW.Example.COM/world/2025/08/01/space-chiefs-meet#comments",
    "https://example.com/world/2025/08/01/space-chiefs-meet?utm_source=twitter&utm_medium=social",
    "https://example.com/world/2025/08/01/space-chiefs-meet/?fbclid=IwAR0abc&gclid=xyz",
    "https://example.com:443/world/2025/08/01/space-chiefs-meet",
    "https://example.com/world/2025/08/01/space-chiefs-meet/amp/",
    "https://example.com/world/2025/08/01/space-chiefs-meet.amp",
    "https://example.com/world/2025/08/01/space-chiefs-meet?amp=1",
    "https://example.com/world/2025/08/01/space-chiefs-meet?outputType=amp",
    "https://amp.example.com/world/2025/08/01/space-chiefs-meet",
    "https://m.example.com/world/2025/08/01/space-chiefs-meet",
    "https://example.com/amp/world/2025/08/01/space-chiefs-meet",
    "https://example.com/world//2025/08/01/space-chiefs-meet/index.html",
    "https://www.google.com/amp/s/www.example.com/world/2025/08/01/space-chiefs-meet/amp",
    "https://example-com.cdn.ampproject.org/c/s/example.com/world/2025/08/01/space-chiefs-meet?amp_js_v=0.1",
    "example.com/world/2025/08/01/space-chiefs-meet",
    "  https://example.com/world/2025/08/01/space-chiefs-meet  ",
    "https://example.com/world/2025/08/01/space%2Dchiefs%2Dmeet",
]


@pytest.mark.parametrize("url", SAME_PAGE)
def test_address_forms_of_one_page_share_a_key(url):
    assert canonical_url(url) == KEY


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/a", "https://example.com/b"),
        ("https://example.com/a", "https://example.org/a"),
        ("https://example.com/story?id=1", "https://example.com/story?id=2"),
        ("https://news.example.com/a", "https://example.com/a"),  # a real subdomain is kept
        ("https://example.com:8080/a", "https://example.com/a"),
        ("https://example.com/Story", "https://example.com/story"),  # paths are case-sensitive
    ],
)
def test_different_pages_keep_different_keys(a, b):
    assert canonical_url(a) != canonical_url(b)


def test_meaningful_query_parameters_are_kept_in_a_stable_order():
    assert canonical_url("https://x.com/p?b=2&utm_campaign=c&a=1") == "x.com/p?a=1&b=2"
    assert canonical_url("https://x.com/p?a=1&b=2") == canonical_url("https://x.com/p?b=2&a=1")


def test_root_and_blank_inputs():
    assert canonical_url("https://www.example.com/") == "example.com/"
    assert canonical_url("https://www.example.com") == "example.com/"
    assert canonical_url("   ") == ""


def test_other_schemes_are_left_alone():
    assert canonical_url("urn:uuid:1234") == "urn:uuid:1234"


def test_store_uses_the_same_function():
    from archive import store_versions, store_write

    assert store_write.canonical_url is canonical_url
    assert store_versions.canonical_url is canonical_url
