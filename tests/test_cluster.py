"""`ingest --cluster`: a real Dask scheduler and real workers on 127.0.0.1 build the same archive.

The scheduler and the workers are `dask scheduler` / `dask worker` processes, each in its own
session so that a kill reaches the nanny and its worker together; teardown kills every group
and checks that none is left (tests/dask_cluster.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.dask_cluster import Cluster

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
NEWSARCHIVE = str(BIN / "newsarchive")
BATCH = ("--batch-size", "20")  # small batches: the kill test sees commits early; batches
# shape the archive (site templates are learned per batch), so every run here uses the same
QUERIES = ["police", "election", '"prime minister"', "court OR judge", "climate -energy"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        running.start(workers=2)
        yield running
    finally:
        running.stop()


def ingest(archive: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(
        [NEWSARCHIVE, "--archive", str(archive), "ingest", str(CORPUS), "--json", *BATCH, *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def snapshot(archive: Path) -> dict:
    """What makes two archives the same: articles, hashes, sources, errors and the index."""
    from archive.indexing import ArchiveDB, index_dir_for
    from archive.searching import SearchRequest, run_search
    from index.writer import open_index

    db = sqlite3.connect(archive / "news.db")
    try:
        out = {
            "articles": db.execute(
                "SELECT id, title, body, published, authors, category, site, url, language, "
                "content_hash, story_id FROM articles ORDER BY id"
            ).fetchall(),
            "sources": db.execute(
                "SELECT origin, sha256, format, status, article_id FROM sources ORDER BY id"
            ).fetchall(),
            "errors": db.execute("SELECT origin, reason FROM ingest_errors ORDER BY id").fetchall(),
        }
    finally:
        db.close()
    ix = open_index(index_dir_for(archive))
    with ix.searcher() as searcher:
        out["index"] = sorted((d["id"], d["hash"]) for d in searcher.all_stored_fields())
    ix.close()
    store = ArchiveDB.open(archive)
    out["searches"] = [
        run_search(store, index_dir_for(archive), SearchRequest(q, limit=50, facets=True))
        for q in QUERIES
    ]
    return out


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> dict:
    archive = tmp_path_factory.mktemp("local") / "archive"
    summary = ingest(archive)
    assert summary["added"] > 100
    return snapshot(archive)


def test_cluster_ingest_builds_the_same_archive(cluster: Cluster, local: dict, tmp_path: Path):
    archive = tmp_path / "archive"
    ingest(archive, "--cluster", cluster.address)
    got = snapshot(archive)
    assert got == local
    assert len(got["articles"]) > 100 and got["index"]


def test_shipped_bytes_build_the_same_archive(cluster: Cluster, local: dict, tmp_path: Path):
    """Workers that cannot see the files get their bytes with the task (forced here)."""
    archive = tmp_path / "archive"
    ingest(
        archive,
        env={"NEWSARCHIVE_CLUSTER": cluster.address, "NEWSARCHIVE_CLUSTER_SHIP": "bytes"},
    )
    assert snapshot(archive) == local


def test_each_input_travels_as_planned(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from archive import cluster as engine
    from archive.pipeline import extract_one

    small, big = tmp_path / "small.txt", tmp_path / "big.jsonl"
    small.write_text("A title\n\nA body.\n")
    big.write_bytes(b'{"title": "t", "body": "b"}\n' * (engine.SHIP_LIMIT // 28 + 10))
    client = engine.connect(cluster.address)
    try:
        planner = engine.Planner(client, "auto", None, extract_one)
        assert [t[0] for t in planner.plan(str(small))] == [engine.task_path]  # workers see it
        kinds = {t[0] for t in planner.plan(str(big))}
        assert kinds == {engine.task_docs}  # too big to ship whole: pages in chunks
        other = tmp_path / "other.txt"
        other.write_text("Another title\n\nAnother body.\n")
        together = list(engine.grouped(t for f in (small, other) for t in planner.plan(str(f))))
        assert [t[0] for t in together] == [engine.task_group]  # small inputs travel together
        monkeypatch.setenv(engine.SHIP_ENV, "bytes")
        planner = engine.Planner(client, "auto", None, extract_one)
        assert [t[0] for t in planner.plan(str(small))] == [engine.task_bytes]
    finally:
        client.close()


def test_ordered_map_keeps_order_and_bounds_tasks_out(cluster: Cluster):
    from archive import cluster as engine

    client = engine.connect(cluster.address)
    submitted = 0
    handed = 0
    peak = 0

    def tasks():  # type: ignore[no-untyped-def]
        nonlocal submitted, peak
        for i in range(40):
            submitted += 1
            peak = max(peak, submitted - handed)
            # later items finish first: the engine must still hand them on in order
            yield time.sleep, (0.05 * ((40 - i) % 4),), i

    try:
        got = []
        for tag, _result, error in engine.ordered_map(client, tasks(), window=3):
            assert error is None
            got.append(tag)
            handed += 1
    finally:
        client.close()
    assert got == list(range(40))
    assert peak <= 3


def test_killing_a_worker_mid_run_loses_nothing(cluster: Cluster, local: dict, tmp_path: Path):
    """A third worker is killed (nanny and all) while it holds tasks of a run under way."""
    from distributed import Client

    doomed = cluster.add_worker()
    cluster.wait_for(3)
    watcher = Client(cluster.address, timeout="60s", set_as_default=False)
    doomed_address = next(a for a, ppid in watcher.run(os.getppid).items() if ppid == doomed.pid)
    archive = tmp_path / "archive"
    proc = subprocess.Popen(
        [
            NEWSARCHIVE,
            "--archive",
            str(archive),
            "ingest",
            str(CORPUS),
            "--json",
            *BATCH,
            "--cluster",
            cluster.address,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    held: list = []
    try:
        deadline = time.monotonic() + 300
        while not held:  # a batch committed, and the doomed worker holds tasks
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the doomed worker never held a task mid-run"
            if committed(archive) >= 20:
                held = watcher.processing([doomed_address]).get(doomed_address) or []
            time.sleep(0.02)
        cluster.kill(doomed)
        out, err = proc.communicate(timeout=900)
    finally:
        watcher.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert json.loads(out)["failed"] == 0
    assert snapshot(archive) == local


def committed(archive: Path) -> int:
    try:
        db = sqlite3.connect(archive / "news.db", timeout=5)
        try:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def test_unreachable_scheduler_is_one_line(tmp_path: Path):
    done = subprocess.run(
        [
            NEWSARCHIVE,
            "--archive",
            str(tmp_path / "a"),
            "ingest",
            str(CORPUS),
            "--cluster",
            "tcp://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    # the corpus's README.md is skipped, and said so (issue 19), before the one error line
    lines = [x for x in done.stderr.strip().splitlines() if not x.startswith("Skipped ")]
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_local_ingest_never_imports_dask(tmp_path: Path):
    probe = (
        "import sys\nfrom archive.cli import main\n"
        f"sys.argv = ['newsarchive', '--archive', {str(tmp_path / 'a')!r}, 'ingest', "
        f"{str(CORPUS / 'README.md')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_documents_read_here_extract_on_the_cluster_as_here(cluster: Cluster) -> None:
    """The mapper for stored inputs (reextract): same outcomes, same order, failures in place."""
    from archive.cluster import extract_docs_on_cluster
    from archive.pipeline import extract_one
    from ingest.readers import iter_documents

    docs = list(iter_documents([str(CORPUS)]))[:80]
    here = [extract_one(d) for d in docs]
    there = list(extract_docs_on_cluster(docs, None, extract_one, cluster.address, window=3))

    def view(items):  # type: ignore[no-untyped-def]
        return [
            (i.raw.origin if i.raw else None, i.article.to_dict() if i.article else None,
             i.failure.reason if i.failure else None)
            for i in items
        ]  # fmt: skip

    assert view(there) == view(here) and len(here) == 80


def test_stdin_goes_through_the_cluster(cluster: Cluster, tmp_path: Path) -> None:
    """`-` is read here and its pages shipped in chunks: the same articles as a local run."""
    data = (CORPUS / "truth.jsonl").read_bytes()
    counts = []
    for extra in ([], ["--cluster", cluster.address]):
        archive = tmp_path / f"a{len(counts)}"
        done = subprocess.run(
            [NEWSARCHIVE, "--archive", str(archive), "ingest", "-", "--format", "jsonl", *extra],
            input=data,
            capture_output=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        db = sqlite3.connect(archive / "news.db")
        counts.append(db.execute("SELECT title, content_hash FROM articles ORDER BY id").fetchall())
        db.close()
    assert counts[0] == counts[1] and len(counts[0]) > 50


def test_an_input_that_keeps_killing_workers_is_recorded_not_retried_forever(
    cluster: Cluster,
) -> None:
    """A task that kills every worker it runs on ends as KilledWorker after Dask's
    allowed-failures; its pages become `worker_lost` failures with their bytes; the nannies
    bring the workers back."""
    from archive import cluster as engine
    from archive.pipeline import extract_one
    from ingest.model import RawDocument

    doc = RawDocument(origin="poison.html", data=b"<html>x</html>", format="html")
    client = engine.connect(cluster.address)
    try:
        tasks = iter([(os._exit, (3,), ("docs", [doc]))])
        got = list(engine._settled(client, tasks, 2, "auto", None, extract_one))
    finally:
        client.close()
    assert len(got) == 1 and got[0].failure is not None
    assert got[0].failure.reason == "worker_lost" and got[0].failure.data == doc.data
    cluster.wait_for(2)


# ---------------------------------------------------------------- reextract --cluster
def _weak_archive(folder: Path) -> Path:
    """An archive built by an older extractor that kept only the first paragraph of every
    third corpus page (tests/test_reextract.py's weakening), built in this process."""
    from typer.testing import CliRunner

    from archive import pipeline
    from archive.cli import app
    from tests.test_reextract import PAGES, _weakened

    pages = folder / "pages"
    pages.mkdir(parents=True)
    for page in PAGES:
        (pages / page.name).write_bytes(page.read_bytes())
    archive = folder / "archive"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "extract_page", _weakened)
        done = CliRunner().invoke(app, ["--archive", str(archive), "ingest", str(pages)])
    assert done.exit_code == 0, done.output
    return archive


