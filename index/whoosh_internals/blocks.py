"""Posting blocks of Whoosh's W3 codec, read a block at a time and decoded here.

Whoosh stores each block of a term's postings as one zlib-compressed pickle of
(id deltas, weights, values) and its matcher unpickles the whole block to read one id: at
100k articles that was 0.9 us per posting, three quarters of it in the values (positions),
which only phrases need. Here a block is reached through `W3LeafMatcher`'s private block
state (`_postfile`, `_dataoffset`, `_nextoffset`, `_blocklength`, `_compression`, `_maxid`,
`_next_block`) and decoded with three shortcuts, each checked and falling back to reading
the block as Whoosh would:

- ids and weights only: they come first in the pickle, so only that prefix is
  decompressed (`max_length`), matched against the pickle opcodes it can hold and unpickled
  with a tuple-and-stop appended: about 4x faster, the same values;
- values undecoded: protocol-2 pickles call `_codecs.encode(text, "latin1")` per bytes
  value; naming `slice` instead keeps each as text until the caller keeps it;
- positions of many postings at once: `positions.decode_positions`;
- ids and weights as numpy arrays (`id_weight_arrays`, the dense path): a frequent word's
  block is its first id and then one-byte deltas (`K` and a byte each) and its weights
  `G` and eight bytes each, so both are read as strided numpy views of the decompressed
  prefix, checked opcode by opcode; any other shape is unpickled as above. At a million
  articles a frequent word's body postings took 60 ms this way, 17 ms.

`index.postings` assembles these blocks into arrays; nothing else reads a block.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Sequence
from pickle import loads
from typing import Any

try:  # ISA-L inflates a whole posting block in about half zlib's time (same bytes out)
    from isal.isal_zlib import decompress as inflate
except ImportError:  # a platform without its wheels: the standard library
    from zlib import decompress as inflate

_INTS = rb"(?:K.|M..|J....)"  # BININT1 / BININT2 / BININT: the id deltas
_FLOAT = rb"(?:G.{8})"  # BINFLOAT: a weight
_MEMO = rb"(?:q.|r....)?"  # BINPUT / LONG_BINPUT after a tuple
# `*+` (possessive, no backtracking into a run of ints or floats): 15 % faster, same matches
_IDS_WEIGHTS = re.compile(
    rb"\x80\x02(?:\(" + _INTS + rb"*+t|" + _INTS + rb"{1,3}[\x85-\x87]|\))" + _MEMO
    + rb"(?:N|\(" + _FLOAT + rb"*+t" + _MEMO + rb"|" + _FLOAT + rb"{1,3}[\x85-\x87]" + _MEMO
    + rb"|" + _FLOAT + rb")",
    re.S,
)  # fmt: skip
_TUPLE2_STOP = b"\x86."
_ENCODE_GLOBAL = b"c_codecs\nencode\n"
_SLICE_GLOBAL = b"cbuiltins\nslice\n"


def is_block_matcher(matcher: Any) -> bool:
    """Whether `matcher` is a W3 leaf matcher over stored blocks (not an in-memory id list)."""
    from whoosh.codec.whoosh3 import W3LeafMatcher

    return type(matcher) is W3LeafMatcher and not matcher._byteids


class Block:
    """One posting block of a W3 leaf matcher: `maxid` (its highest document number) and
    `size` are known before its bytes are read; `ids_weights` and `ids_weights_values`
    read and decode them."""

    __slots__ = ("_compressed", "_file", "_start", "_stop", "maxid", "size")

    def __init__(self, matcher: Any, postfile: Any) -> None:
        self.maxid: int = matcher._maxid
        self.size: int = matcher._blocklength
        self._compressed = bool(matcher._compression)
        self._file = postfile
        self._start = matcher._dataoffset
        self._stop = matcher._nextoffset

    def _data(self) -> bytes:
        return self._file.get(self._start, self._stop - self._start)

    def ids_weights(self) -> tuple[Sequence[int], Sequence[float]]:
        """(id deltas from 0, weights) of the block's postings, values left unread."""
        deltas, stored = _block_ids_weights(self._data(), self._compressed, self.size)
        return deltas, _weights(stored, len(deltas))

    def id_weight_arrays(self) -> tuple[Any, Any]:
        """(document numbers from 0 of the segment, weights) as numpy int64 and float64
        arrays, the same values as `ids_weights` (its deltas summed)."""
        import numpy as np

        data = self._data()
        raw = _ids_weights_prefix(data, self._compressed, self.size)
        found = _strided_ids_weights(raw, self.size)
        if found is not None:
            return found
        deltas, stored = _unpickled_ids_weights(raw, data, self._compressed, self.size)
        ids = np.cumsum(np.array(deltas, dtype=np.int64))
        return ids, np.array(_weights(stored, len(deltas)), dtype=np.float64)

    def ids_weights_values(self) -> tuple[Sequence[int], Sequence[float], list[Any]]:
        """(id deltas, weights, values undecoded: pass them to `positions.decode_positions`)."""
        data = self._data()
        deltas, stored, values = _load_block(inflate(data) if self._compressed else data)
        return deltas, _weights(stored, len(deltas)), values


