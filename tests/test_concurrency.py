"""Two ingesters at once, and searches during an ingest, on one real archive.

Two ingesters: the second waits for SQLite's write lock (busy timeout) batch by batch, or fails
with a clear message; nothing is lost and nothing is stored twice. A search while an ingest
runs answers at once from the index as last committed (the ingest's follower holds the
index's write lock and indexes the new rows): never fewer hits than the index held when it
started, never more than are committed when it ends, never an error, never a wait.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import load_truth
from .test_crash import CLI, assert_consistent, query, run, write_inputs

pytestmark = pytest.mark.slow  # subprocess ingests racing each other: ~40 s in all
MARK = "zqxmarker"  # one token in every body: a search for it counts the indexed articles


@pytest.fixture
def marked_inputs(tmp_path: Path) -> tuple[Path, list[str]]:
    rows = [{**r, "body": f"{r['body']}\n\n{MARK}"} for r in load_truth()[:36]]
    folder = tmp_path / "inputs"
    return folder, write_inputs(folder, rows)


def start_ingest(archive: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [CLI, "--archive", str(archive), "ingest", str(folder), "--batch-size", "4"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    _out, err = proc.communicate(timeout=300)
    return proc.returncode, err


def assert_clear_or_ok(code: int, err: str) -> bool:
    """True when the run succeeded; a failure must be one clear line, not a traceback."""
    assert "Traceback" not in err, err
    if code == 0:
        return True
    assert code == 1 and "Another newsarchive process is writing" in err, err
    return False


def test_two_ingesters_at_once_lose_nothing_and_store_nothing_twice(tmp_path, marked_inputs):
    folder, origins = marked_inputs
    archive = tmp_path / "archive"
    first = run(archive, "ingest", str(folder / "part-000.jsonl"))
    assert first.returncode == 0, first.stderr
    one, two = start_ingest(archive, folder), start_ingest(archive, folder)
    results = [finish(one), finish(two)]
    succeeded = [assert_clear_or_ok(code, err) for code, err in results]
    assert all(succeeded), results  # with BEGIN IMMEDIATE the second waits, batch by batch
    assert assert_consistent(archive, origins, None) == len(origins)
    assert query(archive, "SELECT count(*), count(DISTINCT content_hash) FROM articles") == [
        (len(origins), len(origins))
    ]
    assert query(archive, "SELECT count(*) FROM ingest_errors") == [(0,)]
    assert run(archive, "verify").returncode == 0


def test_two_ingesters_creating_one_archive_fail_clearly_or_both_finish(tmp_path, marked_inputs):
    folder, origins = marked_inputs
    archive = tmp_path / "archive"
    procs = [start_ingest(archive, folder), start_ingest(archive, folder)]
    results = [finish(p) for p in procs]
    if not all(assert_clear_or_ok(code, err) for code, err in results):
        again = run(archive, "ingest", str(folder), "--batch-size", "4")
        assert again.returncode == 0, again.stderr
    assert assert_consistent(archive, origins, None) == len(origins)
    assert query(archive, "SELECT count(DISTINCT content_hash) FROM articles") == [(len(origins),)]
    assert run(archive, "verify").returncode == 0


def committed(archive: Path) -> int:
    return query(archive, "SELECT count(*) FROM articles")[0][0]


def indexed(archive: Path) -> int:
    """Articles the index has committed (at or below the watermark)."""
    return query(
        archive,
        "SELECT count(*) FROM articles WHERE seq <= (SELECT coalesce(max(CAST(value AS INTEGER)), 0)"
        " FROM archive_meta WHERE key = 'index_seq')",
    )[0][0]


def test_search_during_an_ingest_answers_from_the_last_commit(tmp_path, marked_inputs):
    folder, origins = marked_inputs
    archive = tmp_path / "archive"
    first = run(archive, "ingest", str(folder / "part-000.jsonl"))
    assert first.returncode == 0, first.stderr
    ingest = start_ingest(archive, folder)
    answers: list[tuple[int, int, int, float]] = []
    failures: list[str] = []
    try:
        while ingest.poll() is None and len(answers) + len(failures) < 12:
            before = indexed(archive)
            started = time.monotonic()
            out = run(archive, "search", MARK, "--json", "--limit", "5")
            seconds = time.monotonic() - started
            after = committed(archive)
            if out.returncode != 0:
                failures.append(out.stderr[-1500:])
                continue
            answers.append((before, json.loads(out.stdout)["total"], after, seconds))
    finally:
        code, err = finish(ingest)
    assert code == 0, err
    assert not failures, f"{len(failures)} searches failed during the ingest:\n{failures[0]}"
    assert len(answers) >= 3, answers
    for before, total, after, _seconds in answers:
        assert before <= total <= after, answers
    totals = [total for _, total, _, _ in answers]
    assert totals == sorted(totals), answers
    assert max(seconds for *_, seconds in answers) < 10  # never waits for the ingest
    final = run(archive, "search", MARK, "--json")
    assert json.loads(final.stdout)["total"] == len(origins)


def test_the_story_schema_is_looked_at_again_under_the_write_lock(tmp_path):
    """The race above, made deterministic: a second process saw `syndicated` missing, then
    waited for the write lock while the first added it; adding it again failed with
    "duplicate column name" (CI, 2026-12-05). Under the lock the schema is read afresh."""
    from archive import store_schema
    from archive.store import Store

    store = Store.open(tmp_path / "archive")  # the first process: the schema is complete
    try:
        store_schema._create_story_schema(store.core)  # the second, after its stale look
        columns = [r[1] for r in store.db.execute("PRAGMA table_info(articles)").fetchall()]
        assert columns.count("syndicated") == 1 and columns.count("story_copies") == 1
    finally:
        store.close()
