"""Bytes to text, decided by us rather than by a parser's guess.

lxml reads UTF-8 without a declared charset as Latin-1 (TRAPS.md), so every extractor gets
text decoded here: BOM first, then a declared charset that actually decodes, then UTF-8,
then detection with charset-normalizer. Binary data is refused instead of decoded into noise.
"""

from __future__ import annotations

import codecs
import re

from .errors import EmptyInput, UndecodableInput, UnsupportedInput

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])
_BINARY_MAGIC = (
    b"\x1f\x8b",  # gzip (callers open .gz before this point)
    b"PK\x03\x04",  # zip, docx, xlsx
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # jpeg
    b"GIF8",
    b"BZh",
    b"\xfd7zXZ",
    b"\x7fELF",
    b"SQLite format 3",
)


def strip_bom(data: bytes) -> tuple[bytes, str | None]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :], encoding
    return data, None


def looks_binary(data: bytes) -> bool:
    """True for known binary signatures, or NUL/control-heavy bytes that are not UTF-16/32 text."""
    head = data[:4096]
    if any(head.startswith(magic) for magic in _BINARY_MAGIC):
        return True
    if not head:
        return False
    if b"\x00" in head and (_utf16_without_bom(head) or _utf32_without_bom(head)):
        return False  # wide-character text: its NULs are half of every ASCII character
    if head.count(b"\x00") > len(head) // 16:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > len(head) // 20


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM shows NULs in every other byte of its ASCII characters."""
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


def _utf32_without_bom(head: bytes) -> str | None:
    quads = [head[i : i + 4] for i in range(0, len(head) - 3, 4)]
    if quads and sum(q[1:] == b"\x00\x00\x00" for q in quads) > len(quads) * 0.4:
        return "utf-32-le"
    if quads and sum(q[:3] == b"\x00\x00\x00" for q in quads) > len(quads) * 0.4:
        return "utf-32-be"
    return None


def declared_encoding(data: bytes) -> str | None:
    head = data[:4096]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        match = pattern.search(head)
        if match:
            name = match.group(1).decode("ascii", "ignore").lower()
            try:
                return codecs.lookup(name).name
            except LookupError:
                return None
    return None


def _nearly_utf8(body: bytes) -> str | None:
    """UTF-8 text with a stray invalid byte or two (lynx writes some characters in a legacy
    code page inside an otherwise UTF-8 dump): UTF-8, the strays replaced, rather than a
    detector's guess that would garble every other character."""
    text = body.decode("utf-8", errors="replace")
    strays = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    wide = sum(1 for ch in text if ord(ch) > 127) - strays
    return text if wide >= 50 and strays <= wide // 200 + 2 else None


def decode_bytes(data: bytes, origin: str, *, declared: str | None = None) -> str:
    """Decode page bytes to text; raise a named IngestError naming `origin` when we cannot."""
    if not data.strip():
        raise EmptyInput(f"{origin}: the file is empty.")
    body, bom_encoding = strip_bom(data)
    if bom_encoding:
        try:
            return body.decode(bom_encoding)
        except UnicodeDecodeError as exc:
            raise UndecodableInput(
                f"{origin}: has a {bom_encoding} byte-order mark but is not {bom_encoding} ({exc.reason})."
            ) from exc
    if b"\x00" in body[:4096]:
        wide = _utf32_without_bom(body[:4096]) or _utf16_without_bom(body[:4096])
        if wide:
            try:
                return body.decode(wide)
            except UnicodeDecodeError:
                pass
    if looks_binary(body):
        raise UnsupportedInput(
            f"{origin}: looks like a binary file, not a text or HTML page.", reason="binary"
        )
    candidates = [declared, declared_encoding(body), "utf-8"]
    for encoding in candidates:
        if not encoding:
            continue
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        # A page declared Latin-1/cp1252 that decodes cleanly as UTF-8 is almost always UTF-8.
        if encoding in {"latin-1", "iso8859-1", "cp1252", "windows-1252"}:
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                return text
        return text
    nearly = _nearly_utf8(body)
    if nearly is not None:
        return nearly
    from charset_normalizer import from_bytes  # only pages that are not UTF-8 pay for detection

    matches = from_bytes(body)
    best = matches.best()
    if best is None:
        raise UndecodableInput(
            f"{origin}: the text encoding could not be determined; save the page as UTF-8."
        )
    # Single-byte code pages often tie exactly; windows-1252 is by far the web's commonest, so it wins ties.
    for match in matches:
        if (match.chaos, match.coherence) == (
            best.chaos,
            best.coherence,
        ) and "cp1252" in match.could_be_from_charset:
            return body.decode("cp1252", errors="replace")
    return str(best)
