"""The newsarchive Datasette plugin: routes, headers, read-only connections, Atom, quiet 4xx.

Registered programmatically by `server.build_datasette` as an object holding the server's
configuration, so the archive's path never has to appear in public metadata.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl

from .config import DATABASE, WebConfig
from .facets import lean_array_facet
from .feed import can_render_atom, render_atom
from .guard import guard_connection, sort_checker, visitor_status, with_hidden_paths
from .home import HomePage
from .pages import Pages
from .security import inline_script_hashes, strict_csp, with_security_headers
from .throttle import with_sql_cap

PLUGIN_NAME = "newsarchive"
PART = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"  # a partition's folder name in an article address


class NewsarchivePlugin:
    """Datasette hooks for one served archive."""

    __name__ = PLUGIN_NAME  # Datasette's /-/plugins lists plugins by __name__

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.pages = Pages(config, strict_csp([]))
        self.home = HomePage(self.pages)

    @hookimpl
    def startup(self, datasette: Any) -> None:
        # base.html includes one inline script (closing open menus); allow exactly that one
        env = datasette.jinja_env
        source = env.loader.get_source(env, "_close_open_menus.html")[0]  # plain HTML, no tags
        self.pages.csp = strict_csp(inline_script_hashes(source))

    @hookimpl
    def register_routes(self, datasette: Any) -> list[tuple[str, Any]]:
        return [
            (r"^/$", self.home.page),
            (r"^/search$", self.pages.search_page),
            (r"^/search\.json$", self.pages.search_json),
            (r"^/search\.atom$", self.pages.search_atom),
            (r"^/article/(?P<id>\d{1,18})$", self.pages.article_page),
            (r"^/article/(?P<id>\d{1,18})\.json$", self.pages.article_json),
            (r"^/article/(?P<id>\d{1,18})\.txt$", self.pages.article_text),
            # a partition set: articles are PARTITION/ID (config.Served.address)
            (rf"^/article/(?P<part>{PART})/(?P<id>\d{{1,18}})$", self.pages.article_page),
            (rf"^/article/(?P<part>{PART})/(?P<id>\d{{1,18}})\.json$", self.pages.article_json),
            (rf"^/article/(?P<part>{PART})/(?P<id>\d{{1,18}})\.txt$", self.pages.article_text),
            (r"^/robots\.txt$", self.pages.robots),
        ]

    @hookimpl
    def prepare_connection(self, conn: Any, database: str) -> None:
        # Datasette reads with mode=ro, but it may open a write connection for a mutable
        # database; query_only makes SQLite refuse writes on every connection we hand out.
        if database in self.config.database_names():
            conn.execute("PRAGMA query_only = 1")
        guard_connection(conn, public=self.config.public)

    @hookimpl
    def asgi_wrapper(self, datasette: Any) -> Any:
        config = self.config

        def wrap(app: Any) -> Any:
            # the cap inside, so its 503s carry the security headers too
            capped = with_sql_cap(
                app,
                limit=config.sql_slots,
                time_limit_ms=config.sql_time_limit_ms,
                precheck=sort_checker(datasette),
            )
            hidden = with_hidden_paths(capped, public=config.public)
            return with_security_headers(hidden, public=config.public)

        return wrap

    @hookimpl
    def register_facet_classes(self) -> list[type]:
        return [lean_array_facet()]

    @hookimpl
    def extra_css_urls(self, datasette: Any) -> list[str]:
        return [datasette.urls.path("/newsarchive-static/archive.css")]

    @hookimpl
    def menu_links(self, datasette: Any) -> list[dict[str, str]]:
        return [
            {"href": datasette.urls.path("/search"), "label": "Search the archive"},
            {"href": datasette.urls.path(self._feed_path()), "label": "Atom feed"},
        ]

    def _feed_path(self) -> str:
        """The newest articles as Atom: the canned query of one archive; for a set, the
        merged search in date order."""
        return "/search.atom?sort=newest" if self.config.is_set else f"/{DATABASE}/newest.atom"

    @hookimpl
    def register_output_renderer(self, datasette: Any) -> dict[str, Any]:
        base_url = self.config.base_url

        def render(
            datasette: Any,
            request: Any,
            columns: list[str],
            rows: list[Any],
            query_name: str | None,
            database: str,
        ) -> dict[str, Any]:
            # links from the configured address, never from the visitor's Host header
            return render_atom(datasette, request, columns, rows, query_name, database, base_url)

        return {"extension": "atom", "render": render, "can_render": can_render_atom}

    @hookimpl(wrapper=True)
    def handle_exception(self, datasette: Any, request: Any, exception: Exception) -> Any:
        """Visitor errors (4xx) answered by us alone, without a traceback.

        Datasette awaits every handler's answer, and its default one prints a rich traceback
        with locals (~60 KB, tens of ms on the event loop) for each: a flood of timed-out
        queries turned that into a stall. A pluggy wrapper replaces the answers for 4xx;
        real failures keep Datasette's report.
        """
        answers = yield
        visitor = visitor_error(datasette, request, exception)
        return answers if visitor is None else [visitor]


def visitor_error(datasette: Any, request: Any, exception: Exception) -> Any:
    """The response coroutine for a visitor's error (4xx); None for a real failure."""
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError

    # the authorizer's refusal of a table under --public (guard.PUBLIC_REFUSED_TABLES) reaches
    # here as SQLite's own error, from Datasette's table page
    refused = isinstance(exception, sqlite3.DatabaseError) and "is prohibited" in str(exception)
    if not (refused or isinstance(exception, Base400 | DatasetteError)):
        return None
    status = visitor_status(exception)
    if status is None:
        return None

    async def inner() -> Any:
        from datasette import Response
        from markupsafe import Markup

        if isinstance(exception, DatasetteError):
            info = dict(exception.error_dict or {})
            message: Any = exception.message
            if exception.message_is_html:
                message = Markup(message)
            title = exception.title
        else:
            info, message, title = {}, exception.args[0] if exception.args else "", None
        if not isinstance(message, Markup):
            message = " ".join(str(message).split())  # one line, whatever SQLite said
        info.update({"ok": False, "error": message, "status": status, "title": title})
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        html = await template.render_async(
            dict(
                info,
                urls=datasette.urls,
                app_css_hash=datasette.app_css_hash(),
                menu_links=lambda: [],
            )
        )
        return Response.html(html, status=status)

    return inner
