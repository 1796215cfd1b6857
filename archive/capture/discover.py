"""Page URLs out of feeds (RSS/Atom, read by ingest's own feed reader) and sitemaps.

Sitemaps are read with defusedxml (no entity expansion, no external fetches): a `<urlset>`
gives pages with their `<lastmod>`, a `<sitemapindex>` gives more sitemaps, and a plain-text
sitemap gives one URL per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from ingest.model import Failure

MAX_URLS = 50_000  # what one sitemap may hold (sitemaps.org)


@dataclass(slots=True)
class Found:
    """What a feed or sitemap lists: pages (with their lastmod) and further sitemaps."""

    pages: list[tuple[str, str | None]]
    sitemaps: list[str]
    problem: tuple[str, str] | None = None  # (reason, message) when it could not be read


def feed_links(url: str, body: bytes) -> Found:
    from ingest.feed import iter_feed_entries

    pages: list[tuple[str, str | None]] = []
    for entry in iter_feed_entries(url, body):
        if isinstance(entry, Failure):
            return Found([], [], (entry.reason, entry.message))
        if entry.url:
            pages.append((urljoin(url, entry.url.strip()), None))
    return Found(pages[:MAX_URLS], [])


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def sitemap_links(url: str, body: bytes) -> Found:
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):  # a text sitemap: one URL per line
        lines = [line.strip() for line in text.decode("utf-8", "replace").splitlines()]
        return Found([(line, None) for line in lines if line.startswith("http")][:MAX_URLS], [])
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(text)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        return Found([], [], ("malformed", f"{url}: not a readable sitemap ({exc})."))
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        return Found([], [], ("malformed", f"{url}: not a sitemap (its root is <{kind}>)."))
    pages: list[tuple[str, str | None]] = []
    sitemaps: list[str] = []
    for item in root:
        fields = {_local(child.tag): (child.text or "").strip() for child in item}
        loc = fields.get("loc")
        if not loc:
            continue
        if kind == "sitemapindex":
            sitemaps.append(urljoin(url, loc))
        else:
            pages.append((urljoin(url, loc), fields.get("lastmod") or None))
        if len(pages) + len(sitemaps) >= MAX_URLS:
            break
    return Found(pages, sitemaps)
