"""Running a query: parsing, sorting, paging, exact totals, and the hits' ids, scores,
facets and did-you-mean suggestion; more-like-this and per-period counts.

Works on plain values and returns plain values (ids, scores, counts); the archive layer turns
ids into rows. Every matching document is listed once, unscored (`docs_for_query`); filters
(`index.filters`), the exact total and the facets (`index.facets`) work on that list with
column arrays (`index.columns`), and the scorer only ranks the page, restricted to the
filtered list. Big hit lists are evaluated as arrays instead (`index.dense`). Totals are
never Whoosh's `len(results)`, which undercounts a term AND a date range searched with a
limit (TRAPS.md).
"""

from __future__ import annotations

import gc
import heapq
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

from . import columns, dense
from .analysis import INTL_FIELDS, SEARCHED_FIELDS, more_like_text
from .errors import QuerySyntaxError
from .facets import (
    FACETS,
    LABELLED,
    TOP_FACET_VALUES,
    count_periods,
    dense_facet_counts,
    facet_counts,
)
from .filters import Filters, date_window, dense_mask, filter_query, restrict
from .query import parse, trim
from .snippets import HighlightTerms
from .spelling import suggest

__all__ = [
    "FACETS",
    "LABELLED",
    "SORTS",
    "TOP_FACET_VALUES",
    "Filters",
    "IndexHits",
    "facet_counts",
    "filter_query",
    "gc_paused",
    "indexed_hashes",
    "more_like",
    "open_searcher",
    "period_counts",
    "restrict",
    "search",
]

SORTS = ("relevance", "newest", "oldest")
INTERVALS = ("year", "month")
ONE_PASS_MAX_HITS = 3000  # see _one_pass


