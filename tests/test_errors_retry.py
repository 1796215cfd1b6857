"""`newsarchive errors`, `stats` and `ingest --retry-failed`: each failed input counted once,
retried from its kept bytes, and no "Nothing new" while inputs fail (real corpus pages)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive import pipeline
from archive.cli import app
from ingest.errors import IngestError
from ingest.extract import extract_page as real_extract_page

from .conftest import CORPUS, run_cli

GOOD = sorted(CORPUS.glob("*.html"))[:3]
FIXED = sorted(CORPUS.glob("*.txt"))[-1]


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for page in GOOD:
        shutil.copy(page, folder / page.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "menu.txt").write_text("Home\nNews\nSport\n", encoding="utf-8")
    (folder / "records.jsonl").write_text(
        json.dumps({"title": "Harbor opens", "body": "The harbor opened today. " * 10})
        + "\n{broken json\n",
        encoding="utf-8",
    )
    return folder


def test_errors_lists_each_failed_input_once_across_attempts(tmp_path: Path, pages: Path) -> None:
    archive = tmp_path / "archive"
    first = run_cli(archive, "ingest", str(pages), "--jobs", "1")
    assert first.returncode == 1
    again = run_cli(archive, "ingest", str(pages), "--jobs", "1")  # the same failures, attempt 2
    assert again.returncode == 1
    assert "Nothing new" not in again.stderr  # 3 inputs failed: something is not in the archive
    assert "3 failed" in again.stderr and "newsarchive errors" in again.stderr

    listed = json.loads(run_cli(archive, "errors", "--json").stdout)
    origins = sorted(Path(row["origin"]).name for row in listed["inputs"])
    assert origins == ["empty.txt", "menu.txt", "records.jsonl:2"]
    assert all(row["attempts"] == 2 for row in listed["inputs"])
    reasons = {Path(r["origin"]).name: r["reason"] for r in listed["inputs"]}
    assert reasons == {
        "empty.txt": "empty",
        "menu.txt": "no_article",
        "records.jsonl:2": "malformed",
    }

    only = json.loads(run_cli(archive, "errors", "--reason", "malformed", "--json").stdout)
    assert [Path(r["origin"]).name for r in only["inputs"]] == ["records.jsonl:2"]

    stats = json.loads(run_cli(archive, "stats", "--json").stdout)
    assert stats["counts"]["ingest_errors"] == 6  # one row per attempt, as the table says
    assert stats["failed_inputs"] == 3  # but three inputs
    assert stats["errors"] == {"empty": 1, "malformed": 1, "no_article": 1}

    text = run_cli(archive, "errors")
    assert text.returncode == 0 and "empty.txt\tempty (2 attempts)" in text.stdout


def test_retry_failed_uses_kept_bytes_after_an_extractor_fix(
    tmp_path: Path, pages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "archive"
    broken = GOOD[1].name

    def buggy(raw, *, boilerplate=None):  # type: ignore[no-untyped-def]
        if Path(raw.origin).name == broken:
            raise IngestError(f"{raw.origin}: extractor bug.", reason="internal_error")
        return real_extract_page(raw, boilerplate=boilerplate)

    monkeypatch.setattr(pipeline, "extract_page", buggy)
    runner = CliRunner()
    result = runner.invoke(app, ["--archive", str(archive), "ingest", str(pages), "--jobs", "1"])
    assert result.exit_code == 1
    monkeypatch.setattr(pipeline, "extract_page", real_extract_page)  # the fix ships

    (pages / broken).unlink()  # the original is gone: only the archive's copy remains
    # fixed in place (downloaded again): no bytes were kept, so it is read again from its path
    (pages / "empty.txt").write_bytes(FIXED.read_bytes())
    retry = run_cli(archive, "ingest", "--retry-failed", "--jobs", "1")
    assert "2 added" in retry.stderr, retry.stderr
    assert retry.returncode == 1  # menu.txt and the broken JSON line still fail
    left = json.loads(run_cli(archive, "errors", "--json").stdout)
    assert sorted(Path(r["origin"]).name for r in left["inputs"]) == ["menu.txt", "records.jsonl:2"]
    db = sqlite3.connect(archive / "news.db")
    status = {Path(o).name: st for o, st in db.execute("SELECT origin, status FROM sources")}
    assert status[broken] == "article" and status["empty.txt"] == "article"
    assert run_cli(archive, "verify").returncode == 0


def test_retry_failed_with_nothing_failed_and_no_paths(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert run_cli(archive, "ingest", str(GOOD[0]), "--jobs", "1").returncode == 0
    retry = run_cli(archive, "ingest", "--retry-failed")
    assert retry.returncode == 0 and "0 failed" in retry.stderr
    usage = run_cli(archive, "ingest")
    assert usage.returncode == 2 and "--retry-failed" in usage.stderr


def test_no_control_characters_from_file_names_reach_the_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "bad\x1b[31mred.txt").write_bytes(b"")
    (folder / ".hidden\x1b[2J.txt").write_text("x")
    archive = tmp_path / "archive"
    run = run_cli(archive, "ingest", str(folder), "--jobs", "1")
    assert run.returncode == 1 and "\x1b" not in run.stderr
    assert "Skipped 1 file(s)" in run.stderr
    listed = run_cli(archive, "errors")
    assert "red.txt" in listed.stdout and "\x1b" not in listed.stdout + listed.stderr
    assert json.loads(run_cli(archive, "errors", "--json").stdout)["failed"] == 1
