"""The part writer: a second Whoosh writer process that takes half of each follower span.

It must give the index the ingest alone would give (same documents, same scores), leave
nothing behind (no side folder, no process), and never cost an article: when it dies or
fails, the follower goes back to the watermark and indexes alone; a failed commit releases
the lock and commits nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from .conftest import load_truth

QUERIES = ["said", "police", '"the city"', "government OR minister", "title:world"]


def stream_over(archive: Path, span: int, part: bool):  # type: ignore[no-untyped-def]
    from archive.index_stream import IndexStream
    from archive.indexing import ArchiveDB
    from index.part_writer import PartWriter
    from index.writer import writer as index_writer

    db = ArchiveDB.open(archive)
    second = PartWriter(archive / "index", index_writer) if part else None
    return db, IndexStream(db, archive / "index", span, part=second)


def hits(index_dir: Path, queries: list[str] = QUERIES) -> dict[str, list[tuple[int, float]]]:
    from index import writer
    from index.searcher import search

    ix = writer.open_index(index_dir)
    try:
        out = {}
        for query in queries:
            result = search(ix, query, all_hits=True)
            out[query] = sorted(
                (int(i), round(s or 0.0, 6)) for i, s in zip(result.ids, result.scores, strict=True)
            )
        return out
    finally:
        ix.close()


def test_a_part_writer_gives_the_index_one_writer_gives(make_truth_archive, tmp_path: Path) -> None:
    from archive.index_verify import verify
    from archive.store import Store
    from index import writer

    alone = make_truth_archive(folder=tmp_path / "alone")
    shared = make_truth_archive(folder=tmp_path / "shared")
    segments = {}
    for archive, part in ((alone, False), (shared, True)):
        db, stream = stream_over(archive, span=10, part=part)
        try:
            stream.pull()
            segments[part] = len(list(stream.ix._segments()))
            assert stream.finish() == len(load_truth())
            pid = stream._part.pid if stream._part else None
        finally:
            stream.stop()
            db.close()
        if pid:  # stop() reaps the part writer
            with pytest.raises(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        store = Store.open(archive)
        assert verify(store, archive / "index").ok
        store.close()
        assert not list((archive / "index").glob(".part-*"))
    # each commit lists two segments of a span each: as many commits' worth of segments, twice
    assert segments[True] >= segments[False] > 1
    # the same hits; scores within rounding: Whoosh's merges re-sum lengths stored lossily
    # (one byte a document), so indexes merged differently differ in the 4th digit
    one, two = hits(alone / "index"), hits(shared / "index")
    for query in QUERIES:
        assert [i for i, _ in one[query]] == [i for i, _ in two[query]], query
        assert [s for _, s in one[query]] == pytest.approx([s for _, s in two[query]], rel=1e-3)
    ix = writer.open_index(shared / "index")
    assert writer.doc_count(ix) == len(load_truth())
    ix.close()


def test_a_part_writer_killed_mid_span_costs_no_article(
    make_truth_archive, capfd: pytest.CaptureFixture[str]
) -> None:
    from archive.index_rows import watermark
    from archive.index_verify import verify
    from archive.store import Store

    archive = make_truth_archive()
    db, stream = stream_over(archive, span=1000, part=True)  # one open commit, never full
    try:
        stream.pull()
        assert stream._part is not None and stream._part.pending > 0
        os.kill(stream._part.pid, signal.SIGKILL)
        assert stream.finish() >= len(load_truth())
        assert watermark(db) > 0
    finally:
        stream.stop()
        db.close()
    assert "indexing goes on in one process" in capfd.readouterr().err
    store = Store.open(archive)
    report = verify(store, archive / "index")
    store.close()
    assert report.ok, report.problems()
    assert report.indexed == len(load_truth())


def test_a_failed_part_commit_commits_nothing_and_frees_the_lock(tmp_path: Path) -> None:
    from index import writer
    from index.part_writer import PartWriterFailed

    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, [{"id": 1, "title": "One", "body": "first", "seq": 1}])
    opened = writer.OpenWriter(ix)
    opened.add({"id": 2, "title": "Two", "body": "second", "seq": 2})

    def broken() -> list:
        raise PartWriterFailed("the second index writer ended unexpectedly")

    with pytest.raises(PartWriterFailed):
        opened.commit(merge=False, parts=broken)
    ix = writer.open_index(tmp_path / "index")
    assert writer.doc_count(ix) == 1
    writer.writer(ix, wait=0).cancel()  # free at once


def test_side_folders_of_a_killed_part_writer_go_with_the_next_writer(tmp_path: Path) -> None:
    from index import writer

    ix = writer.create_index(tmp_path / "index")
    stale = tmp_path / "index" / ".part-99999-3"
    stale.mkdir()
    (stale / "MAIN_abc.seg").write_bytes(b"half a segment")
    writer.OpenWriter(ix).cancel()
    assert not stale.exists()


def test_a_rebuild_with_a_part_writer_equals_one_without(tmp_path: Path) -> None:
    from index import writer

    rows = [
        {"id": i, "title": f"Story {i}", "body": f"The harbour report number {i} said.", "seq": i}
        for i in range(1, 2600)
    ]
    segments = {}
    for parallel in (False, True):
        folder = tmp_path / f"index-{parallel}"
        assert writer.build_fresh(folder, iter(rows), parallel=parallel) == len(rows)
        ix = writer.open_index(folder)
        segments[parallel] = len(list(ix._segments()))
        assert writer.doc_count(ix) == len(rows)
        ix.close()
        assert not list(folder.glob(".part-*"))
    assert segments[True] > segments[False]  # two writers: a segment each per commit
    queries = ["harbour", '"report number"', "said", "number 2599"]
    one = hits(tmp_path / "index-False", queries)
    two = hits(tmp_path / "index-True", queries)
    for query in queries:
        assert [i for i, _ in one[query]] == [i for i, _ in two[query]], query
        assert len(one[query]) == (1 if query == "number 2599" else len(rows))


@pytest.mark.parametrize("parallel", [False, True])
def test_a_rebuild_writes_segments_of_its_span_per_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    """A rebuild is searched only once complete: its segments are REBUILD_SPAN documents per
    writer (few and large), not the growing spans an ingest's follower commits."""
    from index import writer
    from index.whoosh_internals.writing import segment_doc_counts

    monkeypatch.setattr(writer, "REBUILD_SPAN", 500)
    rows = [
        {"id": i, "title": f"Story {i}", "body": f"Report {i}.", "seq": i} for i in range(1, 2600)
    ]
    folder = tmp_path / "index"
    assert writer.build_fresh(folder, iter(rows), parallel=parallel) == len(rows)
    ix = writer.open_index(folder)
    try:
        counts = sorted(segment_doc_counts(ix), reverse=True)
    finally:
        ix.close()
    assert sum(counts) == len(rows)
    # one writer: five full spans and the rest; two: commits of 500 + 500, then the rest halved
    assert counts == ([500] * 5 + [99] if not parallel else [500] * 4 + [300, 299])
