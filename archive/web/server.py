"""Build the Datasette instance for an archive and run it with uvicorn.

Datasette 0.65 is a click program and typer ships its own click, so instead of mounting
Datasette's command we build `Datasette(...)` here and hand `.app()` to uvicorn (TRAPS.md).
The database is served read-only and mutable (`mode=ro`) so a running ingest stays visible;
`--immutable` is for a finished, frozen archive and needs the WAL checkpointed first.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Served, WebConfig, served_archives
from .metadata import build_metadata, build_set_metadata
from .throttle import sql_slots

HERE = Path(__file__).resolve().parent
DB_NAME = "news.db"
# Datasette's 3 SQL threads let a few slow queries queue every page (TRAPS.md); SQLite reads
# run in parallel and release the GIL, so a few more threads cost only connections.
DEFAULT_SQL_THREADS = max(8, (os.cpu_count() or 2) * 2)


class ServeError(Exception):
    """The archive cannot be served; the message says why and what to do."""


@dataclass(slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8001
    public: bool = False
    allow_download: bool = True
    immutable: bool = False
    sql_time_limit_ms: int | None = None
    max_returned_rows: int | None = None
    num_sql_threads: int | None = None
    max_sql_requests: int | None = None  # visitor-SQL requests at once; half the threads by default
    metadata_file: Path | None = None
    catch_up: bool = True
    base_url: str | None = None  # the address visitors use (feeds); http://HOST:PORT by default

    def public_base_url(self) -> str:
        """Links in feeds start with this: configured, never taken from a request's Host header."""
        if self.base_url:
            return self.base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"


def settings_for(options: ServeOptions) -> dict[str, Any]:
    """Datasette settings of the local or the public profile, with explicit overrides."""
    if options.public:
        settings: dict[str, Any] = {
            "sql_time_limit_ms": 1000,
            "max_returned_rows": 500,
            "default_page_size": 50,
            "suggest_facets": False,  # each suggestion costs queries; a visitor rarely needs them
            "facet_time_limit_ms": 300,
            "default_facet_size": 15,
            "allow_csv_stream": False,
            "max_csv_mb": 20,
            "truncate_cells_html": 160,
            "default_cache_ttl": 60,
        }
    else:
        settings = {
            # suggestions test every column (body included) on each table page: 1.9 s of the
            # 2.0 s /news/articles took at 10k; the articles table names its facets itself
            "suggest_facets": False,
            "sql_time_limit_ms": 2000,
            "max_returned_rows": 1000,  # a JSON page is encoded on the event loop
            "default_page_size": 50,
            "facet_time_limit_ms": 500,
            "truncate_cells_html": 160,  # a body cell is a preview; the row page shows all
        }
    settings["allow_download"] = options.allow_download
    settings["num_sql_threads"] = DEFAULT_SQL_THREADS
    for key in ("sql_time_limit_ms", "max_returned_rows", "num_sql_threads"):
        value = getattr(options, key)
        if value is not None:
            settings[key] = value
    return settings


def sql_request_limit(options: ServeOptions, num_sql_threads: int) -> int:
    """Visitor-SQL requests allowed at once; always fewer than the SQL threads, so pages get one."""
    if options.max_sql_requests is None:
        return sql_slots(num_sql_threads)
    if not 1 <= options.max_sql_requests < num_sql_threads:
        raise ServeError(
            f"--max-sql-requests {options.max_sql_requests} must be at least 1 and below the "
            f"{num_sql_threads} SQL threads, or table pages would wait behind slow queries; "
            "lower it or raise --sql-threads."
        )
    return options.max_sql_requests


