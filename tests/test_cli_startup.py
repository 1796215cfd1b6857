"""CLI start-up (issue 8): read commands with --json import only typer, sqlite3 and Whoosh.

Each command runs in a fresh interpreter, as a user's shell would start it, and reports which
top-level packages it loaded. The wall-time target itself is measured by bench/bench_cli.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.indexing import ArchiveDB, catch_up, index_dir_for
from tests.conftest import ROOT
from tests.test_index import build_archive, load_truth

# Packages a `--json` read command has no use for: web publishing, extraction, tables,
# sqlite-utils (which pulls numpy), and typer 0.29's pydantic coercion.
UNUSED = (
    "pydantic",
    "rich",
    "datasette",
    "uvicorn",
    "trafilatura",
    "lxml",
    "sqlite_utils",
    "numpy",
    "datasketch",
    "ingest",
)

PROBE = """
import json, sys
from archive.cli import main
sys.argv = ["newsarchive", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("startup") / "archive"
    build_archive(folder, load_truth()[:30])
    catch_up(ArchiveDB.open(folder), index_dir_for(folder))
    return folder


def run_cli(*args: str) -> tuple[str, dict]:
    """stdout of one fresh `newsarchive ARGS` run, and what it reported on its last stderr line."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc.stdout, report


def article_id(archive: Path) -> int:
    stdout, _ = run_cli("--archive", str(archive), "search", "the", "--limit", "1", "--json")
    return json.loads(stdout)["hits"][0]["id"]


@pytest.mark.parametrize(
    "command",
    [
        ("search", "the", "--json"),
        ("search", "the", "--facets", "--since", "2015", "--sort", "newest", "--json"),
        ("search", "the", "--csv"),
        ("timeline", "the", "--json"),
        ("show", "ID", "--json"),
        ("similar", "ID", "--json"),
        ("verify", "--json"),
        ("stats", "--json"),
    ],
    ids=lambda c: "-".join(c),
)
def test_read_commands_import_nothing_they_do_not_use(archive, command):
    if "ID" in command:
        command = tuple(str(article_id(archive)) if c == "ID" else c for c in command)
    stdout, report = run_cli("--archive", str(archive), *command)
    assert report["code"] == 0, stdout
    if "--json" in command:
        assert json.loads(stdout)  # one JSON document, nothing else on stdout
    else:
        assert stdout.startswith("id,title,")
    assert "whoosh" in report["loaded"] and "typer" in report["loaded"]  # the probe sees imports
    unexpected = sorted(set(UNUSED) & set(report["loaded"]))
    assert unexpected == [], f"`newsarchive {' '.join(command)}` imported {unexpected}"


def test_help_imports_neither_whoosh_nor_the_archive_library():
    stdout, report = run_cli("search", "--help")
    assert report["code"] == 0 and "Example" in stdout
    needless = {"whoosh", "index", "sqlite3", *UNUSED} - {"rich"}  # rich draws the help
    assert needless & set(report["loaded"]) == set(), report["loaded"]


def test_a_usage_error_exits_2_without_pydantic(archive):
    """Typer's own coercion rejects a bad number with exit 2, before the archive is opened."""
    stdout, report = run_cli("--archive", str(archive), "search", "the", "--limit", "many")
    assert report["code"] == 2 and stdout == ""
    assert not {"pydantic", "whoosh"} & set(report["loaded"]), report["loaded"]
