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
MAGIC = b"NPS2"
FOOTER = struct.Struct("<4sqq")  # magic, chunk count, offset of the index
CHUNK_HEADER = struct.Struct("<qqB")  # postings, positions, which arrays are narrow (bits)
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
    arrays = [_narrow(id_deltas, "<u2", "<u4"), stored.astype("<f4"), _narrow(counts, "<u2", "<u4"),
              _narrow(flat, "<u2", "<u4")]  # fmt: skip
    if not np.array_equal(arrays[1], stored):
        arrays[1] = stored
    kinds = sum(1 << i for i, a in enumerate(arrays) if a.dtype.itemsize == _NARROW[i])
    header = CHUNK_HEADER.pack(len(ids), len(flat), kinds)
    return b"".join([header, *(a.tobytes() for a in arrays)])


_NARROW = (2, 4, 2, 2)  # item sizes of the narrow kinds: ids, weights, counts, positions
_WIDE = ("<u4", "<f8", "<u4", "<u4")


def _narrow(values: Any, narrow: str, wide: str):  # type: ignore[no-untyped-def]

    return values.astype(narrow if not len(values) or values.max() < 65536 else wide)


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
    (ids, weights, counts, position deltas) or None when the term has no chunk; weights and
    deltas as stored (float32 or float64; uint16 or uint32): `running_sums` makes the
    deltas positions."""

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
        postings, positions, kinds = CHUNK_HEADER.unpack_from(data)
        at = CHUNK_HEADER.size
        found = []
        for i, size in enumerate((postings, postings, postings, positions)):
            kind = _WIDE[i] if not kinds & (1 << i) else ("<u2", "<f4", "<u2", "<u2")[i]
            found.append(np.frombuffer(data, kind, size, at))
            at += size * found[-1].itemsize
        # positions stay deltas, as stored: a phrase sums only those of the postings it keeps
        return np.cumsum(found[0], dtype=np.int64), found[1], found[2].astype(np.int64), found[3]


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


def term_arrays(
    reader: Any, fieldname: str, text: str, terminfo: Any = None
) -> tuple[Any, Any, Any, Any] | None:
    """A term's (ids, weights, counts, position deltas) from its segment's `.npos` part
    (`SidePart.arrays`), or None
    (no part, no chunk for the term, or the term is not in the segment). `terminfo`: the
    term's, when the caller looked it up already."""
    part = side_part(reader)
    if part is None:
        return None
    if terminfo is None:
        try:
            terminfo = reader.term_info(fieldname, text)
        except Exception:  # TermNotFound and anything unexpected: the blocks path decides
            return None
    if not hasattr(terminfo, "extent"):
        return None
    if terminfo.is_inlined():
        return None
    return part.arrays(terminfo.extent()[0])
