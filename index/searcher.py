"""Searching the index: filters, sorting, paging, exact totals, facets over all hits,
did-you-mean suggestions, more-like-this and per-period counts.

Works on plain values and returns plain values (ids, scores, counts); the archive layer turns
ids into rows. Filters are Whoosh filters (a set of allowed documents), never post-filtering,
and totals are counted exactly: `len(results)` undercounts a term AND a date range searched
with a limit (TRAPS.md).
"""

from __future__ import annotations

import calendar
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .errors import QuerySyntaxError
from .query import parse

SORTS = ("relevance", "newest", "oldest")
FACETS = ("author", "category", "site", "year", "month")
FACET_FIELDS = {
    "author": "authors",
    "category": "category",
    "site": "site",
    "year": "year",
    "month": "month",
}
INTERVALS = ("year", "month")
TOP_FACET_VALUES = 20  # per author/category/site facet; years and months are all shown


@dataclass(slots=True)
class Filters:
    """Restrictions applied as Whoosh filters: any of the values per field, all fields together."""

    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    since: str | None = None  # 2024, 2024-05 or 2024-05-31 (inclusive)
    until: str | None = None  # inclusive: until 2024 means up to the end of 2024

    def empty(self) -> bool:
        return not (self.authors or self.categories or self.sites or self.since or self.until)


@dataclass(slots=True)
class IndexHits:
    total: int
    ids: list[int]
    scores: list[float | None]
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    terms: list[str]  # analyzed (stemmed) words to highlight in snippets


_LOCAL = threading.local()


def _signature(folder: str) -> tuple:
    """Which table of contents is current: a rebuilt index swapped in under the same folder
    name can have the same generation number, so compare the files' identities too."""
    import os

    try:
        return tuple(
            sorted(
                (e.name, e.inode(), e.stat().st_mtime_ns)
                for e in os.scandir(folder)
                if e.name.endswith(".toc")
            )
        )
    except OSError:
        return ()


@contextmanager
def open_searcher(ix: Any):  # type: ignore[no-untyped-def]
    """A searcher kept open per thread and per index folder, reopened when the index changed.

    Opening a searcher reads the segment's files (about 100 ms at 10k articles), more than
    a search itself; Whoosh searchers are not thread-safe, so each thread keeps its own.
    """
    cache: dict[str, tuple[Any, tuple]] = _LOCAL.__dict__.setdefault("searchers", {})
    folder = str(getattr(ix.storage, "folder", id(ix)))
    signature = _signature(folder)
    cached = cache.get(folder)
    if cached is not None and cached[1] == signature and signature:
        searcher = cached[0]
    else:
        if cached is not None:
            cached[0].close()
        searcher = ix.searcher()
        cache[folder] = (searcher, signature)
    yield searcher


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def date_bound(value: str, *, end: bool, name: str) -> datetime:
    """2024 / 2024-05 / 2024-05-31 as the first (or, with `end`, last) moment of that period."""
    m = _DATE.match(value.strip())
    if not m:
        raise QuerySyntaxError(
            f"{name} {value!r} is not a date: write 2024, 2024-05 or 2024-05-31."
        )
    year, month, day = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    try:
        if not end:
            return datetime(year, month or 1, day or 1)
        if day:
            start = datetime(year, month, day)
            return start + timedelta(days=1) - timedelta(microseconds=1)
        if month:
            last = calendar.monthrange(year, month)[1]
            return datetime(year, month, last, 23, 59, 59, 999999)
        return datetime(year, 12, 31, 23, 59, 59, 999999)
    except ValueError as exc:
        raise QuerySyntaxError(f"{name} {value!r} is not a valid date ({exc}).") from exc


def _resolve(reader: Any, fieldname: str, value: str) -> list[str]:
    """Indexed values of an exact-value field equal to `value`, ignoring case."""
    if reader.doc_frequency(fieldname, value):
        return [value]
    wanted = value.casefold().strip()
    return [t for t in reader.field_terms(fieldname) if str(t).casefold() == wanted]


def filter_query(reader: Any, filters: Filters | None):  # type: ignore[no-untyped-def]
    """The Whoosh query for `filters`, or None when nothing is filtered."""
    from whoosh import query as q

    if filters is None or filters.empty():
        return None
    parts: list[Any] = []
    for fieldname, values in (
        ("authors", filters.authors),
        ("category", filters.categories),
        ("site", filters.sites),
    ):
        if values:
            terms = [t for v in values for t in _resolve(reader, fieldname, v)]
            parts.append(q.Or([q.Term(fieldname, t) for t in terms]) if terms else q.NullQuery)
    if filters.since or filters.until:
        start = date_bound(filters.since, end=False, name="--since") if filters.since else None
        stop = date_bound(filters.until, end=True, name="--until") if filters.until else None
        if start and stop and start > stop:
            raise QuerySyntaxError(
                f"--since {filters.since} is after --until {filters.until}: swap them."
            )
        parts.append(q.DateRange("published", start, stop))
    return q.And(parts)


