"""The archive's front door at `/`: a search box, counts, newest articles, ways in.

Datasette's own index lists every table first (internal ones included) and counts each on
every visit. This page runs a handful of indexed queries and keeps the answer for a short
while, so the page a flood most often hits costs almost nothing.
"""

from __future__ import annotations

import time
from typing import Any

from .metadata import QUERIES
from .values import author_names

DATABASE = "news"
CACHE_S = 30.0
NEWEST = 10
TOP = 8


async def home_context(datasette: Any) -> dict[str, Any]:
    """Counts, newest articles, top sites and categories: indexed queries only."""
    db = datasette.get_database(DATABASE)
    figures = (
        await db.execute(
            "select count(*) as articles, min(published) as first, max(published) as last "
            "from articles"
        )
    ).first()
    sites = await db.execute(
        "select site as value, count(*) as n from articles where site is not null "
        f"group by site order by n desc, site limit {TOP}"
    )
    categories = await db.execute(
        "select category as value, count(*) as n from articles where category is not null "
        f"group by category order by n desc, category limit {TOP}"
    )
    newest = await db.execute(
        "select id, title, published, site, authors from articles "
        f"where published is not null order by published desc, id desc limit {NEWEST}"
    )
    authors = (await db.execute("select count(*) as n from authors")).first()
    site_count = (await db.execute("select count(*) as n from sites")).first()
    return {
        "figures": {
            "articles": int(figures["articles"] or 0),
            "first": (figures["first"] or "")[:10],
            "last": (figures["last"] or "")[:10],
            "authors": int(authors["n"] or 0),
            "sites": int(site_count["n"] or 0),
        },
        "top_sites": [dict(r) for r in sites.rows],
        "top_categories": [dict(r) for r in categories.rows],
        "newest": [{**dict(r), "authors": author_names(r["authors"])} for r in newest.rows],
        "queries": [
            {"name": name, "title": q["title"], "description": q["description"]}
            for name, q in QUERIES.items()
            if ":" not in q["sql"]  # canned queries without parameters
        ],
    }


class HomePage:
    """The `/` route; its context is cached for CACHE_S seconds."""

    def __init__(self, pages: Any) -> None:
        self.pages = pages  # for its content security policy, set at start-up
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def page(self, datasette: Any, request: Any) -> Any:
        from datasette import Response

        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > CACHE_S:
            self._cached = (now, await home_context(datasette))
        context = {
            "archive_title": datasette.metadata("title") or "News archive",
            **self._cached[1],
        }
        html = await datasette.render_template("newsarchive_home.html", context, request=request)
        return Response.html(html, headers={"content-security-policy": self.pages.csp})
