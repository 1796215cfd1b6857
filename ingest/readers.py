"""Turn what people point us at (paths, folders, globs, `-`, `.gz`) into RawDocuments.

A container (JSON Lines, WARC, feed) yields one document per record. Nothing here parses an
article; failures are yielded as `Failure` so one bad file never stops a batch.
"""

from __future__ import annotations

import glob
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import IngestError, TooLarge
from .model import Failure, RawDocument

FORMATS = ("auto", "text", "html", "jsonl", "warc", "feed")
MAX_BYTES = 200 * 1024 * 1024  # a single page or container larger than this is refused as too_large
_SKIP_NAMES = {".DS_Store", "Thumbs.db"}


def expand_inputs(inputs: Iterable[str]) -> Iterator[str | Failure]:
    """Paths as given, folders walked recursively in sorted order, globs expanded, `-` kept."""
    for item in inputs:
        if item == "-":
            yield item
            continue
        path = Path(item)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name not in _SKIP_NAMES and not name.startswith("."):
                        yield str(Path(root) / name)
        elif path.exists():
            yield item
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                yield Failure(item, "not_found", f"{item}: the pattern matches no file.")
            yield from expand_inputs(matches)
        else:
            yield Failure(item, "not_found", f"{item}: no such file or folder.")


def read_bytes(source: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The whole input, gunzipped when it is gzip (by content, not by name), bounded in size."""
    if source == "-":
        raw = sys.stdin.buffer.read(max_bytes + 1)
    else:
        if os.path.getsize(source) > max_bytes:
            raise TooLarge(
                f"{source}: larger than {max_bytes // 2**20} MB; split it into smaller files."
            )
        raw = Path(source).read_bytes()
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
        return "jsonl"
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
    """Every page in `inputs`, in order, as a RawDocument, or a Failure naming the input."""
    for source in expand_inputs(inputs):
        if isinstance(source, Failure):
            yield source
            continue
        origin = "<stdin>" if source == "-" else source
        from .jsonl_stream import iter_stream, wants_stream

        if wants_stream(source, fmt, detect_format):  # a big JSON Lines dump: flat memory
            yield from iter_stream(source, MAX_BYTES)
            continue
        try:
            data = read_bytes(source)
        except TruncatedGzip as exc:
            yield from _salvage(origin, exc, fmt)
            continue
        except IngestError as exc:
            yield Failure(origin, exc.reason, str(exc))
            continue
        except OSError as exc:
            yield Failure(
                origin, "unreadable", f"{origin}: cannot be read ({exc.strerror or exc})."
            )
            continue
        kind = fmt if fmt != "auto" else detect_format(origin, data[:4096])
        yield from _split_container(origin, data, kind)


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
    count = 0
    for item in _split_container(origin, data, kind) if data.strip() else ():
        if held is not None:
            yield held
        held = item
        count += 1
    cut_line = data.count(b"\n") + 1
    where = f"{origin}#{count + 1}" if kind == "warc" else f"{origin}:{cut_line}"
    if isinstance(held, Failure) and held.reason in ("truncated", "malformed") and kind == "warc":
        where, held = held.origin, None  # the WARC reader already found the cut record
    if held is not None:
        yield held
    yield Failure(
        where,
        "truncated",
        f"{origin}: the gzip file is truncated; the {count} complete record(s) before the cut "
        "were kept; download or copy the file again to get the rest.",
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
