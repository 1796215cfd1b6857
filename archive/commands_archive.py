"""Commands for the archive after ingest (issue 19): errors, remove, history, reextract, export.

Thin typer functions: each opens the archive, calls one library module (errors_view,
removal, article_history, reextract, export) and prints. Registered by `archive.cli`.
"""

# No `from __future__ import annotations` here: see archive/cli_common.py (start-up time).
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .cli_common import JsonOption, archive_dir, fail, open_archive, print_json

# stored inputs per cluster task: they travel as bytes, and one re-extraction is 10-30 ms
REEXTRACT_CHUNK = 4


def _store(ctx: typer.Context):  # type: ignore[no-untyped-def]
    """The archive for writing (sqlite-utils), its index caught up; one line on failure."""
    from .indexing import catch_up_quietly
    from .store import ArchiveError, Store

    try:
        store = Store.open(archive_dir(ctx), create=False)
    except ArchiveError as exc:
        raise fail(str(exc)) from None
    catch_up_quietly(store, archive_dir(ctx))
    return store


def _reader(ctx: typer.Context, *, catch_up: bool):  # type: ignore[no-untyped-def]
    """The archive over plain sqlite3; the index caught up only when the command searches."""
    if catch_up:
        return open_archive(ctx)
    from .indexing import ArchiveDB, ArchiveMissing

    try:
        return ArchiveDB.open(archive_dir(ctx))
    except ArchiveMissing as exc:
        raise fail(str(exc)) from None


def _safe(text: object) -> str:
    """Data on a terminal: control characters from inputs never pass through."""
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in str(text))


