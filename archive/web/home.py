"""The archive's front door at `/`: a search box, counts, newest articles, ways in.

Datasette's own index lists every table first (internal ones included) and counts each on
every visit. This page runs a handful of indexed queries and keeps the answer for a short
while, so the page a flood most often hits costs almost nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from .config import Served
from .metadata import QUERIES
from .values import author_names

CACHE_S = 30.0
NEWEST = 10
TOP = 8


async def _one(datasette: Any, served: Served) -> dict[str, Any]:
    """The figures of one archive (one partition): indexed queries only."""
    db = datasette.get_database(served.database)
    figures = (
        await db.execute(
            "select count(*) as articles, min(published) as first, max(published) as last "
            "from articles"
        )
    ).first()
    top = TOP if not served.name else 10**6  # a set sums every partition's counts first
    sites = await db.execute(
        "select site as value, count(*) as n from articles where site is not null "
        f"group by site order by n desc, site limit {top}"
    )
    categories = await db.execute(
        "select category as value, count(*) as n from articles where category is not null "
        f"group by category order by n desc, category limit {top}"
    )
    newest = await db.execute(
        "select id, title, published, site, authors from articles "
        f"where published is not null order by published desc, id desc limit {NEWEST}"
    )
    names = "select name from authors" if served.name else "select count(*) as n from authors"
    authors = await db.execute(names)
    return {
        "figures": figures,
        "sites": [(r["value"], r["n"]) for r in sites.rows],
        "categories": [(r["value"], r["n"]) for r in categories.rows],
        "newest": [
            {**dict(r), "authors": author_names(r["authors"]), "address": served.address(r["id"])}
            for r in newest.rows
        ],
        "authors": (
            {r["name"] for r in authors.rows} if served.name else int(authors.first()["n"] or 0)
        ),
    }


def _ranked(counts: Counter[str]) -> list[dict[str, Any]]:
    return [
        {"value": value, "n": n}
        for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    ]


async def home_context(datasette: Any, archives: tuple[Served, ...]) -> dict[str, Any]:
    """Counts, newest articles, top sites and categories of the archive, or of every
    partition of a set together (sites and authors counted once across partitions)."""
    each = [await _one(datasette, served) for served in archives]
    sites: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    authors: set[str] = set()
    for one in each:
        sites.update(dict(one["sites"]))
        categories.update(dict(one["categories"]))
        if isinstance(one["authors"], set):
            authors |= one["authors"]
    firsts = [one["figures"]["first"] for one in each if one["figures"]["first"]]
    lasts = [one["figures"]["last"] for one in each if one["figures"]["last"]]
    newest = sorted(
        (a for one in each for a in one["newest"]),
        key=lambda a: (a["published"] or "", a["id"]),
        reverse=True,
    )[:NEWEST]
    lone = len(archives) == 1 and not archives[0].name
    site_count = len(sites)
    if lone:  # the sites table counts them without a pass over the articles
        db = datasette.get_database(archives[0].database)
        site_count = int((await db.execute("select count(*) as n from sites")).first()["n"] or 0)
    return {
        "figures": {
            "articles": sum(int(one["figures"]["articles"] or 0) for one in each),
            "first": min(firsts, default="")[:10],
            "last": max(lasts, default="")[:10],
            "authors": each[0]["authors"] if lone else len(authors),
            "sites": site_count,
        },
        "top_sites": _ranked(sites),
        "top_categories": _ranked(categories),
        "newest": newest,
        "databases": [(served.name, served.database) for served in archives],
        "lone": lone,
        "db": archives[0].database,  # the lone archive's database (its tables, queries)
        "feed": f"/{archives[0].database}/newest.atom" if lone else "/search.atom?sort=newest",
        "queries": [
            {"name": name, "title": q["title"], "description": q["description"]}
            for name, q in QUERIES.items()
            if ":" not in q["sql"]  # canned queries without parameters
        ],
    }


class HomePage:
    """The `/` route; its context is cached for CACHE_S seconds."""

    def __init__(self, pages: Any) -> None:
        self.pages = pages  # for its configuration and content security policy (start-up)
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def page(self, datasette: Any, request: Any) -> Any:
        from datasette import Response

        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > CACHE_S:
            self._cached = (now, await home_context(datasette, self.pages.config.served()))
        context = {
            "archive_title": datasette.metadata("title") or "News archive",
            **self._cached[1],
        }
        html = await datasette.render_template("newsarchive_home.html", context, request=request)
        return Response.html(html, headers={"content-security-policy": self.pages.csp})
