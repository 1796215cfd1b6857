"""The README's "After ingest" block runs as written, in a fresh folder holding `samples/`."""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
import subprocess
from pathlib import Path

from tests.conftest import ROOT, SAMPLES

HEADING = "## After ingest: errors, removal, history, re-extraction, export"


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(HEADING) :]
    block = section[
        section.index("```bash\n") + 8 : section.index("\n```", section.index("```bash"))
    ]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_readme_after_ingest_block_runs(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "samples")
    commands = readme_commands()
    names = {argv[1] for argv in commands}
    assert {"errors", "history", "reextract", "export", "remove", "show"} <= names
    for argv in commands:
        assert argv[0] == "newsarchive"
        run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"{shlex.join(argv)}: {run.stderr}"
    db = sqlite3.connect(tmp_path / "news_archive" / "news.db")
    exported = (tmp_path / "archive.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(exported) == db.execute("SELECT count(*) FROM articles").fetchone()[0] + 1
    assert json.loads(exported[1])["id"] == 2  # exported before `remove 2`
    assert (tmp_path / "harbor.csv").read_text().startswith("id,title,")
    assert (tmp_path / "archive.parquet").stat().st_size > 0
    assert db.execute("SELECT article_id, reason FROM removals").fetchall() == [
        (2, "takedown request 2024-118")
    ]
