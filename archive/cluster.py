"""Reading and extraction on the workers of a Dask cluster, feeding the one archive writer here.

Why: extraction is CPU-bound and one machine tops out at its cores; SQLite and Whoosh take a
single writer. With `ingest --cluster ADDRESS` (env NEWSARCHIVE_CLUSTER) inputs become tasks
on a running Dask scheduler (`dask scheduler`, `dask worker ADDRESS`), as cc-pyspark does it: a
task is pure (inputs in, their extracted pages out), the writer stays outside the cluster. A
WARC or a JSON Lines part is one task; small pages travel together (GROUP_BYTES, GROUP_MAX),
since a Dask task costs a few milliseconds, about what extracting a small page does.

How an input travels (decided per input, see `plan`):
- a file of at most SHIP_LIMIT bytes that every worker sees at the same path with the same size
  and modification time (a shared or network file system; probed once per folder) goes as its
  path: the worker reads it;
- a smaller file the workers cannot see goes as its bytes, shipped with the task;
- a bigger file, or stdin, is read here (streamed: a JSON Lines dump never sits whole in
  memory) and its pages go in chunks of CHUNK for extraction only.
Results come back whole (raw bytes included: the writer keeps every input verbatim).

Back-pressure and order: at most `window` tasks are out (submitted and not yet handed to the
writer), twice the cluster's threads by default; results are taken as they complete and
handed on in input order. A worker that dies mid-task loses nothing: the scheduler runs its
tasks again elsewhere (up to its `allowed-failures`), tasks that raise are retried (RETRIES),
and an input that keeps killing workers is recorded as a failure (`worker_lost`), bytes kept.
What the writer committed stays committed; if the scheduler goes away the run stops with
one line, and running the same command again skips what is archived.

`ordered_map` is the engine and knows nothing of ingest: `reextract --cluster` can map its
own per-input function through it. Dask is imported only here, only when a cluster is used.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ingest.model import Failure, RawDocument
from ingest.readers import expand_inputs, iter_source

from .store import Extracted

ENV = "NEWSARCHIVE_CLUSTER"
SHIP_ENV = "NEWSARCHIVE_CLUSTER_SHIP"  # auto (default) | bytes: never send paths (tests, NAT)
SHIP_LIMIT = 16 * 2**20  # bigger inputs are read here and their pages shipped in chunks
CHUNK = 32  # pages per extraction-only task
GROUP_BYTES = 2**20  # small inputs travel together up to this many bytes ...
GROUP_MAX = 16  # ... or this many inputs per task
TASKS_PER_THREAD = 2  # tasks out per worker thread: one running, one queued
RETRIES = 2  # a task that raises is run again this many times
CONNECT_TIMEOUT = "10s"

Extractor = Callable[[RawDocument | Failure, str | None], Extracted]


class ClusterError(Exception):
    """The Dask cluster cannot be reached or went away; the message says what to do."""


class NotVisible(Exception):
    """Raised on a worker that does not see an input at its path (the parent ships bytes)."""


# -- tasks (run on the workers) ----------------------------------------------------------


def task_path(
    source: str,
    path: str,
    size: int,
    mtime_ns: int,
    fmt: str,
    site: str | None,
    extractor: Extractor,
) -> list[Extracted]:
    """Read one input from a path this worker shares with the parent, and extract its pages.

    `path` is absolute (a worker has its own working folder); `source` is the name as given,
    which origins keep.
    """
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
    except OSError:
        raise NotVisible(source) from None
    if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
        raise NotVisible(source)
    return [extractor(doc, site) for doc in iter_source(source, fmt, shipped=data)]


def task_bytes(
    source: str, data: bytes, fmt: str, site: str | None, extractor: Extractor
) -> list[Extracted]:
    """Read one input from its shipped bytes, as if it were the file, and extract its pages."""
    return [extractor(doc, site) for doc in iter_source(source, fmt, shipped=data)]


def task_docs(
    docs: list[RawDocument | Failure], site: str | None, extractor: Extractor
) -> list[Extracted]:
    """Extract pages read by the parent (inputs too big to ship whole)."""
    return [extractor(doc, site) for doc in docs]


def task_group(
    parts: list[tuple[Callable[..., list[Extracted]], tuple[Any, ...]]],
) -> list[Extracted]:
    """Several small inputs in one task: a Dask task costs a few ms, a small page not much more."""
    return [item for fn, args in parts for item in fn(*args)]


def _sees(source: str, size: int, mtime_ns: int) -> bool:
    """Run on every worker: whether it sees this very file at this path."""
    try:
        st = os.stat(source)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (size, mtime_ns)


# -- the engine --------------------------------------------------------------------------


def connect(address: str) -> Any:
    """A dask.distributed Client on `address`, or ClusterError naming it and the fix."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ClusterError(
            f"--cluster needs dask.distributed ({exc}); install it with `pip install 'dask[distributed]'`."
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({exc}); start one with "
            "`dask scheduler` and workers with `dask worker ADDRESS`, or drop --cluster."
        ) from None
    if not client.nthreads():
        with contextlib.suppress(Exception):
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    if not client.nthreads():
        client.close()
        raise ClusterError(
            f"the Dask scheduler at {address} has no workers; start some with `dask worker {address}`."
        )
    return client


