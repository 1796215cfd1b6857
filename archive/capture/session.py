"""A capture session: discover pages, fetch them in waves into WARC files, ingest each file.

A wave is up to `batch` pages fetched concurrently into one WARC file; when the wave is done
the file is closed (renamed from `.partial`), ingested through the ordinary ingest pipeline,
and the wave's outcomes (failures into `ingest_errors`, validators into `capture_state`) are
committed with the file's name in one transaction. A killed run therefore loses at most the
wave in flight, and even that is salvaged: the next run renames the `.partial` file's complete
records and ingests them before it fetches anything. A feed's or sitemap's own validators are
committed only after all the pages it listed, so an interrupted run reads it again in full.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.limits import MAX_BYTES
from ingest.model import Failure, RawDocument
from ingest.readers import iter_documents

from ..indexing import after_commit_hook, index_dir_for
from ..pipeline import IngestOptions, ingest, merge
from ..store import BatchResult, Extracted, Store
from . import state
from .discover import Found, feed_links, sitemap_links
from .fetcher import Fetcher, Outcome, Settings
from .report import Reporter
from .warcs import WarcSink, final_files, salvage_partials, warc_dir

MAX_SITEMAPS = 100  # sitemaps read per run, index files included
TRANSIENT = ("timeout", "connection_refused", "network", "protocol_error", "http_5xx", "dns")


@dataclass(slots=True)
class Target:
    url: str
    kind: str = "page"
    via: str = "argument"  # the feed or sitemap that listed it
    etag: str | None = None
    last_modified: str | None = None


@dataclass(slots=True)
class Summary:
    fetched: Counter[str] = field(default_factory=Counter)  # by kind: page, feed, sitemap
    not_modified: Counter[str] = field(default_factory=Counter)
    skipped: int = 0  # pages captured by an earlier run, not asked for again
    refused: Counter[str] = field(default_factory=Counter)  # by reason
    failed: Counter[str] = field(default_factory=Counter)  # by reason
    errors: list[Outcome] = field(default_factory=list)
    ingest: BatchResult = field(default_factory=BatchResult)
    warcs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        ing = self.ingest
        return {
            "fetched": dict(self.fetched),
            "not_modified": dict(self.not_modified),
            "already_captured": self.skipped,
            "refused": dict(self.refused),
            "failed": dict(self.failed),
            "ingest": {
                "added": len(ing.added),
                "updated": len(ing.updated),
                "duplicates": ing.duplicates,
                "unchanged": ing.unchanged,
                "failed": ing.failures,
            },
            "warcs": self.warcs,
            "errors": [
                {"url": o.url, "status": o.status, "reason": o.reason, "message": o.message}
                for o in self.errors
            ],
        }

    def line(self, verb: str = "Fetch") -> str:
        pages = f"{self.fetched['page']} page{'s' if self.fetched['page'] != 1 else ''} fetched"
        parts = [pages, f"{self.not_modified['page']} not modified"]
        parts.append(f"{self.skipped} already captured")
        robots = self.refused["robots_txt"] + self.refused["robots_unreachable"]
        parts.append(f"{robots} refused by robots.txt")
        failed = sum(self.failed.values())
        detail = ", ".join(f"{n} {reason}" for reason, n in sorted(self.failed.items()))
        parts.append(f"{failed} failed" + (f" ({detail})" if detail else ""))
        feeds = self.fetched["feed"] + self.fetched["sitemap"]
        unchanged = self.not_modified["feed"] + self.not_modified["sitemap"]
        if feeds or unchanged:
            parts.append(f"feeds and sitemaps: {feeds} read, {unchanged} not modified")
        ing = self.ingest
        ingested = (
            f"{len(ing.added)} added, {len(ing.updated)} updated, "
            f"{ing.duplicates} duplicate{'s' if ing.duplicates != 1 else ''}, "
            f"{ing.unchanged} already archived, {ing.failures} not extracted"
        )
        return f"{verb} finished: {', '.join(parts)}; archive: {ingested}."


def _parse_instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        from dateutil import parser as dateparser

        moment = dateparser.isoparse(value.strip())
    except (ValueError, OverflowError, ImportError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Capture:
    """One run of `fetch` or `watch` over an archive folder."""

    def __init__(
        self,
        archive_dir: Path,
        settings: Settings,
        reporter: Reporter,
        arguments: list[str],
        *,
        batch: int = 100,
        recheck: bool = False,
    ) -> None:
        self.archive_dir = Path(archive_dir)
        self.settings = settings
        self.report = reporter
        # a WARC file is read whole by ingest, up to MAX_BYTES: a wave of pages at the size
        # cap must fit in it (with room for headers, requests and the gzip-free worst case)
        self.batch = max(1, min(batch, (MAX_BYTES // 2) // max(1, settings.max_bytes)))
        self.recheck = recheck
        self.store = Store.open(self.archive_dir, create=True)
        state.ensure_tables(self.store)
        self.run_id = self.store.start_run(arguments)
        self.folder = warc_dir(self.archive_dir)
        self.index_hook = after_commit_hook(index_dir_for(self.archive_dir))
        self.summary = Summary()
        self.sink: WarcSink | None = None
        self.done: list[Outcome] = []  # outcomes whose exchanges are in the open WARC file
        self.deferred: list[Outcome] = []  # feeds and sitemaps read: committed after their pages
        self.fetcher: Fetcher | None = None
        self.fetch_failed: list[Failure] = []  # committed to ingest_errors, counted in the run
        self.info = {
            "software": settings.user_agent.split(" ", 1)[0],
            "format": "WARC File Format 1.0",
            "http-header-user-agent": settings.user_agent,
            "robots": "obey",
        }

    # ------------------------------------------------------------------ files
    def _sink(self) -> WarcSink:
        if self.sink is None:
            self.sink = WarcSink(self.folder, self.info)
        return self.sink

    def recover(self) -> None:
        """Ingest what a killed run left: salvaged `.partial` files and files not yet ingested."""
        salvaged = salvage_partials(self.folder)
        done = state.ingested_warcs(self.store)
        for path in final_files(self.folder):
            if path.name not in done:
                if path in salvaged:
                    self.report.line(f"Recovered {path.name} from an interrupted run.")
                self._ingest(path)
                with self.store.write_lock(), self.store.db.atomic():
                    state.mark_ingested(self.store, path.name, 0, self.run_id)

    def _ingest(self, path: Path) -> None:
        self.report.phase("ingest")
        result = ingest(
            self.store,
            [str(path)],
            IngestOptions(fmt="warc", jobs=1),
            self.run_id,
            on_item=self._on_item,
            after_commit=self.index_hook,
            docs=_pages_of_capture(path),
        )
        self.index_hook.finish(self.store)
        merge(self.summary.ingest, result)
        self.summary.warcs.append(str(path))
        self.report.phase("fetch")

    def _on_item(self, item: Extracted) -> None:
        if item.failure:
            self.report.line(f"Error: {item.failure.message}")

    def roll(self, *, final: bool = False) -> None:
        """Close the open WARC file, ingest it, commit its outcomes (and, when final, the feeds')."""
        sink, self.sink = self.sink, None
        path = sink.close() if sink else None
        outcomes, self.done = self.done, []
        if final:
            outcomes += self.deferred
            self.deferred = []
        if path:
            self._ingest(path)
        failures = [
            Extracted(raw=None, failure=Failure(o.url, o.reason or o.status, o.message or o.url))
            for o in outcomes
            if o.status in ("failed", "refused")
        ]
        rows = [self._state_row(o, path) for o in outcomes]
        with self.store.write_lock(), self.store.db.atomic():
            if failures:
                self.fetch_failed += self.store.write_batch(failures, self.run_id).failed
            state.record(self.store, rows)
            if path and sink:
                state.mark_ingested(self.store, path.name, sink.records, self.run_id)

    @staticmethod
    def _state_row(o: Outcome, path: Path | None) -> dict[str, Any]:
        return {
            "url": o.url,
            "kind": o.kind,
            "via": o.via,
            "status": o.status,
            "reason": o.reason,
            "http_status": o.http_status,
            "final_url": o.final_url,
            "etag": o.etag,
            "last_modified": o.last_modified,
            "warc": path.name if path else None,
        }

    # ------------------------------------------------------------------ fetching
    async def _get(self, target: Target) -> Outcome:
        if self.fetcher is None:
            raise RuntimeError("Capture._get needs the fetcher that fetch() or watch() opens.")
        outcome = await self.fetcher.fetch(
            target.url, target.kind, target.etag, target.last_modified
        )
        outcome.via = target.via
        bucket = {
            "fetched": self.summary.fetched,
            "not_modified": self.summary.not_modified,
        }.get(outcome.status)
        if bucket is not None:
            bucket[outcome.kind] += 1
        elif outcome.status == "refused":
            self.summary.refused[outcome.reason or "refused"] += 1
            self.summary.errors.append(outcome)
        else:
            self.summary.failed[outcome.reason or "failed"] += 1
            self.summary.errors.append(outcome)
        self.report.outcome(outcome)
        return outcome

    def _targets(
        self, items: list[tuple[str, str | None]], via: str, explicit: bool
    ) -> list[Target]:
        """Pages to ask for: new ones, earlier failures, and captured ones only when due."""
        known = state.known(self.store, [url for url, _ in items])
        targets: list[Target] = []
        for url, lastmod in items:
            k = known.get(url)
            if k is None or k.status in ("failed", "refused"):
                targets.append(Target(url, via=via))
                continue
            changed = _parse_instant(lastmod)
            seen = _parse_instant(k.last_fetched)
            due = explicit or self.recheck or (changed and seen and changed > seen)
            if due:
                targets.append(Target(url, via=via, etag=k.etag, last_modified=k.last_modified))
            else:
                self.summary.skipped += 1
        return targets

    async def _read_listings(self, feeds: list[str], sitemaps: list[str]) -> list[Target]:
        """Fetch feeds and sitemaps (conditionally) and list the pages they name."""
        known = state.known(self.store, feeds + sitemaps)
        queue = [(url, "feed") for url in feeds] + [(url, "sitemap") for url in sitemaps]
        read = set()
        targets: list[Target] = []
        while queue and len(read) < MAX_SITEMAPS + len(feeds):
            batch, queue = queue, []
            jobs = []
            for url, kind in batch:
                if url in read:
                    continue
                read.add(url)
                k = known.get(url)
                conditional = k if k and k.status in ("fetched", "not_modified") else None
                jobs.append(
                    self._get(
                        Target(
                            url,
                            kind,
                            via=kind,
                            etag=conditional.etag if conditional else None,
                            last_modified=conditional.last_modified if conditional else None,
                        )
                    )
                )
            for outcome in await asyncio.gather(*jobs):
                if outcome.status != "fetched":
                    if outcome.status == "not_modified":
                        self.deferred.append(outcome)
                    else:
                        self.done.append(outcome)
                    continue
                reader = feed_links if outcome.kind == "feed" else sitemap_links
                found: Found = reader(outcome.final_url or outcome.url, outcome.body or b"")
                outcome.body = None
                if found.problem:
                    outcome.status, (outcome.reason, outcome.message) = "failed", found.problem
                    self.summary.fetched[outcome.kind] -= 1
                    self.summary.failed[outcome.reason] += 1
                    self.summary.errors.append(outcome)
                    self.report.line(f"Error: {outcome.message}")
                    self.done.append(outcome)
                    continue
                self.deferred.append(outcome)
                queue += [(url, "sitemap") for url in found.sitemaps]
                targets += self._targets(found.pages, outcome.url, explicit=False)
        return targets

    def _retry_list(self, vias: list[str]) -> list[Target]:
        """Pages the given feeds or sitemaps listed whose last attempt failed for a passing cause."""
        if not vias:
            return []
        marks = ",".join("?" * len(vias))
        reasons = ",".join("?" * len(TRANSIENT))
        rows = self.store.db.execute(
            f"SELECT url, via FROM {state.STATE_TABLE} WHERE kind = 'page' AND status = 'failed' "
            f"AND via IN ({marks}) AND reason IN ({reasons}) ORDER BY last_fetched",
            [*vias, *TRANSIENT],
        ).fetchall()
        return [Target(url, via=via) for url, via in rows]

    async def _waves(self, targets: list[Target]) -> None:
        unique: dict[str, Target] = {}
        for target in targets:
            unique.setdefault(target.url, target)
        items = list(unique.values())
        self.report.expect(len(items))
        for start in range(0, len(items), self.batch):
            wave = items[start : start + self.batch]

            async def one(target: Target) -> None:
                self.done.append(await self._get(target))

            await asyncio.gather(*(one(t) for t in wave))
            self.roll()

    def _open_fetcher(self) -> Fetcher:
        self.fetcher = Fetcher(self.settings, self._sink)
        return self.fetcher

    async def fetch(self, pages: list[str], feeds: list[str], sitemaps: list[str]) -> Summary:
        """`newsarchive fetch`: the pages given, and those the feeds and sitemaps list."""
        fetcher = self._open_fetcher()
        try:
            targets = self._targets([(url, None) for url in pages], "argument", explicit=True)
            targets += await self._read_listings(feeds, sitemaps)
            targets += self._retry_list(feeds + sitemaps)
            await self._waves(targets)
            self.roll(final=True)
        finally:
            await fetcher.aclose()
        return self.summary

    async def watch(self, feeds: list[str], every: float, rounds: int | None) -> Summary:
        """`newsarchive watch`: read the feeds every `every` seconds, fetch new items' pages."""
        done = 0
        fetcher = self._open_fetcher()
        try:
            while True:
                targets = await self._read_listings(feeds, [])
                targets += self._retry_list(feeds)
                await self._waves(targets)
                self.roll(final=True)
                done += 1
                self.report.line(f"Round {done}: {self.summary.line('Watch so far')}")
                if rounds and done >= rounds:
                    return self.summary
                await asyncio.sleep(every)
                fetcher.forget_robots()  # robots.txt may have changed since the last round
        finally:
            await fetcher.aclose()

    def close(self, status: str) -> None:
        """Keep what is finished (even when interrupted) and mark the run."""
        with contextlib.suppress(Exception):
            self.roll()  # an interrupted wave: its complete records and finished outcomes
        ing = self.summary.ingest
        totals = BatchResult(
            ing.added,
            ing.updated,
            ing.duplicates,
            ing.unchanged,
            ing.failed + self.fetch_failed,
            ing.folded,
        )
        with contextlib.suppress(Exception):
            self.store.finish_run(self.run_id, totals, status)
        with contextlib.suppress(Exception):
            self.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.store.close()


def _pages_of_capture(path: Path) -> Iterator[RawDocument | Failure]:
    """The capture file's pages and record failures, without the reader's whole-file `empty`
    notice: a wave whose URLs all failed or were cut holds no page, and each of those URLs
    already has its own outcome and error row (a second, file-wide row would count it twice)."""
    for doc in iter_documents([str(path)], "warc"):
        if isinstance(doc, Failure) and doc.reason == "empty" and doc.origin == str(path):
            continue
        yield doc