def errors(
    ctx: typer.Context,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Only inputs that failed for this reason code.")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Failed inputs, one per input (its latest attempt), with reason and message.

    An input counts once however often it was retried; an input that later succeeded is no
    longer listed. Retry them all with `newsarchive ingest --retry-failed`.

    Example:
        newsarchive errors
        newsarchive errors --reason no_article --json
    """
    from .errors_view import failed_inputs

    db = open_archive(ctx)
    rows = failed_inputs(db.db, reason)
    if json_out:
        print_json({"failed": len(rows), "inputs": [r.to_dict() for r in rows]})
        return
    if not rows:
        typer.echo("No failed inputs." if not reason else f"No inputs failed with {reason!r}.")
        return
    for row in rows:
        tries = f" ({row.attempts} attempts)" if row.attempts > 1 else ""
        typer.echo(f"{_safe(row.origin)}\t{row.reason}{tries}\t{_safe(row.message)}")
    typer.echo(
        f"{len(rows)} failed input(s). Retry them: newsarchive ingest --retry-failed", err=True
    )


def remove(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="Article ids to remove.")
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why (kept in the removals table): required.")
    ] = "",
    query: Annotated[
        str | None,
        typer.Option("--query", help="Remove every article this search query matches."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="With --query: remove them (without it, a dry run).")
    ] = False,
    purge: Annotated[
        bool, typer.Option("--purge", help="Delete the raw inputs too (default: kept).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Remove articles from search, full-text search, facets and the web, keeping an audit row.

    The raw inputs stay (status `removed`) unless --purge, so ingesting them again does not
    bring the articles back (`ingest --readd-removed` does). By --query, the first run only
    lists what would go; add --yes to remove them.

    Example:
        newsarchive remove 12 40 --reason "takedown request 2024-118"
        newsarchive remove --query 'site:"Daily Bugle"' --reason "licence ended" --yes
    """
    from .removal import RemovalError, remove_articles

    if not ids and not query:
        raise fail("Name article ids, or --query QUERY, to remove.", code=2)
    if not reason.strip():
        raise fail("Say why with --reason TEXT: it is kept in the removals table.", code=2)
    store = _store(ctx)
    chosen = list(ids or [])
    if query:
        from index.errors import IndexError_, QueryError

        from .export import ExportFilters, matching_ids
        from .indexing import index_dir_for

        try:
            found = matching_ids(store, index_dir_for(archive_dir(ctx)), ExportFilters(query))
        except QueryError as exc:
            raise fail(str(exc), code=2) from None
        except IndexError_ as exc:
            raise fail(str(exc)) from None
        if not yes:
            _preview(store, found, query)
            if json_out:
                print_json({"dry_run": True, "query": query, "ids": found})
            return
        chosen += found
    try:
        removed, missing = remove_articles(store, chosen, reason, purge=purge)
    except RemovalError as exc:
        raise fail(str(exc), code=2) from None
    dropped = _drop_from_index(store, ctx)
    if json_out:
        print_json(
            {
                "removed": [r.to_dict() for r in removed],
                "not_found": missing,
                "index_updated": dropped,
            }
        )
    for r in removed:
        typer.echo(f"Removed {r.article_id}: {_safe(r.title or '(untitled)')}", err=True)
    if missing:
        typer.echo(f"Error: no article {', '.join(map(str, missing))} in the archive.", err=True)
    typer.echo(
        f"{len(removed)} article(s) removed; reason kept in the removals table"
        + ("; raw inputs purged." if purge else "; raw inputs kept."),
        err=True,
    )
    raise typer.Exit(code=1 if missing else 0)


def _preview(store, ids: list[int], query: str) -> None:  # type: ignore[no-untyped-def]
    rows = store.db.execute(
        f"SELECT id, title FROM articles WHERE id IN ({','.join('?' * len(ids[:20]))})",
        ids[:20],
    ).fetchall()
    for article_id, title in rows:
        typer.echo(f"{article_id}\t{_safe(title or '(untitled)')}", err=True)
    more = f" (first {len(rows)} shown)" if len(ids) > len(rows) else ""
    typer.echo(
        f"{len(ids)} article(s) match {query!r}{more}; nothing removed: add --yes to remove them.",
        err=True,
    )


def _drop_from_index(store, ctx: typer.Context) -> bool:  # type: ignore[no-untyped-def]
    """Drop the removed articles from Whoosh now; when the index is busy, the next command does."""
    from index.errors import IndexError_

    from .indexing import catch_up, index_dir_for

    try:
        catch_up(store, index_dir_for(archive_dir(ctx)), wait=5)
    except (IndexError_, OSError) as exc:
        typer.echo(
            f"Warning: the search index still holds the removed article(s) ({exc}); the next "
            "command that can write the index drops them.",
            err=True,
        )
        return False
    return True


def history(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(metavar="ID", help="Article id.")],
    json_out: JsonOption = False,
) -> None:
    """Every version of an article, oldest first, with a word diff of what changed.

    In the diff, [-words-] were removed and {+words+} added.

    Example:
        newsarchive history 42
        newsarchive history 42 --json
    """
    from .article_history import diff_text
    from .article_history import history as versions_of

    db = open_archive(ctx)
    if db.db.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone() is None:
        raise fail(
            f"There is no article {article_id} in the archive: find ids with `newsarchive search`."
        )
    entries = versions_of(db.db, article_id)
    if json_out:
        print_json({"id": article_id, "versions": entries})
        return
    for entry in entries:
        when = entry.get("fetched") or entry.get("replaced_at") or entry.get("updated_at") or ""
        mark = " (current)" if entry["current"] else ""
        typer.echo(f"## version {entry['version']}{mark} {when}: {_safe(entry['title'] or '')}")
        for name, (old, new) in (entry.get("changes") or {}).items():
            typer.echo(f"  {name}: {_safe(old)} -> {_safe(new)}")
        if entry.get("diff"):
            runs = [(op, text) for op, text in entry["diff"]]
            typer.echo(_safe(diff_text(runs)))
        elif "diff" in entry:
            typer.echo("  (same body)")
        typer.echo("")
    if len(entries) == 1:
        typer.echo("Only one version.", err=True)


