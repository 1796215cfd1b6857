"""The records that flow through ingest: what came in (RawDocument) and what came out (Article)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class RawDocument:
    """One page as its container gave it to us, before any interpretation.

    `data` is kept verbatim by the archive, so an article can always be re-extracted.
    `fields` carries values a structured container already knew (a JSON record, a feed
    entry); the extractor prefers them over what it finds in the text.
    """

    origin: str  # where it came from: a path, "path:LINE" for JSON Lines, "path#N" for WARC/feed records
    data: bytes
    format: str  # text | html | json | warc | feed  (the extractor to use for `data`)
    url: str | None = None
    fetched: str | None = None  # ISO date-time the container says the page was fetched
    fields: dict[str, Any] | None = None
    container: str | None = None  # the file the record came from, when it is not `origin`
    # where `data` starts in the container's bytes (gunzipped when the file is gzip), when the
    # reader knows `data` is exactly that slice: the archive then keeps the offset, not a copy
    offset: int | None = None


@dataclass(slots=True)
class Article:
    """One clean article: the contract of `newsarchive extract --json` (see DESIGN.md)."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS"; never an invented day
    category: str | None = None
    site_name: str | None = None
    url: str | None = None
    language: str | None = None
    dateline: str | None = None
    wire: str | None = None
    body: str = ""
    captions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Failure:
    """An input that could not be read or extracted; the archive records it and goes on."""

    origin: str
    reason: str  # stable code: empty, binary, encoding, no_article, too_large, malformed, ...
    message: str  # one sentence naming the input and what to do
    data: bytes | None = None  # the bytes we could read, kept verbatim when there are any
    format: str | None = None
    container: str | None = None  # the file it came from (set by the reader): kept as given
    offset: int | None = None  # as RawDocument.offset