def _allowed(searcher: Any, filters: Filters | None) -> set[int] | None:
    fq = filter_query(searcher.reader(), filters)
    if fq is None:
        return None
    return set(searcher.docs_for_query(fq))


def _sortedby(sort: str):  # type: ignore[no-untyped-def]
    from whoosh import sorting

    if sort == "newest":  # a missing date sorts as the smallest value: put undated last
        return sorting.MultiFacet(
            [sorting.FieldFacet("undated"), sorting.FieldFacet("published", reverse=True)]
        )
    if sort == "oldest":  # undated articles last
        return sorting.MultiFacet([sorting.FieldFacet("undated"), sorting.FieldFacet("published")])
    if sort == "relevance":
        return None
    raise QuerySyntaxError(f"--sort {sort!r} is not a sort order; use one of {', '.join(SORTS)}.")


def _author_facet():  # type: ignore[no-untyped-def]
    """A multi-valued facet read from term vectors (13x faster than from postings).

    Whoosh's vector categorizer expects a KeyError for a document without the field, but the
    codec raises a plain Exception; articles without authors must count as no author.
    """
    from whoosh import sorting

    class VectorCategorizer(sorting.OverlappingCategorizer):
        def keys_for(self, matcher, docid):  # type: ignore[no-untyped-def]
            reader = self._segment_searcher.reader()
            if not reader.has_vector(docid, self._fieldname):
                return []
            return super().keys_for(matcher, docid)

    class AuthorFacet(sorting.FieldFacet):
        def categorizer(self, global_searcher):  # type: ignore[no-untyped-def]
            return VectorCategorizer(global_searcher, self.fieldname)

    return AuthorFacet("authors", allow_overlap=True)


def _groupedby() -> dict[str, Any]:
    from whoosh import sorting

    return {
        "author": _author_facet(),
        "category": sorting.FieldFacet("category"),
        "site": sorting.FieldFacet("site"),
        "year": sorting.FieldFacet("year"),
        "month": sorting.FieldFacet("month"),
    }


def _facet_key(name: str, key: Any) -> str | None:
    if key is None or key == "" or key == b"":
        return None
    if isinstance(key, bytes):
        key = key.decode("utf-8")
    # A document without a year/month reads back as the column default (2**31 - 1).
    if name == "month":
        n = int(key)
        return f"{n // 100:04d}-{n % 100:02d}" if 0 < n < 1_000_000 else None
    if name == "year":
        return str(int(key)) if 0 < int(key) < 10_000 else None
    return str(key)


def facet_counts(results: Any, top: int = TOP_FACET_VALUES) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name in FACETS:
        counts: dict[str, int] = {}
        for key, count in results.groups(name).items():
            label = _facet_key(name, key)
            if label is not None and count:
                counts[label] = counts.get(label, 0) + int(count)
        if name in ("year", "month"):
            out[name] = dict(sorted(counts.items()))
        else:
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
            out[name] = dict(ranked[:top])
    return out


def exact_count(searcher: Any, query: Any, allowed: set[int] | None) -> int:
    """Number of documents matching `query` within `allowed`, without scoring."""
    if allowed is None:
        return sum(1 for _ in searcher.docs_for_query(query))
    if not allowed:
        return 0
    return sum(1 for d in searcher.docs_for_query(query) if d in allowed)


