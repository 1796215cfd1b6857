"""Positions values as Whoosh's `Positions` format writes them, encoded and decoded in bulk.

A Positions value is `pack_uint(n)` (`whoosh.system.pack_uint`, 4 bytes) followed by a
protocol-2 pickled list of position deltas (`whoosh.formats.Positions.encode`). The direct
indexing path (`index.schema`) writes values without going through the format, and a phrase
(`index.postings`) decodes the values of many postings in one unpickling.
"""

from __future__ import annotations

from pickle import dumps, loads
from typing import Any

from whoosh.system import pack_uint


def positions_value(count: int, deltas: list[int]) -> bytes:
    """The Positions value of a word found `count` times with these position deltas, byte
    for byte what `whoosh.formats.Positions.encode` writes (the direct indexing path,
    `index.schema`, builds values without going through the format)."""
    return pack_uint(count) + dumps(deltas, 2)


def decode_positions(values: list[Any]) -> list[list[int]]:
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
