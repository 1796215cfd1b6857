"""The Whoosh-backed search pages: /search (HTML), /search.json and /search.atom."""

from __future__ import annotations

import html
import math
import re
from typing import Any

from . import bridge
from .feed import CONTENT_TYPE, atom_document
from .offload import BUSY, TIMEOUT, PageBase, base_context
from .params import (
    DEFAULT_LIMIT,
    BadSearchParameter,
    format_date,
    query_string,
    safe_link,
    search_params,
)
from .snippets import safe_snippet
from .throttle import Busy
from .timeline import Bar, bars_from_counts, render_svg
from .values import author_names


class SearchPages(PageBase):
    """Route handlers of the search pages."""

    async def _run_search(self, params: dict[str, Any]) -> dict[str, Any]:
        """Cheap searches in a thread of the light lane; heavy ones (wildcards, collapse, deep
        pages) in the niced child, one at a time, killed at the time limit (workers.py)."""
        run = bridge.search_set if self.config.is_set else bridge.search
        if bridge.is_heavy(params):
            return await self._in_process(run, self.config.archive_dir, params)
        return await self._in_thread(run, self.config.archive_dir, params)

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
            return Response.json({"ok": False, "error": TIMEOUT}, status=503)
        except Busy:
            return Response.json({"ok": False, "error": BUSY}, status=503)
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
            return Response.text(BUSY + "\n", status=503)
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
            error, status = TIMEOUT, 503
        except Busy:
            error, status = BUSY, 503
        context = {
            "params": params,
            "error": error,
            "result": result,
            # the one database's tables, or (a partition set) each partition's
            "databases": [(s.name, s.database) for s in self.config.served()],
        }
        if result is not None:
            context.update(await self._search_context(params, result))
        html = await datasette.render_template(
            "newsarchive_search.html", base_context(datasette, context), request=request
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
                "address": hit.get("address") or str(hit.get("id")),
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


def _atom_record(hit: dict[str, Any]) -> dict[str, Any]:
    """A search hit as a feed entry; the snippet loses its <mark> tags."""
    snippet = html.unescape(re.sub(r"<[^>]*>", "", str(hit.get("snippet") or "")))
    address = hit.get("address") or hit.get("id")  # PARTITION/ID on a partition set
    return {
        "atom_id": f"tag:newsarchive,2025:article/{address}",
        "atom_title": hit.get("title"),
        "atom_updated": hit.get("published") or "",
        "atom_link": f"/article/{address}",
        "atom_author_names": hit.get("authors"),
        "atom_summary": snippet,
    }