def reextract(archive: Path, *args: str) -> dict:
    done = subprocess.run(
        [NEWSARCHIVE, "--archive", str(archive), "reextract", "--json", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def versions(archive: Path) -> list:
    db = sqlite3.connect(archive / "news.db")
    try:
        return db.execute(
            "SELECT article_id, version, title, body FROM article_versions ORDER BY article_id, version"
        ).fetchall()
    finally:
        db.close()


def test_reextract_on_the_cluster_changes_what_a_local_run_changes(
    cluster: Cluster, tmp_path: Path
) -> None:
    """The stored inputs travel to the workers with the tasks (10 pages: three chunks of
    REEXTRACT_CHUNK); the archive after `reextract --cluster` (articles, versions, index,
    searches) is the local run's."""
    import shutil

    weak = _weak_archive(tmp_path / "weak")
    here, there = tmp_path / "here", tmp_path / "there"
    shutil.copytree(weak, here)
    shutil.copytree(weak, there)
    want = reextract(here)
    got = reextract(there, "--cluster", cluster.address)
    assert want["changed"] >= 3 and got["changed_ids"] == want["changed_ids"]
    assert {k: got[k] for k in ("examined", "unchanged", "failed")} == {
        k: want[k] for k in ("examined", "unchanged", "failed")
    }
    assert versions(there) == versions(here)
    assert snapshot(there) == snapshot(here)


def test_cluster_map_keeps_order_across_chunks(cluster: Cluster) -> None:
    from archive import cluster as engine

    client = engine.connect(cluster.address)
    try:
        mapper = engine.cluster_map(client, chunk=3, window=2)
        assert list(mapper(abs, range(-20, 0))) == [abs(i) for i in range(-20, 0)]
        assert list(mapper(abs, [])) == []
    finally:
        client.close()