def blocks(matcher: Any) -> Iterator[Block]:
    """The blocks of a block matcher (`is_block_matcher`), in order; the matcher moves on to
    the next block when the caller asks for it, whether or not this one was read."""
    postfile = matcher._postfile
    while matcher.is_active():
        yield Block(matcher, postfile)
        matcher._next_block()


def _weights(stored: Any, size: int) -> Sequence[float]:
    """A block's weights, one per posting: Whoosh stores None when all are 1.0, one float
    when all are the same, else a sequence (given back as it is)."""
    if stored is None:
        return [1.0] * size
    if isinstance(stored, float):
        return [stored] * size
    return stored


def _block_ids_weights(data: bytes, compression: bool, size: int) -> tuple[Any, Any]:
    """(id deltas, weights as stored) of one block's data bytes."""
    raw = _ids_weights_prefix(data, compression, size)
    return _unpickled_ids_weights(raw, data, compression, size)


def _ids_weights_prefix(data: bytes, compression: bool, size: int) -> bytes:
    """The start of a block's pickle that holds its ids and weights (decompressed)."""
    # 14 bytes per posting bounds the ids (at most 5 each) and weights (9 each)
    return zlib.decompressobj().decompress(data, 14 * size + 32) if compression else data


def _unpickled_ids_weights(
    raw: bytes, data: bytes, compression: bool, size: int
) -> tuple[Any, Any]:
    """(id deltas, weights as stored) from `raw` (`_ids_weights_prefix`), else from the
    whole block."""
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


_OPCODE = {name: ord(name) for name in "KMJGtqrN("}
_FIRST_ID_BYTES = {ord("K"): 1, ord("M"): 2, ord("J"): 4}  # BININT1, BININT2, BININT


def _strided_ids_weights(raw: bytes, size: int) -> tuple[Any, Any] | None:
    """A block's (ids summed, weights) read as numpy views of its pickle, or None when the
    block is not shaped `\x80\x02(` first-id (`K`.)* `t` [memo] then `N`, one `G` float or
    `(` (`G` float)* `t`: ids with a delta past 255 (`M`) or fewer than four postings (a
    short tuple opcode) take the unpickling path."""
    import numpy as np

    op = _OPCODE
    if size < 4 or raw[:3] != b"\x80\x02(" or raw[3] not in _FIRST_ID_BYTES:
        return None
    width = _FIRST_ID_BYTES[raw[3]]
    first = int.from_bytes(raw[4 : 4 + width], "little", signed=width == 4)
    at = 4 + width
    end = at + 2 * (size - 1)
    if len(raw) <= end + 1 or raw[end] != op["t"]:
        return None
    pairs = np.frombuffer(raw, np.uint8, 2 * (size - 1), at).reshape(-1, 2)
    if not (pairs[:, 0] == op["K"]).all():
        return None
    ids = np.empty(size, np.int64)
    ids[0] = first
    ids[1:] = pairs[:, 1]
    np.cumsum(ids, out=ids)
    at = end + 1 + {op["q"]: 2, op["r"]: 5}.get(raw[end + 1], 0)  # BINPUT / LONG_BINPUT
    kind = raw[at] if at < len(raw) else None
    if kind == op["N"]:  # every weight 1.0
        return ids, np.ones(size)
    if kind == op["G"] and len(raw) >= at + 9:  # one weight for all
        return ids, np.full(size, np.frombuffer(raw, ">f8", 1, at + 1)[0], dtype=np.float64)
    end = at + 1 + 9 * size
    if kind != op["("] or len(raw) <= end or raw[end] != op["t"]:
        return None
    floats = np.frombuffer(raw, np.uint8, 9 * size, at + 1).reshape(-1, 9)
    if not (floats[:, 0] == op["G"]).all():
        return None
    return ids, floats[:, 1:].copy().view(">f8").ravel().astype(np.float64)


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
