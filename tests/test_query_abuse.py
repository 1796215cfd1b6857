"""`newsarchive search` given anything a person can type: answered quickly or refused clearly.

Pathological wildcards and ranges, enormous inputs, control characters, absurd options: each
gives JSON on stdout (exit 0) or one "Error: ..." line on stderr (exit 2 for a bad query or
option), never a traceback, and within a few seconds on a real index.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive.cli import app

from .conftest import load_truth

runner = CliRunner()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("abuse")
    inputs = folder / "truth.jsonl"
    inputs.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in load_truth()), encoding="utf-8"
    )
    result = runner.invoke(app, ["--archive", str(folder / "a"), "ingest", str(inputs)])
    assert result.exit_code == 0, result.output
    return folder / "a"


def search(archive: Path, *args: str):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = runner.invoke(app, ["--archive", str(archive), "search", *args, "--json"])
    return result, time.perf_counter() - started


def assert_answered_or_refused(result, seconds: float, *, refused: bool | None = None) -> None:  # type: ignore[no-untyped-def]
    assert seconds < 5
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert refused is not True, result.stdout[:500]
        data = json.loads(result.stdout)
        assert data["total"] >= len(data["hits"])
    else:
        assert refused is not False, result.stderr
        assert result.exit_code in (1, 2)
        lines = result.stderr.strip().splitlines()
        assert lines and lines[-1].startswith("Error: ") and len(lines) <= 3, result.stderr


WILD = [
    ("?*", True),
    ("*", None),  # "everything", answered cheaply
    ("*a", True),
    ("?", True),
    ("a*", None),
    ("th*", None),
    ("[a TO z]", None),
    ("title:[a TO z]", None),
    ("published:[0000 TO 9999]", None),
    ("published:[2019 to 2020]", False),
    (" ".join(f"{c}{d}*" for c in "abcdefghij" for d in "aeiou"), None),
    ("s*d~3", None),
    ("said~9", None),
]


@pytest.mark.parametrize(("query", "refused"), WILD, ids=[q[:20] for q, _ in WILD])
def test_pathological_wildcards_and_ranges(archive, query, refused):
    result, seconds = search(archive, query)
    assert_answered_or_refused(result, seconds, refused=refused)


ODD = [
    "",
    "   ",
    '"unclosed phrase',
    "(((((said",
    "said)))",
    "title:",
    "nosuchfield:said",
    "AND OR NOT",
    "NOT said",
    "\x00said",
    "said\x1b[2Jcleared",
    "\u202eevil\u202c said",
    "日本 東京",
    "said " * 400,
    "x" * 100_000,
    "(" * 5000 + "said" + ")" * 5000,
    '"' + "said " * 300 + '"',
    "\\",
    "*:*",
    "said^1000",
]


@pytest.mark.parametrize("query", ODD, ids=[repr(q[:16]) for q in ODD])
def test_odd_and_enormous_queries(archive, query):
    result, seconds = search(archive, query)
    assert_answered_or_refused(result, seconds)


OPTIONS = [
    ["said", "--limit", "0"],
    ["said", "--limit", "1000000000"],
    ["said", "--page", "1000000000"],
    ["said", "--page", "-1"],
    ["said", "--since", "yesterday"],
    ["said", "--since", "2024-02-30"],
    ["said", "--since", "2025", "--until", "2019"],
    ["said", "--author", "\x00" * 100],
    ["said", "--sort", "sideways"],
    ["said", "--category", "x" * 50_000],
]


@pytest.mark.parametrize("args", OPTIONS, ids=[" ".join(a)[:30] for a in OPTIONS])
def test_absurd_options(archive, args):
    result, seconds = search(archive, *args)
    assert_answered_or_refused(result, seconds)


def test_a_normal_query_still_answers(archive):
    result, seconds = search(archive, "said", "--facets")
    assert_answered_or_refused(result, seconds, refused=False)
    assert json.loads(result.stdout)["total"] > 10
