"""Named ingest failures. Each carries a short machine reason and a sentence for people."""

from __future__ import annotations


class IngestError(Exception):
    """An input that cannot become an article. `reason` is a stable code stored in ingest_errors."""

    reason = "failed"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class UnsupportedInput(IngestError):
    """The bytes are not a format we read (binary, unknown container)."""

    reason = "unsupported"


class EmptyInput(IngestError):
    reason = "empty"


class UndecodableInput(IngestError):
    reason = "encoding"


class NoArticle(IngestError):
    """The page was read but holds no article text (an index page, a login wall, an error page)."""

    reason = "no_article"


class TooLarge(IngestError):
    reason = "too_large"


class MalformedInput(IngestError):
    """A container is broken: bad JSON line, truncated WARC record or gzip stream, bad feed."""

    reason = "malformed"
