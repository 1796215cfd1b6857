"""JSON and JSON Lines files → one RawDocument per record.

A `.json` file may hold one object or an array of objects; anything else is read line by
line as JSON Lines. A bad line becomes one Failure naming its line number and the good lines
are kept, so one broken record never costs the rest of an export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .decode import decode_bytes
from .errors import IngestError
from .model import Failure, RawDocument

_URL_KEYS = ("url", "link", "source_url", "canonical_url", "canonical", "uri")


def _record_url(obj: dict[str, Any]) -> str | None:
    for key in _URL_KEYS:
        value = obj.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value.strip()
    return None


def _document(origin: str, obj: Any, data: bytes, container: str) -> RawDocument | Failure:
    if not isinstance(obj, dict):
        kind = type(obj).__name__ if obj is not None else "null"
        return Failure(
            origin,
            "malformed",
            f"{origin}: holds a JSON {kind}, not an object with article fields; "
            "write one JSON object per line.",
            data,
            "json",
        )
    return RawDocument(
        origin=origin,
        data=data,
        format="json",
        url=_record_url(obj),
        fields=obj,
        container=container,
    )


def _lines(text: str) -> list[str]:
    """Lines split on newlines only: `str.splitlines` also splits on U+2028, U+0085 and
    \x1c-\x1e, which JSON strings may hold raw, and would break such a record in two."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _first_line_is_json(text: str) -> bool:
    first = next((line for line in _lines(text) if line.strip()), "")
    try:
        json.loads(first)
    except ValueError:
        return False
    return True


def iter_json_records(origin: str, data: bytes) -> Iterator[RawDocument | Failure]:
    """Every record of a JSON/JSON Lines file, or a Failure per line that is not one."""
    try:
        text = decode_bytes(data, origin, declared="utf-8")
    except IngestError as exc:
        yield Failure(origin, exc.reason, str(exc), data, "json")
        return
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        try:
            whole = json.loads(stripped)
        except json.JSONDecodeError as exc:
            whole = None  # not one JSON document: JSON Lines, unless even line 1 is not JSON
            if not _first_line_is_json(text):
                where = f"{origin}:{exc.lineno}"
                yield Failure(
                    where,
                    "malformed",
                    f"{where}: the JSON is broken at line {exc.lineno}, column {exc.colno} "
                    f"({exc.msg}); fix the file or export it as JSON Lines.",
                    data,
                    "json",
                )
                return
        else:
            if isinstance(whole, list):
                for number, obj in enumerate(whole, 1):
                    item = json.dumps(obj, ensure_ascii=False).encode("utf-8")
                    yield _document(f"{origin}:{number}", obj, item, origin)
                return
            if isinstance(whole, dict) and "\n" in stripped.strip():
                yield _document(origin, whole, data, origin)  # one pretty-printed object
                return
    for lineno, line in enumerate(_lines(text), 1):
        if line.strip():
            yield line_record(origin, lineno, line, line.encode("utf-8"))


def line_record(container: str, lineno: int, text: str, line: bytes) -> RawDocument | Failure:
    """One JSON Lines line (decoded `text`, raw `line`) as a record, or a Failure naming it."""
    where = f"{container}:{lineno}"
    try:
        obj = json.loads(text)
    except ValueError as exc:
        return Failure(
            where,
            "malformed",
            f"{where}: line {lineno} is not valid JSON ({exc}); fix or remove that line.",
            line,
            "json",
        )
    return _document(where, obj, line, container)
