"""Segment files read in place from Whoosh's memory map, not copied at open.

Whoosh maps each compound segment file and wraps every part of it (terms, postings, ...) in
a `BufferFile`, whose constructor copies the part into a `BytesIO` (`BytesIO(memoryview)`
copies). Terms and postings are then read by position through `get`, straight off the map;
the copy only serves sequential `read`/`seek`, which the readers of those parts hardly use.
At 100k articles opening an index copied 740 MB (31 segments): 1.1 s and 740 MB of memory
for every `newsarchive search`, before it searched anything. Opening a reader reads a header
in order from each part, so a copy made on first use would still copy everything;
`MappedFile` reads in order through `MapReader`, a file over the map itself.

The swap touches Whoosh's internals, so it lives behind the seam
(`index.whoosh_internals.files`); this module is where the rest of `index/` asks for it.
"""

from __future__ import annotations

from .whoosh_internals.files import MappedFile, MapReader, map_compound_files

__all__ = ["MapReader", "MappedFile", "read_segments_in_place"]


def read_segments_in_place() -> None:
    """Make compound segment files open as `MappedFile`s (once; idempotent)."""
    map_compound_files()
