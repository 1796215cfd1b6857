"""Turn what people point us at (paths, folders, globs, `-`, `.gz`) into RawDocuments.

A container (JSON Lines, WARC, feed) yields one document per record. Nothing here parses an
article; failures are yielded as `Failure` so one bad file never stops a batch.
"""

from __future__ import annotations

import glob
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import IngestError, TooLarge
from .limits import MAX_BYTES
from .model import Failure, RawDocument

FORMATS = ("auto", "text", "html", "jsonl", "warc", "feed")
_SKIP_NAMES = {".DS_Store", "Thumbs.db"}


def expand_inputs(inputs: Iterable[str]) -> Iterator[str | Failure]:
    """Paths as given, folders walked recursively in sorted order, globs expanded, `-` kept.

    No walk follows a symbolic link to a folder (os.walk's default, and `walk_glob` for
    `**`): a link back up the tree would otherwise be walked without end. A link to a file
    is yielded; `read_bytes` then refuses it unless it leads to a regular file.
    """
    for item in inputs:
        if item == "-":
            yield item
            continue
        path = Path(item)
        if path.is_dir():
            yield from _walk(path)
        elif path.exists() or path.is_symlink():
            yield item
        elif glob.has_magic(item):
            matches = sorted(set(walk_glob(item))) if "**" in item else sorted(glob.glob(item))
            if not matches:
                yield Failure(item, "not_found", f"{item}: the pattern matches no file.")
            seen: set[str] = set()  # `dir/**` matches a folder and the files in it
            for match in matches:  # matches are real paths: never globs again
                for found in _walk(Path(match)) if os.path.isdir(match) else [match]:
                    if os.path.normpath(found) not in seen:
                        seen.add(os.path.normpath(found))
                        yield found
        else:
            yield Failure(item, "not_found", f"{item}: no such file or folder.")


def _walk(folder: Path) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):  # followlinks=False: no symlink loop
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name not in _SKIP_NAMES and not name.startswith("."):
                yield str(Path(root) / name)


def _component_regex(part: str) -> str:
    """One path component of a glob as a regex that never crosses a `/`."""
    out, i = [], 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := part.find("]", i + 2)) != -1:
            body = part[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def walk_glob(pattern: str) -> Iterator[str]:
    """A recursive glob (`dir/**/*.html`) that follows no symbolic link to a folder.

    Python's glob descends into linked folders, so a link to `..` made `ingest 'dir/**'`
    walk for ever. Here the part before the first wildcard is walked with os.walk and each
    path is matched against the pattern; hidden names are skipped as glob skips them.
    """
    parts = pattern.split("/")
    fixed = 0
    while fixed < len(parts) - 1 and not glob.has_magic(parts[fixed]):
        fixed += 1
    root = "/".join(parts[:fixed]) or ("/" if pattern.startswith("/") else ".")
    rest = parts[fixed:]
    regex = ""
    for n, part in enumerate(rest):
        last = n == len(rest) - 1
        if part == "**":
            regex += "(?:[^/]+/)*[^/]+" if last else "(?:[^/]+/)*"
        else:
            regex += _component_regex(part) + ("" if last else "/")
    matcher = re.compile(regex)
    if not os.path.isdir(root):
        return
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, root)
        names = [f for f in files if not f.startswith(".")]
        names += [d for d in dirs if not os.path.islink(os.path.join(dirpath, d))]
        for name in names:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if matcher.fullmatch(rel):
                yield os.path.join(root, rel) if root != "." or pattern.startswith("./") else rel


class NotRegularFile(IngestError):
    """A FIFO, socket or device (or a link to one): reading it could hang or never end."""

    reason = "not_a_file"


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def check_regular(source: str) -> None:
    """Raise NotRegularFile unless `source` (links followed) is a regular file."""
    try:
        mode = os.stat(source).st_mode
    except OSError:
        return  # reading it reports why
    kind = _kind(mode)
    if kind:
        raise NotRegularFile(f"{source}: is {kind}, not a regular file; only files are read.")


def open_regular(source: str) -> int:
    """A file descriptor on `source`, refused unless it is a regular file.

    Opened non-blocking (a FIFO would block the open until a writer comes) and checked on
    the open descriptor itself, so a file swapped for a device after a check is refused too.
    """
    check_regular(source)
    fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    kind = _kind(os.fstat(fd).st_mode)
    if kind:
        os.close(fd)
        raise NotRegularFile(f"{source}: is {kind}, not a regular file; only files are read.")
    os.set_blocking(fd, True)
    return fd


