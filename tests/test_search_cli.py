"""The search-side commands through the CLI: output formats, options, exit codes, help."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive.cli import app
from archive.indexing import ArchiveDB, catch_up, index_dir_for
from tests.conftest import ROOT
from tests.test_index import build_archive, load_truth

runner = CliRunner()
COMMANDS = ("search", "show", "similar", "timeline", "verify", "reindex")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "archive"
    build_archive(folder, load_truth())
    db = ArchiveDB.open(folder)
    catch_up(db, index_dir_for(folder))
    return folder


def cli(archive: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--archive", str(archive), *args], catch_exceptions=False)


def test_search_json_with_every_option(archive):
    result = cli(
        archive, "search", "the", "--since", "2018", "--until", "2019-12", "--sort", "newest",
        "--limit", "3", "--page", "2", "--facets", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["page"] == 2 and data["limit"] == 3 and len(data["hits"]) == 3
    dates = [h["published"] for h in data["hits"]]
    assert dates == sorted(dates, reverse=True) and all("2018" <= d < "2020" for d in dates)
    assert sum(data["facets"]["year"].values()) == data["total"]
    assert set(data["facets"]["year"]) <= {"2018", "2019"}


def test_search_filters_author_category_site(archive):
    data = json.loads(cli(archive, "search", "*", "--author", "reuters", "--json").stdout)
    assert data["total"] == 2 and all("Reuters" in h["authors"] for h in data["hits"])
    data = json.loads(
        cli(
            archive, "search", "*", "--site", "Al Jazeera", "--site", "New York Post", "--json"
        ).stdout
    )
    assert data["total"] == 4 and {h["site"] for h in data["hits"]} == {
        "Al Jazeera",
        "New York Post",
    }
    data = json.loads(cli(archive, "search", "*", "--category", "opinion", "--json").stdout)
    assert data["total"] == 2 and {h["category"] for h in data["hits"]} == {"Opinion"}


def test_search_collapse_counts_copies(archive):
    db = ArchiveDB.open(archive)
    ids = [
        r[0]
        for r in db.db.execute(
            "SELECT id FROM articles WHERE title || ' ' || body LIKE '%Stadia%' ORDER BY id"
        )
    ]
    with db.db:  # link them as one story, as the duplicate linker would
        db.db.execute(
            f"UPDATE articles SET story_id = {ids[0]} WHERE id IN ({','.join(map(str, ids))})"
        )
    try:
        plain = json.loads(cli(archive, "search", "stadia", "--json").stdout)
        folded = json.loads(cli(archive, "search", "stadia OR xbox", "--collapse", "--json").stdout)
        assert plain["total"] == len(ids) > 1
        stadia = [h for h in folded["hits"] if h["id"] in ids]
        assert len(stadia) == 1 and stadia[0]["copies"] == len(ids)
        assert folded["total"] == len(folded["hits"]) and all("copies" in h for h in folded["hits"])
    finally:
        with db.db:
            db.db.execute("UPDATE articles SET story_id = id")


def test_search_csv(archive):
    result = cli(archive, "search", "streaming", "--limit", "2", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2 and list(rows[0]) == [
        "id", "title", "published", "authors", "category", "site", "url", "score", "snippet",
    ]  # fmt: skip
    assert "<mark>" not in rows[0]["snippet"] and "stream" in rows[0]["snippet"].lower()


def test_search_table_bold_highlights(archive):
    result = cli(archive, "search", "streaming", "--limit", "2", "--facets")
    assert result.exit_code == 0 and "articles for 'streaming'" in result.stdout
    assert "<mark>" not in result.stdout and "author" in result.stdout


def test_suggestion_on_stderr_in_table_mode(archive):
    result = cli(archive, "search", "gaem")
    assert "Did you mean: game" in result.stderr
    assert json.loads(cli(archive, "search", "gaem", "--json").stdout)["suggestion"] == "game"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", '"unclosed'], "unclosed quote"),
        (["search", "?*"], "too few letters"),
        (["search", "nofield:x"], "does not exist"),
        (["search", "x", "--since", "yesterday"], "not a date"),
        (["search", "x", "--sort", "best"], "not a sort order"),
        (["search", "x", "--json", "--csv"], "exclusive"),
        (["timeline", "x", "--interval", "week"], "not an interval"),
        (["timeline", "*ing"], "too few letters"),
    ],
)
def test_bad_queries_exit_2_with_one_line(archive, args, message):
    result = cli(archive, *args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_missing_archive_exits_1(tmp_path):
    for args in (
        ["search", "x"],
        ["show", "1"],
        ["verify"],
        ["timeline", "x"],
        ["similar", "1"],
        ["reindex"],
    ):
        result = cli(tmp_path / "nothing", *args)
        assert result.exit_code == 1 and "No archive at" in result.stderr
        assert not (tmp_path / "nothing").exists()


def test_show(archive):
    data = json.loads(cli(archive, "show", "1", "--json").stdout)
    truth = load_truth()[0]
    assert data["title"] == truth["title"] and data["authors"] == truth["authors"]
    assert data["body"].startswith(truth["body"][:50])
    text = cli(archive, "show", "1").stdout
    assert text.startswith(f"# {truth['title']}") and "By: Sarah E. Needleman" in text
    result = cli(archive, "show", "99999")
    assert result.exit_code == 1 and "no article 99999" in result.stderr


def test_similar(archive):
    data = json.loads(cli(archive, "similar", "1", "--limit", "3", "--json").stdout)
    assert data["id"] == 1 and len(data["hits"]) == 3 and 1 not in [h["id"] for h in data["hits"]]
    rows = list(
        csv.DictReader(io.StringIO(cli(archive, "similar", "1", "-n", "2", "--csv").stdout))
    )
    assert len(rows) == 2
    assert "Articles like 1" in cli(archive, "similar", "1", "-n", "2").stdout
    assert cli(archive, "similar", "99999").exit_code == 1


def test_timeline_outputs(archive):
    data = json.loads(cli(archive, "timeline", "game", "--json").stdout)
    assert [list(r) for r in data][:1] == [["period", "count", "total", "share"]]
    by_period = {r["period"]: r for r in data}
    assert by_period["2019"]["total"] == 52 and by_period["2019"]["count"] > 0
    rows = list(
        csv.DictReader(
            io.StringIO(cli(archive, "timeline", "game", "--interval", "month", "--csv").stdout)
        )
    )
    assert rows[0]["period"] == "2010-10" and len(rows) > 100
    bars = cli(archive, "timeline", "game", "--since", "2017").stdout
    assert "█" in bars and "2019" in bars and "2010" not in bars


def test_every_command_has_help_with_example():
    for name in COMMANDS:
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "Example:" in result.stdout, name


def test_search_json_starts_without_heavy_imports(archive):
    code = (
        "import sys; from archive.cli import main; sys.argv=['newsarchive','--archive',"
        f"{str(archive)!r},'search','game','--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlite_utils', 'numpy', 'datasette', 'trafilatura', 'rich.table', 'datasketch') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert json.loads(proc.stdout)["total"] > 0
    assert "HEAVY []" in proc.stderr, proc.stderr
