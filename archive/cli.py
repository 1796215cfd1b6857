"""The `newsarchive` command line: thin typer commands over the archive library.

Each command opens the archive, calls one library function and turns our named exceptions into
a one-line message on stderr. Data goes to stdout, progress and messages to stderr. Heavy
libraries (trafilatura, datasette) are imported inside the commands that use them.
"""

# No `from __future__ import annotations` in the command modules: typer would then eval
# every string annotation of every command on each start (about 45 ms of 50 building the app).
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="newsarchive",
    help="A searchable full-text news archive: ingest pages, search them, publish them read-only.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_ARCHIVE = Path("news_archive")
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Input format: auto, text, html, jsonl, warc or feed (auto looks at content).",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line on stderr and return the Exit to raise."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=code)


def archive_dir(ctx: typer.Context) -> Path:
    return ctx.obj["archive"] if ctx.obj else DEFAULT_ARCHIVE


def open_archive(ctx: typer.Context):  # type: ignore[no-untyped-def]
    """The archive over plain sqlite3, its index caught up (a problem there is one warning)."""
    from .indexing import ArchiveDB, ArchiveMissing, catch_up_quietly

    try:
        db = ArchiveDB.open(archive_dir(ctx))
    except ArchiveMissing as exc:
        raise fail(str(exc)) from None
    catch_up_quietly(db, archive_dir(ctx))  # repairs the index after a crash
    return db


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=None) + "\n")


def check_format(fmt: str) -> str:
    from ingest.readers import FORMATS

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not a format; use one of {', '.join(FORMATS)}.", param_hint="--format"
        )
    return fmt


@app.callback()
def main_options(
    ctx: typer.Context,
    archive: Annotated[
        Path,
        typer.Option(
            "--archive", "-a", envvar="NEWSARCHIVE_DIR", help="Archive folder (news.db and index/)."
        ),
    ] = DEFAULT_ARCHIVE,
) -> None:
    """newsarchive: messy news pages in, clean searchable articles out.

    Example:
        newsarchive ingest samples/
        newsarchive search "space station" --facets
    """
    ctx.obj = {"archive": archive}


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[str],
        typer.Argument(help="Files, folders (walked recursively), globs, .gz, or - for stdin."),
    ],
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
) -> None:
    """Ingest pages into the archive: extract articles, keep the raw input, index them.

    Prints one line per failed input and a summary. Exit 0 when nothing failed, 1 when some
    inputs failed (everything else is committed), 2 on usage errors.

    Example:
        newsarchive ingest samples/ pages/*.html crawl.warc.gz
        zcat dump.jsonl.gz | newsarchive ingest - --format jsonl
    """
    from .ingest_command import run_ingest

    code = run_ingest(ctx, paths, check_format(fmt), site, batch_size, json_out, jobs=jobs)
    raise typer.Exit(code=code)


@app.command()
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


@app.command()
def stats(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """Counts of the archive's tables and its biggest facets.

    Example:
        newsarchive stats
        newsarchive stats --json
    """
    from .stats import archive_stats, render_stats

    data = archive_stats(open_archive(ctx))
    if json_out:
        print_json(data)
    else:
        render_stats(data)


def main() -> None:
    """Console-script entry point."""
    # Rich's pretty tracebacks are for bugs; our own errors print one line.
    os.environ.setdefault("TERMINAL_WIDTH", os.environ.get("COLUMNS", "120"))
    # numpy (search arrays, MinHash) starts one OpenBLAS thread per core at import, which
    # spin for ~100 ms of CPU per command; nothing here multiplies matrices.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    app()


# Commands that live in their own modules register themselves on `app`.
from . import commands_search, commands_web  # noqa: E402, F401
