"""Restricting hits to --author/--category/--site/--language/--since/--until.

Typed values name indexed values as `author:` does in a query (`index.fieldvalues`).
Category, site, language and dates are read from columns (`index.columns`), one array
lookup per document; authors from the postings of the matching author terms. Three shapes
of the same filters: a list of document numbers (`restrict`), a numpy mask over every
document (`dense_mask`, for `index.dense`) and a Whoosh query (`filter_query`, for
more-like-this).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import columns, fieldvalues
from .errors import QuerySyntaxError
from .query import date_bound, resolve_value
from .schema import when_seconds


@dataclass(slots=True)
class Filters:
    """Restrictions applied as Whoosh filters: any of the values per field, all fields together."""

    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # ISO 639-1 codes, as detected
    since: str | None = None  # 2024, 2024-05 or 2024-05-31 (inclusive)
    until: str | None = None  # inclusive: until 2024 means up to the end of 2024

    def empty(self) -> bool:
        return not (
            self.authors
            or self.categories
            or self.sites
            or self.languages
            or self.since
            or self.until
        )

    def labelled(self) -> tuple[tuple[str, list[str]], ...]:
        """(column field, wanted values) of the filters read from RefBytes columns."""
        return (("category", self.categories), ("site", self.sites), ("language", self.languages))


def resolve(reader: Any, fieldname: str, value: str) -> list[str]:
    """Indexed values of an exact-value field that `value` names, ignoring case and accents
    (`index.fieldvalues`, as `author:`, `category:` and `site:` in a query)."""
    return resolve_value(reader, fieldname, value)


def date_window(filters: Filters) -> tuple[int, int] | None:
    """--since/--until as an inclusive range of `c_when` seconds, or None when not given."""
    if not (filters.since or filters.until):
        return None
    start = date_bound(filters.since, end=False, name="--since") if filters.since else None
    stop = date_bound(filters.until, end=True, name="--until") if filters.until else None
    if start and stop and start > stop:
        raise QuerySyntaxError(
            f"--since {filters.since} is after --until {filters.until}: swap them."
        )
    low = when_seconds(start) if start else 1  # 0 is "undated": never inside a window
    high = when_seconds(stop) if stop else 2**62
    return low, high


def _wanted_labels(labels: list[str], values: list[str]) -> set[int]:
    """Label numbers of the labels the `values` name (as `resolve` does for terms)."""
    out: set[int] = set()
    for value in values:
        named = set(fieldvalues.matching(value, [label for label in labels if label]))
        out |= {i for i, label in enumerate(labels) if label in named}
    return out


def restrict(searcher: Any, docs: Iterable[int], filters: Filters | None) -> list[int]:
    """The document numbers of `docs` that pass `filters`, in the order given.

    Category, site and date are read from columns (one array lookup per document); authors
    from the postings of the matching author terms.
    """
    docs = docs if isinstance(docs, list) else list(docs)
    if filters is None or filters.empty():
        return docs
    window = date_window(filters)  # checked first: a bad date is an error even without hits
    for fieldname, values in filters.labelled():
        if values and docs:
            refs, labels = columns.labelled(searcher, fieldname)
            wanted = _wanted_labels(labels, values)
            docs = [d for d in docs if refs[d] in wanted] if wanted else []
    if window and docs:
        when = columns.numeric(searcher, "c_when", "q")
        low, high = window
        docs = [d for d in docs if low <= when[d] <= high]
    if filters.authors and docs:
        from whoosh import query as q

        reader = searcher.reader()
        terms = [t for v in filters.authors for t in resolve(reader, "authors", v)]
        if not terms:
            return []
        allowed = set(searcher.docs_for_query(q.Or([q.Term("authors", t) for t in terms])))
        docs = [d for d in docs if d in allowed]
    return docs


def filter_query(reader: Any, filters: Filters | None):  # type: ignore[no-untyped-def]
    """The Whoosh query for `filters`, or None when nothing is filtered (for more-like-this)."""
    from whoosh import query as q

    if filters is None or filters.empty():
        return None
    parts: list[Any] = []
    for fieldname, values in (
        ("authors", filters.authors),
        ("category", filters.categories),
        ("site", filters.sites),
        ("language", filters.languages),
    ):
        if values:
            terms = [t for v in values for t in resolve(reader, fieldname, v)]
            parts.append(q.Or([q.Term(fieldname, t) for t in terms]) if terms else q.NullQuery)
    if filters.since or filters.until:
        start = date_bound(filters.since, end=False, name="--since") if filters.since else None
        stop = date_bound(filters.until, end=True, name="--until") if filters.until else None
        parts.append(q.DateRange("published", start, stop))
    return q.And(parts)


def dense_mask(searcher: Any, filters: Filters, window: tuple[int, int] | None):  # type: ignore[no-untyped-def]
    """`restrict` as a mask over every document number."""
    import numpy as np

    mask = np.ones(searcher.doc_count_all(), dtype=bool)
    for fieldname, values in filters.labelled():
        if values:
            refs, labels = columns.labelled(searcher, fieldname)
            wanted = sorted(_wanted_labels(labels, values))
            mask &= np.isin(np.asarray(refs), wanted)
    if window:
        when = np.asarray(columns.numeric(searcher, "c_when", "q"))
        mask &= (when >= window[0]) & (when <= window[1])
    if filters.authors:
        reader = searcher.reader()
        allowed = np.zeros_like(mask)
        for term in (t for v in filters.authors for t in resolve(reader, "authors", v)):
            allowed[columns.term_docs(searcher, "authors", term)] = True
        mask &= allowed
    return mask
