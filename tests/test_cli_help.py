"""Every command teaches through --help (with an example) and is documented in the README."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from archive.cli import app

from .conftest import ROOT

runner = CliRunner()


def command_names() -> list[str]:
    click_group = typer.main.get_command(app)
    return sorted(click_group.commands)  # type: ignore[attr-defined]


def test_every_command_has_help_with_an_example_and_a_readme_entry():
    readme = (ROOT / "README.md").read_text()
    names = command_names()
    assert {"ingest", "extract", "stats"} <= set(names)
    for name in names:
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, name
        assert "Example" in result.stdout, f"`newsarchive {name} --help` has no example"
        assert f"newsarchive {name}" in readme, f"README does not document `newsarchive {name}`"
