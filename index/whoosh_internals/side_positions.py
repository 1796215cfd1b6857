"""A frequent term's postings with positions as plain arrays, in one more part of each segment.

Whoosh keeps positions inside the posting blocks, one pickled list per posting, and a block
is unpickled whole. A phrase of two words each found in 10-30 % of documents therefore
unpickled every block of both words and decoded their positions: at a million articles
the bench's phrases took 497 ms at p95 against FTS5's 66 ms, nearly all of it in the pickles.

Segments written through `PositionsCodec` carry one more part, `.npos` (packed into the
compound `.seg` file with Whoosh's own parts; stock Whoosh lists it and never opens it):
for every term of a `Positions` field with at least `MIN_POSTINGS` postings in blocks, a
zlib-compressed chunk of four little-endian arrays, document numbers (deltas), weights (as
stored), position counts and positions (deltas within each posting, as Whoosh's values
hold them), each in 16 bits when its values fit (32 for weights that float32 holds
exactly) and else 32 (64), found by the term's postings offset in `.pst`
(`W3TermInfo.extent`). Merges write through the same codec, so merged segments have the
part too. A segment without it (written before, or by stock Whoosh) and a term without a
chunk are read from the blocks.

The codec pickles as Whoosh's own `W3Codec`, so the table of contents names no class of
this package and stock whoosh-reloaded still opens the index.
"""

from __future__ import annotations

import zlib
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
from whoosh.formats import Positions
from whoosh.system import pack_ushort

from .positions import decode_positions
from .side_reader import CHUNK_HEADER, EXT, FOOTER, MAGIC, NARROW, WIDE

# Terms with fewer postings in a segment are read from their blocks: the long tail of rare
# words would cost more to write than it saves. At 10k articles the part made the index
# 15 % larger at 64 and 20 % at 16, writing 3 % and 8 % slower; at 100k the bench's phrase
# p95 was 17-19 ms reading chunks of 64+ postings only, 16 ms at 16 (bench/README.md).
# Tests lower it to 1.
MIN_POSTINGS = 16
COMPRESSION = 1  # zlib's fastest level: every segment written and every merge compresses


class PositionsCodec(W3Codec):
    """Whoosh's W3 codec that also writes the `.npos` part (module docstring)."""

    def field_writer(self, storage: Any, segment: Any) -> PositionsFieldWriter:
        return PositionsFieldWriter(self, storage, segment)

    def __reduce_ex__(self, protocol: Any):  # type: ignore[no-untyped-def,override]
        """Pickle as Whoosh's own W3Codec: the index's TOC names no class of this package."""
        return W3Codec, (), dict(self.__dict__)


class PositionsFieldWriter(W3FieldWriter):
    """W3FieldWriter that keeps the postings of a positional field's term while Whoosh
    writes them, and writes them as a chunk when the term is finished."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._side: Any = None  # created at the first chunk
        self._side_at = 0
        self._keys: list[int] = []  # postings offsets, ascending
        self._spans: list[int] = []  # chunk offset, chunk length, ...
        self._positional = False
        self._ids: list[int] = []
        self._weights: list[float] = []
        self._values: list[bytes] = []

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        self._positional = type(fieldobj.format) is Positions

    def start_term(self, btext: bytes) -> None:
        super().start_term(btext)
        if self._positional:
            self._ids, self._weights, self._values = [], [], []

    def add(self, docnum: int, weight: float, vbytes: bytes, length: int) -> None:
        self._postwriter.add_posting(docnum, weight, vbytes, length)
        if self._positional:
            self._ids.append(docnum)
            self._weights.append(weight)
            self._values.append(vbytes)

    def finish_term(self) -> None:
        # W3FieldWriter.finish_term, with the chunk written between its two steps
        terminfo = self._postwriter.finish_postings()
        if self._positional and len(self._ids) >= MIN_POSTINGS and not terminfo.is_inlined():
            self._write_chunk(terminfo.extent()[0])
        self._tindex.add(pack_ushort(self._fieldid) + self._btext, terminfo.to_bytes())

    def _write_chunk(self, key: int) -> None:
        chunk = zlib.compress(chunk_bytes(self._ids, self._weights, self._values), COMPRESSION)
        if self._side is None:
            self._side = self._segment.create_file(self._storage, EXT)
        self._side.write(chunk)
        self._keys.append(key)
        self._spans += (self._side_at, len(chunk))
        self._side_at += len(chunk)

    def close(self) -> None:
        if self._side is not None:
            import numpy as np

            index_at = self._side_at
            self._side.write(np.array(self._keys, "<i8").tobytes())
            self._side.write(np.array(self._spans, "<i8").tobytes())
            self._side.write(FOOTER.pack(MAGIC, len(self._keys), index_at))
            self._side.close()
        super().close()


def chunk_bytes(ids: list[int], weights: list[float], values: list[Any]) -> bytes:
    """One term's chunk, uncompressed: header, id deltas, weights, counts, position deltas."""
    from itertools import chain

    import numpy as np

    deltas = decode_positions(values)
    counts = np.fromiter(map(len, deltas), np.int64, len(deltas))
    flat = np.fromiter(chain.from_iterable(deltas), np.int64, int(counts.sum()))
    id_deltas = np.diff(np.array(ids, np.int64), prepend=0)
    stored = np.array(weights, "<f8")
    arrays = [_narrow(id_deltas, 0), stored.astype(NARROW[1]), _narrow(counts, 2), _narrow(flat, 3)]
    if not np.array_equal(arrays[1], stored):
        arrays[1] = stored
    kinds = sum(1 << i for i, a in enumerate(arrays) if a.dtype.str == NARROW[i])
    header = CHUNK_HEADER.pack(len(ids), len(flat), kinds)
    return b"".join([header, *(a.tobytes() for a in arrays)])


def _narrow(values: Any, kind: int):  # type: ignore[no-untyped-def]
    """Integers in 16 bits when they fit, else in 32 (`kind`: which of the four arrays)."""
    return values.astype(NARROW[kind] if not len(values) or values.max() < 65536 else WIDE[kind])
