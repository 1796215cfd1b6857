"""The archive's tables and indexes, and the migrations that bring older archives up to date.

A new archive gets every table in one transaction; an existing one gets only what it lacks
(each check reads first, so opening an up-to-date archive writes nothing). The README's
"The SQLite schema" documents the result for SQL users.
"""

from __future__ import annotations

from typing import Any

from . import dedup, raw_keep
from .removals_table import TABLE as REMOVALS
from .store_base import ARTICLE_ID_META, StoreCore

SCHEMA_VERSION = 1

FTS_UPDATE_TRIGGER = """
CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "body" ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") VALUES('delete', old.rowid, old."title", old."body");
  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");
END
"""


def ensure_schema(core: StoreCore) -> None:
    """Create the schema on first use; add what an older archive lacks."""
    db = core.db
    if "archive_meta" not in db.table_names():
        with core.write_lock(), db.atomic():
            if "archive_meta" not in db.table_names():  # not made by another process meanwhile
                _create_tables(core)
    else:
        _ensure_raw_schema(core)  # archives from before files were kept as given
    _ensure_story_schema(core)  # archives from before duplicate detection get it here
    _ensure_article_id_counter(core)  # archives whose ids came from max(id) + 1


def _create_tables(core: StoreCore) -> None:
    db = core.db
    db["archive_meta"].create({"key": str, "value": str}, pk="key")
    db["archive_meta"].insert_all(
        [
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "seq", "value": "0"},
            {"key": ARTICLE_ID_META, "value": "0"},
        ]
    )
    db["sites"].create({"id": int, "name": str, "domain": str}, pk="id")
    db["sites"].create_index(["name"], unique=True)
    db["authors"].create({"id": int, "name": str}, pk="id")
    db["authors"].create_index(["name"], unique=True)
    db["categories"].create({"id": int, "name": str}, pk="id")
    db["categories"].create_index(["name"], unique=True)
    db["articles"].create(
        {
            "id": int,
            "title": str,
            "published": str,
            "published_year": int,
            "published_month": str,
            "authors": str,  # JSON array, for Datasette's array facets
            "category": str,
            "site": str,
            "site_id": int,
            "url": str,
            "url_key": str,  # canonical form of url, for duplicate detection
            "language": str,
            "dateline": str,
            "wire": str,
            "body": str,
            "word_count": int,
            "content_hash": str,
            "story_id": int,
            "source_id": int,
            "first_seen": str,
            "updated_at": str,
            "version": int,
            "seq": int,  # monotonic change counter: the index watermark compares against it
        },
        pk="id",
        foreign_keys=[("site_id", "sites", "id")],
    )
    for column in ("content_hash", "url_key", "published", "seq", "story_id", "site", "category"):
        db["articles"].create_index([column])
    db["article_authors"].create(
        {"article_id": int, "author_id": int, "position": int},
        pk=("article_id", "author_id"),
        foreign_keys=[("article_id", "articles", "id"), ("author_id", "authors", "id")],
    )
    db["article_authors"].create_index(["author_id"])
    db["article_categories"].create(
        {"article_id": int, "category_id": int},
        pk=("article_id", "category_id"),
        foreign_keys=[("article_id", "articles", "id"), ("category_id", "categories", "id")],
    )
    db["article_categories"].create_index(["category_id"])
    db["captions"].create(
        {"id": int, "article_id": int, "position": int, "text": str},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["captions"].create_index(["article_id"])
    _create_run_and_source_tables(core)
    raw_keep.ensure_tables(db)
    db["articles"].enable_fts(["title", "body"], fts_version="FTS5", create_triggers=True)
    # sqlite-utils' update trigger fires on any column; story counts and seq change often,
    # and each change would rewrite the article's full-text entry. Title and body only.
    db.execute("DROP TRIGGER articles_au")
    db.execute(FTS_UPDATE_TRIGGER)


def _create_run_and_source_tables(core: StoreCore) -> None:
    db = core.db
    db["ingest_runs"].create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "arguments": str,
            "added": int,
            "updated": int,
            "duplicates": int,
            "unchanged": int,
            "failed": int,
            "status": str,  # running | done | failed | interrupted
            "pid": int,  # the ingesting process, to tell a killed run from a live one
        },
        pk="id",
    )
    db["source_blobs"].create({"sha256": str, "size": int, "content": bytes}, pk="sha256")
    db["sources"].create(
        {
            "id": int,
            "sha256": str,
            "origin": str,
            "container": str,
            "format": str,
            "size": int,
            "url": str,
            "fetched": str,
            "status": str,  # article | duplicate | update | failed | removed
            "article_id": int,
            "run_id": int,
            "ingested": str,
        },
        pk="id",
        foreign_keys=[
            ("sha256", "source_blobs", "sha256"),
            ("article_id", "articles", "id"),
            ("run_id", "ingest_runs", "id"),
        ],
    )
    db["sources"].create_index(["sha256", "origin"], unique=True)
    db["sources"].create_index(["article_id"])
    db["ingest_errors"].create(
        {
            "id": int,
            "run_id": int,
            "origin": str,
            "reason": str,
            "message": str,
            "source_id": int,
            "created": str,
        },
        pk="id",
        foreign_keys=[("run_id", "ingest_runs", "id"), ("source_id", "sources", "id")],
    )


