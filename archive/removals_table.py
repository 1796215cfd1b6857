"""The `removals` table read and marked with plain SQL (no sqlite-utils: `catch_up` and
`verify` run in every command, `search` among them, and must start fast)."""

from __future__ import annotations

from typing import Any

TABLE = "removals"


def pending_index_drops(db: Any) -> list[int]:
    """Removed articles Whoosh may still hold. Ids are never reused (store_base's counter), so
    the `NOT IN articles` test only guards against rows written by hand."""
    present = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE]
    ).fetchone()
    if not present:
        return []
    return [
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT article_id FROM {TABLE} WHERE in_index = 1"
            " AND article_id NOT IN (SELECT id FROM articles)"
        ).fetchall()
    ]


def mark_dropped(db: Any, ids: list[int]) -> None:
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    db.execute(f"UPDATE {TABLE} SET in_index = 0 WHERE article_id IN ({marks})", ids)


def removed_ids(db: Any) -> set[int]:
    """Ids of removed articles that are not in the archive again (for verify)."""
    present = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE]
    ).fetchone()
    if not present:
        return set()
    return {
        r[0]
        for r in db.execute(
            f"SELECT article_id FROM {TABLE} WHERE article_id NOT IN (SELECT id FROM articles)"
        )
    }
