"""The ingest, extract and stats commands (registered on the app by `archive.cli`)."""

# No `from __future__ import annotations` here: see archive/cli_common.py (start-up time).
import json
import sys
from typing import Annotated

import typer

from .cli_common import (
    FormatOption,
    JsonOption,
    archive_dir,
    check_format,
    open_archive,
    print_json,
)


def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Files, folders (walked recursively), globs, .gz, or - for stdin."),
    ] = None,
    fmt: FormatOption = "auto",
    site: Annotated[
        str | None, typer.Option("--site", help="Site name to record for every article.")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Articles per transaction.")
    ] = 200,
    json_out: JsonOption = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Extraction processes; above 1, a second index writer too (default: the number of cores).",
        ),
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include",
            help="Only take files of folders/globs matching this pattern (repeatable); also "
            "takes files the defaults skip (README, LICENSE, *.md, images, hidden files).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Skip files matching this pattern (repeatable)."),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Retry every failed input (see `newsarchive errors`) from its kept bytes.",
        ),
    ] = False,
    readd_removed: Annotated[
        bool,
        typer.Option(
            "--readd-removed",
            help="Re-add articles removed with `newsarchive remove` when their input comes again.",
        ),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            envvar="NEWSARCHIVE_CLUSTER",
            help="A Dask scheduler's address (tcp://HOST:8786): read and extract on its workers; this machine only writes.",
        ),
    ] = None,
    partition: Annotated[
        str | None,
        typer.Option(
            "--partition",
            help="year or month: one archive per period under ARCHIVE/partitions/ (search and stats read them as one).",
        ),
    ] = None,
) -> None:
    """Ingest pages into the archive: extract articles, keep the raw input, index them.

    Prints one line per failed input and a summary. Exit 0 when nothing failed, 1 when some
    inputs failed (everything else is committed), 2 on usage errors. Folders skip what is
    not a page (README, LICENSE, *.md, images, hidden files) and say so in one line.

    Example:
        newsarchive ingest samples/ pages/*.html crawl.warc.gz
        newsarchive ingest corpus/ --exclude 'truth.jsonl' --include '*.html'
        newsarchive ingest --retry-failed
        zcat dump.jsonl.gz | newsarchive ingest - --format jsonl
        newsarchive ingest /shared/crawl/ --cluster tcp://10.0.0.5:8786
        newsarchive --archive backfill ingest crawl/ --partition year
    """
    if partition:  # one archive per period (archive/partition_ingest.py)
        from .partition_ingest import run_partitioned

        code = run_partitioned(
            archive_dir(ctx), paths or [], partition, check_format(fmt), site, batch_size,
            json_out, jobs, cluster,
        )  # fmt: skip
        raise typer.Exit(code=code)
    from .ingest_command import run_ingest

    # --- issue 19: input selection, retries and removed articles (archive/ingest_extras.py)
    from .ingest_extras import prepare_ingest

    paths = prepare_ingest(ctx, paths or [], include, exclude, retry_failed, readd_removed)
    # ---
    code = run_ingest(
        ctx,
        paths,
        check_format(fmt),
        site,
        batch_size,
        json_out,
        jobs=jobs,
        cluster=cluster,
        retry_failed=retry_failed,
    )
    raise typer.Exit(code=code)


def extract(
    files: Annotated[list[str], typer.Argument(help="Pages to extract (same inputs as ingest).")],
    fmt: FormatOption = "auto",
    json_out: JsonOption = False,
) -> None:
    """Extract articles from pages and print them, touching no archive.

    With --json, one input prints one JSON object; several print JSON Lines with a `source`
    field each; a failed page prints {"source": ..., "error": ...} and the run goes on.

    Example:
        newsarchive extract samples/seed-page.txt --json
    """
    from ingest.readers import iter_documents

    from .pipeline import extract_one

    check_format(fmt)
    failed = 0
    held: dict | None = None  # one input giving one page prints a plain object, not JSON Lines
    streaming = len(files) > 1
    for doc in iter_documents(files, fmt):
        item = extract_one(doc)
        if item.failure:
            failed += 1
            typer.echo(f"Error: {item.failure.message}", err=True)
            row = {
                "source": item.failure.origin,
                "error": item.failure.message,
                "reason": item.failure.reason,
            }
        else:
            row = {"source": item.raw.origin, **item.article.to_dict()}  # type: ignore[union-attr]
        if not json_out:
            print_article_text(row)
        elif streaming:
            print_json(row)
        elif held is None:
            held = row
        else:  # a container holding several pages: switch to JSON Lines
            streaming = True
            print_json(held)
            print_json(row)
    if held is not None and not streaming:
        if "error" not in held:
            held.pop("source")
        sys.stdout.write(json.dumps(held, ensure_ascii=False, indent=2) + "\n")
    raise typer.Exit(code=1 if failed else 0)


def print_article_text(row: dict) -> None:
    if "error" in row:
        return
    out = [f"# {row.get('title') or '(untitled)'}", ""]
    for label, key in (
        ("By", "authors"),
        ("Published", "published"),
        ("Category", "category"),
        ("Site", "site_name"),
        ("URL", "url"),
        ("Language", "language"),
        ("Dateline", "dateline"),
        ("Wire", "wire"),
    ):
        value = row.get(key)
        if value:
            out.append(f"{label}: {', '.join(value) if isinstance(value, list) else value}")
    out += ["", row.get("body", ""), ""]
    for caption in row.get("captions") or []:
        out.append(f"[caption] {caption}")
    out.append(f"-- {row['source']}")
    typer.echo("\n".join(out) + "\n")


def stats(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """Counts of the archive's tables and its biggest facets.

    Example:
        newsarchive stats
        newsarchive stats --json
    """
    from .partitions import partition_dirs
    from .stats import archive_stats, render_stats

    if partition_dirs(archive_dir(ctx)) is not None:  # several archives (archive/partitions.py)
        from .partitions import stats_set

        data = stats_set(archive_dir(ctx))
    else:
        data = archive_stats(open_archive(ctx))
    if json_out:
        print_json(data)
    else:
        render_stats(data)
