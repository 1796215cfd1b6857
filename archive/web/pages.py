"""The archive's own pages: the Whoosh-backed search (/search, /search.json) and the article page.

Handlers read through Datasette's read-only connections (SQL) or the bridge in a worker thread
(Whoosh), and render templates that extend Datasette's base.html so the look stays one site.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from . import bridge
from .snippets import paragraphs, safe_snippet
from .timeline import Bar, bars_from_counts, render_svg
from .values import author_names

DATABASE = "news"
DEFAULT_LIMIT = 20
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class BadSearchParameter(Exception):
    """A /search parameter has a value the page cannot use; the message names it and the fix."""


@dataclass(slots=True)
class WebConfig:
    archive_dir: Path
    public: bool = False
    search_timeout: float = 15.0
    max_concurrent_searches: int = 4
    sql_slots: int = 4  # visitor-written SQL requests in flight at once (throttle.py)
    sql_time_limit_ms: int = 1000


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadSearchParameter(
            f"{name}={value!r} is not a whole number; use e.g. {name}={default}."
        ) from None
    return max(low, min(high, number))


def search_params(args: Any) -> dict[str, Any]:
    """Validated search parameters from the query string (the CLI's options, same names)."""
    params: dict[str, Any] = {"query": (args.get("q") or "").strip()}
    for name in bridge.FILTERS:
        value = (args.get(name) or "").strip()
        if name in ("since", "until") and value and not _DATE.match(value):
            raise BadSearchParameter(
                f"{name}={value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD."
            )
        params[name] = value or None
    sort = (args.get("sort") or "").strip() or None
    if sort is not None and sort not in bridge.SORTS:
        raise BadSearchParameter(
            f"sort={sort!r} is not a sort order; use one of {', '.join(bridge.SORTS)}."
        )
    params["sort"] = sort or ("relevance" if params["query"] else "newest")
    params["limit"] = _int(args.get("limit"), "limit", DEFAULT_LIMIT, 1, bridge.MAX_LIMIT)
    params["page"] = _int(args.get("page"), "page", 1, 1, 10_000)
    params["collapse"] = (args.get("collapse") or "").lower() in ("1", "on", "true", "yes")
    params["facets"] = True
    return params


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """The /search query string for `params` with some values changed (None drops one)."""
    merged = {
        "q": params.get("query") or None,
        **{k: params.get(k) for k in bridge.FILTERS},
        "sort": params.get("sort"),
        "limit": params.get("limit") if params.get("limit") != DEFAULT_LIMIT else None,
        "collapse": 1 if params.get("collapse") else None,
    }
    if merged["sort"] == ("relevance" if merged["q"] else "newest"):
        merged["sort"] = None  # the default order needs no parameter
    merged.update(changes)
    kept = {}
    for key, value in merged.items():
        if value in (None, "") or (key == "page" and int(value) == 1):
            continue
        kept[key] = value
    return urlencode(kept)


def format_date(value: str | None) -> str:
    """'2019-11-19' as '19 November 2019'; partial or odd dates as given."""
    if not value:
        return ""
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{d.day} {d.strftime('%B')} {d.year}"


def safe_link(url: Any) -> str | None:
    """Only http(s) addresses become links: a stored `javascript:` URL stays inert text."""
    text = str(url or "").strip()
    return text if re.match(r"^https?://", text, re.I) else None


class Pages:
    """Route handlers; one instance per server, holding its configuration."""

    def __init__(self, config: WebConfig, csp: str) -> None:
        self.config = config
        self.csp = csp
        self._slots: asyncio.Semaphore | None = None

    async def _in_thread(self, fn: Any, *args: Any) -> Any:
        """Run blocking Whoosh work off the event loop, a few at a time, with a time limit."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.max_concurrent_searches)
        async with self._slots:
            return await asyncio.wait_for(asyncio.to_thread(fn, *args), self.config.search_timeout)

    def _html(self, body: str, status: int = 200) -> Any:
        from datasette import Response

        return Response.html(body, status=status, headers={"content-security-policy": self.csp})

    # ------------------------------------------------------------------ search
    async def _run_search(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._in_thread(bridge.search, self.config.archive_dir, params)

    async def search_json(self, request: Any) -> Any:
        from datasette import Response

        try:
            params = search_params(request.args)
            result = await self._run_search(params)
        except (BadSearchParameter, bridge.SearchInputError) as exc:
            return Response.json({"ok": False, "error": str(exc)}, status=400)
        except bridge.SearchUnavailable as exc:
            return Response.json({"ok": False, "error": str(exc)}, status=503)
        except TimeoutError:
            return Response.json({"ok": False, "error": _TIMEOUT}, status=503)
        return Response.json(result)

    async def search_page(self, datasette: Any, request: Any) -> Any:
        error, status, result, params = (
            None,
            200,
            None,
            {"query": "", "limit": DEFAULT_LIMIT, "page": 1},
        )
        try:
            params = search_params(request.args)
            if params["query"]:
                result = await self._run_search(params)
            elif not request.args.get("sort"):  # no words yet: the form offers relevance
                params["sort"] = "relevance"
        except (BadSearchParameter, bridge.SearchInputError) as exc:
            error, status = str(exc), 400
        except bridge.SearchUnavailable as exc:
            error, status = str(exc), 503
        except TimeoutError:
            error, status = _TIMEOUT, 503
        context = {"params": params, "error": error, "result": result}
        if result is not None:
            context.update(await self._search_context(params, result))
        html = await datasette.render_template(
            "newsarchive_search.html", _base_context(datasette, context), request=request
        )
        return self._html(html, status)

    async def _search_context(
        self, params: dict[str, Any], result: dict[str, Any]
    ) -> dict[str, Any]:
        facets = result.get("facets") or {}
        months = {str(k): int(v) for k, v in (facets.get("month") or {}).items()}
        years = {str(k): int(v) for k, v in (facets.get("year") or {}).items()}
        interval, bars = bars_from_counts(months, years)
        filters = {k: params.get(k) for k in bridge.FILTERS}
        exact = None
        if "month" not in facets and result.get("total"):
            exact = await self._in_thread(
                bridge.timeline, self.config.archive_dir, params["query"], filters, interval
            )
        if exact:  # an engine whose facets lack months: its own per-period counts
            interval, bars = bars_from_counts(
                exact if interval == "month" else {}, exact if interval == "year" else {}
            )

        def bar_href(bar: Bar) -> str:
            return "/search?" + query_string(params, since=bar.since, until=bar.until, page=None)

        total = int(result.get("total") or 0)
        limit = int(result.get("limit") or params["limit"])
        pages = max(1, math.ceil(total / limit))
        page = int(result.get("page") or params["page"])
        hits = [
            {
                **hit,
                "authors": author_names(hit.get("authors")),
                "link": safe_link(hit.get("url")),
                "date": format_date(hit.get("published")),
                "snippet_html": safe_snippet(hit.get("snippet")),
            }
            for hit in result.get("hits") or []
        ]
        facet_lists = []
        for key, label in (
            ("author", "Author"),
            ("category", "Category"),
            ("site", "Site"),
            ("year", "Year"),
        ):
            values = facets.get(key) or {}
            items = []
            for value, count in list(values.items())[:15]:
                if key == "year":
                    active = (
                        params.get("since") == f"{value}-01-01"
                        and params.get("until") == f"{value}-12-31"
                    )
                    href = query_string(
                        params, since=f"{value}-01-01", until=f"{value}-12-31", page=None
                    )
                else:
                    active = params.get(key) == str(value)
                    href = query_string(params, **{key: None if active else value, "page": None})
                items.append(
                    {"value": value, "count": count, "href": "/search?" + href, "active": active}
                )
            if items:
                facet_lists.append({"key": key, "label": label, "values": items})
        active_filters = [
            {
                "name": name,
                "value": params[name],
                "href": "/search?" + query_string(params, **{name: None, "page": None}),
            }
            for name in bridge.FILTERS
            if params.get(name)
        ]
        first = max(1, page - 4)
        return {
            "hits": hits,
            "total": total,
            "pages": pages,
            "page": page,
            "page_links": [
                {"n": n, "href": "/search?" + query_string(params, page=n), "current": n == page}
                for n in range(first, min(pages, first + 8) + 1)
            ],
            "prev_href": "/search?" + query_string(params, page=page - 1) if page > 1 else None,
            "next_href": "/search?" + query_string(params, page=page + 1) if page < pages else None,
            "facet_lists": facet_lists,
            "active_filters": active_filters,
            "timeline_svg": render_svg(bars, interval, bar_href),
            "timeline_interval": interval,
            "undated": max(0, total - sum(b.count for b in bars)) if bars else 0,
            "json_href": "/search.json?" + query_string(params, page=page if page > 1 else None),
            "sort_options": [
                ("relevance", "Relevance"),
                ("newest", "Newest first"),
                ("oldest", "Oldest first"),
            ],
        }

    # ------------------------------------------------------------------ article
    async def _article(self, datasette: Any, article_id: int) -> dict[str, Any] | None:
        db = datasette.get_database(DATABASE)
        row = (await db.execute("select * from articles where id = ?", [article_id])).first()
        if row is None:
            return None
        article = dict(row)
        captions = await db.execute(
            "select text from captions where article_id = ? order by position", [article_id]
        )
        copies = await db.execute(
            "select id, title, site, published, url from articles "
            "where story_id = ? and id != ? order by published, id limit 50",
            [article["story_id"], article_id],
        )
        inputs = await db.execute(
            "select origin, status, url, ingested from sources where article_id = ? order by id limit 50",
            [article_id],
        )
        article["authors"] = author_names(article.get("authors"))
        article["link"] = safe_link(article.get("url"))
        article["captions"] = [r["text"] for r in captions.rows]
        article["copies"] = [dict(r) for r in copies.rows]
        article["inputs"] = [dict(r) for r in inputs.rows]
        return article

    async def article_json(self, datasette: Any, request: Any) -> Any:
        from datasette import Response

        article = await self._article(datasette, int(request.url_vars["id"]))
        if article is None:
            return Response.json(
                {"ok": False, "error": f"No article {request.url_vars['id']} in the archive."},
                status=404,
            )
        return Response.json({"ok": True, "article": article})

    async def article_page(self, datasette: Any, request: Any) -> Any:
        from datasette.utils.asgi import NotFound

        article_id = int(request.url_vars["id"])
        article = await self._article(datasette, article_id)
        if article is None:
            raise NotFound(f"No article {article_id} in the archive: search for it at /search.")
        try:
            similar = await self._in_thread(bridge.similar, self.config.archive_dir, article_id, 6)
        except (bridge.SearchUnavailable, TimeoutError):
            similar = []
        for hit in similar:
            hit["date"] = format_date(hit.get("published"))
        context = {
            "article": article,
            "paragraphs": paragraphs(article.get("body")),
            "date": format_date(article.get("published")),
            "similar": similar,
            "copies_href": f"/{DATABASE}/story_copies?" + urlencode({"article_id": article_id}),
            "row_href": f"/{DATABASE}/articles/{article_id}",
        }
        html = await datasette.render_template(
            "newsarchive_article.html", _base_context(datasette, context), request=request
        )
        return self._html(html)

    # ------------------------------------------------------------------ robots
    async def robots(self) -> Any:
        from datasette import Response

        if self.config.public:
            return Response.text("User-agent: *\nDisallow: /\n")
        return Response.text("User-agent: *\nDisallow: /news.db\n")


_TIMEOUT = (
    "The search took too long and was stopped; narrow the query (fewer wildcards, a date range)."
)


def _base_context(datasette: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {"archive_title": datasette.metadata("title") or "News archive", **context}
