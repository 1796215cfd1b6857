"""`ingest --include/--exclude` and the defaults that skip what is clearly not a page."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

from ingest.selection import not_a_page, select_inputs

from .conftest import CORPUS


def test_corpus_folder_skips_its_readme_only() -> None:
    chosen = select_inputs([str(CORPUS)])
    names = {Path(p).name for p in chosen.inputs}
    assert "README.md" not in names
    assert [Path(p).name for p, _ in chosen.skipped] == ["README.md"]
    assert len(names) == len(list(CORPUS.iterdir())) - 1
    line = chosen.summary()
    assert line and "README.md" in line and "1 not a page" in line


def test_include_and_exclude_patterns() -> None:
    html = select_inputs([str(CORPUS)], include=["*.html"])
    assert html.inputs and all(p.endswith(".html") for p in html.inputs)
    no_truth = select_inputs([str(CORPUS)], exclude=["truth.jsonl", "*.txt"])
    names = {Path(p).name for p in no_truth.inputs}
    assert "truth.jsonl" not in names and not any(n.endswith(".txt") for n in names)
    assert "2" not in (no_truth.summary() or "")[:0]  # summary exists and names reasons
    assert "by --exclude" in (no_truth.summary() or "")
    readme = select_inputs([str(CORPUS)], include=["README.md"])
    assert [Path(p).name for p in readme.inputs] == ["README.md"]


def test_default_rules() -> None:
    for name in (
        "README",
        "README.md",
        "LICENSE",
        "LICENSE.txt",
        "notes.md",
        ".hidden.html",
        "logo.png",
        "CHANGELOG.rst",
        "copying",
    ):
        assert not_a_page(name), name
    for name in (
        "story.html",
        "dump.txt",
        "feed.xml",
        "export.jsonl.gz",
        "crawl.warc.gz",
        "readmeister.html",
    ):
        assert not not_a_page(name), name


def test_ingest_skips_non_pages_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    page = sorted(CORPUS.glob("*.html"))[0]
    shutil.copy(page, folder / "sub" / page.name)
    shutil.copy(CORPUS / "README.md", folder / "README.md")
    (folder / "LICENSE").write_text("Apache License\n" * 20, encoding="utf-8")
    (folder / ".notes.txt").write_text("private notes about the harbor story " * 5)
    (folder / "other.html").write_bytes(page.read_bytes().replace(b"<title>", b"<title>X "))
    archive = tmp_path / "archive"
    run = subprocess.run(
        [
            "newsarchive",
            "--archive",
            str(archive),
            "ingest",
            str(folder),
            "--jobs",
            "1",
            "--exclude",
            "other.html",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["added"] == 1
    skipped = [line for line in run.stderr.splitlines() if line.startswith("Skipped")]
    assert len(skipped) == 1
    for name in ("README.md", "LICENSE", ".notes.txt"):
        assert name in skipped[0] or "more" in skipped[0]
    assert "3 not a page" in skipped[0] and "1 by --exclude" in skipped[0]
    db = sqlite3.connect(archive / "news.db")
    origins = [r[0] for r in db.execute("SELECT origin FROM sources")]
    assert [Path(o).name for o in origins] == [page.name]
    # a file named on the command line is taken as given (only --exclude skips it)
    named = subprocess.run(
        [
            "newsarchive",
            "--archive",
            str(archive),
            "ingest",
            str(folder / "README.md"),
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Skipped" not in named.stderr
