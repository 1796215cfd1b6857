"""Article pages: /article/ID (HTML), /article/ID.json and /article/ID.txt.

A body can be 20 MB: reading one keeps an SQL thread busy, so requests go through lanes by
what their body costs, and huge bodies are never decoded or re-encoded in Python.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from . import bridge
from .config import Served, WebConfig
from .offload import BUSY, PageBase, base_context
from .params import format_date, safe_link
from .snippets import paragraphs
from .throttle import Busy
from .values import author_names

PAGE_BODY_CHARS = 100_000  # an article page shows this much; the rest is at /article/ID.txt
BIG_BODY_CHARS = 200_000  # beyond this, a body is served one at a time, encoded by SQLite
SIMILAR_MAX_CHARS = 1_000_000  # no more-like-this for bodies longer than this
SIMILAR_TTL_S = 600.0  # similar articles of a page are remembered this long ...
SIMILAR_CACHE = 2048  # ... for this many pages


class ArticlePages(PageBase):
    """Route handlers of the article pages, with what they remember between requests."""

    def __init__(self, config: WebConfig, csp: str) -> None:
        super().__init__(config, csp)
        self._columns: dict[str, list[str]] = {}  # database: the articles table's columns
        # keyed by (database, article id): a partition set numbers each partition's own
        self._similar_cache: dict[tuple[str, int], tuple[float, list[dict[str, Any]]]] = {}
        self._big: dict[tuple[str, int], bool] = {}  # is its body over BIG_BODY_CHARS?

    def _located(self, request: Any) -> tuple[Served, int] | None:
        """The archive and id a request's address names (/article/ID, or /article/PART/ID
        on a partition set); None when it fits no archive served here."""
        served = self.config.archive_named(request.url_vars.get("part"))
        return None if served is None else (served, int(request.url_vars["id"]))

    def _nowhere(self, request: Any) -> str:
        if self.config.is_set and not request.url_vars.get("part"):
            return (
                "This archive is a set of partitions: articles are at /article/PARTITION/ID, "
                "as /search links them."
            )
        return f"No partition {request.url_vars.get('part')!r} in this archive."

    async def _article(
        self, datasette: Any, served: Served, article_id: int, body_chars: int | None = None
    ) -> dict[str, Any] | None:
        """The article row with captions, copies and inputs; the body cut to `body_chars`.

        `body_length` is the full body's length in characters, so a page can say it is cut.
        """
        db = datasette.get_database(served.database)
        if served.database not in self._columns:
            info = await db.execute("select name from pragma_table_info('articles')")
            self._columns[served.database] = [r["name"] for r in info.rows]
        body = "body" if body_chars is None else f"substr(body, 1, {int(body_chars)}) as body"
        select = ", ".join(
            body if c == "body" else f'"{c}"' for c in self._columns[served.database]
        )
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
        article["copies"] = [{**dict(r), "address": served.address(r["id"])} for r in copies.rows]
        article["address"] = served.address(article_id)
        article["inputs"] = [dict(r) for r in inputs.rows]
        return article

    async def _similar(self, served: Served, article_id: int, length: int) -> list[dict[str, Any]]:
        """Articles like this one, remembered a while: more-like-this reads the whole body
        in pure Python (0.2-0.5 s), and an article page is asked for again and again."""
        now = time.monotonic()
        key = (served.database, article_id)
        cached = self._similar_cache.get(key)
        if cached and now - cached[0] < SIMILAR_TTL_S:
            return [dict(hit) for hit in cached[1]]
        lane = "light" if length <= BIG_BODY_CHARS else "heavy"
        try:
            found = await self._in_thread(bridge.similar, served.folder, article_id, 6, lane=lane)
        except (bridge.SearchUnavailable, TimeoutError, Busy):
            return []  # the page shows without them
        for hit in found:
            hit["address"] = served.address(int(hit["id"]))
        if len(self._similar_cache) >= SIMILAR_CACHE:
            self._similar_cache.pop(next(iter(self._similar_cache)))
        self._similar_cache[key] = (now, found)
        return [dict(hit) for hit in found]

    def _remember_big(self, key: tuple[str, int], size: int) -> None:
        if key in self._big or len(self._big) < 1_000_000:
            self._big[key] = size > BIG_BODY_CHARS

    async def _one_at_a_time(self, key: tuple[str, int], handler: Any, *args: Any) -> Any:
        """Article requests by what their body costs. Reading a 20 MB body keeps an SQL thread
        busy (SQLite reads every overflow page, even for length()), so 20 at once starved
        every page: a known-huge article holds the one-at-a-time big lane for its whole
        request, one never served yet the "first" lane (two at once), a known-small one none."""
        big = self._big.get(key)
        if big is False:
            return await handler(*args)
        async with self.lanes["big" if big else "first"].slot():
            return await handler(*args)

    async def article_json(self, datasette: Any, request: Any) -> Any:
        from datasette import Response

        located = self._located(request)
        if located is None:
            return Response.json({"ok": False, "error": self._nowhere(request)}, status=404)
        served, article_id = located
        try:
            return await self._one_at_a_time(
                (served.database, article_id), self._article_json, datasette, served, article_id
            )
        except (Busy, TimeoutError):
            return Response.json({"ok": False, "error": BUSY}, status=503)

    async def _article_json(self, datasette: Any, served: Served, article_id: int) -> Any:
        """The article as JSON. A huge body is quoted by SQLite (json_quote, as a blob) and
        spliced in: Python never decodes, escapes or re-encodes 20 MB holding the GIL."""
        from datasette import Response

        article = await self._article(datasette, served, article_id, BIG_BODY_CHARS)
        if article is None:
            return Response.json(
                {"ok": False, "error": f"No article {served.address(article_id)} in the archive."},
                status=404,
            )
        size = int(article.pop("body_length") or 0)
        self._remember_big((served.database, article_id), size)
        if size <= BIG_BODY_CHARS:
            data = _json_bytes({"ok": True, "article": article})
            return Response(data, content_type="application/json; charset=utf-8")
        token = secrets.token_hex(16)  # stands for the body; no stored text can forge it
        article["body"] = "\x00" + token
        marker = b'"\\u0000' + token.encode() + b'"'
        head, tail = _json_bytes({"ok": True, "article": article}).split(marker, 1)
        db = datasette.get_database(served.database)
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

        located = self._located(request)
        if located is None:
            return Response.text(self._nowhere(request) + "\n", status=404)
        served, article_id = located
        try:
            return await self._one_at_a_time(
                (served.database, article_id), self._article_text, datasette, served, article_id
            )
        except (Busy, TimeoutError):
            return Response.text(BUSY + "\n", status=503)

    async def _article_text(self, datasette: Any, served: Served, article_id: int) -> Any:
        from datasette import Response

        db = datasette.get_database(served.database)
        row = (
            await db.execute(
                "select cast(coalesce(title, '') || char(10, 10) || coalesce(body, '') "
                "|| char(10) as blob) as text, length(body) as n from articles where id = ?",
                [article_id],
            )
        ).first()
        if row is None:
            return Response.text(f"No article {served.address(article_id)} in the archive.\n", 404)
        self._remember_big((served.database, article_id), int(row["n"] or 0))
        return Response(bytes(row["text"]), content_type="text/plain; charset=utf-8")

    async def article_page(self, datasette: Any, request: Any) -> Any:
        from datasette.utils.asgi import NotFound

        located = self._located(request)
        if located is None:
            raise NotFound(self._nowhere(request))
        served, article_id = located
        try:
            return await self._one_at_a_time(
                (served.database, article_id),
                self._article_page,
                datasette,
                request,
                served,
                article_id,
            )
        except Busy:
            return self._html(BUSY, 503)

    async def _article_page(
        self, datasette: Any, request: Any, served: Served, article_id: int
    ) -> Any:
        from datasette.utils.asgi import NotFound

        address = served.address(article_id)
        article = await self._article(datasette, served, article_id, PAGE_BODY_CHARS)
        if article is None:
            raise NotFound(f"No article {address} in the archive: search for it at /search.")
        length = int(article.get("body_length") or 0)
        self._remember_big((served.database, article_id), length)
        similar = (
            await self._similar(served, article_id, length) if length <= SIMILAR_MAX_CHARS else []
        )
        for hit in similar:
            hit["date"] = format_date(hit.get("published"))
        db = served.database
        context = {
            "article": article,
            "paragraphs": paragraphs(article.get("body")),
            "truncated": length > PAGE_BODY_CHARS,
            "body_length": length,
            "text_href": f"/article/{address}.txt",
            "date": format_date(article.get("published")),
            "similar": similar,
            "copies_href": f"/{db}/story_copies?" + urlencode({"article_id": article_id}),
            "row_href": f"/{db}/articles/{article_id}",
            "database": db,
            "partition": served.name,
        }
        html = await datasette.render_template(
            "newsarchive_article.html", base_context(datasette, context), request=request
        )
        return self._html(html)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode()
