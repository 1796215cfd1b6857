"""A term's postings (document numbers, weights, positions) as arrays, one segment at a time.

Whoosh's matchers unpickle a whole block of postings to read one id: at 100k articles that
was 0.9 us per posting, three quarters of it in the positions, which only phrases need.
Here posting blocks are read and decoded by the seam (`index.whoosh_internals.blocks`:
ids and weights without the positions, positions undecoded until a phrase keeps them) and
assembled into lists and numpy arrays. A matcher that is not a block matcher is read
through Whoosh's public matcher methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate, chain
from typing import Any

from .whoosh_internals import blocks, side_reader
from .whoosh_internals.positions import decode_positions


def leaf_postings(reader: Any, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    """Segment-local document numbers (ascending, deleted ones included) and weights."""
    from whoosh.reading import TermNotFound

    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return [], []
    if not blocks.is_block_matcher(matcher):
        return _matcher_postings(matcher)
    ids: list[int] = []
    weights: list[float] = []
    for block in blocks.blocks(matcher):
        deltas, block_weights = block.ids_weights()
        ids.extend(accumulate(deltas))
        weights.extend(block_weights)
    return ids, weights


def leaf_arrays(reader: Any, fieldname: str, text: str) -> tuple[Any, Any]:
    """`leaf_postings` as numpy arrays (int64 ids, float64 weights), for the dense path.

    Each block is decoded into arrays by the seam (`Block.id_weight_arrays`, strided views
    of the pickle for a frequent word's blocks): at a million articles a frequent word's
    body postings took 80 ms as lists converted to arrays, 17 ms so."""
    import numpy as np
    from whoosh.reading import TermNotFound

    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return np.zeros(0, np.int64), np.zeros(0)
    if not blocks.is_block_matcher(matcher):
        ids, weights = _matcher_postings(matcher)
        return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
    found = [block.id_weight_arrays() for block in blocks.blocks(matcher)]
    if not found:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate([i for i, _ in found]), np.concatenate([w for _, w in found])


def _matcher_postings(matcher: Any) -> tuple[list[int], list[float]]:
    """Ids and weights through a matcher's public methods (postings kept inline, not in blocks)."""
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def leaf_ids(reader: Any, fieldname: str, text: str) -> list[int]:
    """Segment-local document numbers of one term (ascending, deleted ones included)."""
    return leaf_postings(reader, fieldname, text)[0]


def leaf_positions(reader: Any, fieldname: str, text: str, docs: list[int]) -> list[list[int]]:
    """The term's positions in each of `docs` (segment-local, ascending; [] where absent)."""
    import numpy as np

    found = leaf_position_postings(reader, fieldname, text, np.array(docs, dtype=np.int64))
    ends = np.cumsum(found.counts).tolist()
    flat = found.positions.tolist()
    lists = [
        flat[end - count : end] for end, count in zip(ends, found.counts.tolist(), strict=True)
    ]
    by_doc = dict(zip(found.ids.tolist(), lists, strict=True))
    return [by_doc.get(doc, []) for doc in docs]


@dataclass(slots=True)
class PositionPostings:
    """Postings of one term in one segment, as numpy arrays: `ids` (ascending), `weights`,
    `counts` (positions per posting) and `positions` (every posting's, one after another)."""

    ids: Any
    weights: Any
    counts: Any
    positions: Any


def leaf_position_postings(
    reader: Any, fieldname: str, text: str, docs: Any = None
) -> PositionPostings:
    """The term's postings in one segment with their positions, restricted to `docs` (a
    sorted numpy array of segment-local numbers) when given."""
    return leaf_phrase_postings(reader, fieldname, text, docs).with_positions()


def leaf_phrase_postings(
    reader: Any, fieldname: str, text: str, docs: Any = None, terminfo: Any = None
) -> BlockPostings | ArrayPostings:
    """The term's postings in one segment for a phrase, restricted to `docs` when given:
    from the segment's positions part when it has the term (arrays, nothing to decode),
    else from its blocks (`leaf_block_postings`). `terminfo`: the term's, when the caller
    looked it up already."""
    found = side_reader.term_arrays(reader, fieldname, text, terminfo)
    if found is None:
        return leaf_block_postings(reader, fieldname, text, docs)
    arrays = ArrayPostings(*found)
    return arrays if docs is None else arrays.keep(docs)


def sorted_members(values: Any, wanted: Any):  # type: ignore[no-untyped-def]
    """Which of `values` are in `wanted` (both sorted numpy arrays): `np.isin` without its
    sort, which was a tenth of a phrase's time."""
    import numpy as np

    if not len(wanted):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(wanted, values)
    at[at == len(wanted)] = 0
    return wanted[at] == values


@dataclass(slots=True)
class ArrayPostings:
    """A term's postings in one segment as the `.npos` part stores them
    (`whoosh_internals.side_positions`): `ids`, `counts` and, as stored, `weights` and each
    posting's position `deltas`. `keep` and `with_positions` as `BlockPostings`, in numpy
    alone; positions are summed only for the postings kept."""

    ids: Any
    weights: Any
    counts: Any
    deltas: Any

    def keep(self, docs: Any) -> ArrayPostings:
        """Only the postings of `docs` (a sorted numpy array)."""
        import numpy as np

        if len(docs) == len(self.ids) and np.array_equal(docs, self.ids):
            return self
        kept = sorted_members(self.ids, docs)
        return ArrayPostings(
            self.ids[kept],
            self.weights[kept],
            self.counts[kept],
            self.deltas[np.repeat(kept, self.counts)],
        )

    def with_positions(self) -> PositionPostings:
        import numpy as np

        positions = side_reader.running_sums(self.deltas.astype(np.int64), self.counts)
        return PositionPostings(self.ids, self.weights.astype(np.float64), self.counts, positions)


@dataclass(slots=True)
class BlockPostings:
    """A term's postings in one segment before their positions are decoded: `ids`
    (ascending) and `weights` as numpy arrays, each posting's value as stored.

    A phrase first narrows the documents on ids alone (`keep`), then decodes the positions
    of the postings left (`with_positions`): decoding was most of a phrase's cost, and most
    postings of its commoner words are in documents without the other words."""

    ids: Any
    weights: Any
    values: list[Any]
    decoded: bool = False  # values are position deltas already (the generic path)

    def keep(self, docs: Any) -> BlockPostings:
        """Only the postings of `docs` (a sorted numpy array)."""
        import numpy as np

        if len(docs) == len(self.ids) and np.array_equal(docs, self.ids):
            return self
        kept = np.flatnonzero(sorted_members(self.ids, docs))
        values = self.values
        return BlockPostings(
            self.ids[kept], self.weights[kept], [values[i] for i in kept.tolist()], self.decoded
        )

    def with_positions(self) -> PositionPostings:
        if self.decoded:
            return _with_positions(self.ids, self.weights, self.values)
        return _with_positions(self.ids, self.weights, decode_positions(self.values))


def leaf_block_postings(reader: Any, fieldname: str, text: str, docs: Any = None) -> BlockPostings:
    """The term's postings in one segment, positions undecoded, restricted to `docs` (a
    sorted numpy array of segment-local numbers) when given.

    Only blocks whose id range holds one of `docs` are read; each is decompressed and
    unpickled as a whole (C calls) and the per-posting work is numpy; the positions are
    unpickled later in one call for all the postings kept (`decode_positions`).
    """
    import numpy as np
    from whoosh.reading import TermNotFound

    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return BlockPostings(np.zeros(0, np.int64), np.zeros(0), [])
    if not blocks.is_block_matcher(matcher):
        return _block_postings_generic(matcher, docs)
    deltas: list[int] = []
    sizes: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    lo = 0
    for block in blocks.blocks(matcher):
        if docs is not None:
            hi = int(np.searchsorted(docs, block.maxid, side="right"))
            if hi == lo:  # no wanted document in this block's range
                continue
            lo = hi
        block_ids, block_weights, block_values = block.ids_weights_values()
        deltas.extend(block_ids)
        sizes.append(len(block_ids))
        values.extend(block_values)
        weights.extend(block_weights)
        if docs is not None and lo == len(docs):
            break
    # a block's ids are deltas from 0: running sums restarting at every block
    ids = side_reader.running_sums(np.array(deltas, dtype=np.int64), np.asarray(sizes))
    found = BlockPostings(ids, np.array(weights, dtype=np.float64), values)
    return found if docs is None else found.keep(docs)


def _with_positions(ids: Any, weights: Any, deltas: list[list[int]]) -> PositionPostings:
    """Position deltas (each list from 0) as one array of positions and one of counts."""
    import numpy as np

    counts = np.fromiter(map(len, deltas), dtype=np.int64, count=len(deltas))
    flat = np.fromiter(chain.from_iterable(deltas), dtype=np.int64, count=int(counts.sum()))
    return PositionPostings(ids, weights, counts, side_reader.running_sums(flat, counts))


def _block_postings_generic(matcher: Any, docs: Any) -> BlockPostings:
    import numpy as np

    wanted = None if docs is None else set(docs.tolist())
    ids: list[int] = []
    weights: list[float] = []
    deltas: list[list[int]] = []
    while matcher.is_active():
        if wanted is None or matcher.id() in wanted:
            ids.append(matcher.id())
            weights.append(matcher.weight())
            positions = matcher.value_as("positions")
            deltas.append([b - a for a, b in zip([0, *positions], positions, strict=False)])
        matcher.next()
    return BlockPostings(np.array(ids, dtype=np.int64), np.array(weights), deltas, decoded=True)