def _ensure_raw_schema(core: StoreCore) -> None:
    columns = {r[1] for r in core.db.execute("PRAGMA table_info(ingest_errors)").fetchall()}
    if "source_files" in core.db.table_names() and "count" in columns:
        return
    with core.write_lock(), core.db.atomic():
        raw_keep.ensure_tables(core.db)


def _ensure_story_schema(core: StoreCore) -> None:
    """Versions, signatures and story columns: created on new archives, added to older ones."""
    columns, missing = _story_gaps(core.db)
    if missing or not {"syndicated", "story_copies"} <= columns:
        _create_story_schema(core)


def _story_gaps(db: Any) -> tuple[set[str], set[str]]:
    """(the columns `articles` has, the story tables the archive lacks)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(articles)").fetchall()}
    return columns, {"article_versions", "article_minhash", "article_bands"} - set(db.table_names())


def _create_story_schema(core: StoreCore) -> None:
    """Adds what is missing, looked at again under the write lock: two processes opening a
    new archive at once both saw the columns missing, and the second to take the lock added
    `syndicated` again ("duplicate column name", a CI failure of 2026-12-05)."""
    db = core.db
    with core.write_lock(), db.atomic():
        columns, missing = _story_gaps(db)
        if "syndicated" not in columns:  # 1 when other sites carry the same story
            db["articles"].add_column("syndicated", int, not_null_default=0)
        if "story_copies" not in columns:  # how many articles the story has, this one included
            db["articles"].add_column("story_copies", int, not_null_default=1)
        if "article_versions" in missing:
            db["article_versions"].create(
                {
                    "id": int,
                    "article_id": int,
                    "version": int,
                    "title": str,
                    "authors": str,
                    "published": str,
                    "url": str,
                    "body": str,
                    "content_hash": str,
                    "source_id": int,
                    "fetched": str,
                    "replaced_at": str,
                },
                pk="id",
                foreign_keys=[("article_id", "articles", "id"), ("source_id", "sources", "id")],
            )
            db["article_versions"].create_index(["article_id", "version"])
            db["article_versions"].create_index(["content_hash"])
        dedup.ensure_tables(db)


def _ensure_article_id_counter(core: StoreCore) -> None:
    """Archives made before the counter start it past every id they ever gave.

    Besides live articles, a removed article's id survives in `removals` and as the
    `story_id` of copies left behind; past versions and inputs may name it too.
    """
    if core.get_meta(ARTICLE_ID_META) is not None:
        return
    db = core.db
    witnesses = [
        "SELECT max(id) FROM articles",
        "SELECT max(story_id) FROM articles",
        "SELECT max(article_id) FROM article_versions",
        "SELECT max(article_id) FROM sources",
    ]
    if REMOVALS in db.table_names():
        witnesses.append(f"SELECT max(article_id) FROM [{REMOVALS}]")
    with core.write_lock(), db.atomic():
        if core.get_meta(ARTICLE_ID_META) is not None:  # another process added it meanwhile
            return
        highest = max(int(db.execute(sql).fetchone()[0] or 0) for sql in witnesses)
        core.set_meta(ARTICLE_ID_META, str(highest))
