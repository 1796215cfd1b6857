"""`newsarchive ingest`: the run around the pipeline — progress, per-input errors, summary, exit code."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback
from pathlib import Path

import typer

from ingest.model import Failure
from ingest.readers import expand_inputs

from .errors_view import retry_documents
from .pipeline import IngestOptions, ingest
from .store import FOLD_AFTER, ArchiveError, BatchResult, Extracted, Store
from .terminal import safe


def summary_line(total: BatchResult) -> str:
    parts = [
        f"{len(total.added)} added",
        f"{len(total.updated)} updated",
        f"{total.duplicates} duplicate{'s' if total.duplicates != 1 else ''}",
        f"{total.unchanged} already archived",
        f"{total.failures} failed",
    ]
    text = "Ingest finished: " + ", ".join(parts) + "."
    if total.unchanged and not (total.added or total.updated or total.duplicates or total.failed):
        text += " Nothing new: every input was already in the archive."
    if total.failures:
        text += " `newsarchive errors` lists the failed inputs."
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


class ErrorLines:
    """One `Error:` line per failure, escaped (one input, one line, whatever its name holds);
    past `FOLD_AFTER` of one reason in one file, a count at the end instead of a line each."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def line(self, failure: Failure) -> str | None:
        key = (failure.container or failure.origin, failure.reason)
        seen = self.counts[key] = self.counts.get(key, 0) + 1
        if seen > FOLD_AFTER:
            return None
        return f"Error: {safe(failure.message)}"

    def summary(self) -> list[str]:
        return [
            f"Error: {safe(path)}: {n - FOLD_AFTER} more failure(s) of the same kind ({reason})"
            " not shown; ingest_errors counts them."
            for (path, reason), n in self.counts.items()
            if n > FOLD_AFTER
        ]


def return_big_buffers(threshold: int = 1 << 20) -> None:
    """Make glibc hand buffers over `threshold` straight back to the kernel when freed.

    After the first big free glibc raises its mmap threshold (up to 32 MB) and keeps later
    big buffers in its heap: the copies a 20 MB record goes through (line, text, body, hash
    input) then stay in the process's RSS. A fixed threshold keeps each record's peak its own.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, threshold)  # -3: M_MMAP_THRESHOLD


def run_ingest(
    ctx: typer.Context,
    paths: list[str],
    fmt: str,
    site: str | None,
    batch_size: int,
    json_out: bool,
    jobs: int | None = None,
    cluster: str | None = None,
    retry_failed: bool = False,
) -> int:
    from .cli_common import archive_dir, fail, print_json
    from .index_follower import IndexFollower
    from .indexing import index_dir_for, index_span

    return_big_buffers()
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

    errors = ErrorLines()

    def report(item: Extracted) -> None:
        if item.failure:
            line = errors.line(item.failure)
            if line:
                progress_print(line)

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

    options = IngestOptions(fmt=fmt, site=site, batch_size=batch_size, jobs=jobs, cluster=cluster)
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
            docs=retry_documents(store.db) if retry_failed else None,  # issue 19
        )
        follower.finish()  # the rest of the rows, the final merge; sets follower.error
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except Exception as exc:
        status = "failed"
        if type(exc).__name__ == "ClusterError":  # --cluster (archive/cluster.py): one line
            raise fail(f"{exc} Everything committed before this point is kept.") from None
        if type(exc).__module__ == "sqlite3" or isinstance(exc, OSError):
            if os.environ.get("NEWSARCHIVE_DEBUG"):  # developers: where the write failed
                traceback.print_exc()
            raise fail(write_failure(exc, archive_dir(ctx))) from None
        raise
    finally:
        follower.stop()  # nothing to do after finish(); on an error, the next command catches up
        for line in errors.summary():
            progress_print(line)
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
                "failed": total.failures,
                # one entry per failure with its own ingest_errors row; the rest are counted
                # there, per file and reason ("more_failures")
                "errors": [
                    {"origin": f.origin, "reason": f.reason, "message": f.message}
                    for f in total.failed
                ],
                "more_failures": total.folded,
            }
        )
    typer.echo(summary_line(total), err=True)
    return 1 if total.failures or follower.error else 0
