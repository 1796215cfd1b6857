"""Reading the `.npos` part of a segment: a frequent term's postings and positions as arrays.

The part is written by `side_positions.PositionsCodec` (whose docstring says why): for every
term of a `Positions` field with enough postings in a segment, a zlib-compressed chunk of
four little-endian arrays, document numbers (deltas), weights (as stored), position counts
and positions (deltas within each posting, as Whoosh's values hold them), each in 16 bits
when its values fit (32 for weights that float32 holds exactly) and else 32 (64); then the
chunks' keys (the term's postings offset in `.pst`, `W3TermInfo.extent`) and spans, and a
footer. This module imports no Whoosh module: searching pays for the codec classes only
when it writes.
"""

from __future__ import annotations

import struct
from typing import Any

try:  # ISA-L inflates about twice as fast as zlib (same bytes out)
    from isal.isal_zlib import decompress as inflate
except ImportError:
    from zlib import decompress as inflate

EXT = ".npos"
MAGIC = b"NPS2"
FOOTER = struct.Struct("<4sqq")  # magic, chunk count, offset of the index
CHUNK_HEADER = struct.Struct("<qqB")  # postings, positions, which arrays are narrow (bits)
NARROW = ("<u2", "<f4", "<u2", "<u2")  # the narrow kinds: ids, weights, counts, positions
WIDE = ("<u4", "<f8", "<u4", "<u4")


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
            kind = WIDE[i] if not kinds & (1 << i) else NARROW[i]
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
    (`SidePart.arrays`), or None (no part, no chunk for the term, or the term is not in the
    segment). `terminfo`: the term's, when the caller looked it up already."""
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
