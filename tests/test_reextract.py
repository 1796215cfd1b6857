"""`newsarchive reextract`: an archive built with a weakened extractor, then re-extracted with
the real one, changes exactly the articles whose extraction changed (real corpus pages)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive import pipeline
from archive.cli import app
from ingest.extract import extract_page as real_extract_page

from .conftest import CORPUS, run_cli

PAGES = sorted(CORPUS.glob("*.html"))[:10]
WEAKENED = {p.name for p in PAGES[1::3]}  # every third page: 1, 4, 7


def _weakened(raw, *, boilerplate=None):  # type: ignore[no-untyped-def]
    """The extractor of an older release: it kept only the first paragraph of some pages."""
    extraction = real_extract_page(raw, boilerplate=boilerplate)
    if Path(raw.origin).name in WEAKENED:
        extraction.article.body = extraction.article.body.split("\n\n")[0]
    return extraction


@pytest.fixture
def weak_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pages = tmp_path / "pages"
    pages.mkdir()
    for page in PAGES:
        shutil.copy(page, pages / page.name)
    archive = tmp_path / "archive"
    monkeypatch.setattr(pipeline, "extract_page", _weakened)
    result = CliRunner().invoke(
        app, ["--archive", str(archive), "ingest", str(pages), "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(pipeline, "extract_page", real_extract_page)
    return archive


def _ids_by_name(archive: Path) -> dict[str, int]:
    db = sqlite3.connect(archive / "news.db")
    rows = db.execute(
        "SELECT s.origin, a.id FROM articles a JOIN sources s ON s.id = a.source_id"
    ).fetchall()
    return {Path(origin).name: article_id for origin, article_id in rows}


def test_reextract_changes_exactly_the_weakened_articles(weak_archive: Path) -> None:
    ids = _ids_by_name(weak_archive)
    weak_ids = sorted(ids[name] for name in WEAKENED)
    db = sqlite3.connect(weak_archive / "news.db")
    short = dict(db.execute("SELECT id, word_count FROM articles").fetchall())

    dry = run_cli(weak_archive, "reextract", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert sorted(report["changed_ids"]) == weak_ids
    assert db.execute("SELECT max(version) FROM articles").fetchone()[0] == 1  # nothing written

    done = run_cli(weak_archive, "reextract", "--json", "--jobs", "2")  # a pool of two processes
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert sorted(report["changed_ids"]) == weak_ids
    assert report["unchanged"] == len(PAGES) - len(WEAKENED)
    assert report["sample"] and report["sample"][0]["fields"] == ["body"]
    versions = dict(db.execute("SELECT id, version FROM articles").fetchall())
    assert {i for i, v in versions.items() if v == 2} == set(weak_ids)
    for article_id in weak_ids:  # the truncated body is kept as version 1
        old = db.execute(
            "SELECT body FROM article_versions WHERE article_id = ? AND version = 1", [article_id]
        ).fetchone()[0]
        assert "\n\n" not in old
        new_words = db.execute(
            "SELECT word_count FROM articles WHERE id = ?", [article_id]
        ).fetchone()[0]
        assert new_words > short[article_id]

    # the index followed: verify is green and a word only the restored text holds is found
    assert run_cli(weak_archive, "verify").returncode == 0
    article_id = weak_ids[0]
    body = db.execute("SELECT body FROM articles WHERE id = ?", [article_id]).fetchone()[0]
    last = body.split("\n\n")[-1]
    phrase = " ".join(last.split()[:4])
    found = run_cli(weak_archive, "search", f'"{phrase}"', "--json")
    assert article_id in [h["id"] for h in json.loads(found.stdout)["hits"]], found.stderr

    again = json.loads(run_cli(weak_archive, "reextract", "--json").stdout)
    assert again["changed"] == 0 and again["unchanged"] == len(PAGES)


def test_reextract_is_resumable_after_an_interruption(weak_archive: Path) -> None:
    from archive.reextract import reextract
    from archive.store import Store

    ids = _ids_by_name(weak_archive)
    weak_ids = sorted(ids[name] for name in WEAKENED)
    store = Store.open(weak_archive, create=False)
    calls = 0

    def interrupted_map(func, tasks):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:  # the third batch: like Ctrl-C mid-run
            raise KeyboardInterrupt
        return map(func, tasks)

    with pytest.raises(KeyboardInterrupt):
        reextract(store, batch_size=2, mapper=interrupted_map)
    first = [
        r[0] for r in store.db.execute("SELECT id FROM articles WHERE version = 2 ORDER BY id")
    ]
    assert first == [i for i in weak_ids if i <= 4]  # two whole batches committed: ids 1-4
    report = reextract(store, batch_size=2)
    assert report.resumed_after == 4
    assert report.examined == len(PAGES) - 4
    assert sorted(report.changed_ids) == [i for i in weak_ids if i > 4]
    versions = dict(store.db.execute("SELECT id, version FROM articles").fetchall())
    assert {i for i, v in versions.items() if v == 2} == set(weak_ids)
    assert store.get_meta("reextract_state") is None  # finished: the next run starts over
    store.close()


def test_reextract_filters_and_bad_format(weak_archive: Path) -> None:
    none = json.loads(run_cli(weak_archive, "reextract", "--format", "text", "--json").stdout)
    assert none["selected"] == 0
    bad = run_cli(weak_archive, "reextract", "--format", "pdf")
    assert bad.returncode == 2 and "--format 'pdf'" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_reextract_right_after_ingest_changes_nothing_on_the_corpus_dumps(tmp_path: Path) -> None:
    """Every text dump of the corpus, site templates learned across them: today's extractor
    over the stored bytes gives back exactly what ingest stored (no spurious versions)."""
    pages = tmp_path / "dumps"
    pages.mkdir()
    for page in sorted(CORPUS.glob("*.txt")):
        shutil.copy(page, pages / page.name)
    archive = tmp_path / "archive"
    assert run_cli(archive, "ingest", str(pages)).returncode == 0
    report = json.loads(run_cli(archive, "reextract", "--json").stdout)
    assert report["selected"] == len(list(pages.iterdir()))
    assert report["changed"] == 0 and report["failed"] == 0


def test_a_site_forced_at_ingest_is_kept(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    page = PAGES[0]
    assert (
        run_cli(archive, "ingest", str(page), "--site", "Forced Site", "--jobs", "1").returncode
        == 0
    )
    report = json.loads(run_cli(archive, "reextract", "--json").stdout)
    assert report["unchanged"] == 1 and report["changed"] == 0
    only = json.loads(run_cli(archive, "reextract", "--site", "forced site", "--json").stdout)
    assert only["selected"] == 1
