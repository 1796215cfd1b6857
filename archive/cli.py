"""The `newsarchive` command line: thin typer commands over the archive library.

Each command opens the archive, calls one library function and turns our named exceptions into
a one-line message on stderr. Data goes to stdout, progress and messages to stderr. Heavy
libraries (trafilatura, datasette) are imported inside the commands that use them.
"""

# No `from __future__ import annotations` in the command modules: typer would then eval
# every string annotation of every command on each start (about 45 ms of 50 building the app).
import os
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import DEFAULT_ARCHIVE

app = typer.Typer(
    name="newsarchive",
    help="A searchable full-text news archive: ingest pages, search them, publish them read-only.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def print_version(value: bool) -> None:
    """--version: the installed package's version, then exit (eager: before any command)."""
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        typer.echo(f"newsarchive {version('newsarchive')}")
    except PackageNotFoundError:
        typer.echo("newsarchive (not installed: run `pip install -e .`)")
    raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    archive: Annotated[
        Path,
        typer.Option(
            "--archive", "-a", envvar="NEWSARCHIVE_DIR", help="Archive folder (news.db and index/)."
        ),
    ] = DEFAULT_ARCHIVE,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """newsarchive: messy news pages in, clean searchable articles out.

    Example:
        newsarchive ingest samples/
        newsarchive search "space station" --facets
    """
    ctx.obj = {"archive": archive}


def main() -> None:
    """Console-script entry point."""
    # Rich's pretty tracebacks are for bugs; our own errors print one line.
    os.environ.setdefault("TERMINAL_WIDTH", os.environ.get("COLUMNS", "120"))
    # numpy (search arrays, MinHash) starts one OpenBLAS thread per core at import, which
    # spin for ~100 ms of CPU per command; nothing here multiplies matrices.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    app()


def _register() -> None:
    """Every command, in the order `--help` lists them: the one place the app learns of them."""
    from . import commands_archive, commands_capture, commands_core, commands_search, commands_web

    for command in (
        commands_core.ingest,
        commands_core.extract,
        commands_capture.fetch,
        commands_capture.watch,
        commands_search.search,
        commands_search.show,
        commands_archive.history,
        commands_search.similar,
        commands_search.timeline,
        commands_core.stats,
        commands_search.verify,
        commands_search.reindex,
        commands_archive.errors,
        commands_archive.reextract,
        commands_archive.export,
        commands_archive.remove,
        commands_web.serve,
    ):
        app.command()(command)


_register()
