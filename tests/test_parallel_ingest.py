"""Parallel extraction (`ingest --jobs N`): same archive as one job, same order, nothing left behind."""

from __future__ import annotations

import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.parallel import MIN_PARALLEL_DOCS, extract_parallel
from archive.pipeline import IngestOptions, extract_one, ingest
from archive.store import Store
from ingest.readers import iter_documents

ROOT = Path(__file__).resolve().parents[1]


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated HTML pages plus inputs that fail, so errors travel through the pool too."""
    folder = tmp_path_factory.mktemp("pages")
    load_generator().write_corpus(folder / "html", MIN_PARALLEL_DOCS + 30, "html", seed=4)
    (folder / "html" / "0000" / "0000003.html").write_bytes(b"")  # empty: a failure mid-stream
    (folder / "html" / "0000" / "0000040.html").write_bytes(bytes(range(256)) * 4)  # binary
    return folder / "html"


def archive_rows(archive: Path) -> list[tuple]:
    db = sqlite3.connect(archive / "news.db")
    try:
        articles = db.execute("SELECT title, body, published FROM articles ORDER BY id").fetchall()
        errors = db.execute("SELECT reason FROM ingest_errors ORDER BY id").fetchall()
    finally:
        db.close()
    return [*articles, *errors]


def run(pages: Path, archive: Path, jobs: int) -> list[tuple]:
    store = Store.open(archive, create=True)
    run_id = store.start_run(["test"])
    seen: list[str] = []

    def on_item(item) -> None:  # type: ignore[no-untyped-def]
        seen.append(item.raw.origin if item.raw else item.failure.origin)

    total = ingest(
        store, [str(pages)], IngestOptions(fmt="html", jobs=jobs), run_id, on_item=on_item
    )
    store.close()
    assert len(total.failed) == 2
    assert seen == sorted(seen)  # input order, failures in place
    return archive_rows(archive)


def test_two_jobs_build_the_same_archive_as_one(pages: Path, tmp_path: Path) -> None:
    serial = run(pages, tmp_path / "one", jobs=1)
    parallel = run(pages, tmp_path / "two", jobs=2)
    assert parallel == serial
    assert len(serial) > MIN_PARALLEL_DOCS


def test_results_come_back_in_order_with_failures_in_place(pages: Path) -> None:
    docs = list(iter_documents([str(pages)], "html"))
    serial = [extract_one(d) for d in docs]
    parallel = list(extract_parallel(iter(docs), extract_one, None, 3))
    assert [p.raw.origin for p in parallel] == [s.raw.origin for s in serial]  # type: ignore[union-attr]
    assert [p.article for p in parallel] == [s.article for s in serial]
    failures = [p.failure for p in parallel if p.failure]
    assert [f.reason for f in failures] == [s.failure.reason for s in serial if s.failure]
    assert all(f.data is not None for f in failures if f.reason != "empty")  # raw bytes re-attached


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.add(int(entry))
    return found


@pytest.mark.slow
@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc and relies on PR_SET_PDEATHSIG"
)
def test_kill_9_of_the_parent_leaves_no_worker(tmp_path: Path) -> None:
    source = tmp_path / "pages"
    load_generator().write_corpus(source, 600, "html", seed=9)
    cmd = [sys.executable, "-c", "from archive.cli import main; main()", "--archive", str(tmp_path / "a"),
           "ingest", str(source), "--format", "html", "--jobs", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = children_of(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the ingest never started its workers"
    time.sleep(0.5)  # let it commit a batch or two
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.05)
    alive = {
        w
        for w in workers
        if Path(f"/proc/{w}").exists()
        and "Z" not in Path(f"/proc/{w}/stat").read_text().split(")")[1][:3]
    }
    assert not alive, f"workers {alive} outlived their killed parent"
    # and the archive opens and takes more input at once: nothing holds its locks
    store = Store.open(tmp_path / "a")
    store.close()
    more = tmp_path / "more"
    load_generator().write_corpus(more, 5, "html", seed=10)
    again = [*cmd[:5], "ingest", str(more), "--format", "html", "--jobs", "2"]
    done = subprocess.run(again, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
