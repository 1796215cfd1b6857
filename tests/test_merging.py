"""The merge policy (index/merging.py): small segments merge a tier at a time, large ones
never, so a long ingest's last commit stays a commit and not a merge of the whole index."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import merging


def test_a_full_small_tier_is_chosen_and_nothing_else() -> None:
    ten_small = [(20, 20)] * 10
    assert merging.to_merge(ten_small) == set(range(10))
    assert merging.to_merge(ten_small[:9]) == set()
    # 1-9, 10-99, 100-999: a tier is sizes within a factor of ten
    mixed = [(5, 5)] * 10 + [(150, 150)] * 9 + [(50, 50)]
    assert merging.to_merge(mixed) == set(range(10))


def test_large_segments_never_merge_however_many() -> None:
    # thirty ingest spans of 20,000: Whoosh's MERGE_SMALL would merge 24 of them at once
    assert merging.to_merge([(20_000, 20_000)] * 30) == set()
    at_the_bound = [(merging.SMALL_DOCS, merging.SMALL_DOCS)] * 12
    assert merging.to_merge(at_the_bound) == set()


def test_segments_with_every_document_deleted_are_dropped() -> None:
    assert merging.to_merge([(20_000, 0), (20_000, 19_000), (3, 0)]) == {0, 2}


def _index_with_commits(folder: Path, sizes: list[int]):  # type: ignore[no-untyped-def]
    from index import writer

    ix = writer.create_index(folder)
    next_id = 1
    for size in sizes:
        rows = [
            {"id": i, "title": f"Story {i}", "body": f"The harbour report {i}.", "seq": i}
            for i in range(next_id, next_id + size)
        ]
        next_id += size
        writer.write_batch(ix, rows, merge=False)
    return ix, next_id - 1


def test_a_merging_commit_folds_a_full_tier_and_keeps_the_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import writer
    from index.searcher import search
    from index.whoosh_internals.writing import segment_doc_counts

    monkeypatch.setattr(merging, "SMALL_DOCS", 100)
    # twelve "large" segments (100+ documents each, the bound lowered) and ten of 3
    ix, total = _index_with_commits(tmp_path / "index", [100] * 12 + [3] * 10)
    ix.close()
    writer.merge_small(tmp_path / "index")
    ix = writer.open_index(tmp_path / "index")
    try:
        counts = sorted(segment_doc_counts(ix))
        assert counts == [30] + [100] * 12  # the ten small ones in one, none of the large
        assert len(search(ix, "harbour", all_hits=True).ids) == total
    finally:
        ix.close()


def test_small_commits_one_by_one_stay_few_segments(tmp_path: Path) -> None:
    """A `watch` loop's commits of a few articles each: merged as they come, by tiers."""
    from index import writer
    from index.whoosh_internals.writing import segment_doc_counts

    ix = writer.create_index(tmp_path / "index")
    for i in range(1, 121):
        row = {"id": i, "title": f"Story {i}", "body": "A harbour report.", "seq": i}
        writer.write_batch(ix, [row])  # merge=True, as a catch-up commits
    ix.close()
    ix = writer.open_index(tmp_path / "index")
    try:
        counts = segment_doc_counts(ix)
    finally:
        ix.close()
    assert sum(counts) == 120
    assert len(counts) < 2 * merging.MERGE_FACTOR
