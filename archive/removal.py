"""Taking articles out of the archive (a takedown, a mistaken ingest), with an audit trail.

`remove_articles` deletes the article everywhere it is shown or searched — its row (and so
its FTS entry, through the triggers, and every Datasette facet), authors, categories,
captions, past versions, MinHash signature — and drops it from Whoosh. What stays:

- one `removals` row per article: what (id, title, URL, content hash, its inputs), when, why;
- its raw inputs: `sources` rows with status `removed`, and their bytes moved out of
  `news.db` (which `serve` publishes, SQL included) into `removed.db` beside it (unless
  `purge`, which deletes both).

Because the inputs stay with status `removed`, ingesting the same input again finds it
"already archived" and does not bring the article back; `ingest --readd-removed` marks
them pending again first (`release_removed`). `removals.in_index` is 1 until Whoosh has
dropped the article: `indexing.catch_up` drops those left behind (a busy index) and
`verify` reports any removed article still searchable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import dedup
from .raw_aside import bring_back, forget_aside, purge_sources, set_aside
from .removals_table import TABLE
from .store import Store, now_iso


class RemovalError(Exception):
    """A removal that cannot be done as asked; the message says why and what to do."""


@dataclass(slots=True)
class Removed:
    article_id: int
    title: str | None
    url: str | None
    sources: list[int] = field(default_factory=list)
    purged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ensure_table(store: Store) -> None:
    db = store.db
    if TABLE in db.table_names():
        return
    with store.write_lock(), db.atomic():
        if TABLE in db.table_names():
            return
        db[TABLE].create(
            {
                "id": int,
                "article_id": int,
                "title": str,
                "url": str,
                "url_key": str,
                "content_hash": str,
                "story_id": int,
                "sources": str,  # JSON array of sources.id: the inputs the article came from
                "reason": str,
                "removed_at": str,
                "purged": int,  # 1 when the raw inputs were deleted too
                "in_index": int,  # 1 until Whoosh has dropped the article
                "readded_at": str,  # set by `ingest --readd-removed`
            },
            pk="id",
        )
        db[TABLE].create_index(["article_id"])


def remove_articles(
    store: Store, ids: Iterable[int], reason: str, *, purge: bool = False
) -> tuple[list[Removed], list[int]]:
    """Remove these articles in one transaction; returns (removed, ids not found)."""
    if not reason.strip():
        raise RemovalError("Say why with --reason TEXT: it is kept in the removals table.")
    ensure_table(store)
    db = store.db
    removed: list[Removed] = []
    missing: list[int] = []
    with store.write_lock(), db.atomic():
        for article_id in dict.fromkeys(ids):
            row = db.execute(
                "SELECT id, title, url, url_key, content_hash, story_id FROM articles WHERE id = ?",
                [article_id],
            ).fetchone()
            if row is None:
                missing.append(article_id)
                continue
            removed.append(_remove_one(store, row, reason, purge))
    return removed, missing


def _remove_one(store: Store, row: tuple[Any, ...], reason: str, purge: bool) -> Removed:
    db = store.db
    article_id, title, url, url_key, chash, story_id = row
    sources = [
        r[0]
        for r in db.execute(
            "SELECT id FROM sources WHERE article_id = ? UNION"
            " SELECT source_id FROM article_versions WHERE article_id = ? AND source_id IS NOT NULL"
            " UNION SELECT source_id FROM articles WHERE id = ? AND source_id IS NOT NULL",
            [article_id, article_id, article_id],
        ).fetchall()
    ]
    db.execute(
        f"INSERT INTO {TABLE} (article_id, title, url, url_key, content_hash, story_id, sources,"
        " reason, removed_at, purged, in_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        [
            article_id,
            title,
            url,
            url_key,
            chash,
            story_id,
            json.dumps(sorted(sources)),
            reason.strip(),
            now_iso(),
            int(purge),
        ],
    )
    store.near_dups.remove(article_id)
    for table in ("article_authors", "article_categories", "captions", "article_versions"):
        db.execute(f"DELETE FROM [{table}] WHERE article_id = ?", [article_id])
    marks = ",".join("?" * len(sources))
    if sources:
        db.execute(
            f"UPDATE sources SET status = 'removed', article_id = NULL WHERE id IN ({marks})",
            sources,
        )
    db.execute("DELETE FROM articles WHERE id = ?", [article_id])  # FTS: the delete trigger
    if story_id is not None:
        dedup.refresh_story(db, story_id)
    if purge:
        shas = (
            [
                r[0]
                for r in db.execute(
                    f"SELECT sha256 FROM sources WHERE id IN ({marks})", sources
                ).fetchall()
            ]
            if sources
            else []
        )
        purge_sources(db, sources)
        forget_aside(_folder(store), shas)  # bytes set aside by an earlier removal
    else:
        set_aside(db, _folder(store), sources, now_iso())
    return Removed(article_id, title, url, sorted(sources), purge)


def _folder(store: Store) -> Path:
    if store.path is None:
        raise RemovalError("Removal needs an archive on disk (the raw inputs are kept beside it).")
    return store.path.parent


def release_removed(store: Store, inputs: list[str]) -> int:
    """`ingest --readd-removed`: the removed inputs among `inputs` (files, or records of those
    files) become pending again, so this ingest archives them anew; returns how many."""
    db = store.db
    if TABLE not in db.table_names() or not inputs:
        return 0
    names = [str(Path(p)) for p in inputs] + list(inputs)
    count = 0
    with store.write_lock(), db.atomic():
        for start in range(0, len(names), 400):
            chunk = names[start : start + 400]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT id FROM sources WHERE status = 'removed'"
                f" AND (origin IN ({marks}) OR container IN ({marks}))",
                chunk + chunk,
            ).fetchall()
            shas = [
                r[0]
                for r in db.execute(
                    f"SELECT DISTINCT sha256 FROM sources WHERE id IN ({','.join('?' * len(rows))})",
                    [r[0] for r in rows],
                ).fetchall()
            ]
            if shas and store.path is not None:
                bring_back(db, store.path.parent, shas)
            for (source_id,) in rows:
                # 'failed' is the status ingest archives over (the row is rewritten on success)
                db.execute("UPDATE sources SET status = 'failed' WHERE id = ?", [source_id])
                db.execute(
                    f"UPDATE {TABLE} SET readded_at = ? WHERE readded_at IS NULL"
                    " AND EXISTS (SELECT 1 FROM json_each(sources) WHERE value = ?)",
                    [now_iso(), source_id],
                )
                count += 1
    return count
