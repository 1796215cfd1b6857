"""What `show` and `history` add to an article: its inputs, its story's copies, its versions
and a word diff between them. Plain SQL over any connection holder (`ArchiveDB` or `Store`)."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any


def _rows(db: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def article_sources(db: Any, article_id: int) -> list[dict[str, Any]]:
    """Every input that gave this article (first copy, duplicates, updates), oldest first."""
    return _rows(
        db,
        "SELECT id, origin, format, status, url, fetched, size, sha256, ingested FROM sources"
        " WHERE article_id = ? ORDER BY ingested, id",
        [article_id],
    )


def story_copies(db: Any, article_id: int) -> list[dict[str, Any]]:
    """The other articles of its story (syndicated copies on other sites)."""
    return _rows(
        db,
        "SELECT b.id, b.title, b.site, b.published, b.url FROM articles a"
        " JOIN articles b ON b.story_id = a.story_id AND b.id != a.id"
        " WHERE a.id = ? ORDER BY b.id",
        [article_id],
    )


def article_versions(db: Any, article_id: int) -> list[dict[str, Any]]:
    """Every version, oldest first, the current one last (`current` true)."""
    past = _rows(
        db,
        "SELECT version, title, authors, published, url, body, source_id, fetched, replaced_at"
        " FROM article_versions WHERE article_id = ? ORDER BY version, id",
        [article_id],
    )
    now = _rows(
        db,
        "SELECT version, title, authors, published, url, body, source_id, updated_at"
        " FROM articles WHERE id = ?",
        [article_id],
    )
    out = []
    for row in past + now:
        row["authors"] = json.loads(row["authors"]) if row.get("authors") else []
        row["current"] = "updated_at" in row
        out.append(row)
    return out


_TOKEN = re.compile(r"\S+|\n")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(op, text) runs between two texts, word by word: op is "=", "-" (removed) or "+"."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("=", " ".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("-", " ".join(a[i1:i2])))
            if j2 > j1:
                out.append(("+", " ".join(b[j1:j2])))
    return [(op, text.replace(" \n ", "\n").replace("\n ", "\n")) for op, text in out]


def diff_text(runs: list[tuple[str, str]], context: int = 8) -> str:
    """A word diff as plain text: [-removed-] {+added+}, long unchanged runs shortened."""
    parts = []
    for op, text in runs:
        if op == "-":
            parts.append(f"[-{text}-]")
        elif op == "+":
            parts.append(f"{{+{text}+}}")
        else:
            words = text.split(" ")
            if len(words) > 2 * context:
                text = " ".join(words[:context]) + " ... " + " ".join(words[-context:])
            parts.append(text)
    return " ".join(parts)


def field_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields other than the body that differ between two versions: {field: [old, new]}."""
    return {
        key: [old.get(key), new.get(key)]
        for key in ("title", "authors", "published", "url")
        if old.get(key) != new.get(key)
    }


def history(db: Any, article_id: int) -> list[dict[str, Any]]:
    """Each version with what changed from the one before (fields, word diff of the body)."""
    versions = article_versions(db, article_id)
    out = []
    for n, version in enumerate(versions):
        entry = {k: v for k, v in version.items() if k != "body"}
        entry["words"] = len((version.get("body") or "").split())
        if n:
            before = versions[n - 1]
            entry["changes"] = field_changes(before, version)
            runs = word_diff(before.get("body") or "", version.get("body") or "")
            changed = any(op != "=" for op, _ in runs)
            entry["diff"] = [[op, text] for op, text in runs] if changed else []
        out.append(entry)
    return out


def show_extras(db: Any, article_id: int, *, diffs: bool = False) -> dict[str, Any]:
    """What `show` adds: sources, story copies, versions (with diffs when asked)."""
    versions = history(db, article_id) if diffs else article_versions(db, article_id)
    if not diffs:
        versions = [{k: v for k, v in row.items() if k != "body"} for row in versions]
    return {
        "sources": article_sources(db, article_id),
        "story_copies": story_copies(db, article_id),
        "versions": versions,
    }


def _clean(value: Any) -> str:
    return "".join(c if c.isprintable() else "?" for c in str(value))


def render_extras(extras: dict[str, Any]) -> str:
    """The extras as text lines under the article."""
    lines = ["", f"Sources ({len(extras['sources'])}):"]
    for src in extras["sources"]:
        when = src.get("fetched") or src.get("ingested") or ""
        lines.append(f"  [{src['status']}] {_clean(src['origin'])} ({src['format']}, {when})")
    copies = extras["story_copies"]
    if copies:
        lines.append(f"Story copies ({len(copies)}):")
        for copy in copies:
            lines.append(
                f"  {copy['id']}: {_clean(copy['title'] or '(untitled)')} ({copy['site']})"
            )
    versions = extras["versions"]
    if len(versions) > 1:
        lines.append(f"Versions ({len(versions)}; `newsarchive history ID` shows the diffs):")
        for row in versions:
            mark = " (current)" if row.get("current") else ""
            when = row.get("fetched") or row.get("replaced_at") or row.get("updated_at") or ""
            lines.append(f"  {row['version']}{mark} {when}: {_clean(row.get('title') or '')}")
            if row.get("diff"):
                lines.append("    " + _clean(diff_text([(op, t) for op, t in row["diff"]])))
    return "\n".join(lines)
