"""What every command module shares: the archive option's value, one-line failures, JSON out.

Command modules import this, never `archive.cli`: the app imports the command modules to
register them, so the arrow runs one way (`cli` → `commands_*` → `cli_common`).
"""

# No `from __future__ import annotations` in the command modules: typer would then eval
# every string annotation of every command on each start (about 45 ms of 50 building the app).
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

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
