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
- positions of many postings at once: `positions.decode_positions`.

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
