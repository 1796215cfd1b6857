"""Extraction in a pool of forked worker processes, feeding the single archive writer in order.

Why: extraction (lxml, trafilatura, the text-dump scorer) is CPU-bound Python while SQLite and
Whoosh take one writer; on N cores, N extractors keep that writer fed. Memory stays flat: at
most `jobs * CHUNKS_PER_JOB` chunks are out at any time, whatever the size of the input.
Results come back in input order, failures included, exactly as the serial path gives them.
The same workers also take a batch's second extractions, a text dump with its site's template
(`WorkerPool.extract_marked`): in the single writer they cost as much as the first ones.

Workers only extract. They take no lock, close the archive files they inherited from the
parent at fork, ignore Ctrl-C (the parent handles it) and are killed by the kernel when the
parent dies (PR_SET_PDEATHSIG), so a kill -9 of the parent leaves no process holding anything.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from pathlib import Path

from index.part_writer import die_with_parent
from ingest.model import Failure, RawDocument

from .site_templates import MarkedPage
from .store import Extracted

CHUNK = 8  # documents per task: big enough to amortize pickling, small enough to balance load
CHUNKS_PER_JOB = 3  # tasks in flight per worker: keeps every worker busy while the writer commits
MIN_PARALLEL_DOCS = (
    48  # smaller inputs are extracted in-process: forking would cost more than it saves
)

Extractor = Callable[[RawDocument | Failure, str | None], Extracted]
MarkedExtractor = Callable[[MarkedPage], Extracted]


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _close_inherited(protected: str | None) -> None:
    """Close file descriptors of the archive folder inherited at fork: a worker must hold none.

    An flock (Whoosh's write lock) belongs to the open file, shared across fork: a worker
    keeping the descriptor would keep the lock after the parent died.
    """
    if not protected or not os.path.isdir("/proc/self/fd"):
        return
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target == protected or target.startswith(protected + os.sep):
            with contextlib.suppress(OSError):
                os.close(int(name))


def _init_worker(parent: int, protected: str | None) -> None:
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _close_inherited(protected)


def _extract_chunk(
    extractor: Extractor, docs: list[RawDocument], site: str | None
) -> list[Extracted]:
    """Run in a worker: extract each document; the raw bytes stay in the parent.

    The item goes back whole but for its bytes, so whatever the extractor adds to it (a text
    dump's line keys) reaches the parent without being computed again there.
    """
    outcomes: list[Extracted] = []
    for doc in docs:
        item = extractor(doc, site)
        item.raw = None  # the parent still has the bytes: do not ship them back
        if item.failure is not None:
            item.failure.data = None
        outcomes.append(item)
    return outcomes


def _extract_marked_chunk(extractor: MarkedExtractor, pages: list[MarkedPage]) -> list[Extracted]:
    """Run in a worker: extract each page again with its template; the bytes stay in the parent."""
    outcomes: list[Extracted] = []
    for page in pages:
        item = extractor(page)
        item.raw = None
        if item.failure is not None:
            item.failure.data = None
        outcomes.append(item)
    return outcomes


def _rejoin(
    chunk: list[RawDocument | Failure],
    outcomes: list[Extracted],
    extractor: Extractor,
    site: str | None,
) -> Iterator[Extracted]:
    """The chunk in order: reader failures pass through, pages take their worker's outcome."""
    results = iter(outcomes)
    for doc in chunk:
        if not isinstance(doc, RawDocument):
            yield extractor(doc, site)
            continue
        item = next(results)
        item.raw = doc
        if item.failure is not None:
            item.failure.data = doc.data
        yield item


def _chunks(items: Iterator[RawDocument | Failure]) -> Iterator[list[RawDocument | Failure]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk


class WorkerPool:
    """Forked extraction workers for one run, started by its first extraction (`extract`).

    They serve the run's first extraction of every input and, on the same processes, the
    second extraction of the text dumps a site template marks (`extract_marked`). `close`
    stops them. Without workers (one job, a small input, a broken pool) the work is done here.
    """

    def __init__(self, jobs: int, protected: Path | None = None) -> None:
        self.jobs = jobs
        self.protected = protected
        self.broken = False
        self._pool: ProcessPoolExecutor | None = None

    def _start(self, formats: set[str]) -> None:
        import gc
        import multiprocessing

        from ingest.extract import preload

        # Workers are forked: what the parent has loaded they share, copy-on-write. Load the
        # extractors' models here once, and freeze the collector so the workers' collections do
        # not write to (and so copy) every inherited object: each worker then held ~25 MB of its
        # own instead of ~100 MB (text dumps, 10k pages).
        preload(formats)
        gc.freeze()
        self._pool = ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_init_worker,
            initargs=(os.getpid(), str(self.protected.resolve()) if self.protected else None),
        )

    def close(self) -> None:
        if self._pool is not None:
            import gc

            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            gc.unfreeze()

    def _submit(self, fn: Callable[..., list[Extracted]], *args: object) -> Future | None:
        if self._pool is None or self.broken:
            return None
        try:
            return self._pool.submit(fn, *args)
        except BrokenProcessPool:
            self.broken = True
            return None

    def _outcomes(self, future: Future | None) -> list[Extracted] | None:
        """The chunk's results, or None when it is to be extracted here (no pool, or broken)."""
        if future is None or self.broken:
            return None
        try:
            return future.result()
        except BrokenProcessPool:
            self.broken = True  # a worker died: this chunk and the rest are extracted here
            return None

    def extract(
        self, docs: Iterable[RawDocument | Failure], extractor: Extractor, site: str | None
    ) -> Iterator[Extracted]:
        """`extractor` over `docs` in the workers; results in input order.

        Reader failures skip the pool. If the pool breaks (a worker killed, say by the OOM
        killer), the rest of the run is extracted in this process, as with one job.
        """
        stream = iter(docs)
        head = list(islice(stream, MIN_PARALLEL_DOCS))
        if self.jobs <= 1 or len(head) < MIN_PARALLEL_DOCS:
            for doc in head:
                yield extractor(doc, site)
            yield from (extractor(doc, site) for doc in stream)
            return
        if self._pool is None:
            self._start({d.format for d in head if isinstance(d, RawDocument)})
        pending: deque[tuple[list[RawDocument | Failure], Future | None]] = deque()

        def collect(
            chunk: list[RawDocument | Failure], future: Future | None
        ) -> Iterator[Extracted]:
            outcomes = self._outcomes(future)
            if outcomes is None:
                yield from (extractor(doc, site) for doc in chunk)
            else:
                yield from _rejoin(chunk, outcomes, extractor, site)

        for chunk in _chunks(chain(head, stream)):
            pages = [d for d in chunk if isinstance(d, RawDocument)]
            future = self._submit(_extract_chunk, extractor, pages, site) if pages else None
            pending.append((chunk, future))
            while len(pending) >= self.jobs * CHUNKS_PER_JOB:
                yield from collect(*pending.popleft())
        while pending:
            yield from collect(*pending.popleft())

    def extract_marked(
        self, extractor: MarkedExtractor, pages: Sequence[MarkedPage]
    ) -> list[Extracted]:
        """`extractor` over pages a site template marks, in the workers; results in order.

        The batch's pages are all sent at once (a batch is bounded): they queue behind the
        first extractions already in flight, which the writer needs next anyway.
        """
        sent = [
            (chunk, self._submit(_extract_marked_chunk, extractor, chunk))
            for start in range(0, len(pages), CHUNK)
            if (chunk := list(pages[start : start + CHUNK]))
        ]
        results: list[Extracted] = []
        for chunk, future in sent:
            outcomes = self._outcomes(future)
            if outcomes is None:
                results.extend(extractor(page) for page in chunk)
                continue
            for page, item in zip(chunk, outcomes, strict=True):
                item.raw = page.raw
                if item.failure is not None:
                    item.failure.data = page.raw.data
                results.append(item)
        return results


def extract_parallel(
    docs: Iterable[RawDocument | Failure],
    extractor: Extractor,
    site: str | None,
    jobs: int,
    protected: Path | None = None,
) -> Iterator[Extracted]:
    """`extractor` over `docs` in `jobs` forked workers of a pool of its own; results in order.

    `protected` is the archive folder: workers close whatever they inherited inside it.
    """
    pool = WorkerPool(jobs, protected)
    try:
        yield from pool.extract(docs, extractor, site)
    finally:
        pool.close()
