"""Index consistency: verify finds what is wrong, and crashes between the SQLite commit and
the index commit (kill -9) are repaired by the next command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive.cli import app
from archive.index_verify import verify
from archive.indexing import ArchiveDB, catch_up, index_dir_for
from tests.conftest import ROOT
from tests.test_index import build_archive, load_truth

runner = CliRunner()


def cli(archive: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--archive", str(archive), *args], catch_exceptions=False)


def run_script(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


WRITE_THEN = """
import json, os, signal, sys
sys.path.insert(0, {root!r})
from tests.test_index import build_archive, load_truth
from archive.indexing import ArchiveDB, catch_up, index_dir_for
from pathlib import Path
folder = Path({folder!r})
build_archive(folder, load_truth()[{start}:{stop}])   # committed in SQLite
{after}
"""


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    build_archive(folder, load_truth()[:40])
    db = ArchiveDB.open(folder)
    catch_up(db, index_dir_for(folder))
    db.close()
    return folder


def test_verify_passes_on_a_consistent_archive(archive):
    result = cli(archive, "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["ok"] and report["articles"] == 40 == report["indexed"]
    assert "OK" in cli(archive, "verify").stdout


def test_kill_between_sqlite_commit_and_index_commit(archive):
    code = WRITE_THEN.format(
        root=str(ROOT), folder=str(archive), start=40, stop=70,
        after="os.kill(os.getpid(), signal.SIGKILL)  # before the index catches up",
    )  # fmt: skip
    proc = run_script(code)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    result = cli(archive, "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and len(report["missing"]) == 30 == len(report["pending"])
    assert "30 article(s) missing from the index" in result.stderr
    # any command catches up: a search sees the new articles, then verify passes
    searched = json.loads(cli(archive, "search", "*", "--json").stdout)
    assert searched["total"] == 70
    assert cli(archive, "verify").exit_code == 0


def test_kill_after_index_commit_before_watermark(archive):
    code = WRITE_THEN.format(
        root=str(ROOT), folder=str(archive), start=40, stop=60,
        after="catch_up(ArchiveDB.open(folder), index_dir_for(folder))",
    )  # fmt: skip
    proc = run_script(code, {"NEWSARCHIVE_CRASH_AT": "after_index_commit"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    db = ArchiveDB.open(archive)
    assert (
        db.db.execute("SELECT value FROM archive_meta WHERE key='index_seq'").fetchone()[0] == "40"
    )
    # the index already holds the rows; catching up again indexes them twice, harmlessly
    assert catch_up(db, index_dir_for(archive)) == 20
    report = verify(db, index_dir_for(archive))
    assert report.ok and report.indexed == 60 and not report.duplicated, report.problems()


def test_verify_reports_stale_extra_and_duplicates(archive):
    from index import writer

    db = ArchiveDB.open(archive)
    ix = writer.open_index(index_dir_for(archive))
    with db.db:
        db.db.execute("UPDATE articles SET content_hash = 'changed' WHERE id = 3")
    writer.write_batch(ix, [{"id": 999, "title": "ghost", "body": "gone", "content_hash": "x"}])
    w = ix.writer()
    w.add_document(id="5", hash="dup", title="dup", body="dup")  # a second copy of 5
    w.commit()
    report = verify(db, index_dir_for(archive))
    assert report.stale == [3, 5]  # 5: its second copy carries another hash
    assert report.extra == [999] and report.duplicated == [5] and not report.ok
    result = cli(archive, "verify")
    assert result.exit_code == 1
    for text in ("old content: 3", "no longer in the archive: 999", "more than once: 5", "reindex"):
        assert text in result.stderr
    assert cli(archive, "reindex").exit_code == 0
    with db.db:
        db.db.execute("UPDATE articles SET content_hash = 'changed' WHERE id = 3")
    assert verify(db, index_dir_for(archive)).ok


def test_corrupt_index_is_reported_and_rebuilt(archive):
    index = index_dir_for(archive)
    for f in index.iterdir():
        if f.suffix in (".trm", ".seg", ".toc"):
            f.write_bytes(b"\x00garbage" * 10)
    result = cli(archive, "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["corrupt"]
    assert "unreadable" in result.stderr
    searched = cli(archive, "search", "game")
    assert searched.exit_code == 1 and "reindex" in searched.stderr
    assert len(searched.stderr.strip().splitlines()) == 1
    assert cli(archive, "reindex").exit_code == 0
    assert cli(archive, "verify").exit_code == 0
    assert json.loads(cli(archive, "search", "*", "--json").stdout)["total"] == 40


def test_missing_index_is_rebuilt_by_any_command(archive):
    import shutil

    shutil.rmtree(index_dir_for(archive))
    assert cli(archive, "verify").exit_code == 1
    assert json.loads(cli(archive, "search", "*", "--json").stdout)["total"] == 40
    assert cli(archive, "verify").exit_code == 0


def test_interrupted_rebuild_states_recover(archive):
    from index import writer

    index = index_dir_for(archive)
    new = index.with_name("index.new")
    new.mkdir()
    (new / "half-written").write_text("x")
    assert json.loads(cli(archive, "search", "*", "--json").stdout)["total"] == 40
    assert not new.exists()  # an unfinished build is thrown away, the old index answers
    # a finished build killed between the two renames: the new one is moved in
    writer.build_fresh(new.with_name("index.next"), [{"id": 1, "title": "t", "body": "b"}])
    os.replace(new.with_name("index.next"), new)
    (new / writer.READY).write_text("complete\n")
    os.replace(index, index.with_name("index.old"))
    db = ArchiveDB.open(archive)
    writer.recover(index)
    assert index.exists() and not new.exists() and not index.with_name("index.old").exists()
    assert catch_up(db, index) == 0 and not verify(db, index).ok  # holds only article 1
    assert cli(archive, "reindex").exit_code == 0 and verify(db, index).ok


@pytest.mark.slow
def test_kill_during_reindex_leaves_a_usable_index(archive):
    code = f"""