def highlight_terms(query: Any, reader: Any) -> list[str]:
    """Analyzed title/body words the query matches (wildcards expanded), for snippets."""
    words: set[str] = set()
    try:
        found = query.existing_terms(reader, phrases=True, expand=True)
    except Exception:
        found = set()
    for fieldname, text in found:
        if fieldname in ("title", "body"):
            words.add(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    return sorted(words)


_WORD = re.compile(r"(?<![\w:*?\[{])([^\W\d_]{2,})(?![\w:*?])")
_OPERATORS = {"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"}


def suggest(searcher: Any, text: str) -> str | None:
    """The query with each word found in no title or body replaced by the closest indexed word.

    Words are looked up unstemmed in the spelling lists (`spelling=True`), so the suggestion
    reads "streaming", not the stem "stream". Field names, prefixes and operators are kept.
    """
    reader = searcher.reader()
    analyzer = searcher.schema["body"].analyzer
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(1)
        if word in _OPERATORS:
            return word
        stems = [t.text for t in analyzer(word)]
        if not stems or any(
            reader.doc_frequency("body", s) or reader.doc_frequency("title", s) for s in stems
        ):
            return word
        found = searcher.suggest("body", word.lower(), limit=1, maxdist=2, prefix=1)
        found = found or searcher.suggest("title", word.lower(), limit=1, maxdist=2, prefix=1)
        if not found:
            return word
        changed = True
        return found[0]

    corrected = _WORD.sub(fix, text)
    return corrected if changed and corrected != text else None


def search(
    ix: Any,
    text: str,
    *,
    filters: Filters | None = None,
    sort: str = "relevance",
    limit: int = 20,
    page: int = 1,
    facets: bool = False,
    all_hits: bool = False,
) -> IndexHits:
    """Run `text` against the index. With `all_hits`, ids holds every hit in order."""
    from whoosh import sorting

    if limit < 1 or page < 1:
        raise QuerySyntaxError("--limit and --page must be 1 or more.")
    sortedby = _sortedby(sort)
    with open_searcher(ix) as searcher:
        reader = searcher.reader()
        query = parse(text, ix.schema, reader)
        allowed = _allowed(searcher, filters)
        wanted = None if all_hits else limit * page
        kwargs: dict[str, Any] = {"limit": wanted, "filter": allowed}
        if sortedby:
            kwargs["sortedby"] = sortedby
        if facets:
            kwargs["groupedby"] = _groupedby()
            kwargs["maptype"] = sorting.Count
        if allowed is not None and not allowed:
            kwargs["filter"] = {-1}  # an empty set reads as "no filter" to Whoosh
        results = searcher.search(query, **kwargs)
        if all_hits or (facets and not sortedby):
            total = results.scored_length()  # an unlimited collector: it kept every hit
        else:  # a top-N or sorting collector's own count is not to be trusted (TRAPS.md)
            total = exact_count(searcher, query, allowed)
        start = 0 if all_hits else limit * (page - 1)
        stop = None if all_hits else start + limit
        docs = _page(results, reader.column_reader("id"), start, stop, sortedby is None)
        return IndexHits(
            total=total,
            ids=[d[0] for d in docs],
            scores=[d[1] for d in docs],
            facets=facet_counts(results) if facets else {},
            suggestion=suggest(searcher, text),
            terms=highlight_terms(query, reader),
        )


def _page(
    results: Any, column: Any, start: int, stop: int | None, scored: bool
) -> list[tuple[int, float | None]]:
    out = []
    for score, docnum in results.top_n[start:stop]:
        out.append(
            (int(column[docnum]), round(float(score), 4) if scored and score is not None else None)
        )
    return out


def doc_number(searcher: Any, article_id: int) -> int | None:
    return searcher.document_number(id=str(article_id))


def more_like(
    ix: Any, article_id: int, text: str, *, limit: int = 10, filters: Filters | None = None
) -> list[tuple[int, float]]:
    """Articles whose key terms resemble `text` (the article's own title and body), best first.

    The body is not stored in the index, so the caller passes the text it read from SQLite.
    The article itself is left out; an article missing from the index gives [].
    """
    from whoosh import query as q

    with open_searcher(ix) as searcher:
        docnum = doc_number(searcher, article_id)
        if docnum is None:
            return []
        fq = filter_query(searcher.reader(), filters)
        results = searcher.more_like(
            docnum, "body", text=text, top=limit, numterms=20, filter=fq or q.Every()
        )
        column = searcher.reader().column_reader("id")
        return [
            (int(column[docnum_]), round(float(score), 4))
            for score, docnum_ in results.top_n
            if docnum_ != docnum
        ][:limit]


def period_counts(
    ix: Any, text: str | None, *, filters: Filters | None = None, interval: str = "year"
) -> dict[str, int]:
    """Matching documents per year ("2024") or month ("2024-05"); `text` None counts all."""
    from whoosh import query as q
    from whoosh import sorting

    if interval not in INTERVALS:
        raise QuerySyntaxError(
            f"--interval {interval!r} is not an interval; use one of {', '.join(INTERVALS)}."
        )
    with open_searcher(ix) as searcher:
        query = parse(text, ix.schema, searcher.reader()) if text is not None else q.Every()
        allowed = _allowed(searcher, filters)
        if allowed is not None and not allowed:
            return {}
        results = searcher.search(
            query,
            limit=None,
            scored=False,
            filter=allowed,
            groupedby={interval: sorting.FieldFacet(interval)},
            maptype=sorting.Count,
        )
        counts: dict[str, int] = {}
        for key, count in results.groups(interval).items():
            label = _facet_key(interval, key)
            if label is not None:
                counts[label] = counts.get(label, 0) + int(count)
        return dict(sorted(counts.items()))


def indexed_hashes(ix: Any) -> dict[int, list[str]]:
    """Every live document's id with its content hash(es): more than one means a duplicate."""
    out: dict[int, list[str]] = {}
    with open_searcher(ix) as searcher:
        for fields in searcher.all_stored_fields():
            out.setdefault(int(fields["id"]), []).append(fields.get("hash", ""))
    return out
