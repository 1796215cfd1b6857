"""What `ingest` does before reading its inputs (issue 19): pick the files of folders and
globs (`--include`/`--exclude` and the not-a-page defaults), check `--retry-failed`, and
release removed inputs for `--readd-removed`. Messages go to stderr, one line each."""

from __future__ import annotations

import typer

from ingest.selection import select_inputs

from .cli_common import archive_dir, fail


def prepare_ingest(
    ctx: typer.Context,
    paths: list[str],
    include: list[str] | None,
    exclude: list[str] | None,
    retry_failed: bool,
    readd_removed: bool,
) -> list[str]:
    """The inputs to read; exits 2 when there is nothing to ingest."""
    if not paths and not retry_failed:
        raise fail("Give files, folders or globs to ingest (or --retry-failed).", code=2)
    selection = select_inputs(paths, include or (), exclude or ())
    line = selection.summary()
    if line:
        typer.echo(line, err=True)
    if readd_removed and selection.inputs:
        from .removal import release_removed
        from .store import ArchiveError, Store

        try:
            store = Store.open(archive_dir(ctx), create=True)
        except ArchiveError as exc:
            raise fail(str(exc)) from None
        try:
            released = release_removed(store, selection.inputs)
        finally:
            store.close()
        if released:
            typer.echo(f"{released} removed input(s) will be archived again.", err=True)
    return selection.inputs