import sys; sys.path.insert(0, {str(ROOT)!r})
from archive.indexing import ArchiveDB, reindex, index_dir_for
from pathlib import Path
folder = Path({str(archive)!r})
while True:
    reindex(ArchiveDB.open(folder), index_dir_for(folder))
"""
    for delay in (0.3, 0.9, 1.6, 2.4):
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        searched = cli(archive, "search", "*", "--json")
        assert searched.exit_code == 0 and json.loads(searched.stdout)["total"] == 40
        assert cli(archive, "verify").exit_code == 0


def test_ingest_hook_with_a_span_lags_by_less_than_the_span_and_finish_catches_up(archive):
    from archive.index_rows import watermark
    from archive.indexing import after_commit_hook

    build_archive(archive, load_truth()[40:70])  # 30 new rows committed in SQLite
    db = ArchiveDB.open(archive)
    try:
        before = watermark(db)
        hook = after_commit_hook(index_dir_for(archive), span=100)
        hook(db, None)  # lag of 30 < 100: the index waits, the watermark stays
        assert watermark(db) == before
        assert len(verify(db, index_dir_for(archive)).pending) == 30
        hook.finish(db)
        report = verify(db, index_dir_for(archive))
        assert report.ok and report.indexed == 70
        every_batch = after_commit_hook(index_dir_for(archive))  # span 1: at once
        build_archive(archive, load_truth()[70:75])
        every_batch(db, None)
        assert verify(db, index_dir_for(archive)).ok
    finally:
        db.close()


def test_a_row_deleted_by_hand_is_skipped_by_searches_and_dropped_by_the_next_catch_up(archive):
    """Reads do not count every row (O(articles) per search); the hit of a row deleted
    outside `newsarchive remove` is skipped, `verify` names it, a writer's catch-up drops it."""
    import sqlite3

    gone = json.loads(cli(archive, "search", "*", "--limit", "1", "--json").stdout)["hits"][0]["id"]
    with sqlite3.connect(archive / "news.db") as conn:
        conn.execute("DELETE FROM articles WHERE id = ?", [gone])
    found = json.loads(cli(archive, "search", "*", "--limit", "100", "--json").stdout)
    assert gone not in [hit["id"] for hit in found["hits"]] and len(found["hits"]) == 39
    db = ArchiveDB.open(archive)
    assert verify(db, index_dir_for(archive)).extra == [gone]
    assert catch_up(db, index_dir_for(archive)) == 0
    assert verify(db, index_dir_for(archive)).ok
    assert json.loads(cli(archive, "search", "*", "--json").stdout)["total"] == 39
