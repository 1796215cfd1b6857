"""RSS and Atom feeds → one RawDocument per entry.

feedparser is always handed a stream of bytes: given a str it opens it as a path or fetches
it as a URL (TRAPS.md), and given bytes it first tries them as a file name. A feed that declares its own XML entities is refused before parsing: entity
expansion is how billion-laughs bombs and external-entity (XXE) reads work, and no real
news feed needs it. Each entry's fields are kept as JSON in `data`, so the archive can
re-extract the entry later from what it stored.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

from .decode import decode_bytes
from .errors import IngestError
from .model import Failure, RawDocument

_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_DOCTYPE_SUBSET = re.compile(r"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)


def _declares_entities(data: bytes, origin: str) -> bool:
    """True when the prolog (before the root element) declares entities, in any encoding."""
    try:
        text = decode_bytes(data[: 1 << 20], origin)
    except IngestError:
        text = data[: 1 << 20].decode("latin-1")
    root = re.search(r"<(rss|feed|rdf:RDF|channel)\b", text, re.IGNORECASE)
    prolog = text[: root.start()] if root else text
    return bool(_DOCTYPE_SUBSET.search(prolog) and _ENTITY_DECL.search(prolog))


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _entry_fields(entry: Any, site: str | None) -> dict[str, Any]:
    authors = [
        a.get("name") for a in entry.get("authors") or [] if isinstance(a, dict) and a.get("name")
    ]
    if not authors and _text(entry.get("author")):
        authors = [entry["author"].strip()]
    contents = [
        c for c in entry.get("content") or [] if isinstance(c, dict) and _text(c.get("value"))
    ]
    html_content = next((c["value"] for c in contents if "html" in (c.get("type") or "")), None)
    plain_content = next(
        (c["value"] for c in contents if "html" not in (c.get("type") or "")), None
    )
    summary = _text(entry.get("summary"))
    detail = entry.get("summary_detail") or {}
    # RSS descriptions are HTML (feedparser says text/html): entities and tags (a tracking
    # pixel) must be read as HTML, once, not kept as text
    summary_html = summary if summary and "html" in (detail.get("type") or "") else None
    categories = [
        t.get("term")
        for t in entry.get("tags") or []
        if isinstance(t, dict) and _text(t.get("term"))
    ]
    fields: dict[str, Any] = {
        "title": _text(entry.get("title")),
        "authors": authors,
        # the date string as the feed wrote it: feedparser's *_parsed values are converted to UTC
        "published": _text(entry.get("published"))
        or _text(entry.get("updated"))
        or _text(entry.get("created")),
        "categories": categories,
        "summary": summary if not summary_html else None,
        "summary_html": summary_html,
        "content_html": html_content,
        "content": plain_content,
        "site_name": site,
        "url": _text(entry.get("link")),
        "id": _text(entry.get("id")),
    }
    return {key: value for key, value in fields.items() if value not in (None, [], "")}


def iter_feed_entries(origin: str, data: bytes) -> Iterator[RawDocument | Failure]:
    """Every entry of an RSS/Atom feed as a RawDocument (format "feed"), in feed order."""
    if not isinstance(data, bytes):  # a str would make feedparser open a path or fetch a URL
        raise TypeError("iter_feed_entries needs the feed's bytes, not a str or path.")
    if not data.strip():
        yield Failure(origin, "empty", f"{origin}: the feed file is empty.", data, "feed")
        return
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":  # JSON Feed (jsonfeed.org)
        from .jsonfeed import iter_json_feed_items

        yield from iter_json_feed_items(origin, data)
        return
    if _declares_entities(data, origin):
        yield Failure(
            origin,
            "malformed",
            f"{origin}: the feed declares XML entities in its DOCTYPE, which we refuse to expand "
            "(entity bombs, external-entity reads); remove the DOCTYPE and ingest it again.",
            data,
            "feed",
        )
        return
    import feedparser

    # A stream, not bytes: feedparser tries open() on bytes too, so b"/etc/passwd" would be read.
    parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=True)
    entries = parsed.get("entries") or []
    if not entries:
        problem = parsed.get("bozo_exception")
        reason = f" ({problem})" if parsed.get("bozo") and problem else ""
        yield Failure(
            origin,
            "malformed" if reason else "empty",
            f"{origin}: no feed entries could be read{reason}; check that it is an RSS or Atom feed.",
            data,
            "feed",
        )
        return
    site = _text((parsed.get("feed") or {}).get("title"))
    for number, entry in enumerate(entries, 1):
        fields = _entry_fields(entry, site)
        yield RawDocument(
            origin=f"{origin}#{number}",
            data=json.dumps(fields, ensure_ascii=False).encode("utf-8"),
            format="feed",
            url=fields.get("url"),
            fields=fields,
            container=origin,
        )
