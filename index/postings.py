"""A term's postings (document numbers and weights) read a block at a time, positions left out.

Whoosh stores each block of up to 128 postings as one zlib-compressed pickle of
(id deltas, weights, positions), and its matchers unpickle the whole block to read one id:
at 100k articles that was 0.9 us per posting, three quarters of it in the positions,
which only phrases need. The ids and weights come first in the pickle, so here only that
prefix is decompressed (`max_length`), matched against the pickle opcodes it can hold,
and unpickled with a tuple-and-stop appended: about 4x faster, the same values.
A block that does not look as expected is read whole, as Whoosh would.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from itertools import accumulate, chain
from pickle import loads
from typing import Any

try:  # ISA-L inflates a whole posting block in about half zlib's time (same bytes out)
    from isal.isal_zlib import decompress as inflate
except ImportError:  # a platform without its wheels: the standard library
    from zlib import decompress as inflate

_INTS = rb"(?:K.|M..|J....)"  # BININT1 / BININT2 / BININT: the id deltas
_FLOAT = rb"(?:G.{8})"  # BINFLOAT: a weight
_MEMO = rb"(?:q.|r....)?"  # BINPUT / LONG_BINPUT after a tuple
_IDS_WEIGHTS = re.compile(
    rb"\x80\x02(?:\(" + _INTS + rb"*t|" + _INTS + rb"{1,3}[\x85-\x87]|\))" + _MEMO
    + rb"(?:N|\(" + _FLOAT + rb"*t" + _MEMO + rb"|" + _FLOAT + rb"{1,3}[\x85-\x87]" + _MEMO
    + rb"|" + _FLOAT + rb")",
    re.S,
)  # fmt: skip
_TUPLE2_STOP = b"\x86."


def _block_ids_weights(data: bytes, compression: int, size: int) -> tuple[tuple, Any]:
    """(id deltas, weights as stored) of one block's data bytes."""
    # 14 bytes per posting bounds the ids (at most 5 each) and weights (9 each)
    raw = zlib.decompressobj().decompress(data, 14 * size + 32) if compression else data
    found = _IDS_WEIGHTS.match(raw)
    if found is not None:
        try:
            deltas, weights = loads(raw[: found.end()] + _TUPLE2_STOP)
            if len(deltas) == size:
                return deltas, weights
        except Exception:  # any surprise: read the block whole below
            pass
    whole = loads(inflate(data) if compression else data)
    return whole[0], whole[1]


def _is_block_matcher(matcher: Any) -> bool:
    from whoosh.codec.whoosh3 import W3LeafMatcher

    return type(matcher) is W3LeafMatcher and not matcher._byteids


