"""The archive's own pages: the Whoosh-backed search and the article pages, one object.

Handlers read through Datasette's read-only connections (SQL) or the bridge off the event loop
(offload.py), and render templates that extend Datasette's base.html so the look stays one
site. Search pages are in search_pages.py, article pages in article_pages.py.
"""

from __future__ import annotations

from typing import Any

from .article_pages import ArticlePages
from .search_pages import SearchPages


class Pages(SearchPages, ArticlePages):
    """Every route handler of ours; one instance per server, holding its configuration."""

    async def robots(self) -> Any:
        from datasette import Response

        if self.config.public:
            return Response.text("User-agent: *\nDisallow: /\n")
        files = "".join(f"Disallow: /{s.database}.db\n" for s in self.config.served())
        return Response.text("User-agent: *\n" + files)
