"""`newsarchive ingest` and `extract` end to end: real files, a real SQLite file, exit codes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from archive.cli import app

from .conftest import SAMPLES, SEED_EXPECTED, SEED_PAGE

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def query(archive: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(archive / "news.db") as conn:
        return conn.execute(sql).fetchall()


def test_extract_seed_page_json_matches_expected():
    result = invoke("extract", str(SEED_PAGE), "--json")
    assert result.exit_code == 0, result.output
    got, expected = json.loads(result.stdout), json.loads(SEED_EXPECTED.read_text())
    # The expected record names the fields it fixes; the Article contract adds url and language.
    assert {key: got[key] for key in expected} == expected
    assert (got["language"], got["url"]) == ("en", None)


def test_ingest_seed_twice_keeps_one_article_with_four_captions(tmp_path):
    archive = tmp_path / "arch"
    first = invoke("--archive", str(archive), "ingest", str(SEED_PAGE))
    assert first.exit_code == 0, first.output
    assert "1 added" in first.stderr
    second = invoke("--archive", str(archive), "ingest", str(SEED_PAGE))
    assert second.exit_code == 0
    assert "Nothing new" in second.stderr and "0 added" in second.stderr
    assert query(archive, "SELECT count(*) FROM articles") == [(1,)]
    assert query(archive, "SELECT count(*) FROM captions") == [(4,)]
    assert query(archive, "SELECT count(*) FROM sources") == [(1,)]
    title, authors, published, category, site, wire = query(
        archive, "SELECT title, authors, published, category, site, wire FROM articles"
    )[0]
    assert title == "Russian and US space chiefs meet to discuss continued cooperation"
    assert (json.loads(authors), published, category, site, wire) == (
        ["Robert Jones"],
        "2025-08-01",
        "Hub",
        "All Hail Trump",
        "AP",
    )
    raw = query(archive, "SELECT content FROM source_blobs")[0][0]
    assert raw == SEED_PAGE.read_bytes()  # the input is kept verbatim
    runs = query(archive, "SELECT added, unchanged, failed, status FROM ingest_runs ORDER BY id")
    assert runs == [(1, 0, 0, "done"), (0, 1, 0, "done")]


def test_bad_inputs_are_recorded_and_the_rest_committed(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a-empty.txt").write_bytes(b"")
    (pages / "b-binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (pages / "c-latin1.txt").write_bytes(
        SEED_PAGE.read_text()
        .replace("’", "'")
        .replace("“", '"')
        .replace("”", '"')
        .replace("—", "-")
        .replace("»", ">")
        .encode("cp1252", errors="replace")
    )
    (pages / "d-menu-only.txt").write_text(
        "Home\n  • News\n  • Sports\n  • Weather\nContact us\n© 2024 Example\n"
    )
    (pages / "e-seed.txt").write_bytes(SEED_PAGE.read_bytes())
    archive = tmp_path / "arch"
    result = invoke("--archive", str(archive), "ingest", str(pages))
    assert result.exit_code == 1
    reasons = dict(query(archive, "SELECT origin, reason FROM ingest_errors"))
    assert reasons == {
        str(pages / "a-empty.txt"): "empty",
        str(pages / "b-binary.txt"): "binary",
        str(pages / "d-menu-only.txt"): "no_article",
    }
    # one line per failure on stderr, naming the file
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 3 and all("pages/" in line for line in error_lines)
    # the non-UTF-8 page and the seed were archived (the cp1252 page is the same story: a duplicate)
    assert query(archive, "SELECT count(*) FROM articles") == [(1,)]
    assert (
        "1 added" in result.stderr
        and "1 duplicate" in result.stderr
        and "3 failed" in result.stderr
    )


def test_extract_several_files_prints_json_lines_with_source(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = invoke("extract", str(SEED_PAGE), str(empty), "--json")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["source"] for row in lines] == [str(SEED_PAGE), str(empty)]
    assert lines[0]["wire"] == "AP" and "error" in lines[1]


def test_usage_errors_exit_2(tmp_path):
    assert invoke("ingest").exit_code == 2
    assert invoke("ingest", str(SEED_PAGE), "--format", "pdf").exit_code == 2


def test_missing_archive_is_one_line_error(tmp_path):
    result = invoke("--archive", str(tmp_path / "none"), "stats")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "No archive" in result.stderr


def test_console_script_ingests_the_samples(tmp_path):
    """The quick start's main job, through the installed console script."""
    archive = tmp_path / "arch"
    exe = Path(sys.executable).with_name("newsarchive")
    done = subprocess.run(
        [str(exe), "--archive", str(archive), "ingest", str(SAMPLES)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    count = query(archive, "SELECT count(*) FROM articles")[0][0]
    assert count >= 5
    stats = subprocess.run(
        [str(exe), "--archive", str(archive), "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(stats.stdout)["counts"]["articles"] == count
