"""`newsarchive export`: JSON Lines that ingest reads back to the same articles, CSV, Parquet,
queries and filters (real corpus pages and the bundled samples)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CORPUS, SAMPLES, run_cli

FIELDS = (
    "title, authors, published, category, site, url, language, dateline, wire, body, "
    "(SELECT json_group_array(text) FROM (SELECT text FROM captions c"
    " WHERE c.article_id = articles.id ORDER BY position))"
)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("export")
    pages = base / "pages"
    shutil.copytree(SAMPLES, pages)
    for page in sorted(CORPUS.glob("*.html"))[:8]:
        shutil.copy(page, pages / page.name)
    folder = base / "archive"
    result = run_cli(folder, "ingest", str(pages), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    return folder


def _articles(archive: Path) -> list[tuple]:
    db = sqlite3.connect(archive / "news.db")
    return db.execute(f"SELECT {FIELDS} FROM articles ORDER BY url, title").fetchall()


def test_jsonl_export_ingests_back_to_the_same_articles(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    done = run_cli(archive, "export", "--output", str(out))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    count = len(_articles(archive))
    assert len(records) == count and f"Exported {count} article(s)" in done.stderr
    assert any(r["captions"] for r in records) and any(r["dateline"] for r in records)
    again = tmp_path / "again"
    back = run_cli(again, "ingest", str(out), "--jobs", "1", "--json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["added"] == count
    assert _articles(again) == _articles(archive)


def test_stdout_jsonl_equals_file_and_csv_and_parquet_agree(archive: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    lines = run_cli(archive, "export").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    table = run_cli(archive, "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [int(r["id"]) for r in rows] == [r["id"] for r in records]
    assert [r["body"] for r in rows] == [r["body"] for r in records]  # newlines survive CSV
    assert rows[0]["authors"] == "; ".join(records[0]["authors"])
    parquet = tmp_path / "a.parquet"
    assert run_cli(archive, "export", "-f", "parquet", "-o", str(parquet)).returncode == 0
    read = pq.read_table(parquet).to_pylist()
    assert read == records
    binary = run_cli(archive, "export", "-f", "parquet")
    assert binary.returncode == 2 and "--output" in binary.stderr


def test_query_and_filters_select_what_search_finds(archive: Path) -> None:
    found = json.loads(run_cli(archive, "search", "harbor", "--limit", "1000", "--json").stdout)
    exported = [json.loads(x) for x in run_cli(archive, "export", "harbor").stdout.splitlines()]
    assert sorted(r["id"] for r in exported) == sorted(h["id"] for h in found["hits"])
    assert found["total"] >= 2
    site = exported[0]["site_name"]
    by_site = [
        json.loads(x) for x in run_cli(archive, "export", "--site", site).stdout.splitlines()
    ]
    db = sqlite3.connect(archive / "news.db")
    want = [r[0] for r in db.execute("SELECT id FROM articles WHERE site = ? ORDER BY id", [site])]
    assert [r["id"] for r in by_site] == want
    # the filters name values as search's do: case aside, one word of a site name
    word = max(site.split(), key=len).upper()
    loose = [json.loads(x) for x in run_cli(archive, "export", "--site", word).stdout.splitlines()]
    named = [
        r[0]
        for r in db.execute("SELECT id, site FROM articles ORDER BY id")
        if r[1] and word.lower() in re.findall(r"\w+", r[1].lower())
    ]
    assert [r["id"] for r in loose] == named
    assert [r["id"] for r in loose if r["site_name"] == site] == want
    until = [
        json.loads(x) for x in run_cli(archive, "export", "--until", "2024").stdout.splitlines()
    ]
    assert until and all((r["published"] or "")[:4] <= "2024" for r in until)
    assert all(r["published"] for r in until)
    bad = run_cli(archive, "export", "title:(")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    none = run_cli(archive, "export", "-f", "xml")
    assert none.returncode == 2 and "jsonl, csv, parquet" in none.stderr


def test_a_closed_pipe_ends_the_export_quietly(archive: Path) -> None:
    run = subprocess.run(
        f"newsarchive --archive {archive} export | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert len(run.stdout) == 10 and "Error" not in run.stderr and "Traceback" not in run.stderr