def default_window(client: Any) -> int:
    return max(2, TASKS_PER_THREAD * sum(client.nthreads().values()))


def ordered_map(
    client: Any,
    tasks: Iterable[tuple[Callable[..., Any], tuple[Any, ...], Any]],
    window: int,
    retries: int = RETRIES,
) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """Run each (function, args, tag) on the cluster; yield (tag, result, error) in input order.

    At most `window` tasks are out at once (back-pressure: the next is submitted only when the
    oldest has been handed on). A result that completes early waits here for its turn. An
    error is yielded, not raised, so the caller can decide per task (`KilledWorker` means the
    task killed `allowed-failures` workers). Losing the scheduler raises ClusterError.
    """
    from distributed import as_completed

    out: dict[int, tuple[Any, Any, BaseException | None]] = {}
    index_of: dict[str, int] = {}
    tags: dict[int, Any] = {}
    completed = as_completed(loop=client.loop)
    next_out = 0
    submitted = 0

    def settle_one() -> None:
        future = next(completed)
        i = index_of.pop(future.key)
        if future.status == "cancelled":
            raise ClusterError(
                "the Dask cluster went away mid-run (a task was cancelled); everything "
                "committed before this point is kept: run the same command again when the "
                "scheduler is back."
            )
        # finished, erred, or "lost": it finished but the worker holding its result died
        # before it was fetched, and the scheduler computes it again (we hold the future);
        # result() waits for that. Asking exception() of a lost one gave None and no result.
        try:
            out[i] = (tags[i], future.result(), None)
        except Exception as exc:  # the task's own error, or KilledWorker
            out[i] = (tags[i], None, exc)
        del tags[i]
        future.release()

    def ready() -> Iterator[tuple[Any, Any, BaseException | None]]:
        nonlocal next_out
        while next_out in out:
            yield out.pop(next_out)
            next_out += 1

    pending = iter(tasks)
    while True:
        while submitted - next_out >= window:  # before reading the next input: memory stays flat
            settle_one()
            yield from ready()
        task = next(pending, None)
        if task is None:
            break
        fn, args, tag = task
        future = client.submit(fn, *args, retries=retries, pure=False)
        index_of[future.key] = submitted
        tags[submitted] = tag
        completed.add(future)
        submitted += 1
    while next_out < submitted:
        settle_one()
        yield from ready()


# -- any independent work: a map() on the cluster ----------------------------------------


