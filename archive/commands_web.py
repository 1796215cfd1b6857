"""Web commands (serve), registered on the app.

Datasette is imported only when `serve` runs, so other commands start fast.
"""

# No `from __future__ import annotations` here: see archive/cli.py (start-up time).
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import archive_dir, fail


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on (0.0.0.0 for all).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")
    ] = 8001,
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="Deployment profile: robots blocked, tighter SQL time limit and row cap, "
            "no facet suggestions, no CSV streaming.",
        ),
    ] = False,
    no_download: Annotated[
        bool, typer.Option("--no-download", help="Never offer the database file for download.")
    ] = False,
    immutable: Annotated[
        bool,
        typer.Option(
            "--immutable",
            help="Serve a frozen archive in immutable mode (faster counts, downloadable); "
            "never use it while an ingest may write.",
        ),
    ] = False,
    sql_time_limit_ms: Annotated[
        int | None,
        typer.Option(
            "--sql-time-limit-ms", min=10, help="Cut off SQL queries after this many milliseconds."
        ),
    ] = None,
    max_rows: Annotated[
        int | None,
        typer.Option("--max-rows", min=1, help="Most rows one SQL query or table page returns."),
    ] = None,
    sql_threads: Annotated[
        int | None,
        typer.Option(
            "--sql-threads",
            min=1,
            max=64,
            help="Threads running SQL (default: 8, or 2 per CPU when that is more).",
        ),
    ] = None,
    max_sql_requests: Annotated[
        int | None,
        typer.Option(
            "--max-sql-requests",
            min=1,
            help="Visitor-written SQL (?sql=, _where=) requests run at once; more get 503 "
            "'busy, try again' so pages keep their threads (default: half the SQL threads, at most one less than the cores).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Address visitors reach the server at (e.g. https://news.example.org), used "
            "for links in Atom feeds (default: http://HOST:PORT; never the request's Host header).",
        ),
    ] = None,
    metadata: Annotated[
        Path | None,
        typer.Option(
            "--metadata", help="JSON file merged over the generated metadata (title, license, ...)."
        ),
    ] = None,
) -> None:
    """Publish the archive read-only with Datasette: /news, /search, /article/ID.

    The WAL is checkpointed and the search index caught up before serving. SQL writes, POSTs
    and writable canned queries are refused.

    Example:
        newsarchive serve
        newsarchive serve --public --no-download --host 0.0.0.0 --port 8080 --base-url https://news.example.org
    """
    from .web.metadata import MetadataError
    from .web.server import ServeError, ServeOptions
    from .web.server import serve as run_server

    options = ServeOptions(
        host=host,
        port=port,
        public=public,
        allow_download=not no_download,
        immutable=immutable,
        sql_time_limit_ms=sql_time_limit_ms,
        max_returned_rows=max_rows,
        num_sql_threads=sql_threads,
        max_sql_requests=max_sql_requests,
        metadata_file=metadata,
        base_url=base_url,
    )
    typer.echo(f"Serving {archive_dir(ctx)} at http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    try:
        run_server(archive_dir(ctx), options)
    except (ServeError, MetadataError) as exc:
        raise fail(str(exc)) from None