def checkpoint(db_path: Path) -> tuple[int, int, int] | None:
    """Fold the WAL into the database file (TRUNCATE); returns SQLite's (busy, log, moved)."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            return None
        return tuple(conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())  # type: ignore[return-value]
    finally:
        conn.close()


def prepare_archive(archive_dir: Path, options: ServeOptions) -> list[Path]:
    """Checks and one-time work before serving each archive (the lone one, or every partition
    of a set): the database exists, WAL checkpointed, index caught up."""
    return [_prepare_one(served.folder, options) for served in served_archives(archive_dir)]


def _prepare_one(archive_dir: Path, options: ServeOptions) -> Path:
    db_path = Path(archive_dir) / DB_NAME
    if not db_path.is_file():
        raise ServeError(
            f"No archive database at {db_path}: run `newsarchive ingest PATH` first or pass --archive DIR."
        )
    try:
        result = checkpoint(db_path)
    except sqlite3.Error as exc:
        raise ServeError(f"Cannot checkpoint {db_path}: {exc}. Is it an archive database?") from exc
    if options.immutable and result is not None and result[0]:
        raise ServeError(
            f"{db_path} is being written (the WAL checkpoint was blocked); stop the ingest or serve without --immutable."
        )
    if options.catch_up:
        catch_up_index(Path(archive_dir))
    return db_path


def catch_up_index(archive_dir: Path) -> None:
    """Bring the Whoosh index in line with SQLite, when the indexing module is there."""
    try:
        from archive import indexing
    except ImportError:
        return
    from archive.store import Store

    store = Store.open(archive_dir, create=False)
    try:
        indexing.catch_up(store, archive_dir / "index")
    finally:
        store.close()


def build_datasette(archive_dir: Path, options: ServeOptions) -> Any:
    """The Datasette instance: each archive read-only (`/news`, or `/news-NAME` per partition
    of a set), metadata from the archives, our plugin loaded."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from .plugin import PLUGIN_NAME, NewsarchivePlugin

    archive_dir = Path(archive_dir).resolve()
    archives = served_archives(archive_dir)
    paths = [served.folder / DB_NAME for served in archives]
    for db_path in paths:
        if not db_path.is_file():
            raise ServeError(
                f"No archive database at {db_path}: run `newsarchive ingest PATH` first."
            )
    if pm.get_plugin(PLUGIN_NAME) is not None:  # a second server in the same process
        pm.unregister(name=PLUGIN_NAME)
    settings = settings_for(options)
    config = WebConfig(
        archive_dir=archive_dir,
        public=options.public,
        sql_slots=sql_request_limit(options, settings["num_sql_threads"]),
        sql_time_limit_ms=settings["sql_time_limit_ms"],
        base_url=options.public_base_url(),
        archives=archives,
    )
    pm.register(NewsarchivePlugin(config), name=PLUGIN_NAME)
    if config.is_set:
        metadata = build_set_metadata(archives, public=options.public, extra=options.metadata_file)
    else:
        metadata = build_metadata(paths[0], public=options.public, extra=options.metadata_file)
    files = [] if options.immutable else [str(p) for p in paths]
    immutables = [str(p) for p in paths] if options.immutable else []
    ds = Datasette(
        files=files,
        immutables=immutables,
        metadata=metadata,
        settings=settings,
        template_dir=str(HERE / "templates"),
        static_mounts=[("newsarchive-static", str(HERE / "static"))],
        cors=False,
        version_note="newsarchive",
    )
    if config.is_set:
        _name_databases(ds, archives)
    return ds


def _name_databases(ds: Any, archives: tuple[Served, ...]) -> None:
    """Datasette names a database by its file's stem, so every partition's news.db would be
    `news`, `news_2`, ... (TRAPS.md); name each after its partition instead."""
    by_path = {str((served.folder / DB_NAME).resolve()): served for served in archives}
    for name, db in list(ds.databases.items()):
        served = by_path.get(str(Path(db.path).resolve())) if db.path else None
        if served is not None and name != served.database:
            ds.remove_database(name)
            ds.add_database(db, name=served.database)


def warm_search_process() -> None:
    """Start the heavy-search child now, so the first wildcard search does not pay for it."""
    from datasette.plugins import pm

    from .plugin import PLUGIN_NAME

    plugin = pm.get_plugin(PLUGIN_NAME)
    if plugin is not None:
        plugin.pages.process.warm()


def serve(archive_dir: Path, options: ServeOptions) -> None:
    """Prepare the archive and run the server until interrupted."""
    import uvicorn

    sql_request_limit(options, settings_for(options)["num_sql_threads"])  # usage errors first
    prepare_archive(archive_dir, options)
    ds = build_datasette(archive_dir, options)
    # as `datasette serve` does: plugin start-up errors surface now, not on the first request
    asyncio.run(ds.invoke_startup())
    warm_search_process()
    uvicorn.run(
        ds.app(),
        host=options.host,
        port=options.port,
        log_level="warning" if options.public else "info",
        server_header=False,
        proxy_headers=options.public,
    )
