"""`newsarchive remove`: gone from Whoosh, FTS, facets and the web; audited; raw input kept;
`verify` green; not re-added by re-ingesting the same input unless asked."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.conftest import SAMPLES, run_cli
from tests.web_server import running_server

TARGET = "northern-ledger-grid.html"  # one page, one article, its own site


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES, tmp_path / "samples")
    folder = tmp_path / "archive"
    result = run_cli(folder, "ingest", str(tmp_path / "samples"), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    return folder


def _target(archive: Path) -> tuple[int, str, str]:
    db = sqlite3.connect(archive / "news.db")
    return db.execute(
        "SELECT a.id, a.site, s.sha256 FROM articles a JOIN sources s ON s.id = a.source_id"
        " WHERE s.origin LIKE ?",
        [f"%{TARGET}"],
    ).fetchone()


def _hits(archive: Path, query: str) -> list[int]:
    out = run_cli(archive, "search", query, "--json")
    assert out.returncode == 0, out.stderr
    return [h["id"] for h in json.loads(out.stdout)["hits"]]


def test_remove_takes_the_article_out_everywhere_and_keeps_an_audit(archive: Path) -> None:
    article_id, site, digest = _target(archive)
    assert article_id in _hits(archive, "grid operator")
    before = json.loads(run_cli(archive, "stats", "--json").stdout)["counts"]["articles"]

    done = run_cli(
        archive, "remove", str(article_id), "--reason", "takedown request 2024-118", "--json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["article_id"] for r in report["removed"]] == [article_id]
    assert report["index_updated"] is True

    db = sqlite3.connect(archive / "news.db")
    assert _hits(archive, "grid operator") == []  # Whoosh
    fts = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'grid'").fetchall()
    assert fts == []  # Datasette's search box
    assert db.execute("SELECT count(*) FROM articles WHERE site = ?", [site]).fetchone()[0] == 0
    facets = json.loads(run_cli(archive, "search", "winter OR harbor", "--facets", "--json").stdout)
    assert site not in facets["facets"]["site"]
    assert (
        json.loads(run_cli(archive, "stats", "--json").stdout)["counts"]["articles"] == before - 1
    )

    audit = db.execute(
        "SELECT article_id, reason, removed_at, title, purged FROM removals"
    ).fetchall()
    assert audit[0][0] == article_id and audit[0][1] == "takedown request 2024-118"
    assert audit[0][2] and "grid" in audit[0][3].lower() and audit[0][4] == 0
    kept = db.execute("SELECT status FROM sources WHERE sha256 = ?", [digest]).fetchall()
    assert kept == [("removed",)]  # the raw input stays, marked...
    original = (archive.parent / "samples" / TARGET).read_bytes()
    aside = sqlite3.connect(archive / "removed.db")  # ...its bytes kept beside news.db
    assert aside.execute(
        "SELECT content FROM removed_blobs WHERE sha256 = ?", [digest]
    ).fetchone() == (original,)
    published = db.execute("SELECT content FROM source_blobs WHERE sha256 = ?", [digest])
    assert published.fetchone() == (None,)  # not in the file `serve` publishes

    verify = run_cli(archive, "verify", "--json")
    assert verify.returncode == 0, verify.stdout
    assert json.loads(verify.stdout)["removed"] == 1

    with running_server(archive) as base, httpx.Client(base_url=base, timeout=30) as web:
        assert web.get(f"/article/{article_id}").status_code == 404
        table = web.get("/news/articles.json", params={"_facet": "site", "_shape": "objects"})
        assert article_id not in [row["id"] for row in table.json()["rows"]]
        results = web.get("/search.json", params={"q": "grid operator"}).json()
        assert results["total"] == 0
        sql = web.get(
            "/news.json",
            params={"sql": "select content from source_blobs where sha256 = :s", "s": digest},
        ).json()
        assert sql["rows"] == [[None]]  # the raw page is not reachable by SQL either

    # the same input again does not bring it back...
    samples = archive.parent / "samples"
    again = run_cli(archive, "ingest", str(samples / TARGET), "--jobs", "1")
    assert "1 already archived" in again.stderr, again.stderr
    assert _hits(archive, "grid operator") == []
    # ...unless asked
    readd = run_cli(archive, "ingest", str(samples / TARGET), "--readd-removed", "--jobs", "1")
    assert "1 added" in readd.stderr, readd.stderr
    assert len(_hits(archive, "grid operator")) == 1
    assert db.execute("SELECT readded_at FROM removals").fetchone()[0]
    back = db.execute("SELECT content FROM source_blobs WHERE sha256 = ?", [digest]).fetchone()
    assert back == (original,)  # the bytes are in news.db again
    assert run_cli(archive, "verify").returncode == 0


def test_purge_deletes_the_raw_input(archive: Path) -> None:
    article_id, _site, digest = _target(archive)
    done = run_cli(archive, "remove", str(article_id), "--reason", "mistaken ingest", "--purge")
    assert done.returncode == 0, done.stderr
    db = sqlite3.connect(archive / "news.db")
    assert db.execute("SELECT 1 FROM sources WHERE sha256 = ?", [digest]).fetchone() is None
    assert db.execute("SELECT 1 FROM source_blobs WHERE sha256 = ?", [digest]).fetchone() is None
    assert db.execute("SELECT purged FROM removals").fetchone()[0] == 1
    if (archive / "removed.db").exists():
        aside = sqlite3.connect(archive / "removed.db")
        assert aside.execute("SELECT count(*) FROM removed_blobs").fetchone()[0] == 0
    assert run_cli(archive, "verify").returncode == 0


def test_remove_by_query_is_a_dry_run_until_yes(archive: Path) -> None:
    hits = _hits(archive, "harbor")
    assert len(hits) >= 2
    dry = run_cli(archive, "remove", "--query", "harbor", "--reason", "test", "--json")
    assert dry.returncode == 0 and "nothing removed" in dry.stderr
    assert sorted(json.loads(dry.stdout)["ids"]) == sorted(hits)
    assert sorted(_hits(archive, "harbor")) == sorted(hits)
    done = run_cli(archive, "remove", "--query", "harbor", "--reason", "test", "--yes")
    assert done.returncode == 0, done.stderr
    assert _hits(archive, "harbor") == []
    assert run_cli(archive, "verify").returncode == 0


def test_usage_errors_are_one_line(archive: Path) -> None:
    no_reason = run_cli(archive, "remove", "1")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    missing = run_cli(archive, "remove", "999", "--reason", "x")
    assert missing.returncode == 1 and "no article 999" in missing.stderr
    bad = run_cli(archive, "remove", "--query", "title:(", "--reason", "x")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_verify_catches_a_removed_article_left_in_the_index(archive: Path) -> None:
    """Removed in SQLite while the index could not be written: verify says so; any command
    that can write the index then drops it (planted: verify without `removed_indexed` fails here)."""
    from archive.removal import remove_articles
    from archive.store import Store

    article_id, _site, _digest = _target(archive)
    store = Store.open(archive, create=False)
    remove_articles(store, [article_id], "takedown")  # no index update here
    store.close()
    verify = run_cli(archive, "verify", "--json")
    assert verify.returncode == 1
    report = json.loads(verify.stdout)
    assert report["removed_indexed"] == [article_id]
    assert any("removed article(s) still in the index" in p for p in report["problems"])
    assert _hits(archive, "grid operator") == []  # search catches up: drops it
    assert run_cli(archive, "verify").returncode == 0


def test_same_bytes_under_another_name_keep_readable_raw_input(archive: Path) -> None:
    """A removed input's bytes live in removed.db; the same bytes ingested again under
    another name make a new article whose raw input still reads back (re-extraction)."""
    article_id, _site, _digest = _target(archive)
    assert run_cli(archive, "remove", str(article_id), "--reason", "takedown").returncode == 0
    copy = archive.parent / "copy.html"
    shutil.copy(archive.parent / "samples" / TARGET, copy)
    added = run_cli(archive, "ingest", str(copy), "--jobs", "1")
    assert "1 added" in added.stderr, added.stderr
    report = json.loads(run_cli(archive, "reextract", "--json").stdout)
    assert report["no_raw"] == 0 and report["changed"] == 0
