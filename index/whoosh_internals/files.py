"""Compound segment files read in place from Whoosh's memory map (see `index.segment_files`).

Whoosh's `whoosh.filedb.compound` wraps every part of a mapped segment file in
`whoosh.filedb.structfile.BufferFile`, looked up by that module-level name at each open;
`map_compound_files` swaps the name for `MappedFile`, a `BufferFile` whose sequential reads
go through `MapReader` (a file over the map) instead of a `BytesIO` copy. `read_int` reads
`whoosh.system._INT_SIZE` bytes with `unpack_int`, as `StructFile.read_int` does.
"""

from __future__ import annotations

from typing import Any

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile
from whoosh.system import _INT_SIZE, unpack_int

PEEK_BYTES = 512


class MapReader:
    """A read-only binary file over a buffer (what `BytesIO` gives, without the copy)."""

    __slots__ = ("_buf", "_pos", "closed")

    def __init__(self, buf: Any) -> None:
        self._buf = memoryview(buf).cast("B")
        self._pos = 0
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if size is None or size < 0 else min(start + size, len(self._buf))
        self._pos = max(start, end)
        return bytes(self._buf[start:end])

    def readinto(self, target: Any) -> int:
        data = self.read(len(memoryview(target).cast("B")))
        memoryview(target).cast("B")[: len(data)] = data
        return len(data)

    def peek(self, size: int = 1) -> bytes:
        # io allows fewer bytes than asked: the unpickler asks for 128 KB at every load
        return bytes(self._buf[self._pos : self._pos + min(max(size, 1), PEEK_BYTES)])

    def readline(self, size: int | None = -1) -> bytes:
        start = self._pos
        stop = len(self._buf) if size is None or size < 0 else min(start + size, len(self._buf))
        end = start
        while end < stop:  # look for the newline a chunk at a time
            chunk = bytes(self._buf[end : min(end + 4096, stop)])
            found = chunk.find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end += len(chunk)
        self._pos = max(start, end)
        return bytes(self._buf[start : self._pos])

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0 and offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._pos = max(0, (0, self._pos, len(self._buf))[whence] + offset)  # as BytesIO
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


class MappedFile(BufferFile):
    """A `BufferFile` read in order through a `MapReader` instead of a `BytesIO` copy."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.file = MapReader(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    # The readers of postings call these per block (whoosh3 `_goto`): straight to the
    # position, without StructFile's generic forwarding.
    def seek(self, position: int, whence: int = 0) -> int:
        if whence == 0 and position >= 0:
            self.file._pos = position
            return position
        return self.file.seek(position, whence)

    def tell(self) -> int:
        return self.file._pos

    def read_int(self) -> int:
        reader = self.file
        pos = reader._pos
        reader._pos = pos + _INT_SIZE
        return unpack_int(self._buf[pos : pos + _INT_SIZE])[0]


def map_compound_files() -> None:
    """Make compound segment files open as `MappedFile`s (once; idempotent)."""
    if compound.BufferFile is not MappedFile:
        compound.BufferFile = MappedFile  # type: ignore[misc]


def compound_files_mapped() -> bool:
    """Whether compound segment files open as `MappedFile`s now."""
    return compound.BufferFile is MappedFile
