"""An Atom output renderer: any query with atom_id, atom_title and atom_updated columns has a
`.atom` form (the `newest` canned query is the archive's feed), like the datasette-atom plugin.

Built with ElementTree so every title, name and summary is escaped as XML text.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from .values import author_names

ATOM = "http://www.w3.org/2005/Atom"
REQUIRED = {"atom_id", "atom_title", "atom_updated"}
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def can_render_atom(columns: list[str]) -> bool:
    return REQUIRED.issubset(columns)


def clean(text: Any) -> str:
    """Text XML 1.0 can carry: control characters dropped."""
    return _XML_INVALID.sub("", "" if text is None else str(text))


def rfc3339(value: Any) -> str:
    """Atom wants full date-times; a date alone means midnight UTC."""
    text = clean(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return f"{text}T00:00:00Z"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?", text):
        return text + ("Z" if text.count(":") == 2 else ":00Z")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)", text):
        return text
    return "1970-01-01T00:00:00Z"


def render_atom(
    datasette: Any,
    request: Any,
    columns: list[str],
    rows: list[Any],
    query_name: str | None,
    database: str,
    base_url: str,
) -> dict[str, Any]:
    """The Atom document for the rows of one query; links start with the configured `base_url`."""
    title = datasette.metadata("title") or "News archive"
    if query_name:
        query = (datasette.metadata("queries", database=database) or {}).get(query_name) or {}
        title = f"{title}: {query.get('title') or query_name}"
    records = [dict(zip(columns, row, strict=False)) for row in rows]
    body = atom_document(title, base_url, request.path, request.full_path, records)
    return {"body": body, "content_type": CONTENT_TYPE, "status_code": 200}


CONTENT_TYPE = "application/atom+xml; charset=utf-8"


def atom_document(
    title: str, base_url: str, path: str, full_path: str, records: list[dict[str, Any]]
) -> str:
    """An Atom feed of `records` (dicts with atom_id, atom_title, atom_updated, and optionally
    atom_link, atom_author_names, atom_summary); `base_url` is the server's public address."""
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = clean(title)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = clean(base + path)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=clean(base + full_path))
    updated = max((rfc3339(r["atom_updated"]) for r in records), default="1970-01-01T00:00:00Z")
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "newsarchive"
    for record in records:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = clean(record["atom_id"])
        ET.SubElement(entry, f"{{{ATOM}}}title").text = clean(record["atom_title"] or "(untitled)")
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = rfc3339(record["atom_updated"])
        link = clean(record.get("atom_link") or "")
        if link:
            href = base + link if link.startswith("/") else link
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=href)
        for name in author_names(record.get("atom_author_names")):
            author = ET.SubElement(entry, f"{{{ATOM}}}author")
            ET.SubElement(author, f"{{{ATOM}}}name").text = clean(name)
        if record.get("atom_summary"):
            summary = ET.SubElement(entry, f"{{{ATOM}}}summary", type="text")
            summary.text = clean(record["atom_summary"])
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body
