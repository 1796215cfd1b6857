"""The web layer's door to the Whoosh search (archive.searching), run in worker threads.

Each call opens its own read-only Store: sqlite3 connections belong to the thread that made
them, and opening one costs well under a millisecond. Errors the visitor caused (a bad query)
come back as SearchInputError; a missing engine or index as SearchUnavailable.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

FILTERS = ("author", "category", "site", "language", "since", "until")
SORTS = ("relevance", "newest", "oldest")
MAX_LIMIT = 100


class SearchInputError(Exception):
    """The visitor's query or filters cannot be searched; the message says how to fix them."""


class SearchUnavailable(Exception):
    """The search engine or its index is missing; the message says what the operator must do."""


HEAVY_MARKS = ("*", "?", "~")  # wildcards and fuzzy terms expand to many terms


def is_heavy(params: dict[str, Any]) -> bool:
    """Whether a search may take long: wildcards, fuzzy terms, collapse (every hit is read),
    deep pages, big pages or long queries. Heavy searches run in their own, smaller lane."""
    query = str(params.get("query") or "")
    return (
        any(mark in query for mark in HEAVY_MARKS)
        or bool(params.get("collapse"))
        or int(params.get("page") or 1) > 10
        or int(params.get("limit") or 20) > 50
        or len(query.split()) > 12
    )


def _searching():  # type: ignore[no-untyped-def]
    try:
        from archive import searching
    except ImportError as exc:
        raise SearchUnavailable(
            f"The Whoosh search module is not available ({exc}); the table search at /news/articles still works."
        ) from exc
    return searching


def _store(archive_dir: Path):  # type: ignore[no-untyped-def]
    from archive.store import Store

    return Store.open(archive_dir, create=False, readonly=True)


def _visitor_error(exc: Exception) -> bool:
    """The query or a filter value is wrong: the visitor can fix it."""
    from index.errors import QueryError

    return isinstance(exc, QueryError | ValueError)


def _unavailable(exc: Exception) -> bool:
    """The index is missing, corrupt or locked: the operator must act (reindex)."""
    from archive.store import ArchiveError
    from index.errors import IndexBusy, IndexCorrupt, IndexMissing

    return isinstance(exc, IndexMissing | IndexCorrupt | IndexBusy | ArchiveError)


def build_request(params: dict[str, Any]) -> Any:
    """A SearchRequest from web parameters, with only the fields the module declares."""
    searching = _searching()
    cls = searching.SearchRequest
    names = (
        {f.name for f in dataclasses.fields(cls)}
        if dataclasses.is_dataclass(cls)
        else set(inspect.signature(cls).parameters)
    )
    return cls(**{k: v for k, v in params.items() if k in names})


def search(archive_dir: Path, params: dict[str, Any]) -> dict[str, Any]:
    """The search JSON of DESIGN.md for these parameters (blocking: call it in a thread)."""
    searching = _searching()
    request = build_request(params)
    store = _store(archive_dir)
    try:
        return searching.run_search(store, archive_dir / "index", request)
    except Exception as exc:
        if _unavailable(exc):
            raise SearchUnavailable(str(exc)) from exc
        if _visitor_error(exc):
            raise SearchInputError(str(exc)) from exc
        raise
    finally:
        store.close()


def search_set(archive_dir: Path, params: dict[str, Any]) -> dict[str, Any]:
    """`search` over the partition set at `archive_dir` (archive/partitions.py), merged;
    hits carry their `address`."""
    from archive.partitions import open_partitions, search_many

    request = build_request(params)
    parts = open_partitions(archive_dir, catch_up=False)  # `serve` caught them up
    try:
        return search_many(parts, request)
    except Exception as exc:
        if _unavailable(exc):
            raise SearchUnavailable(str(exc)) from exc
        if _visitor_error(exc):
            raise SearchInputError(str(exc)) from exc
        raise
    finally:
        for part in parts:
            part.db.close()


def timeline(
    archive_dir: Path, query: str, filters: dict[str, Any], interval: str
) -> dict[str, int] | None:
    """Counts per month or year over every hit, or None when the module has no timeline()."""
    searching = _searching()
    fn = getattr(searching, "timeline", None)
    if fn is None:
        return None
    store = _store(archive_dir)
    try:
        request = build_request({"query": query, **filters})
        result = fn(store, archive_dir / "index", query, request.filters(), interval)
    except Exception as exc:
        if _visitor_error(exc) or _unavailable(exc):
            return None
        raise
    finally:
        store.close()
    return normalize_counts(result)


def normalize_counts(result: Any) -> dict[str, int]:
    """Accept {"2019-11": 3}, [("2019-11", 3)], [{"key"|"period"|"bucket": ..., "count": n}] or {"buckets": ...}."""
    if isinstance(result, dict) and "buckets" in result:
        result = result["buckets"]
    if isinstance(result, dict):
        return {str(k): int(v) for k, v in result.items()}
    counts: dict[str, int] = {}
    for item in result or []:
        if isinstance(item, dict):
            key = next(
                (
                    item[k]
                    for k in ("key", "period", "bucket", "month", "year", "date")
                    if k in item
                ),
                None,
            )
            if key is not None:
                counts[str(key)] = int(item.get("count", 0))
        else:
            key, count = item
            counts[str(key)] = int(count)
    return counts


def similar(archive_dir: Path, article_id: int, limit: int = 6) -> list[dict[str, Any]]:
    """Articles like this one, from the search module's similar(); [] when it cannot say."""
    try:
        searching = _searching()
    except SearchUnavailable:
        return []
    fn = getattr(searching, "similar", None)
    if fn is None:
        return []
    store = _store(archive_dir)
    try:
        result = fn(store, archive_dir / "index", article_id, limit)
    except Exception as exc:
        if _unavailable(exc) or _visitor_error(exc) or type(exc).__name__ == "ArticleNotFound":
            return []
        raise
    finally:
        store.close()
    hits = result.get("hits", []) if isinstance(result, dict) else list(result or [])
    return [dict(h) for h in hits if int(h.get("id", -1)) != article_id][:limit]
