"""Shared fixtures: where the shared corpus lies, and small real archives built from it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
if not SHARED.exists():  # a git worktree one level deeper (/work/wt/NAME): the same shared data
    SHARED = ROOT.parent.parent / "shared"
CORPUS = SHARED / "corpus"
EXAMPLES = SHARED / "examples"
SEED_PAGE = EXAMPLES / "seed-page.txt"
SEED_EXPECTED = EXAMPLES / "seed-page.expected.json"
SAMPLES = ROOT / "samples"


def run_cli(archive: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`newsarchive --archive ARCHIVE ARGS...` as a user runs it, output captured."""
    return subprocess.run(
        ["newsarchive", "--archive", str(archive), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def load_truth() -> list[dict]:
    """The corpus ground truth: real titles, authors, dates and bodies of 109 pages."""
    with (CORPUS / "truth.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def truth_article(row: dict):  # type: ignore[no-untyped-def]
    """An ingest Article made of one truth row (real publisher text, structured as we extract it)."""
    from ingest.model import Article

    return Article(
        title=row.get("title"),
        authors=row.get("authors") or [],
        published=row.get("published"),
        category=row.get("category"),
        site_name=row.get("site_name"),
        url=row.get("url"),
        language="en" if row.get("likely_english") else None,
        body=row["body"].replace("\n", "\n\n"),
    )


@pytest.fixture
def truth_rows() -> list[dict]:
    return load_truth()


@pytest.fixture
def make_truth_archive(tmp_path: Path) -> Callable[..., Path]:
    """Build a real archive folder (SQLite file) from the first `n` truth rows; returns its path."""

    def build(n: int | None = None, folder: Path | None = None) -> Path:
        from archive.store import Extracted, Store
        from ingest.model import RawDocument

        archive = folder or tmp_path / "archive"
        store = Store.open(archive)
        run_id = store.start_run(["test"])
        items = []
        for row in load_truth()[:n]:
            data = json.dumps(row, ensure_ascii=False).encode()
            raw = RawDocument(
                origin=f"truth.jsonl#{row['id']}", data=data, format="json", url=row.get("url")
            )
            items.append(Extracted(raw=raw, article=truth_article(row)))
        store.write_batch(items, run_id)
        store.close()
        return archive

    return build