def reextract(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option("--site", help="Only articles of this site.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="Only inputs of this format: text, html, json, feed, warc."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only articles archived on or after this date.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Articles per transaction.")
    ] = 200,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Extraction processes (default 1).")
    ] = 1,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="ADDRESS",
            help="Extract on this Dask scheduler's workers (default: NEWSARCHIVE_CLUSTER, "
            "else local processes); the stored inputs travel with the tasks.",
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Run today's extractors over the stored raw inputs; update articles whose extraction changed.

    A changed article gets a new version (the old one is kept, see `newsarchive history`) and
    is re-indexed. Interrupt it at any time: running the same command again continues.

    Example:
        newsarchive reextract --dry-run
        newsarchive reextract --site "Wall Street Journal" --format html --jobs 2
        newsarchive reextract --cluster tcp://10.0.0.5:8786
    """
    import contextlib

    from .cluster import ClusterError, cluster_address
    from .reextract import ReextractError, reindex_changed
    from .reextract import reextract as run

    store = _store(ctx)
    address = cluster_address(cluster)
    with contextlib.ExitStack() as stack:
        mapper: Any = map
        if address:  # Dask is imported only here (archive/cluster.py)
            from .cluster import cluster_map, connect

            try:
                client = connect(address)
            except ClusterError as exc:
                raise fail(str(exc), code=2) from None
            stack.callback(client.close)
            mapper = cluster_map(client, chunk=REEXTRACT_CHUNK)
        elif jobs > 1:  # forked before the progress thread starts; results come back in order
            import multiprocessing

            pool = stack.enter_context(multiprocessing.get_context("fork").Pool(jobs))
            mapper = lambda func, tasks: pool.imap(func, tasks, chunksize=4)  # noqa: E731
        progress = _progress("reextract")
        try:
            report = run(
                store,
                site=site,
                fmt=fmt,
                since=since,
                dry_run=dry_run,
                batch_size=batch_size,
                mapper=mapper,
                on_progress=progress.update if progress else None,
            )
        except (ReextractError, ClusterError) as exc:
            raise fail(str(exc), code=2) from None
        finally:
            if progress:
                progress.stop()
    if not dry_run and report.changed:
        from index.errors import IndexError_

        try:
            report.reindexed = reindex_changed(store, archive_dir(ctx))
        except (IndexError_, OSError) as exc:  # SQLite holds the new versions; the index lags
            typer.echo(
                f"Warning: the search index was not updated ({exc}); the next command that "
                "can write it indexes the changed articles.",
                err=True,
            )
    if json_out:
        print_json(report.to_dict())
    else:
        for entry in report.sample:
            typer.echo(f"## {entry['id']}: {_safe(entry.get('title') or '')}")
            typer.echo(f"  changed: {', '.join(entry['fields'])}")
            if entry.get("diff"):
                typer.echo("  " + _safe(entry["diff"]))
    resumed = f" (continued after article {report.resumed_after})" if report.resumed_after else ""
    verb = "would change" if dry_run else "changed"
    typer.echo(
        f"Re-extracted {report.examined} of {report.selected} article(s){resumed}: "
        f"{report.changed} {verb}, {report.unchanged} unchanged, {report.failed} now failing "
        f"(kept as they were), {report.no_raw} without stored input.",
        err=True,
    )


class _Progress:
    """A rich progress bar on stderr when it is a terminal (nothing when piped)."""

    def __init__(self, label: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task(label, total=None)
        self.bar.start()

    def update(self, done: int, total: int | None) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        self.bar.stop()


def _progress(label: str) -> _Progress | None:
    return _Progress(label) if sys.stderr.isatty() else None


def export(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="Search query (same syntax as search); none: everything.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, csv or parquet.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    author: Annotated[
        list[str] | None, typer.Option("--author", help="Only by this author (repeatable).")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Only in this category (repeatable).")
    ] = None,
    site: Annotated[
        list[str] | None, typer.Option("--site", help="Only from this site (repeatable).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Published on or after: 2024, 2024-05, 2024-05-31."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Published on or before (inclusive).")
    ] = None,
) -> None:
    """Every matching article with its body and metadata, as JSON Lines, CSV or Parquet.

    Streams in flat memory. JSON Lines uses the Article fields, so `newsarchive ingest`
    reads an export back into the same articles.

    Example:
        newsarchive export --output archive.jsonl
        newsarchive export "climate" --site Reuters --since 2020 --format csv > climate.csv
        newsarchive export --format parquet --output archive.parquet
    """
    from index.errors import IndexError_, QueryError

    from .export import (
        ExportError,
        ExportFilters,
        count_rows,
        iter_rows,
        matching_ids,
    )
    from .export import (
        export as write,
    )
    from .indexing import index_dir_for

    db = _reader(ctx, catch_up=bool(query))  # without a query, SQLite alone answers
    filters = ExportFilters(
        query=query,
        authors=tuple(author or ()),
        categories=tuple(category or ()),
        sites=tuple(site or ()),
        since=since,
        until=until,
    )
    ids = None
    if query:
        try:
            ids = matching_ids(db, index_dir_for(archive_dir(ctx)), filters)
        except QueryError as exc:
            raise fail(str(exc), code=2) from None
        except IndexError_ as exc:
            raise fail(str(exc)) from None
    total = count_rows(db, filters, ids)
    progress = _progress("export")
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress and done % 500 == 0:
            progress.update(done, total)

    try:
        n = write(iter_rows(db, filters, ids), fmt, output, sys.stdout, tick)
    except ExportError as exc:
        raise fail(str(exc), code=2) from None
    except BrokenPipeError:  # `export | head`: the reader has all it wants
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(code=0) from None
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}.") from None
    finally:
        if progress:
            progress.stop()
    where = f" to {output}" if output else ""
    typer.echo(f"Exported {n} article(s){where} as {fmt}.", err=True)
