"""The SQLite archive: schema, verbatim sources, atomic batches, duplicates, errors."""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive.store import Extracted, Store, content_hash
from ingest.model import Article, Failure, RawDocument

TABLES = {
    "articles",
    "authors",
    "article_authors",
    "categories",
    "article_categories",
    "sites",
    "captions",
    "sources",
    "source_blobs",
    "ingest_runs",
    "ingest_errors",
    "archive_meta",
    "articles_fts",
}


def article(
    title: str = "Harbor reopens", body: str = "The harbor reopened on Monday after repairs."
) -> Article:
    return Article(
        title=title,
        authors=["Ana Ruiz", "Tom Lee"],
        published="2024-03-14",
        category="Local",
        site_name="Riverside Gazette",
        body=body,
        captions=["A crane at work.", "The pier."],
    )


def raw(origin: str = "page.txt", data: bytes = b"raw page bytes") -> RawDocument:
    return RawDocument(origin=origin, data=data, format="text")


def test_schema_has_the_documented_tables(tmp_path):
    store = Store.open(tmp_path / "a")
    assert set(store.db.table_names()) >= TABLES
    assert (tmp_path / "a" / "news.db").exists()


def test_article_written_with_relations_and_verbatim_source(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run(["x"])
    result = store.write_batch([Extracted(raw=raw(), article=article())], run)
    (article_id,) = result.added
    row = store.db["articles"].get(article_id)
    assert json.loads(row["authors"]) == ["Ana Ruiz", "Tom Lee"]
    assert (row["published_year"], row["published_month"], row["story_id"]) == (
        2024,
        "2024-03",
        article_id,
    )
    names = [
        r["name"]
        for r in store.db.query(
            "SELECT a.name FROM article_authors aa JOIN authors a ON a.id = aa.author_id WHERE article_id = ? ORDER BY position",
            [article_id],
        )
    ]
    assert names == ["Ana Ruiz", "Tom Lee"]
    assert [r["text"] for r in store.db.query("SELECT text FROM captions ORDER BY position")] == [
        "A crane at work.",
        "The pier.",
    ]
    blob = store.db.execute(
        "SELECT content FROM source_blobs JOIN sources USING (sha256) WHERE sources.id = ?",
        [row["source_id"]],
    ).fetchone()[0]
    assert blob == b"raw page bytes"
    # Datasette's search box: the FTS table follows the articles table through triggers.
    assert store.db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'reopened'"
    ).fetchall() == [(article_id,)]


def test_same_input_twice_adds_nothing(tmp_path):
    store = Store.open(tmp_path / "a")
    first = store.write_batch([Extracted(raw=raw(), article=article())], store.start_run([]))
    second = store.write_batch([Extracted(raw=raw(), article=article())], store.start_run([]))
    assert len(first.added) == 1 and second.unchanged == 1 and not second.added
    assert (
        store.db["articles"].count == 1
        and store.db["captions"].count == 2
        and store.db["sources"].count == 1
    )


def test_same_content_from_another_path_is_a_linked_duplicate(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    store.write_batch([Extracted(raw=raw("a.txt"), article=article())], run)
    result = store.write_batch(
        [Extracted(raw=raw("copy/a.txt", b"other bytes"), article=article())], run
    )
    assert result.duplicates == 1
    assert store.db["articles"].count == 1
    statuses = [r["status"] for r in store.db.query("SELECT status FROM sources ORDER BY id")]
    assert statuses == ["article", "duplicate"]


def test_failures_are_recorded_with_their_bytes(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    bad = RawDocument(origin="empty.txt", data=b"\x00\x01binary", format="text")
    failure = Failure(
        "empty.txt", "binary", "empty.txt: looks like a binary file.", bad.data, "text"
    )
    result = store.write_batch(
        [Extracted(raw=bad, failure=failure), Extracted(raw=raw(), article=article())], run
    )
    assert len(result.failed) == 1 and len(result.added) == 1
    error = store.db.execute(
        "SELECT origin, reason, message, source_id FROM ingest_errors"
    ).fetchone()
    assert error[:3] == ("empty.txt", "binary", "empty.txt: looks like a binary file.")
    assert store.db["sources"].get(error[3])["status"] == "failed"


def test_batch_is_atomic(tmp_path):
    """An exception in the middle of a batch leaves nothing of it behind (no 100-row auto-commits)."""
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    items = [
        Extracted(
            raw=raw(f"p{i}.txt", f"bytes {i}".encode()),
            article=article(f"T{i}", f"Body number {i}."),
        )
        for i in range(250)
    ]
    items.append(
        Extracted(raw=None, article=None)
    )  # an impossible item: the write fails at the end
    with pytest.raises(ValueError):
        store.write_batch(items, run)
    store.close()
    conn = sqlite3.connect(tmp_path / "a" / "news.db")
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 0


def test_content_hash_ignores_whitespace_and_quote_style():
    a = article(body="He said “yes”  today.\n\nThen left.")
    b = article(body='He said "yes" today. Then left.')
    assert content_hash(a) == content_hash(b)


def test_full_text_table_follows_title_and_body_updates_only(tmp_path):
    store = Store.open(tmp_path / "a")
    (article_id,) = store.write_batch(
        [Extracted(raw=raw(), article=article())], store.start_run([])
    ).added
    store.db.execute(
        "UPDATE articles SET body = 'The ferry sailed again.' WHERE id = ?", [article_id]
    )
    store.db.execute("UPDATE articles SET story_copies = 3 WHERE id = ?", [article_id])
    match = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
    assert store.db.execute(match, ["ferry"]).fetchall() == [(article_id,)]
    assert store.db.execute(match, ["reopened"]).fetchall() == []
    trigger = store.db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'articles_au'"
    ).fetchone()[0]
    assert 'UPDATE OF "title", "body"' in trigger


def test_a_killed_run_is_marked_interrupted_by_the_next_one(tmp_path):
    import subprocess
    import sys

    archive = tmp_path / "a"
    Store.open(archive).close()
    code = f"from archive.store import Store; s = Store.open({str(archive)!r}); s.start_run(['killed']); import os; os._exit(9)"
    subprocess.run([sys.executable, "-c", code], check=False)
    store = Store.open(archive)
    assert store.db.execute("SELECT status FROM ingest_runs").fetchall() == [("running",)]
    store.start_run(["next"])
    assert store.db.execute("SELECT status FROM ingest_runs ORDER BY id").fetchall() == [
        ("interrupted",),
        ("running",),
    ]