def leaf_postings(reader: Any, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    """Segment-local document numbers (ascending, deleted ones included) and weights."""
    from whoosh.reading import TermNotFound

    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return [], []
    ids: list[int] = []
    weights: list[float] = []
    if not _is_block_matcher(matcher):
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    postfile = matcher._postfile
    while matcher.is_active():
        size = matcher._blocklength
        data = postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        deltas, stored = _block_ids_weights(data, matcher._compression, size)
        ids.extend(accumulate(deltas))
        if stored is None:
            weights.extend([1.0] * size)
        elif isinstance(stored, float):
            weights.extend([stored] * size)
        else:
            weights.extend(stored)
        matcher._next_block()
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
    return leaf_block_postings(reader, fieldname, text, docs).with_positions()


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
        kept = np.flatnonzero(np.isin(self.ids, docs, assume_unique=True))
        values = self.values
        return BlockPostings(
            self.ids[kept], self.weights[kept], [values[i] for i in kept.tolist()], self.decoded
        )

    def with_positions(self) -> PositionPostings:
        if self.decoded:
            return _with_positions(self.ids, self.weights, self.values)
        return _with_positions(self.ids, self.weights, _decode_positions(self.values))


def leaf_block_postings(reader: Any, fieldname: str, text: str, docs: Any = None) -> BlockPostings:
    """The term's postings in one segment, positions undecoded, restricted to `docs` (a
    sorted numpy array of segment-local numbers) when given.

    Only blocks whose id range holds one of `docs` are read; each is decompressed and
    unpickled as a whole (C calls) and the per-posting work is numpy; the positions are
    unpickled later in one call for all the postings kept (`_decode_positions`).
    """
    import numpy as np
    from whoosh.reading import TermNotFound

    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return BlockPostings(np.zeros(0, np.int64), np.zeros(0), [])
    if not _is_block_matcher(matcher):
        return _block_postings_generic(matcher, docs)
    postfile = matcher._postfile
    deltas: list[int] = []
    sizes: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    lo = 0
    while matcher.is_active():
        if docs is not None:
            hi = int(np.searchsorted(docs, matcher._maxid, side="right"))
            if hi == lo:  # no wanted document in this block's range
                matcher._next_block()
                continue
            lo = hi
        data = postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        block_ids, stored, block_values = _load_block(
            inflate(data) if matcher._compression else data
        )
        deltas.extend(block_ids)
        sizes.append(len(block_ids))
        values.extend(block_values)
        if stored is None:
            weights.extend([1.0] * len(block_ids))
        elif isinstance(stored, float):
            weights.extend([stored] * len(block_ids))
        else:
            weights.extend(stored)
        matcher._next_block()
        if docs is not None and lo == len(docs):
            break
    ids = _segmented_cumsum(np.array(deltas, dtype=np.int64), sizes)
    found = BlockPostings(ids, np.array(weights, dtype=np.float64), values)
    return found if docs is None else found.keep(docs)


def _with_positions(ids: Any, weights: Any, deltas: list[list[int]]) -> PositionPostings:
    """Position deltas (each list from 0) as one array of positions and one of counts."""
    import numpy as np

    counts = np.fromiter(map(len, deltas), dtype=np.int64, count=len(deltas))
    flat = np.fromiter(chain.from_iterable(deltas), dtype=np.int64, count=int(counts.sum()))
    return PositionPostings(ids, weights, counts, _segmented_cumsum(flat, counts))


_ENCODE_GLOBAL = b"c_codecs\nencode\n"
_SLICE_GLOBAL = b"cbuiltins\nslice\n"


def _load_block(raw: bytes) -> tuple[Any, Any, Any]:
    """A block's (id deltas, weights, values), values left undecoded where possible.

    Protocol-2 pickles store each bytes value as a call `_codecs.encode(text, "latin1")`,
    and those calls were 40% of reading a block. The block names that function once (later
    values refer back to it), so naming `slice` there instead gives each value as
    `slice(text, "latin1")` at a fraction of the cost; the caller encodes only the values
    it keeps (`text.encode("latin-1")` is what `_codecs.encode` would have returned).
    """
    if raw.count(_ENCODE_GLOBAL) == 1:
        try:
            found = loads(raw.replace(_ENCODE_GLOBAL, _SLICE_GLOBAL))
            if all(type(v) is slice and v.stop == "latin1" for v in found[2][:1]):
                return found
        except Exception:  # any surprise: read it as Whoosh does below
            pass
    return loads(raw)


def _segmented_cumsum(flat: Any, sizes: list[int]):  # type: ignore[no-untyped-def]
    """Running sums of `flat` restarting at every segment (a block's ids are deltas from 0)."""
    import numpy as np

    if not len(flat):
        return flat
    sizes = np.asarray(sizes)
    total = np.cumsum(flat)
    before = np.concatenate(([0], total))[np.cumsum(sizes) - sizes]
    return total - np.repeat(before, sizes)


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


def _decode_positions(values: list[Any]) -> list[list[int]]:
    """Position deltas of many postings: each value is a 4-byte count and a pickled list,
    so the lists are joined into one pickled list of lists and read at once.

    Whoosh's Positions format writes every value as `pack_uint(n) + dumps(deltas, 2)`; the
    first and last values are checked for that shape, and a joined pickle that does not
    give one list per value (some value was shaped otherwise) is read one value at a time.
    Values `_load_block` left as text (`slice(text, "latin1")`) are joined as text and
    encoded once."""
    if values and all(type(v) is slice for v in values):
        texts = [v.start for v in values]
        if all(t[4:6] == "\x80\x02" and t[-1:] == "." for t in (texts[0], texts[-1])):
            joined = "".join([t[6:-1] for t in texts]).encode("latin-1")
            found = _joined_lists(joined, len(values))
            if found is not None:
                return found
        values = [t.encode("latin-1") for t in texts]
    else:
        values = [v.start.encode("latin-1") if type(v) is slice else v for v in values]
    if values and all(v[4:6] == b"\x80\x02" and v[-1:] == b"." for v in (values[0], values[-1])):
        found = _joined_lists(b"".join([v[6:-1] for v in values]), len(values))
        if found is not None:
            return found
    return [loads(v[4:] if v.endswith(b".") else v[4:] + b".") for v in values]


def _joined_lists(joined: bytes, count: int) -> list[list[int]] | None:
    """The pickled lists `joined` (each without its protocol header and stop) as one list."""
    try:
        found = loads(b"\x80\x02(" + joined + b"l.")
    except Exception:  # any surprise: the caller reads one value at a time
        return None
    return found if len(found) == count else None
