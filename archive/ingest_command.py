"""`newsarchive ingest`: the run around the pipeline — progress, per-input errors, summary, exit code."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback
from pathlib import Path

import typer

from ingest.readers import expand_inputs

from .pipeline import IngestOptions, ingest
from .store import ArchiveError, BatchResult, Extracted, Store


def summary_line(total: BatchResult) -> str:
    parts = [
        f"{len(total.added)} added",
        f"{len(total.updated)} updated",
        f"{total.duplicates} duplicate{'s' if total.duplicates != 1 else ''}",
        f"{total.unchanged} already archived",
        f"{len(total.failed)} failed",
    ]
    text = "Ingest finished: " + ", ".join(parts) + "."
    if total.unchanged and not (total.added or total.updated or total.duplicates):
        text += " Nothing new: every input was already in the archive."
    if total.failed:
        text += " Failures are listed in the ingest_errors table."
    return text


def storage_hint(exc: BaseException, folder: Path) -> str:
    """Why a write failed, in words, when the file system says so (full disk, read-only)."""
    text = f"{exc} {getattr(exc, 'strerror', '') or ''}".lower()
    errno_ = getattr(exc, "errno", None)
    if errno_ == errno.ENOSPC or "disk is full" in text or "no space left" in text:
        return f" The disk holding {folder} is full: free some space and run the same command again (inputs already archived are skipped)."
    if "database is locked" in text or "busy" in text:
        return " Another newsarchive process is writing to this archive: wait for it to finish, then run the same command again (inputs already archived are skipped)."
    if (
        errno_ in (errno.EROFS, errno.EACCES, errno.EPERM)
        or "readonly" in text
        or "read-only" in text
        or (folder.exists() and not os.access(folder, os.W_OK))
    ):
        return f" The archive folder {folder} is read-only: ingest writes news.db and index/ there; make it writable or pass --archive a writable folder."
    return ""


def write_failure(exc: BaseException, folder: Path) -> str:
    """The one-line message for a write that failed mid-run: what is kept, why, what to do."""
    return (
        f"the archive could not be written ({exc}); everything committed before this point is kept."
        + storage_hint(exc, folder)
    )


def run_ingest(
    ctx: typer.Context,
    paths: list[str],
    fmt: str,
    site: str | None,
    batch_size: int,
    json_out: bool,
    jobs: int | None = None,
) -> int:
    from .cli import archive_dir, fail, print_json
    from .index_follower import IndexFollower
    from .indexing import index_dir_for, index_span

    try:
        store = Store.open(archive_dir(ctx), create=True)
        run_id = store.start_run(sys.argv[1:] or paths)
    except ArchiveError as exc:
        raise fail(f"{exc}{storage_hint(exc, archive_dir(ctx))}") from None
    except Exception as exc:
        if type(exc).__module__ == "sqlite3" or isinstance(exc, OSError):
            raise fail(write_failure(exc, archive_dir(ctx))) from None
        raise
    # Whoosh runs in its own process, beside this one: it indexes each span of committed
    # rows in one commit while extraction, SQLite and dedup go on here. Started before any
    # thread (progress bar) or worker pool exists, so the fork copies nothing in flight.
    from .parallel import default_jobs

    jobs = jobs or default_jobs()
    # With more than one process allowed, a second Whoosh writer shares the indexing.
    follower = IndexFollower(
        archive_dir(ctx), index_dir_for(archive_dir(ctx)), *index_span(), part=jobs > 1
    )
    follower.start()
    show_progress = sys.stderr.isatty()
    total_inputs = sum(1 for _ in expand_inputs(paths)) if show_progress else None

    def report(item: Extracted) -> None:
        if item.failure:
            progress_print(f"Error: {item.failure.message}")

    progress = None
    task = None
    if show_progress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages {task.fields[pages]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        task = progress.add_task("ingest", total=total_inputs, pages=0)
        progress.start()

    seen_inputs: set[str] = set()
    pages = 0

    def progress_print(message: str) -> None:
        if progress is not None:
            progress.console.print(message, markup=False, highlight=False)
        else:
            typer.echo(message, err=True)

    def on_item(item: Extracted) -> None:
        nonlocal pages
        report(item)
        pages += 1
        if progress is not None and task is not None:
            origin = item.raw.container or item.raw.origin if item.raw else item.failure.origin  # type: ignore[union-attr]
            container = origin.split("#", 1)[0]
            if ":" in container and not container.endswith((".jsonl", ".json")):
                container = container.rsplit(":", 1)[0]
            seen_inputs.add(container)
            progress.update(task, completed=len(seen_inputs), pages=pages)

    options = IngestOptions(fmt=fmt, site=site, batch_size=batch_size, jobs=jobs)
    status = "done"
    total = BatchResult()
    try:
        total = ingest(
            store,
            paths,
            options,
            run_id,
            on_item=on_item,
            after_commit=follower,
        )
        follower.finish()  # the rest of the rows, the final merge; sets follower.error
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except Exception as exc:
        status = "failed"
        if type(exc).__module__ == "sqlite3" or isinstance(exc, OSError):
            if os.environ.get("NEWSARCHIVE_DEBUG"):  # developers: where the write failed
                traceback.print_exc()
            raise fail(write_failure(exc, archive_dir(ctx))) from None
        raise
    finally:
        follower.stop()  # nothing to do after finish(); on an error, the next command catches up
        if progress is not None:
            progress.stop()
        with contextlib.suppress(Exception):
            store.finish_run(run_id, total, status)
        # Leave nothing only in the WAL: the archive folder can then be copied or read read-only.
        with contextlib.suppress(Exception):
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if json_out:
        print_json(
            {
                "run_id": run_id,
                "added": len(total.added),
                "updated": len(total.updated),
                "duplicates": total.duplicates,
                "unchanged": total.unchanged,
                "failed": len(total.failed),
                "errors": [
                    {"origin": f.origin, "reason": f.reason, "message": f.message}
                    for f in total.failed
                ],
            }
        )
    typer.echo(summary_line(total), err=True)
    return 1 if total.failed or follower.error else 0
