"""JSON Feed 1.0 / 1.1 (jsonfeed.org) → one RawDocument per item.

A JSON Feed is one JSON object whose `items` are the articles; read as a JSON record it
would be one bogus article and every item lost. Each item's fields are mapped to the feed
entry vocabulary `records.extract_record` reads (content_html, content, summary, authors,
published, ...) and kept as JSON in `data`, like an RSS entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .model import Failure, RawDocument

_VERSION = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/1', re.IGNORECASE)


def looks_like_json_feed(head: bytes) -> bool:
    """A JSON object whose `version` names jsonfeed.org (within the first bytes)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" and bool(_VERSION.search(head))


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _names(value: Any) -> list[str]:
    """JSON Feed 1.1 `authors` (a list) or 1.0 `author` (one object) → names."""
    items = value if isinstance(value, list) else [value]
    return [
        item["name"].strip()
        for item in items
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip()
    ]


def _item_fields(item: dict[str, Any], feed: dict[str, Any]) -> dict[str, Any]:
    authors = _names(item.get("authors")) or _names(item.get("author"))
    if not authors:  # the feed's own authors stand for items that name none
        authors = _names(feed.get("authors")) or _names(feed.get("author"))
    tags = [t.strip() for t in item.get("tags") or [] if isinstance(t, str) and t.strip()]
    fields: dict[str, Any] = {
        "title": _text(item.get("title")),
        "authors": authors,
        "published": _text(item.get("date_published")) or _text(item.get("date_modified")),
        "categories": tags,
        "summary": _text(item.get("summary")),
        "content_html": _text(item.get("content_html")),
        "content": _text(item.get("content_text")),
        "site_name": _text(feed.get("title")),
        "url": _text(item.get("url")) or _text(item.get("external_url")),
        "id": _text(item.get("id")) if not isinstance(item.get("id"), int) else str(item["id"]),
        "language": _text(item.get("language")) or _text(feed.get("language")),
    }
    return {key: value for key, value in fields.items() if value not in (None, [], "")}


def iter_json_feed_items(origin: str, data: bytes) -> Iterator[RawDocument | Failure]:
    """Every item of a JSON Feed as a RawDocument (format "feed"); bad items as Failures."""
    try:
        feed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        yield Failure(
            origin, "malformed", f"{origin}: the JSON Feed is not valid JSON ({exc}).", data, "feed"
        )
        return
    items = feed.get("items") if isinstance(feed, dict) else None
    if not isinstance(items, list):
        yield Failure(
            origin,
            "malformed",
            f"{origin}: the JSON Feed has no `items` list; check that it is a jsonfeed.org feed.",
            data,
            "feed",
        )
        return
    if not items:
        yield Failure(origin, "empty", f"{origin}: the JSON Feed has no items.", data, "feed")
        return
    for number, item in enumerate(items, 1):
        where = f"{origin}#{number}"
        if not isinstance(item, dict):
            yield Failure(
                where,
                "malformed",
                f"{where}: the JSON Feed item is not an object.",
                json.dumps(item, ensure_ascii=False).encode("utf-8"),
                "feed",
            )
            continue
        fields = _item_fields(item, feed)
        yield RawDocument(
            origin=where,
            data=json.dumps(fields, ensure_ascii=False).encode("utf-8"),
            format="feed",
            url=fields.get("url"),
            fields=fields,
            container=origin,
        )
