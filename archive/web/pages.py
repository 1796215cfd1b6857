"""The archive's own pages: the Whoosh-backed search (/search, /search.json) and the article page.

Handlers read through Datasette's read-only connections (SQL) or the bridge in a worker thread
(Whoosh), and render templates that extend Datasette's base.html so the look stays one site.
"""

from __future__ import annotations

import asyncio
import html
import json
import math
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from . import bridge
from .feed import CONTENT_TYPE, atom_document
from .snippets import paragraphs, safe_snippet
from .throttle import Busy, Lane
from .timeline import Bar, bars_from_counts, render_svg
from .values import author_names
from .workers import SearchProcess, WorkerGone

DATABASE = "news"
DEFAULT_LIMIT = 20
PAGE_BODY_CHARS = 100_000  # an article page shows this much; the rest is at /article/ID.txt
BIG_BODY_CHARS = 200_000  # beyond this, a body is served one at a time, encoded by SQLite
SIMILAR_MAX_CHARS = 1_000_000  # no more-like-this for bodies longer than this
SIMILAR_TTL_S = 600.0  # similar articles of a page are remembered this long ...
SIMILAR_CACHE = 2048  # ... for this many pages
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
    base_url: str = "http://127.0.0.1:8001"  # the server's address as visitors see it (feeds)
    heavy_searches: int = 1  # wildcard / collapse searches at once (pure Python: they hold the GIL)


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
        wait = config.search_timeout
        self._columns: list[str] | None = None
        self.process = SearchProcess()  # heavy searches: wildcards, collapse, deep pages
        self._similar_cache: dict[int, tuple[float, list[dict[str, Any]]]] = {}
        self._big: dict[int, bool] = {}  # article id: is its body over BIG_BODY_CHARS?
        self.lanes = {
            "light": Lane(config.max_concurrent_searches, queue=32, wait_s=wait),
            "heavy": Lane(config.heavy_searches, queue=4, wait_s=wait, duty=0.5),
            # huge article bodies: one at a time, busy at most a third of the time
            "big": Lane(1, queue=4, wait_s=wait, duty=1 / 3),
            "first": Lane(2, queue=64, wait_s=wait),  # articles whose size is not known yet
        }

    async def _in_thread(self, fn: Any, *args: Any, lane: str = "light") -> Any:
        """Run blocking work off the event loop under a lane's cap, with a time limit.

        A thread cannot be stopped: on time-out the visitor gets 503 at once, but the lane's
        slot stays taken until the work really ends, so abandoned work still counts.
        """
        slots = self.lanes[lane]
        await slots.acquire()
        task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        start = time.monotonic()
        task.add_done_callback(lambda t: _finished(t, slots, time.monotonic() - start))
        return await asyncio.wait_for(asyncio.shield(task), self.config.search_timeout)

    async def _in_process(self, fn: Any, *args: Any) -> Any:
        """Heavy work in the niced child process (workers.py), one at a time, stopped at the
        time limit; a visitor's error raised there comes back as itself."""
        slots = self.lanes["heavy"]
        await slots.acquire()
        start = time.monotonic()
        try:
            return await self.process.run(self.config.search_timeout, fn, *args)
        except WorkerGone as exc:
            raise bridge.SearchUnavailable(
                "The search worker stopped; try again in a moment."
            ) from exc
        finally:
            slots.release_after(time.monotonic() - start)

    def _html(self, body: str, status: int = 200) -> Any:
        from datasette import Response

        return Response.html(body, status=status, headers={"content-security-policy": self.csp})

    # ------------------------------------------------------------------ search
    async def _run_search(self, params: dict[str, Any]) -> dict[str, Any]:
        lane = "heavy" if bridge.is_heavy(params) else "light"
        return await self._in_thread(bridge.search, self.config.archive_dir, params, lane=lane)

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
        except Busy:
            return Response.json({"ok": False, "error": _BUSY}, status=503)
        return Response.json(result)

    async def search_atom(self, datasette: Any, request: Any) -> Any:
        """An Atom feed of any search, newest first, so a query can be followed in a reader."""
        from datasette import Response

        try:
            params = search_params(request.args)
            if not request.args.get("sort"):
                params["sort"] = "newest"
            params["facets"] = False
            result = await self._run_search(params)
        except (BadSearchParameter, bridge.SearchInputError) as exc:
            return Response.text(f"{exc}\n", status=400)
        except bridge.SearchUnavailable as exc:
            return Response.text(f"{exc}\n", status=503)
        except (TimeoutError, Busy):
            return Response.text(_BUSY + "\n", status=503)
        title = datasette.metadata("title") or "News archive"
        if params["query"]:
            title = f"{title}: {params['query']}"
        body = atom_document(
            title,
            self.config.base_url,
            request.path,
            request.full_path,
            [_atom_record(hit) for hit in result.get("hits") or []],
        )
        return Response(body, content_type=CONTENT_TYPE)

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
        except Busy:
            error, status = _BUSY, 503
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
            try:
                exact = await self._in_thread(
                    bridge.timeline, self.config.archive_dir, params["query"], filters, interval
                )
            except (Busy, TimeoutError):
                exact = None
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
            ("language", "Language"),
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
            "atom_href": "/search.atom?" + query_string(params, sort=None, limit=None),
            "export_href": "/search.json?"
            + query_string(params, limit=bridge.MAX_LIMIT, page=page if page > 1 else None),
            "export_limit": bridge.MAX_LIMIT,
            "sort_options": [
                ("relevance", "Relevance"),
                ("newest", "Newest first"),
                ("oldest", "Oldest first"),
            ],
        }

    # ------------------------------------------------------------------ article
    async def _article(
        self, datasette: Any, article_id: int, body_chars: int | None = None
    ) -> dict[str, Any] | None:
        """The article row with captions, copies and inputs; the body cut to `body_chars`.

        `body_length` is the full body's length in characters, so a page can say it is cut.
        """
        db = datasette.get_database(DATABASE)
        if self._columns is None:
            info = await db.execute("select name from pragma_table_info('articles')")
            self._columns = [r["name"] for r in info.rows]
        body = "body" if body_chars is None else f"substr(body, 1, {int(body_chars)}) as body"
        select = ", ".join(body if c == "body" else f'"{c}"' for c in self._columns)
        row = (
            await db.execute(
                f"select {select}, length(body) as body_length from articles where id = ?",
                [article_id],
            )
        ).first()
        if row is None:
            return None
        article = dict(row)
        captions = await db.execute(
            "select substr(text, 1, 2000) as text from captions where article_id = ? "
            "order by position limit 200",
            [article_id],
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

    async def _similar(self, article_id: int, length: int) -> list[dict[str, Any]]:
        """Articles like this one, remembered a while: more-like-this reads the whole body
        in pure Python (0.2-0.5 s), and an article page is asked for again and again."""
        now = time.monotonic()
        cached = self._similar_cache.get(article_id)
        if cached and now - cached[0] < SIMILAR_TTL_S:
            return [dict(hit) for hit in cached[1]]
        lane = "light" if length <= BIG_BODY_CHARS else "heavy"
        try:
            found = await self._in_thread(
                bridge.similar, self.config.archive_dir, article_id, 6, lane=lane
            )
        except (bridge.SearchUnavailable, TimeoutError, Busy):
            return []  # the page shows without them
        if len(self._similar_cache) >= SIMILAR_CACHE:
            self._similar_cache.pop(next(iter(self._similar_cache)))
        self._similar_cache[article_id] = (now, found)
        return [dict(hit) for hit in found]

    def _remember_big(self, article_id: int, size: int) -> None:
        if article_id in self._big or len(self._big) < 1_000_000:
            self._big[article_id] = size > BIG_BODY_CHARS

    async def _one_at_a_time(self, article_id: int, handler: Any, *args: Any) -> Any:
        """Article requests by what their body costs. Reading a 20 MB body keeps an SQL thread
        busy (SQLite reads every overflow page, even for length()), so 20 at once starved
        every page: a known-huge article holds the one-at-a-time big lane for its whole
        request, one never served yet the "first" lane (two at once), a known-small one none."""
        big = self._big.get(article_id)
        if big is False:
            return await handler(*args)
        async with self.lanes["big" if big else "first"].slot():
            return await handler(*args)

    async def article_json(self, datasette: Any, request: Any) -> Any:
        from datasette import Response

        article_id = int(request.url_vars["id"])
        try:
            return await self._one_at_a_time(article_id, self._article_json, datasette, article_id)
        except (Busy, TimeoutError):
            return Response.json({"ok": False, "error": _BUSY}, status=503)

    async def _article_json(self, datasette: Any, article_id: int) -> Any:
        """The article as JSON. A huge body is quoted by SQLite (json_quote, as a blob) and
        spliced in: Python never decodes, escapes or re-encodes 20 MB holding the GIL."""
        from datasette import Response

        article = await self._article(datasette, article_id, BIG_BODY_CHARS)
        if article is None:
            return Response.json(
                {"ok": False, "error": f"No article {article_id} in the archive."}, status=404
            )
        size = int(article.pop("body_length") or 0)
        self._remember_big(article_id, size)
        if size <= BIG_BODY_CHARS:
            data = _json_bytes({"ok": True, "article": article})
            return Response(data, content_type="application/json; charset=utf-8")
        token = secrets.token_hex(16)  # stands for the body; no stored text can forge it
        article["body"] = "\x00" + token
        marker = b'"\\u0000' + token.encode() + b'"'
        head, tail = _json_bytes({"ok": True, "article": article}).split(marker, 1)
        db = datasette.get_database(DATABASE)
        quoted = (
            await db.execute(
                "select cast(json_quote(body) as blob) as body from articles where id = ?",
                [article_id],
            )
        ).first()
        body = bytes(quoted["body"]) if quoted is not None else b"null"
        return Response(head + body + tail, content_type="application/json; charset=utf-8")

    async def article_text(self, datasette: Any, request: Any) -> Any:
        """The full body as plain text: the way to read a body too long for the page."""
        from datasette import Response

        article_id = int(request.url_vars["id"])
        try:
            return await self._one_at_a_time(article_id, self._article_text, datasette, article_id)
        except (Busy, TimeoutError):
            return Response.text(_BUSY + "\n", status=503)

    async def _article_text(self, datasette: Any, article_id: int) -> Any:
        from datasette import Response

        db = datasette.get_database(DATABASE)
        row = (
            await db.execute(
                "select cast(coalesce(title, '') || char(10, 10) || coalesce(body, '') "
                "|| char(10) as blob) as text, length(body) as n from articles where id = ?",
                [article_id],
            )
        ).first()
        if row is None:
            return Response.text(f"No article {article_id} in the archive.\n", 404)
        self._remember_big(article_id, int(row["n"] or 0))
        return Response(bytes(row["text"]), content_type="text/plain; charset=utf-8")

    async def article_page(self, datasette: Any, request: Any) -> Any:
        article_id = int(request.url_vars["id"])
        try:
            return await self._one_at_a_time(
                article_id, self._article_page, datasette, request, article_id
            )
        except Busy:
            return self._html(_BUSY, 503)

    async def _article_page(self, datasette: Any, request: Any, article_id: int) -> Any:
        from datasette.utils.asgi import NotFound

        article = await self._article(datasette, article_id, PAGE_BODY_CHARS)
        if article is None:
            raise NotFound(f"No article {article_id} in the archive: search for it at /search.")
        length = int(article.get("body_length") or 0)
        self._remember_big(article_id, length)
        similar = await self._similar(article_id, length) if length <= SIMILAR_MAX_CHARS else []
        for hit in similar:
            hit["date"] = format_date(hit.get("published"))
        context = {
            "article": article,
            "paragraphs": paragraphs(article.get("body")),
            "truncated": length > PAGE_BODY_CHARS,
            "body_length": length,
            "text_href": f"/article/{article_id}.txt",
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


def _atom_record(hit: dict[str, Any]) -> dict[str, Any]:
    """A search hit as a feed entry; the snippet loses its <mark> tags."""
    snippet = html.unescape(re.sub(r"<[^>]*>", "", str(hit.get("snippet") or "")))
    return {
        "atom_id": f"tag:newsarchive,2025:article/{hit.get('id')}",
        "atom_title": hit.get("title"),
        "atom_updated": hit.get("published") or "",
        "atom_link": f"/article/{hit.get('id')}",
        "atom_author_names": hit.get("authors"),
        "atom_summary": snippet,
    }


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode()


def _finished(task: asyncio.Future, lane: Lane, busy_s: float) -> None:
    lane.release_after(busy_s)
    if not task.cancelled():
        task.exception()  # retrieved: work abandoned after a time-out fails quietly


_BUSY = "The server is busy with other searches; try again in a few seconds."
_TIMEOUT = (
    "The search took too long and was stopped; narrow the query (fewer wildcards, a date range)."
)


def _base_context(datasette: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {"archive_title": datasette.metadata("title") or "News archive", **context}
