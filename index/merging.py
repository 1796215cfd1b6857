"""Which segments a commit merges: small ones, a tier at a time, never a large one.

Whoosh's default policy (`MERGE_SMALL`) merges the smallest segments up to the first count
`i` at which their documents are fewer than the Fibonacci number `fib(i + 5)`. That bound
grows faster than an ingest's segments accumulate: with about 25 segments of similar size
it takes nearly all of them, so a long ingest's last commit became one process merging
most of the index (at 300k articles, 23 of 26 segments, 231k articles: a 29-minute "index
tail" in bench/README.md, 26 minutes at a million), the newest span unsearchable meanwhile.

Here, as in Lucene's LogMergePolicy, only segments under `SMALL_DOCS` documents take part,
grouped in tiers of sizes within a factor `MERGE_FACTOR` (1-9, 10-99, 100-999, 1,000-1,999
documents): a tier holding `MERGE_FACTOR` segments or more is merged into the commit's new
segment. Each article is merged a few times at most, one merge takes at most about
`MERGE_FACTOR` × `SMALL_DOCS` articles, and the large segments of a long ingest or a rebuild
stay as they are (`newsarchive reindex` writes an index in large segments). Segments whose
every document is deleted are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# The ingest's follower commits spans of 2,000 articles and more, so segments under that come
# from small ingests (a `watch` round, a catch-up, a removal's rewrite): those are merged.
SMALL_DOCS = 2_000
MERGE_FACTOR = 10


def tier(docs: int) -> int:
    """The size class of a segment of `docs` documents: floor(log_MERGE_FACTOR(docs))."""
    level = 0
    while docs >= MERGE_FACTOR:
        docs //= MERGE_FACTOR
        level += 1
    return level


def to_merge(counts: Sequence[tuple[int, int]]) -> set[int]:
    """Which segments to merge, by position, from each one's (documents including deleted
    ones, live documents): the empty ones, and every small tier holding MERGE_FACTOR or
    more segments."""
    chosen = {i for i, (_, live) in enumerate(counts) if live == 0}
    tiers: dict[int, list[int]] = {}
    for i, (total, _) in enumerate(counts):
        if i not in chosen and total < SMALL_DOCS:
            tiers.setdefault(tier(total), []).append(i)
    for members in tiers.values():
        if len(members) >= MERGE_FACTOR:
            chosen.update(members)
    return chosen


def merge_small_tiers(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh merge policy (`SegmentWriter.commit(mergetype=...)`): adds the segments
    `to_merge` picks to the writer's new segment and returns the others."""
    from whoosh.reading import SegmentReader

    chosen = to_merge([(s.doc_count_all(), s.doc_count()) for s in segments])
    for i in sorted(chosen):
        if segments[i].doc_count():
            reader = SegmentReader(writer.storage, writer.schema, segments[i])
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
    return [s for i, s in enumerate(segments) if i not in chosen]


def merge_policy(merge: bool) -> Callable[[Any, list[Any]], list[Any]]:
    """What a commit passes Whoosh as `mergetype`: `merge_small_tiers`, or no merge."""
    if merge:
        return merge_small_tiers
    from whoosh.writing import NO_MERGE

    return NO_MERGE