def read_file(source: str, max_bytes: int = MAX_BYTES) -> bytes:
    """A regular file's bytes as they are on disk, at most `max_bytes` (else TooLarge)."""
    fd = open_regular(source)
    with os.fdopen(fd, "rb") as fh:
        if os.fstat(fh.fileno()).st_size > max_bytes:
            raise TooLarge(
                f"{source}: larger than {max_bytes // 2**20} MB; split it into smaller files."
            )
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise TooLarge(
            f"{source}: larger than {max_bytes // 2**20} MB; split it into smaller files."
        )
    return raw


def read_bytes(source: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The whole input, gunzipped when it is gzip (by content, not by name), bounded in size."""
    raw = sys.stdin.buffer.read(max_bytes + 1) if source == "-" else read_file(source, max_bytes)
    return unpack_bytes(raw, source, max_bytes)


def unpack_bytes(raw: bytes, source: str, max_bytes: int = MAX_BYTES) -> bytes:
    """An input's bytes as read: gunzipped when they are gzip, refused when too large."""
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, source, max_bytes)
    if len(raw) > max_bytes:
        raise TooLarge(
            f"{source}: larger than {max_bytes // 2**20} MB; split it into smaller files."
        )
    return raw


def _gunzip(raw: bytes, source: str, max_bytes: int) -> bytes:
    """Decompress a (possibly multi-member) gzip stream, refusing truncation and gzip bombs."""
    out = bytearray()
    data = raw
    while data:
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += decomp.decompress(data, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise IngestError(
                f"{source}: the gzip data is corrupt ({exc}).", reason="malformed"
            ) from exc
        if len(out) > max_bytes:
            raise TooLarge(
                f"{source}: decompresses to more than {max_bytes // 2**20} MB; split it into smaller files."
            )
        if not decomp.eof:
            raise TruncatedGzip(
                f"{source}: the gzip file is truncated; download or copy it again.", bytes(out)
            )
        data = decomp.unused_data
        if data and data[:2] != b"\x1f\x8b":
            break  # trailing garbage after the last member, as gzip(1) tolerates
    return bytes(out)


def _strip_gz(name: str) -> str:
    return name[:-3] if name.lower().endswith(".gz") else name


_JSON_START = re.compile(
    rb'^(\{\s*("|\})|\[\s*(\{|"))'
)  # an object, or an array of objects/strings


def _looks_like_json(sniff: bytes) -> bool:
    """An object or an array of records, not a text dump that starts with `[site-logo]` or
    w3m's rendering of a search box, `[                    ] [Go]`."""
    return bool(_JSON_START.match(sniff))


def detect_format(name: str, head: bytes) -> str:
    """The reader for a file: its content decides first, its name breaks ties."""
    lower = _strip_gz(name).lower()
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]
    low = sniff.lower()
    if sniff.startswith(b"WARC/"):
        return "warc"
    if low.startswith((b"<?xml", b"<rss", b"<feed")) and (
        b"<rss" in low or b"<feed" in low or b"<rdf:rdf" in low
    ):
        return "feed"
    if _looks_like_json(sniff):
        from .jsonfeed import looks_like_json_feed

        # a JSON Feed is one object holding many items: the feed reader splits it
        return "feed" if looks_like_json_feed(head) else "jsonl"
    if low.startswith(
        (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta", b"<div", b"<p")
    ) or (b"<html" in low[:1024]):
        return "html"
    if lower.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if lower.endswith((".warc", ".arc")):
        return "warc"
    if lower.endswith((".rss", ".atom", ".xml")):
        return "feed"
    return "text"


def iter_documents(inputs: Iterable[str], fmt: str = "auto") -> Iterator[RawDocument | Failure]:
    """Every page in `inputs`, in order, as a RawDocument, or a Failure naming the input.

    Every failure of a file names that file as its `container`, so the archive keeps the
    file's bytes as given even when nothing in it could be read.
    """
    for source in expand_inputs(inputs):
        if isinstance(source, Failure):
            yield source
            continue
        for item in iter_source(source, fmt):
            if isinstance(item, Failure) and item.container is None and source != "-":
                item.container = source  # the archive keeps the file as given
            yield item


def iter_source(
    source: str, fmt: str = "auto", shipped: bytes | None = None
) -> Iterator[RawDocument | Failure]:
    """The pages of one input (a path or `-`), in order.

    `shipped` is the input's bytes as stored, read elsewhere: a Dask worker that cannot see
    the path gets them with its task (archive/cluster.py) and reads them as the file.
    """
    origin = "<stdin>" if source == "-" else source
    if shipped is None and source != "-":
        try:
            check_regular(source)
        except IngestError as exc:
            yield Failure(origin, exc.reason, str(exc))
            return
    from .jsonl_stream import iter_stream, wants_stream

    if shipped is None and wants_stream(source, fmt, detect_format):  # big JSON Lines: flat memory
        yield from iter_stream(source, MAX_BYTES)
        return
    try:
        data = read_bytes(source) if shipped is None else unpack_bytes(shipped, source)
    except TruncatedGzip as exc:
        yield from _salvage(origin, exc, fmt)
        return
    except IngestError as exc:
        yield Failure(origin, exc.reason, str(exc))
        return
    except OSError as exc:
        yield Failure(origin, "unreadable", f"{origin}: cannot be read ({exc.strerror or exc}).")
        return
    kind = fmt if fmt != "auto" else detect_format(origin, data[:4096])
    yield from _split_container(origin, data, kind)


def unpack(data: bytes, max_bytes: int = MAX_BYTES) -> bytes:
    """A file's bytes as readers see them: gunzipped when gzip (every member, as far as it
    goes: a cut or corrupt stream gives what decompressed before the damage), else as they are."""
    if data[:2] != b"\x1f\x8b":
        return data
    out = bytearray()
    while data[:2] == b"\x1f\x8b" and len(out) <= max_bytes:
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += decomp.decompress(data, max_bytes + 1 - len(out))
        except zlib.error:
            break
        if not decomp.eof:
            break
        data = decomp.unused_data
    return bytes(out)


class TruncatedGzip(IngestError):
    """A gzip stream that ends early; `partial` holds what decompressed before the cut."""

    reason = "truncated"

    def __init__(self, message: str, partial: bytes) -> None:
        super().__init__(message)
        self.partial = partial


def _salvage(origin: str, exc: TruncatedGzip, fmt: str) -> Iterator[RawDocument | Failure]:
    """The complete records of a truncated container, then one Failure for the cut.

    A `.jsonl.gz` or `.warc.gz` cut short still holds whole records before the cut: losing
    them with the tail would make a bad copy cost a whole export. A single page is refused.
    """
    kind = fmt if fmt != "auto" else detect_format(origin, exc.partial[:4096])
    if kind not in ("jsonl", "warc") or not exc.partial.strip():
        yield Failure(origin, exc.reason, str(exc))
        return
    data = exc.partial
    if kind == "jsonl":
        data = data[: data.rfind(b"\n") + 1]  # the cut line is reported below, not parsed
    held: RawDocument | Failure | None = None
    count = records = 0
    for item in _split_container(origin, data, kind) if data.strip() else ():
        if held is not None:
            yield held
            records += isinstance(held, RawDocument)
        held = item
        count += 1
    cut_line = data.count(b"\n") + 1
    where = f"{origin}#{count + 1}" if kind == "warc" else f"{origin}:{cut_line}"
    if isinstance(held, Failure) and held.reason in ("truncated", "malformed") and kind == "warc":
        where, held = held.origin, None  # the WARC reader already found the cut record
    if held is not None:
        yield held
        records += isinstance(held, RawDocument)
    kept = (
        f"the {records} complete record(s) before the cut were read"
        if records
        else "no complete record came before the cut"
    )
    yield Failure(
        where,
        "truncated",
        f"{origin}: the gzip file is truncated; {kept}; the file is kept as given; "
        "download or copy it again to get the rest.",
    )


def _split_container(origin: str, data: bytes, kind: str) -> Iterator[RawDocument | Failure]:
    if kind in ("text", "html"):
        yield RawDocument(origin=origin, data=data, format=kind)
    elif kind == "jsonl":
        from .jsonl import iter_json_records

        yield from iter_json_records(origin, data)
    elif kind == "warc":
        from .warc import iter_warc_pages

        yield from iter_warc_pages(origin, data)
    elif kind == "feed":
        from .feed import iter_feed_entries

        yield from iter_feed_entries(origin, data)
    else:
        yield Failure(
            origin,
            "unsupported",
            f"{origin}: unknown format {kind!r}; use one of {', '.join(FORMATS)}.",
            data,
        )
