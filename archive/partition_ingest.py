"""`ingest --partition year|month`: one archive per period under ARCHIVE/partitions/NAME/.

Why: one archive has one Whoosh writer (about 250 articles/s on this machine); a backfill
split by period writes each period's archive with its own writer, and `search` / `stats` on
ARCHIVE read them as one (archive/partitions.py). Pages are read and extracted as in a plain
ingest (local processes, or `--cluster`), then routed by the article's published date:
`2019/` (or `2019-05/`), and `undated/` for articles without a date and for failed inputs.
Each partition commits its own batches; its index is built when the run ends.

Limits: duplicates and syndicated copies are linked within a partition only (a copy published
the next year lands in the next partition), and per-site text-dump templates are learned per
partition. Periods can also be built apart, on different machines, with a plain ingest into
ARCHIVE/partitions/NAME/ each, then put side by side in one folder.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from ingest.readers import iter_documents

from .pipeline import extract_marked_here, extract_one, merge
from .site_templates import apply_site_templates, refresh_dirty_sites
from .store import BatchResult, Extracted, Store

KEYS = {"year": 4, "month": 7}
UNDATED = "undated"


def partition_name(item: Extracted, by: str) -> str:
    published = item.article.published if item.article else None
    if not published or len(published) < KEYS[by]:
        return UNDATED
    return published[: KEYS[by]]


def _extracted(
    paths: list[str], fmt: str, site: str | None, jobs: int, cluster: str | None, root: Path
) -> Iterator[Extracted]:
    if cluster:
        from .cluster import extract_on_cluster

        return extract_on_cluster(paths, fmt, site, extract_one, cluster)
    docs = iter_documents(paths, fmt)
    if jobs > 1:
        from .parallel import extract_parallel

        return extract_parallel(docs, extract_one, site, jobs, root)
    return (extract_one(doc, site) for doc in docs)


def ingest_partitioned(
    root: Path,
    paths: list[str],
    *,
    by: str = "year",
    fmt: str = "auto",
    site: str | None = None,
    batch_size: int = 200,
    jobs: int = 1,
    cluster: str | None = None,
    argv: list[str] | None = None,
) -> dict[str, BatchResult]:
    """Ingest `paths` into the partition set at `root`; the totals per partition."""
    from .indexing import ArchiveDB, catch_up, index_dir_for

    stores: dict[str, tuple[Store, int]] = {}
    pending: dict[str, list[Extracted]] = {}
    totals: dict[str, BatchResult] = {}

    def write(name: str) -> None:
        store, run_id = stores[name]
        batch, learn = apply_site_templates(store, pending.pop(name), extract_marked_here)
        merge(totals[name], store.write_batch(batch, run_id, learn))
        if learn is not None:  # dumps archived before a template moved: extracted again
            refresh_dirty_sites(store, extract_marked_here, site)

    stream = _extracted(paths, fmt, site, jobs, cluster, root)
    status = "failed"
    try:
        for item in stream:
            name = partition_name(item, by)
            if name not in stores:
                store = Store.open(root / "partitions" / name, create=True)
                stores[name] = (store, store.start_run(argv or paths))
                totals[name] = BatchResult()
            pending.setdefault(name, []).append(item)
            if len(pending[name]) >= batch_size:
                write(name)
        for name in list(pending):
            write(name)
        status = "done"
    finally:
        with contextlib.suppress(Exception):
            stream.close()  # type: ignore[attr-defined]
        for name, (store, run_id) in stores.items():
            with contextlib.suppress(Exception):
                store.finish_run(run_id, totals[name], status)
            with contextlib.suppress(Exception):
                store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            store.close()
    for name in sorted(stores):  # each partition's index, by its own single writer
        folder = root / "partitions" / name
        db = ArchiveDB.open(folder)
        try:
            catch_up(db, index_dir_for(folder))
        finally:
            db.close()
    return totals


def run_partitioned(
    root: Path,
    paths: list[str],
    by: str,
    fmt: str,
    site: str | None,
    batch_size: int,
    json_out: bool,
    jobs: int | None,
    cluster: str | None,
) -> int:
    """The CLI around `ingest_partitioned`: one line per failure, a summary, an exit code."""
    import typer

    from .cli_common import fail, print_json
    from .parallel import default_jobs

    if by not in KEYS:
        raise fail(f"--partition {by!r} is not a period: use year or month.", code=2)
    if (root / "news.db").exists():
        raise fail(
            f"{root} is a single archive; --partition writes a set of archives: pass --archive a new folder (or an existing set).",
            code=2,
        )
    try:
        totals = ingest_partitioned(
            root, paths, by=by, fmt=fmt, site=site, batch_size=batch_size,
            jobs=jobs or default_jobs(), cluster=cluster, argv=sys.argv[1:] or paths,
        )  # fmt: skip
    except Exception as exc:
        if type(exc).__name__ == "ClusterError":
            raise fail(f"{exc} Everything committed before this point is kept.") from None
        raise
    failed = [f for t in totals.values() for f in t.failed]
    for failure in failed:
        typer.echo(f"Error: {failure.message}", err=True)
    if json_out:
        print_json({name: _counts(t) for name, t in sorted(totals.items())})
    added = sum(len(t.added) for t in totals.values())
    typer.echo(
        f"Ingest finished into {len(totals)} partition(s) under {root / 'partitions'}: "
        f"{added} added, {len(failed)} failed.",
        err=True,
    )
    return 1 if failed else 0


def _counts(total: BatchResult) -> dict[str, int]:
    return {
        "added": len(total.added),
        "updated": len(total.updated),
        "duplicates": total.duplicates,
        "unchanged": total.unchanged,
        "failed": total.failures,
    }
