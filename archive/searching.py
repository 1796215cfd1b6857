"""Search, similar articles and timelines: the Whoosh index for ranking, SQLite for content.

This is the library the CLI and the web plugin call; it has no CLI code, prints nothing and
is safe to run in a worker thread (each call opens its own index searcher). Callers pass a
`Store` or an `ArchiveDB` (anything with `.db.execute`), the index folder and a request.

Public API (see each docstring):
    SearchRequest(query, author, category, site, language, since, until, sort, limit, page,
                  facets, collapse)
    run_search(store, index_dir, request) -> dict   # the search JSON of DESIGN.md
    similar(store, index_dir, article_id, limit=10) -> dict
    timeline(store, index_dir, query, filters, interval) -> list[dict]
    get_article(store, article_id) -> dict | None
Errors: index.errors.QuerySyntaxError / QueryTooBroad (bad input), IndexMissing /
IndexCorrupt (run reindex), ArticleNotFound (no such id).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index import searcher as isearch
from index.errors import QuerySyntaxError
from index.searcher import Filters
from index.writer import open_index

__all__ = [
    "ArticleNotFound",
    "Filters",
    "SearchRequest",
    "get_article",
    "run_search",
    "similar",
    "timeline",
]

MAX_LIMIT = 1000
HIT_COLUMNS = "id, title, published, authors, category, site, language, url, body, story_id"


class ArticleNotFound(Exception):
    """No article with the given id in the archive."""


@dataclass(slots=True)
class SearchRequest:
    """One search. `author`/`category`/`site`/`language` filter (case-insensitive exact values; a list
    means any of them); `since`/`until` are inclusive dates (2024, 2024-05, 2024-05-31);
    `sort` is relevance | newest | oldest; `page` starts at 1; `facets` adds counts over all
    hits; `collapse` shows one hit per story (syndicated copies folded, with `copies`)."""

    query: str
    author: str | list[str] | None = None
    category: str | list[str] | None = None
    site: str | list[str] | None = None
    language: str | list[str] | None = None
    since: str | None = None
    until: str | None = None
    sort: str = "relevance"
    limit: int = 20
    page: int = 1
    facets: bool = False
    collapse: bool = False

    def filters(self) -> Filters:
        def many(value: str | list[str] | None) -> list[str]:
            if value is None:
                return []
            return [value] if isinstance(value, str) else [v for v in value if v]

        return Filters(
            authors=many(self.author),
            categories=many(self.category),
            sites=many(self.site),
            languages=many(self.language),
            since=self.since or None,
            until=self.until or None,
        )


def _conn(store: Any) -> Any:
    return store.db


def fetch_rows(store: Any, ids: list[int], columns: str = HIT_COLUMNS) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        cursor = _conn(store).execute(
            f"SELECT {columns} FROM articles WHERE id IN ({marks})", chunk
        )
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            out[record["id"]] = record
    return out


def _authors(value: Any) -> list[str]:
    from index.schema import authors_list

    return authors_list(value)


def _hit(
    row: dict[str, Any], score: float | None, terms: list[str], analyzer: Any
) -> dict[str, Any]:
    from index.analysis import snippet_analyzer
    from index.snippets import snippet

    # highlight with the analysis the article was indexed with (its language's)
    analyzer = snippet_analyzer(row.get("language"), row.get("title"), row.get("body"), analyzer)
    return {
        "id": row["id"],
        "title": row.get("title"),
        "published": row.get("published"),
        "authors": _authors(row.get("authors")),
        "category": row.get("category"),
        "site": row.get("site"),
        "url": row.get("url"),
        "score": score,
        "snippet": snippet(row.get("body") or "", terms, analyzer),
    }


def _check(request: SearchRequest) -> None:
    if not (1 <= request.limit <= MAX_LIMIT):
        raise QuerySyntaxError(f"--limit {request.limit} is out of range: use 1 to {MAX_LIMIT}.")
    if request.page < 1:
        raise QuerySyntaxError(f"--page {request.page} is out of range: pages start at 1.")


def word_checker(store: Any) -> Callable[[str], bool] | None:
    """Whether a word occurs, unstemmed, in some title or body: the FTS5 table's vocabulary.

    Whoosh holds stems only; this lets did-you-mean offer words people wrote, never stems or
    made-up inflections. The vocabulary table lives in the connection's `temp` schema, so it
    works on read-only archives too.
    """
    conn = store.db if isinstance(store.db, sqlite3.Connection) else store.db.conn
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.articles_vocab USING fts5vocab(main, articles_fts, row)"
        )
    except sqlite3.Error:  # an archive without the FTS table: suggest from the index alone
        return None

    def is_word(word: str) -> bool:
        return (
            conn.execute("SELECT 1 FROM temp.articles_vocab WHERE term = ?", [word]).fetchone()
            is not None
        )

    return is_word


def run_search(store: Any, index_dir: Path, request: SearchRequest) -> dict[str, Any]:
    """Search the archive; returns the `search --json` document of DESIGN.md.

    `total` is exact and counts articles (stories when `collapse`); facets count every
    matching article, not only the page. Snippets are safe HTML with `<mark>` highlights.
    """
    _check(request)
    ix = open_index(Path(index_dir))
    try:
        analyzer = ix.schema["body"].analyzer
        found = isearch.search(
            ix,
            request.query,
            filters=request.filters(),
            sort=request.sort,
            limit=request.limit,
            page=request.page,
            facets=request.facets,
            all_hits=request.collapse,
            is_word=word_checker(store),
        )
    finally:
        ix.close()
    ids, scores = found.ids, found.scores
    total = found.total
    copies: dict[int, int] = {}
    if request.collapse:
        ids, scores, copies = _collapse(store, ids, scores)
        total = len(ids)
        start = request.limit * (request.page - 1)
        ids, scores = ids[start : start + request.limit], scores[start : start + request.limit]
    rows = fetch_rows(store, ids)
    hits = []
    for article_id, score in zip(ids, scores, strict=True):
        row = rows.get(article_id)
        if row is None:  # deleted from SQLite since the last catch-up
            continue
        hit = _hit(row, score, found.terms, analyzer)
        if request.collapse:
            hit["copies"] = copies.get(article_id, 1)
        hits.append(hit)
    return {
        "query": request.query,
        "total": total,
        "page": request.page,
        "limit": request.limit,
        "suggestion": found.suggestion,
        "hits": hits,
        "facets": found.facets if request.facets else {},
    }


def _collapse(
    store: Any, ids: list[int], scores: list[float | None]
) -> tuple[list[int], list[float | None], dict[int, int]]:
    """Keep the best-ranked article of each story; count the story's matching copies.

    Story ids come from SQLite (the duplicate linker may change them without reindexing).
    """
    stories = fetch_rows(store, ids, "id, story_id")
    first: dict[int, int] = {}
    copies: dict[int, int] = {}
    kept_ids: list[int] = []
    kept_scores: list[float | None] = []
    for article_id, score in zip(ids, scores, strict=True):
        row = stories.get(article_id)
        if row is None:
            continue
        story = row.get("story_id") or article_id
        if story in first:
            copies[first[story]] += 1
            continue
        first[story] = article_id
        copies[article_id] = 1
        kept_ids.append(article_id)
        kept_scores.append(score)
    return kept_ids, kept_scores, copies


def get_article(store: Any, article_id: int) -> dict[str, Any] | None:
    """One article in full (all columns but internal ones), with authors and captions as lists."""
    rows = fetch_rows(
        store,
        [article_id],
        "id, title, published, authors, category, site, url, language, dateline, wire, body, "
        "word_count, content_hash, story_id, first_seen, updated_at, version",
    )
    row = rows.get(article_id)
    if row is None:
        return None
    row["authors"] = _authors(row.get("authors"))
    try:
        cursor = _conn(store).execute(
            "SELECT text FROM captions WHERE article_id = ? ORDER BY position", [article_id]
        )
        row["captions"] = [r[0] for r in cursor.fetchall()]
    except Exception:  # an archive without a captions table
        row["captions"] = []
    return row


def similar(store: Any, index_dir: Path, article_id: int, limit: int = 10) -> dict[str, Any]:
    """Articles like `article_id` (more-like-this on its title and body), best first.

    Returns {"id", "title", "hits": [search hits]}; raises ArticleNotFound for an unknown id.
    """
    if not (1 <= limit <= MAX_LIMIT):
        raise QuerySyntaxError(f"--limit {limit} is out of range: use 1 to {MAX_LIMIT}.")
    source = fetch_rows(store, [article_id], "id, title, body, language").get(article_id)
    if source is None:
        raise ArticleNotFound(
            f"There is no article {article_id} in the archive: find ids with `newsarchive search`."
        )
    ix = open_index(Path(index_dir))
    try:
        analyzer = ix.schema["body"].analyzer
        text = f"{source.get('title') or ''}\n{source.get('body') or ''}"
        found = isearch.more_like(
            ix, article_id, text, limit=limit, language=source.get("language")
        )
    finally:
        ix.close()
    rows = fetch_rows(store, [i for i, _ in found])
    hits = [_hit(rows[i], score, [], analyzer) for i, score in found if i in rows]
    return {"id": article_id, "title": source.get("title"), "hits": hits}


def timeline(
    store: Any,
    index_dir: Path,
    query: str,
    filters: Filters | None = None,
    interval: str = "year",
) -> list[dict[str, Any]]:
    """Matching articles per period, with the period's article count and the share.

    `total` counts every dated article of the period that passes `filters` (so with a site
    filter, the share is of that site's articles); periods between the first and last one
    with articles are all listed, zeros included. Undated articles are left out.
    """
    ix = open_index(Path(index_dir))
    try:
        matching = isearch.period_counts(ix, query, filters=filters, interval=interval)
        totals = isearch.period_counts(ix, None, filters=filters, interval=interval)
    finally:
        ix.close()
    out = []
    for period in _periods(totals, interval):
        count, total = matching.get(period, 0), totals.get(period, 0)
        out.append(
            {
                "period": period,
                "count": count,
                "total": total,
                "share": round(count / total, 6) if total else 0.0,
            }
        )
    return out


def _periods(totals: dict[str, int], interval: str) -> list[str]:
    if not totals:
        return []
    keys = sorted(totals)
    if interval == "year":
        return [str(y) for y in range(int(keys[0]), int(keys[-1]) + 1)]
    y, m = (int(p) for p in keys[0].split("-"))
    last = tuple(int(p) for p in keys[-1].split("-"))
    out = []
    while (y, m) <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
