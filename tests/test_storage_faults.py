"""Storage faults on real file systems: a full disk (a size-limited tmpfs) and read-only folders
(read-only bind mounts: tests run as root, where chmod stops no write).

Each fault must give a clear one-line error and exit 1, leave the archive intact (integrity,
whole batches, nothing earlier lost) and never advance the index watermark past what the
index holds; once the fault is gone, the same command finishes the job and `verify` passes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import load_truth
from .test_crash import assert_consistent, query, run, write_inputs

BATCH = 8


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1.5 MB file system of our own, removed afterwards."""
    point = tmp_path / "small-disk"
    point.mkdir()
    try:
        mount("-t", "tmpfs", "-o", "size=1536k", "tmpfs", str(point))
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {exc}")
    yield point
    umount(point)


@contextlib.contextmanager
def read_only_view(source: Path, point: Path) -> Iterator[Path]:
    """`source` seen read-only at `point` (which may be `source` itself) while in the block."""
    point.mkdir(exist_ok=True)
    try:
        mount("--bind", str(source), str(point))
        mount("-o", "remount,ro,bind", str(point))
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        umount(point)
        pytest.skip(f"cannot make a read-only bind mount here (needs root): {exc}")
    try:
        yield point
    finally:
        umount(point)


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def marks(archive: Path) -> tuple[int, int]:
    meta = dict(query(archive, "SELECT key, value FROM archive_meta"))
    return int(meta.get("seq", 0)), int(meta.get("index_seq", 0))


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, list[str]]:
    folder = tmp_path / "inputs"
    return folder, write_inputs(folder, load_truth())


@pytest.fixture
def small_archive(tmp_path: Path, inputs) -> Path:
    folder, _origins = inputs
    archive = tmp_path / "archive"
    out = run(archive, "ingest", str(folder / "part-000.jsonl"))
    assert out.returncode == 0, out.stderr
    return archive


@pytest.mark.slow
def test_full_disk_fails_clearly_keeps_the_archive_and_the_watermark(tmpfs, inputs):
    folder, origins = inputs
    archive = tmpfs / "archive"
    first = run(archive, "ingest", str(folder / "part-000.jsonl"))
    assert first.returncode == 0, first.stderr
    out = run(archive, "ingest", str(folder), "--batch-size", str(BATCH))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    message = out.stderr.strip().splitlines()[-1]
    assert message.startswith("Error: ") and "full" in message, out.stderr
    assert "everything committed before this point is kept" in message
    done = assert_consistent(archive, origins, BATCH)
    assert 3 <= done < len(origins)  # the first file survived; the disk filled on the way
    seq, index_seq = marks(archive)
    assert index_seq <= seq
    # the space comes back: the same command finishes and the index is brought in line
    mount("-o", "remount,size=64m", str(tmpfs))
    again = run(archive, "ingest", str(folder), "--batch-size", str(BATCH))
    assert again.returncode == 0, again.stderr
    assert assert_consistent(archive, origins, BATCH) == len(origins)
    assert run(archive, "verify").returncode == 0
    statuses = [s for (s,) in query(archive, "SELECT status FROM ingest_runs ORDER BY id")]
    # the failed run is marked failed when the disk leaves room for that one row
    assert statuses[0] == statuses[2] == "done" and statuses[1] in ("failed", "running")


def test_read_only_archive_folder_is_a_clear_error_and_untouched(tmp_path, small_archive, inputs):
    folder, _origins = inputs
    before = tree_digest(small_archive)
    with read_only_view(small_archive, tmp_path / "ro") as view:
        out = run(view, "ingest", str(folder / "part-001.jsonl"))
        assert out.returncode == 1
        assert "Traceback" not in out.stderr
        assert "read-only" in out.stderr and str(view) in out.stderr, out.stderr
    assert tree_digest(small_archive) == before
    assert query(small_archive, "PRAGMA integrity_check") == [("ok",)]
    assert run(small_archive, "verify").returncode == 0


def test_read_only_index_folder_stops_the_watermark_not_the_archive(
    tmp_path, small_archive, inputs
):
    folder, origins = inputs
    seq_before, mark_before = marks(small_archive)
    index_before = tree_digest(small_archive / "index")
    with read_only_view(small_archive / "index", small_archive / "index"):
        out = run(small_archive, "ingest", str(folder / "part-001.jsonl"))
        assert out.returncode == 1, out.stderr
        assert "Traceback" not in out.stderr and "read-only" in out.stderr.lower(), out.stderr
        seq, index_seq = marks(small_archive)
        assert seq > seq_before  # SQLite took the batch: it is the source of truth
        assert index_seq == mark_before  # the index did not, so the watermark stays
        assert run(small_archive, "verify").returncode == 1  # and verify says so
    assert tree_digest(small_archive / "index") == index_before
    # the next command that may catch up does, and verify passes
    out = run(small_archive, "search", "said", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] > 0
    assert run(small_archive, "verify").returncode == 0
    assert assert_consistent(small_archive, origins, None) == 6


def test_search_works_on_a_read_only_archive(tmp_path, small_archive):
    with read_only_view(small_archive, tmp_path / "ro") as view:
        out = run(view, "search", "said", "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["total"] > 0