@contextmanager
def gc_paused():  # type: ignore[no-untyped-def]
    """Run a query without the cyclic garbage collector.

    Reading postings allocates hundreds of thousands of short-lived objects, so a big query
    set off several full collections, each walking every long-lived object of the process
    (the cached column lists of 100k documents among them): a two-word phrase at 100k
    articles took 56 ms median with the collector, 45 ms without. Reference counting still
    frees everything at once; cycles made meanwhile wait for the next collection. The
    collector is switched back on only by the caller that switched it off, so concurrent
    queries on threads never leave it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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

    Opening a searcher reads every segment's header (50 ms at 100k articles in 31 segments,
    files read in place: `segment_files.py`), more than a search itself; Whoosh searchers
    are not thread-safe, so each thread keeps its own.
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


def _check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise QuerySyntaxError(
            f"--sort {sort!r} is not a sort order; use one of {', '.join(SORTS)}."
        )


def _by_date(searcher: Any, docs: list[int], sort: str, count: int | None) -> list[int]:
    """`docs` newest or oldest first, undated last either way; ties keep index order."""
    when = columns.numeric(searcher, "c_when", "q")
    if sort == "newest":  # undated is 0: the smallest, so last
        key = when.__getitem__
        return (
            heapq.nlargest(count, docs, key=key) if count else sorted(docs, key=key, reverse=True)
        )
    last = 2**63 - 1

    def oldest(d: int) -> int:
        return when[d] or last

    return heapq.nsmallest(count, docs, key=oldest) if count else sorted(docs, key=oldest)


def highlight_terms(query: Any, reader: Any = None) -> HighlightTerms:
    """Analyzed title/body/captions words the query asks for (prefixes are already expanded
    by `query.parse`), whether or not some title holds them; words under NOT are left out.
    Snippets mark the body's words that analyze to one of these, among the terms of the
    fields the article is in (the English fields or the intl ones)."""
    from whoosh import query as q

    words: dict[bool, set[str]] = {False: set(), True: set()}  # by: in the intl fields?

    def visit(node: Any) -> None:
        if isinstance(node, q.Not):
            return
        if isinstance(node, q.AndNot):
            visit(node.a)
            return
        if isinstance(node, q.Term) and node.fieldname in SEARCHED_FIELDS:
            text = node.text
            found = text.decode("utf-8") if isinstance(text, bytes) else str(text)
            words[node.fieldname not in INTL_FIELDS].add(found)
        elif isinstance(node, q.Phrase) and node.fieldname in SEARCHED_FIELDS:
            words[node.fieldname not in INTL_FIELDS].update(str(w) for w in node.words)
        for child in node.children():
            visit(child)

    visit(query)
    return HighlightTerms(english=words[False], intl=words[True])


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
    is_word: Callable[[str], bool] | None = None,
) -> IndexHits:
    """Run `text` against the index. With `all_hits`, ids holds every hit in order.

    `is_word` tells whether a word occurs unstemmed in the collection; did-you-mean suggests
    only such words (the index itself holds stems only).

    One pass lists every matching document (unscored), filters and facets work on that list,
    and only the page is ranked: by Whoosh's scorer (top-N with block skipping, restricted to
    the filtered list) or by the date column.
    """
    if limit < 1 or page < 1:
        raise QuerySyntaxError("--limit and --page must be 1 or more.")
    _check_sort(sort)
    with gc_paused(), open_searcher(ix) as searcher:
        reader = searcher.reader()
        query = parse(text, ix.schema, reader)
        terms = highlight_terms(query)  # before trim: every word the query asks for
        query = trim(query, reader)
        wanted = None if all_hits else limit * page
        start = 0 if all_hits else limit * (page - 1)
        arrays = _dense_search(searcher, query, filters, sort, wanted, start, facets)
        if arrays is not None:
            total, ranked, found_facets = arrays
            ranked = ranked if all_hits else ranked[:limit]
            return IndexHits(
                total=total,
                ids=columns.article_ids(searcher, [d for d, _ in ranked]),
                scores=[s for _, s in ranked],
                facets=found_facets,
                suggestion=None if total else suggest(searcher, text, is_word),
                terms=terms,
            )
        scored: list[tuple[int, float]] | None = None
        if sort == "relevance" and _one_pass(query, reader):
            scored = _score_all(searcher, query)
            docs = restrict(searcher, sorted(d for d, _ in scored), filters)
        else:
            docs = restrict(searcher, matching_docs(searcher, query), filters)
        ranked: list[tuple[int, float | None]]
        if not docs or start >= len(docs):
            ranked = []
        elif sort != "relevance":
            ranked = [(d, None) for d in _by_date(searcher, docs, sort, wanted)[start:]]
        elif scored is not None:
            keep = set(docs) if len(docs) < len(scored) else None
            ranked = [(d, s) for d, s in scored if keep is None or d in keep][start:wanted]
        else:
            allow = set(docs) if filters is not None and not filters.empty() else None
            results = top_hits(searcher, query, wanted, allow=allow)
            ranked = [(d, round(float(s), 4)) for d, s in islice(results.items(), start, None)]
        ranked = ranked if all_hits else ranked[:limit]
        return IndexHits(
            total=len(docs),
            ids=columns.article_ids(searcher, [d for d, _ in ranked]),
            scores=[s for _, s in ranked],
            facets=facet_counts(searcher, docs) if facets else {},
            suggestion=None if docs else suggest(searcher, text, is_word),
            terms=terms,
        )


def _dense_search(
    searcher: Any,
    query: Any,
    filters: Filters | None,
    sort: str,
    wanted: int | None,
    start: int,
    facets: bool,
) -> tuple[int, list[tuple[int, float | None]], dict[str, dict[str, int]]] | None:
    """`search` over dense arrays (`index.dense`) when the query reads many postings and
    has a shape they evaluate; None sends it down the list-based path."""
    try:
        if not dense.worthwhile(query, searcher):
            return None
    except dense.Unsupported:
        return None
    import numpy as np

    window = date_window(filters) if filters is not None else None
    found = dense.evaluate(searcher, query, scores=sort == "relevance")
    mask = found.mask
    if filters is not None and not filters.empty():
        mask &= dense_mask(searcher, filters, window)
    docs = np.flatnonzero(mask)
    if sort == "relevance":
        keys = -found.scores[docs]
    else:
        when = np.asarray(columns.numeric(searcher, "c_when", "q"))[docs]
        undated_last = np.where(when == 0, np.iinfo(np.int64).max, when)
        keys = -when if sort == "newest" else undated_last  # undated is 0
    page = dense.top(docs, keys, wanted)[start:].tolist()
    if sort == "relevance":
        ranked: list[tuple[int, float | None]] = [
            (d, round(float(found.scores[d]), 4)) for d in page
        ]
    else:
        ranked = [(d, None) for d in page]
    return len(docs), ranked, dense_facet_counts(searcher, mask, docs) if facets else {}


def matching_docs(searcher: Any, query: Any) -> list[int]:
    """Every live document matching `query`, ascending, unscored.

    `*`, one word and one word over the text fields (an Or of terms) read postings a block at
    a time (`columns.term_docs`); anything else goes through Whoosh's matchers.
    """
    from whoosh import query as q

    if isinstance(query, q.Every):
        return columns.live_docs(searcher)
    terms = query.subqueries if isinstance(query, q.Or) else [query]
    if terms and all(
        isinstance(t, q.Term) and isinstance(t.text, str) and t.fieldname in SEARCHED_FIELDS
        for t in terms
    ):
        if len(terms) == 1:
            return columns.term_docs(searcher, terms[0].fieldname, terms[0].text)
        found: set[int] = set()
        for t in terms:
            found.update(columns.term_docs(searcher, t.fieldname, t.text))
        return sorted(found)
    return list(searcher.docs_for_query(query))


def _one_pass(query: Any, reader: Any) -> bool:
    """Score every hit in one pass rather than list the hits, then rank the top N.

    Phrases and AND queries cost most in the matching itself (positions, intersections),
    which two passes would do twice; a single word or `*` matches cheaply and can have very
    many hits, where the top-N collector's block skipping saves most of the scoring.
    """
    from whoosh import query as q

    if isinstance(query, q.Every | q.Term):
        return False
    if isinstance(query, q.Or) and all(isinstance(sub, q.Term) for sub in query.subqueries):
        return False
    try:
        size = query.estimate_size(reader)
    except Exception:
        return True
    return size <= ONE_PASS_MAX_HITS


def top_hits(
    searcher: Any,
    query: Any,
    limit: int | None,
    *,
    allow: Any = None,
    mask: set[int] | None = None,
) -> Any:
    """Whoosh's Results for the best `limit` hits (all with None), best first, ties by number.

    What `searcher.search(query, limit=N)` does, but without matcher replacement for queries
    that combine words: every 10 matches Whoosh's top-N collector "replaces" the matcher
    with a cheaper one given the N-th best score so far, and on an index of several segments
    that rewrite loses hits of ANDs, NOTs and prefixes inside them (on 3,600 articles `vote
    AND storm` ranked a wrong top 10, `harbor AND par*` a wrong top 1,000; found by
    tests/test_search_oracle.py). A plain word or OR of words keeps it (2x faster for one
    word; the oracle checks them on both paths). Block-quality skipping stays. `allow` (a
    query or document numbers) and `mask` (numbers) filter as `searcher.search` does."""
    from whoosh.collectors import FilterCollector, TopCollector, UnlimitedCollector

    replace = 10 if _only_terms(query) else 0  # 10: Whoosh's default
    collector: Any
    if limit is None:
        collector = UnlimitedCollector()
        collector.replace = replace  # its constructor takes no `replace`
    else:
        collector = TopCollector(limit=limit, replace=replace)
    if allow is not None or mask is not None:
        collector = FilterCollector(collector, allow=allow, restrict=mask)
    searcher.search_with_collector(query, collector)
    return collector.results()


def _only_terms(query: Any) -> bool:
    """Whether `query` is a word or an OR of words (in any fields), nothing else."""
    from whoosh import query as q

    if isinstance(query, q.Term):
        return True
    return isinstance(query, q.Or) and all(_only_terms(sub) for sub in query.subqueries)


def _score_all(searcher: Any, query: Any) -> list[tuple[int, float]]:
    """Every hit as (document number, score), best first (ties: lower number first)."""
    results = top_hits(searcher, query, None)
    return [(d, round(float(s), 4)) for d, s in results.items()]


def doc_number(searcher: Any, article_id: int) -> int | None:
    return searcher.document_number(id=str(article_id))


def more_like(
    ix: Any,
    article_id: int,
    text: str,
    *,
    limit: int = 10,
    filters: Filters | None = None,
    language: str | None = None,
) -> list[tuple[int, float]]:
    """Articles whose key terms resemble `text` (the article's own title and body), best first.

    The body is not stored in the index, so the caller passes the text it read from SQLite
    (and the article's `language`: its key terms come from the field it was indexed in).
    The article itself is left out; an article missing from the index gives [].
    """
    from whoosh import query as q

    with gc_paused(), open_searcher(ix) as searcher:
        docnum = doc_number(searcher, article_id)
        if docnum is None:
            return []
        fq = filter_query(searcher.reader(), filters)
        fieldname, text = more_like_text(language, text)
        # searcher.more_like, with the exact top-N collector (`top_hits`)
        key_terms = searcher.key_terms_from_text(fieldname, text, numterms=20)
        like = q.Or([q.Term(fieldname, word, boost=weight) for word, weight in key_terms])
        results = top_hits(searcher, like, limit, allow=fq, mask={docnum})
        column = searcher.reader().column_reader("id")
        return [
            (int(column[docnum_]), round(float(score), 4))
            for docnum_, score in results.items()
            if docnum_ != docnum
        ][:limit]


def period_counts(
    ix: Any, text: str | None, *, filters: Filters | None = None, interval: str = "year"
) -> dict[str, int]:
    """Matching documents per year ("2024") or month ("2024-05"); `text` None counts all."""
    if interval not in INTERVALS:
        raise QuerySyntaxError(
            f"--interval {interval!r} is not an interval; use one of {', '.join(INTERVALS)}."
        )
    with gc_paused(), open_searcher(ix) as searcher:
        reader = searcher.reader()
        if text is None:
            found: Iterable[int] = reader.all_doc_ids()
        else:
            found = searcher.docs_for_query(trim(parse(text, ix.schema, reader), reader))
        years, months = count_periods(searcher, restrict(searcher, found, filters))
        return years if interval == "year" else months


def indexed_hashes(ix: Any) -> dict[int, list[str]]:
    """Every live document's id with its content hash(es): more than one means a duplicate."""
    out: dict[int, list[str]] = {}
    with open_searcher(ix) as searcher:
        for fields in searcher.all_stored_fields():
            out.setdefault(int(fields["id"]), []).append(fields.get("hash", ""))
    return out
