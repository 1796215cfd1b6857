"""A frequent term's postings with positions as plain arrays, in one more part of each segment.

Whoosh keeps positions inside the posting blocks, one pickled list per posting, and a block
is unpickled whole. A phrase of two words each found in 10-30 % of documents therefore
unpickled every block of both words and decoded their positions: at a million articles
the bench's phrases took 497 ms at p95 against FTS5's 66 ms, nearly all of it in the pickles.

Segments written through `PositionsCodec` carry one more part, `.npos` (packed into the
compound `.seg` file with Whoosh's own parts; stock Whoosh lists it and never opens it):
for every term of a `Positions` field with at least `MIN_POSTINGS` postings in blocks, a
zlib-compressed chunk of four little-endian arrays, document numbers (uint32), weights
(float64, as stored), position counts (uint32) and positions (uint32, absolute, posting
after posting), found by the term's postings offset in `.pst` (`W3TermInfo.extent`). Merges
write through the same codec, so merged segments have the part too. A segment without it
(written before, or by stock Whoosh) and a term without a chunk are read from the blocks.

The codec pickles as Whoosh's own `W3Codec`, so the table of contents names no class of
this package and stock whoosh-reloaded still opens the index.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
from whoosh.formats import Positions
from whoosh.system import pack_ushort

from .positions import decode_positions

try:  # ISA-L inflates about twice as fast as zlib (same bytes out)
    from isal.isal_zlib import decompress as inflate
except ImportError:
    from zlib import decompress as inflate

EXT = ".npos"
MAGIC = b"NPOS"
FOOTER = struct.Struct("<4sqq")  # magic, chunk count, offset of the index
CHUNK_HEADER = struct.Struct("<qq")  # postings, positions
# Terms with fewer postings are read from their blocks (a few blocks at most): a chunk per
# term of the long tail would cost more to write than it saves. Tests lower it to 1.
MIN_POSTINGS = 64
COMPRESSION = 1  # zlib level: positions compress about 3x at 1 as at 6, in a fraction of the time


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
    """One term's chunk, uncompressed: header, ids, weights, counts, absolute positions."""
    from itertools import chain

    import numpy as np

    deltas = decode_positions(values)
    counts = np.fromiter(map(len, deltas), np.int64, len(deltas))
    flat = np.fromiter(chain.from_iterable(deltas), np.int64, int(counts.sum()))
    return b"".join(
        (
            CHUNK_HEADER.pack(len(ids), len(flat)),
            np.array(ids, "<u4").tobytes(),
            np.array(weights, "<f8").tobytes(),
            counts.astype("<u4").tobytes(),
            running_sums(flat, counts).astype("<u4").tobytes(),
        )
    )


def running_sums(flat: Any, counts: Any):  # type: ignore[no-untyped-def]
    """Position deltas (each posting's list starting from 0) as absolute positions."""
    import numpy as np

    if not len(flat):
        return flat
    total = np.cumsum(flat)
    before = np.concatenate(([0], total))[np.cumsum(counts) - counts]
    return total - np.repeat(before, counts)


class SidePart:
    """The `.npos` part of one segment, opened: `arrays(postings_offset)` gives a term's
    (ids, weights, counts, positions) or None when the term has no chunk."""

    def __init__(self, part: Any) -> None:
        import numpy as np

        self._part = part
        length = len(part._buf)
        magic, count, index_at = FOOTER.unpack(part.get(length - FOOTER.size, FOOTER.size))
        if magic != MAGIC or index_at + 24 * count + FOOTER.size != length:
            raise ValueError("not a positions part")
        self._keys = np.frombuffer(part.get(index_at, 8 * count), "<i8")
        self._spans = np.frombuffer(part.get(index_at + 8 * count, 16 * count), "<i8")

    def arrays(self, key: int) -> tuple[Any, Any, Any, Any] | None:
        import numpy as np

        at = int(np.searchsorted(self._keys, key))
        if at == len(self._keys) or self._keys[at] != key:
            return None
        start, length = (int(v) for v in self._spans[2 * at : 2 * at + 2])
        data = inflate(self._part.get(start, length))
        postings, positions = CHUNK_HEADER.unpack_from(data)
        at = CHUNK_HEADER.size
        ids = np.frombuffer(data, "<u4", postings, at).astype(np.int64)
        at += 4 * postings
        weights = np.frombuffer(data, "<f8", postings, at).astype(np.float64)
        at += 8 * postings
        counts = np.frombuffer(data, "<u4", postings, at).astype(np.int64)
        at += 4 * postings
        return ids, weights, counts, np.frombuffer(data, "<u4", positions, at).astype(np.int64)


_NO_PART = object()


def side_part(reader: Any) -> SidePart | None:
    """The `.npos` part of a segment reader's segment, opened once per reader; None when
    the segment has none (or the reader is not a W3 segment reader)."""
    cached = reader.__dict__.get("_newsarchive_npos")
    if cached is None:
        cached = _NO_PART
        segment, storage = getattr(reader, "_segment", None), getattr(reader, "_storage", None)
        if segment is not None and storage is not None:
            name = segment.make_filename(EXT)
            if storage.file_exists(name):
                part = storage.open_file(name)
                if hasattr(part, "_buf") and hasattr(part, "get"):
                    try:
                        cached = SidePart(part)
                    except (ValueError, struct.error):
                        cached = _NO_PART
        reader.__dict__["_newsarchive_npos"] = cached
    return None if cached is _NO_PART else cached


def term_arrays(reader: Any, fieldname: str, text: str) -> tuple[Any, Any, Any, Any] | None:
    """A term's (ids, weights, counts, positions) from its segment's `.npos` part, or None
    (no part, no chunk for the term, or the term is not in the segment)."""
    part = side_part(reader)
    if part is None:
        return None
    try:
        terminfo = reader.term_info(fieldname, text)
    except Exception:  # TermNotFound and anything unexpected: the blocks path decides
        return None
    if terminfo.is_inlined():
        return None
    return part.arrays(terminfo.extent()[0])
