"""The index follower: Whoosh written by a child process of `newsarchive ingest`.

It must index every committed row by the end of the run, commit mid-run once a span is
committed, leave a merged index, and never outlive its parent: after a kill -9 of the
ingester while the follower writes, no process holds Whoosh's lock and the next command
repairs the index.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import load_truth

CLI = str(Path(sys.executable).with_name("newsarchive"))
ROOT = Path(__file__).resolve().parents[1]


def load_generator():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return generate


def run(
    archive: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, "--archive", str(archive), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


def write_truth(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "truth.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def holds_index_lock(pid: int, index_dir: Path) -> bool:
    """Whether `pid` has Whoosh's lock file open (the flock lives on that open file)."""
    lock = str(index_dir / "MAIN_WRITELOCK")
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(fd) == lock:
                return True
        except OSError:
            continue
    return False


def index_mark(archive: Path) -> int:
    """The index watermark as committed, 0 while there is none."""
    try:
        conn = sqlite3.connect(f"file:{archive / 'news.db'}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT value FROM archive_meta WHERE key = 'index_seq'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def verify(archive: Path) -> dict:
    out = run(archive, "verify", "--json")
    return json.loads(out.stdout)


def test_ingest_indexes_everything_and_commits_spans_on_the_way(tmp_path: Path) -> None:
    rows = load_truth()
    source = write_truth(tmp_path / "in", rows)
    archive = tmp_path / "a"
    out = run(
        archive, "ingest", str(source), "--batch-size", "10", env={"NEWSARCHIVE_INDEX_SPAN": "30"}
    )
    assert out.returncode == 0, out.stderr
    report = verify(archive)
    assert report["ok"] is True, report
    assert report["indexed"] == report["articles"] > 90
    assert report["watermark"] == report["head"]
    # spans of 30 written unmerged, then Whoosh's default policy at the last commit (which
    # merges only from five segments up): a few segments, not one per batch of 10
    segments = list((archive / "index").glob("*.seg"))
    assert 1 <= len(segments) <= 5, segments
    found = json.loads(run(archive, "search", '"said"', "--json").stdout)
    assert found["total"] > 0


def test_a_second_ingest_updates_the_index_through_the_follower(tmp_path: Path) -> None:
    rows = load_truth()
    archive = tmp_path / "a"
    first = write_truth(tmp_path / "one", rows[:40])
    assert run(archive, "ingest", str(first)).returncode == 0
    changed = [{**r, "title": r["title"] + " Zyzzogeton"} for r in rows[:5]]
    second = write_truth(tmp_path / "two", changed + rows[40:60])
    out = run(archive, "ingest", str(second), env={"NEWSARCHIVE_INDEX_SPAN": "7"})
    assert out.returncode == 0, out.stderr
    report = verify(archive)
    assert report["ok"] is True, report
    found = json.loads(run(archive, "search", "zyzzogeton", "--json").stdout)
    assert found["total"] == 5


def test_a_bad_span_setting_warns_and_uses_the_default(tmp_path: Path) -> None:
    source = write_truth(tmp_path / "in", load_truth()[:3])
    out = run(tmp_path / "a", "ingest", str(source), env={"NEWSARCHIVE_INDEX_SPAN": "lots"})
    assert out.returncode == 0, out.stderr
    assert "NEWSARCHIVE_INDEX_SPAN='lots' is not a positive whole number" in out.stderr
    assert verify(tmp_path / "a")["ok"] is True


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, PR_SET_PDEATHSIG")
def test_kill_9_of_the_ingester_while_the_follower_writes_leaves_no_lock(tmp_path: Path) -> None:
    source = tmp_path / "in"
    load_generator().write_corpus(source, 1500, "jsonl", seed=5)
    archive = tmp_path / "a"
    index_dir = (archive / "index").resolve()
    # --jobs 2: extraction workers, and the follower's part writer (a second Whoosh writer)
    cmd = [CLI, "--archive", str(archive), "ingest", str(source), "--format", "jsonl", "-j", "2"]
    env = {**os.environ, "NEWSARCHIVE_INDEX_SPAN": "40"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    follower, parts = None, set()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            for pid in children(proc.pid):
                # a span already committed, and the follower writing the next one
                if holds_index_lock(pid, index_dir) and index_mark(archive) > 0:
                    follower = pid
                    parts = children(pid)
            if follower and parts and list(index_dir.glob(".part-*")):
                break  # ... and its part writer writing its share beside the index
            time.sleep(0.01)
        assert follower, "the follower was never seen writing the index"
        assert parts, "the follower's part writer was never seen"
        proc.send_signal(signal.SIGKILL)  # while the follower holds Whoosh's lock
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for pid in (follower, *parts):
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid), f"process {pid} of the index outlived the killed ingest"
    from index import writer

    ix = writer.open_index(index_dir)
    try:  # the lock is free at once: a writer gets it without waiting
        writer.writer(ix, wait=0).cancel()
    finally:
        ix.close()
    # the next command repairs the index, and a rerun of the ingest completes the archive
    out = run(archive, "ingest", str(source), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    report = verify(archive)
    assert report["ok"] is True, report
    assert report["articles"] == report["indexed"]
    assert not list(index_dir.glob(".part-*"))  # the killed part writer's side folder is gone


def _rows(ids: range, word: str = "harbour") -> list[dict]:
    return [
        {"id": i, "title": f"Story {i}", "body": f"The {word} report number {i}.", "seq": i}
        for i in ids
    ]


def test_open_writer_adds_new_ids_and_replaces_known_ones(tmp_path: Path) -> None:
    from index import writer
    from index.searcher import search

    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, _rows(range(1, 6)))
    opened = writer.OpenWriter(ix)
    assert opened.fresh_above == 5
    for row in _rows(range(6, 8)) + _rows(range(3, 4), word="lighthouse"):
        opened.add(row)
    assert opened.holds(7) and not opened.holds(8)
    with pytest.raises(ValueError):
        opened.add(_rows(range(7, 8))[0])  # twice in one commit: the caller commits first
    assert opened.commit(merge=True) == 3
    ix = writer.open_index(tmp_path / "index")
    assert writer.doc_count(ix) == 7  # 3 was replaced, not added twice
    assert search(ix, "lighthouse", all_hits=True).ids == [3]
    # another writer commits 8; a writer opened afterwards knows it is there (read under the lock)
    writer.write_batch(ix, _rows(range(8, 9)))
    again = writer.OpenWriter(ix)
    assert again.fresh_above == 8
    again.add(_rows(range(8, 9), word="lighthouse")[0])
    again.commit(merge=False)
    ix = writer.open_index(tmp_path / "index")
    assert writer.doc_count(ix) == 8
    assert sorted(search(ix, "lighthouse", all_hits=True).ids) == [3, 8]


def test_a_read_while_the_index_is_being_written_answers_at_once(tmp_path: Path) -> None:
    """A search during an ingest does not wait for the follower's lock: it answers from the
    index as committed and says that the newest changes are not searchable yet."""
    from index import writer

    source = write_truth(tmp_path / "in", load_truth()[:20])
    archive = tmp_path / "a"
    assert run(archive, "ingest", str(source)).returncode == 0
    conn = sqlite3.connect(archive / "news.db")
    with conn:  # the index lags by 5 changes, as mid-ingest
        conn.execute(
            "UPDATE archive_meta SET value = CAST(value AS INTEGER) - 5 WHERE key = 'index_seq'"
        )
    conn.close()
    ix = writer.open_index(archive / "index")
    held = writer.writer(ix, wait=0)  # as the ingest's follower does
    try:
        started = time.monotonic()
        out = run(archive, "search", "said", "--json")
        assert time.monotonic() - started < 10
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["total"] > 0
        assert "newest 5 changes to the archive are not searchable yet" in out.stderr
    finally:
        held.cancel()
    out = run(archive, "search", "said", "--json")  # the lock is free: it catches up
    assert out.returncode == 0 and "not searchable" not in out.stderr
    assert index_mark(archive) == verify(archive)["head"]


@pytest.mark.parametrize("grow", [False, True])
def test_a_growing_span_leaves_fewer_larger_segments(make_truth_archive, grow: bool) -> None:
    """With `grow` each commit takes at least a quarter of what is indexed (the default
    ingest); with a fixed span (NEWSARCHIVE_INDEX_SPAN) every commit takes that many."""
    from archive.index_stream import IndexStream
    from archive.indexing import ArchiveDB
    from index import writer

    archive = make_truth_archive()
    db = ArchiveDB.open(archive)
    stream = IndexStream(db, archive / "index", span=5, grow=grow)
    try:
        stream.pull()
        spans = [segment.doc_count() for segment in stream.ix._segments()]
        assert stream.finish() == len(load_truth())
    finally:
        stream.stop()
        db.close()
    if grow:
        assert spans == sorted(spans) and spans[0] == 5 and spans[-1] > 3 * 5
        assert len(spans) < len(load_truth()) // 5 * 2 // 3  # 11 segments, not 21
    else:
        assert spans == [5] * (len(load_truth()) // 5)
    ix = writer.open_index(archive / "index")
    assert writer.doc_count(ix) == len(load_truth())
