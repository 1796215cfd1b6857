"""Named errors of the index layer; the CLI turns each into one line on stderr."""

from __future__ import annotations


class IndexError_(Exception):
    """Base class: something is wrong with the Whoosh index or a query against it."""


class IndexMissing(IndexError_):
    """There is no index in the folder yet: `newsarchive reindex` (or any command) builds it."""


class IndexCorrupt(IndexError_):
    """The index cannot be opened or read; `newsarchive reindex` rebuilds it from SQLite."""


class IndexOutdated(IndexCorrupt):
    """The index was built with an older schema: it is derived data, so it is rebuilt."""


class IndexBusy(IndexError_):
    """Another process holds the index's write lock longer than we are willing to wait."""


class QueryError(IndexError_):
    """A query that cannot be run as given; the message says what to change."""


class QuerySyntaxError(QueryError):
    """The query text is malformed (unbalanced quotes or brackets, unknown field, bad date)."""


class QueryTooBroad(QueryError):
    """The query would expand to too many terms (wildcards, ranges) to answer quickly."""