def run_chunk(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """One task: `fn` over a few items (one item per task would pay Dask's ~1 ms overhead
    per item, more than extracting a small page)."""
    return [fn(item) for item in items]


def cluster_map(
    client: Any, *, chunk: int = CHUNK, window: int | None = None
) -> Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]:
    """A `map(fn, items)` whose work runs on the cluster's workers, results in input order.

    For work that is independent and picklable, whose `fn` catches its own errors (as
    `reextract.extract_task` does). Items go `chunk` at a time with at most `window` tasks
    out (back-pressure). A chunk whose worker died is retried by Dask on another; one that
    kept failing is run here, so nothing is lost and the caller's results stay complete.
    """

    def mapper(fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        pending: dict[int, list[Any]] = {}

        def tasks() -> Iterator[tuple[Callable[..., Any], tuple[Any, ...], Any]]:
            batch: list[Any] = []
            for number, item in enumerate(items):
                batch.append(item)
                if len(batch) == chunk:
                    pending[number] = batch  # tagged by its last item's position
                    yield run_chunk, (fn, batch), number
                    batch = []
            if batch:
                pending[-1] = batch
                yield run_chunk, (fn, batch), -1

        out = window or default_window(client)
        for tag, results, error in ordered_map(client, tasks(), out):
            batch = pending.pop(tag)
            if error is not None:
                print(
                    f"Warning: a task of {len(batch)} items failed on the cluster "
                    f"({type(error).__name__}); running it here.",
                    file=sys.stderr,
                )
                results = run_chunk(fn, batch)
            yield from results

    return mapper


# -- ingest on the cluster ---------------------------------------------------------------


def _chunks(docs: Iterator[RawDocument | Failure]) -> Iterator[list[RawDocument | Failure]]:
    chunk: list[RawDocument | Failure] = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Planner:
    """Decides, per input, how it travels to the workers (the module docstring's rules)."""

    def __init__(self, client: Any, fmt: str, site: str | None, extractor: Extractor) -> None:
        self.client = client
        self.fmt, self.site, self.extractor = fmt, site, extractor
        self.force_bytes = os.environ.get(SHIP_ENV, "auto") == "bytes"
        self.shared: dict[str, bool] = {}  # folder -> every worker sees it

    def sees(self, source: str, st: os.stat_result) -> bool:
        if self.force_bytes:
            return False
        folder = str(Path(source).resolve().parent)
        if folder not in self.shared:
            answers = self.client.run(
                _sees, str(Path(source).resolve()), st.st_size, st.st_mtime_ns
            )
            self.shared[folder] = bool(answers) and all(answers.values())
        return self.shared[folder]

    def plan(
        self, source: str | Failure
    ) -> Iterator[tuple[Callable[..., Any], tuple[Any, ...], Any]]:
        """(task, args, tag) for one input; the tag is what the parent needs if the task fails."""
        if isinstance(source, Failure):
            yield task_docs, ([source], self.site, self.extractor), ("docs", [source])
            return
        st = None
        if source != "-":
            try:
                st = os.stat(source)
            except OSError:
                st = None
        if st is not None and st.st_size <= SHIP_LIMIT:
            if self.sees(source, st):
                path = str(Path(source).resolve())
                args = (
                    source,
                    path,
                    st.st_size,
                    st.st_mtime_ns,
                    self.fmt,
                    self.site,
                    self.extractor,
                )
                yield task_path, args, ("path", source)
                return
            try:
                data = Path(source).read_bytes()
            except OSError:
                data = None
            if data is not None:
                yield (
                    task_bytes,
                    (source, data, self.fmt, self.site, self.extractor),
                    ("bytes", source),
                )
                return
        # Too big to ship whole, stdin, or unreadable here: read it here (failures included).
        for chunk in _chunks(iter_source(source, self.fmt)):
            yield task_docs, (chunk, self.site, self.extractor), ("docs", chunk)


def grouped(
    tasks: Iterator[tuple[Callable[..., Any], tuple[Any, ...], Any]],
) -> Iterator[tuple[Callable[..., Any], tuple[Any, ...], Any]]:
    """Consecutive small path/bytes tasks merged into one `task_group` (order kept)."""
    held: list[tuple[Callable[..., Any], tuple[Any, ...], Any]] = []
    size = 0

    def flush() -> Iterator[tuple[Callable[..., Any], tuple[Any, ...], Any]]:
        if len(held) == 1:
            yield held[0]
        elif held:
            parts = [(fn, args) for fn, args, _ in held]
            yield task_group, (parts,), ("group", [tag for _, _, tag in held])
        held.clear()

    for fn, args, tag in tasks:
        if fn is task_docs:
            yield from flush()
            size = 0
            yield fn, args, tag
            continue
        cost = args[2] if fn is task_path else len(args[1])
        if held and (size + cost > GROUP_BYTES or len(held) >= GROUP_MAX):
            yield from flush()
            size = 0
        held.append((fn, args, tag))
        size += cost
    yield from flush()


def _local(tag: tuple[str, Any], fmt: str) -> list[RawDocument | Failure]:
    """The documents of a task's input, read here (after the cluster gave up on the task)."""
    kind, what = tag
    if kind == "group":
        return [doc for sub in what for doc in _local(sub, fmt)]
    return list(what) if kind == "docs" else list(iter_source(what, fmt))


def _lost(docs: list[RawDocument | Failure], error: BaseException) -> list[Extracted]:
    """Each page of a task that kept killing workers, recorded as a failure with its bytes."""
    out = []
    for doc in docs:
        if isinstance(doc, Failure):
            out.append(Extracted(raw=None, failure=doc))
            continue
        message = (
            f"{doc.origin}: extracting it killed Dask workers again and again "
            f"({type(error).__name__}); the bytes are kept: ingest the input again without --cluster to see why."
        )
        out.append(
            Extracted(
                raw=doc, failure=Failure(doc.origin, "worker_lost", message, doc.data, doc.format)
            )
        )
    return out


def extract_on_cluster(
    inputs: list[str],
    fmt: str,
    site: str | None,
    extractor: Extractor,
    address: str,
    window: int | None = None,
) -> Iterator[Extracted]:
    """Every page of `inputs`, read and extracted on the cluster at `address`, in input order.

    The same stream the local path gives (`iter_documents` then `extractor`), so the archive
    written from it is the same.
    """
    client = connect(address)
    try:
        planner = Planner(client, fmt, site, extractor)
        tasks = grouped(task for source in expand_inputs(inputs) for task in planner.plan(source))
        yield from _settled(client, tasks, window, fmt, site, extractor)
    finally:
        with contextlib.suppress(Exception):
            client.close()


def extract_docs_on_cluster(
    docs: Iterable[RawDocument | Failure],
    site: str | None,
    extractor: Extractor,
    address: str,
    window: int | None = None,
) -> Iterator[Extracted]:
    """`extractor` over documents already read here (stored raw inputs, say), in chunks of
    CHUNK on the cluster; results in order, settled as ingest's are (`_settled`)."""
    client = connect(address)
    try:
        tasks = (
            (task_docs, (chunk, site, extractor), ("docs", chunk)) for chunk in _chunks(iter(docs))
        )
        yield from _settled(client, tasks, window, "auto", site, extractor)
    finally:
        with contextlib.suppress(Exception):
            client.close()


def _settled(
    client: Any,
    tasks: Iterator[tuple[Callable[..., Any], tuple[Any, ...], Any]],
    window: int | None,
    fmt: str,
    site: str | None,
    extractor: Extractor,
) -> Iterator[Extracted]:
    """Each task's pages in order; a task the cluster could not run is settled here."""
    for tag, result, error in ordered_map(client, tasks, window or default_window(client)):
        if error is None:
            yield from result
        elif isinstance(error, NotVisible):
            yield from (extractor(doc, site) for doc in _local(tag, fmt))
        elif type(error).__name__ == "KilledWorker":
            yield from _lost(_local(tag, fmt), error)
        else:  # a bug in a task: the inputs are extracted here, where it can be seen
            print(
                f"Warning: a cluster task failed ({type(error).__name__}: {error}); "
                "extracting its input here.",
                file=sys.stderr,
            )
            yield from (extractor(doc, site) for doc in _local(tag, fmt))


def cluster_address(option: str | None) -> str | None:
    """--cluster, else NEWSARCHIVE_CLUSTER, else None (local processes)."""
    return option or os.environ.get(ENV) or None


__all__ = [
    "ClusterError",
    "cluster_address",
    "cluster_map",
    "connect",
    "extract_docs_on_cluster",
    "extract_on_cluster",
    "ordered_map",
]
