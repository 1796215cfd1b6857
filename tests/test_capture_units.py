"""The capture's small parts: URL checks, WARC salvage, durations, sitemaps, terminal safety,
DNS failures (in a network namespace of our own: no query leaves the machine), start-up."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive.capture.discover import sitemap_links
from archive.capture.fetcher import url_problem
from archive.capture.report import printable
from archive.capture.warcs import WarcSink, complete_length, final_files, salvage_partials
from archive.commands_capture import parse_duration
from ingest.warc import iter_warc_pages

from .conftest import CORPUS, ROOT
from .test_capture import CLI, rows


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:8000/a.html", None),
        ("https://news.example.org/story?id=1", None),
        ("https://bücher.example/", None),
        ("ftp://example.org/x", "is not an http:// or https:// URL"),
        ("example.org/story", "is not an http:// or https:// URL"),
        ("http:///nohost", "has no host name"),
        ("http://exa mple.org/", "has an invalid host name"),
        ("http://" + "a" * 64 + ".example/", "has an invalid host name"),
        ("http://[::1/", "is not a valid URL"),
    ],
)
def test_url_problems_are_found_before_any_lookup(url: str, problem: str | None):
    found = url_problem(url)
    assert (found is None) if problem is None else (found or "").startswith(problem), found


def _sink_with_pages(folder: Path, count: int) -> WarcSink:
    sink = WarcSink(folder, {"software": "test"})
    page = (CORPUS / "aeb-042bb7b5feda.html").read_bytes()
    for n in range(count):
        rid = sink.request(f"http://127.0.0.1/{n}", "GET", f"/{n}", [("Host", "127.0.0.1")])
        sink.response(
            f"http://127.0.0.1/{n}", rid, 200, "OK", [("Content-Type", "text/html")], page
        )
    return sink


def test_a_partial_warc_cut_anywhere_is_salvaged_to_its_complete_records(tmp_path: Path):
    sink = _sink_with_pages(tmp_path / "w", 3)
    sink._fh.flush()
    data = sink.partial.read_bytes()
    sink.close()
    whole = complete_length(data)
    assert whole == len(data)
    # cut inside the last response record: the two first pages survive, the cut one does not
    for cut in (len(data) - 1, len(data) - 5000, len(data) // 2 + 7):
        folder = tmp_path / f"cut{cut}"
        folder.mkdir()
        (folder / "capture-x-1.warc.gz.partial").write_bytes(data[:cut])
        (saved,) = salvage_partials(folder)
        assert final_files(folder) == [saved] and not list(folder.glob("*.partial"))
        pages = [d for d in iter_warc_pages(str(saved), saved.read_bytes())]
        assert all(type(p).__name__ == "RawDocument" for p in pages)  # no truncated record
        assert 1 <= len(pages) < 3


def test_a_partial_in_use_by_a_live_writer_is_left_alone(tmp_path: Path):
    sink = _sink_with_pages(tmp_path, 1)
    assert salvage_partials(tmp_path) == [] and sink.partial.exists()
    assert sink.close() == sink.final


def test_truncated_captures_are_not_ingested_as_pages(tmp_path: Path):
    sink = WarcSink(tmp_path, {"software": "test"})
    page = (CORPUS / "aeb-042bb7b5feda.html").read_bytes()
    rid = sink.request("http://127.0.0.1/big", "GET", "/big", [])
    sink.response(
        "http://127.0.0.1/big",
        rid,
        200,
        "OK",
        [("Content-Type", "text/html")],
        page[:5000],
        truncated="length",
    )
    path = sink.close()
    found = list(iter_warc_pages(str(path), path.read_bytes()))
    # no page; the reader says the file held none (capture drops that file-wide notice)
    assert [(type(d).__name__, d.reason) for d in found] == [("Failure", "empty")]


@pytest.mark.parametrize(
    ("text", "seconds"), [("15m", 900), ("30s", 30), ("1h", 3600), ("250ms", 0.25), ("2", 2)]
)
def test_durations(text: str, seconds: float):
    assert parse_duration(text) == seconds


def test_sitemaps_read_safely():
    found = sitemap_links(
        "http://s/sitemap.xml",
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/a</loc>'
        b"<lastmod>2024-01-02</lastmod></url></urlset>",
    )
    assert found.pages == [("http://s/a", "2024-01-02")] and found.problem is None
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><urlset><url><loc>&b;</loc></url></urlset>'
    assert sitemap_links("http://s/x.xml", bomb).problem[0] == "malformed"
    assert (
        sitemap_links("http://s/x.xml", b"<html><body>no</body></html>").problem[0] == "malformed"
    )
    assert sitemap_links("http://s/x.txt", b"http://s/1\nhttp://s/2\n").pages == [
        ("http://s/1", None),
        ("http://s/2", None),
    ]


def test_terminal_lines_escape_control_characters():
    assert printable("http://x/\x1b[31mred\x07\x9b") == "http://x/\\x1b[31mred\\x07\\x9b"


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1)")
def test_a_dns_failure_is_recorded_and_the_run_goes_on(tmp_path: Path):
    """In a fresh network namespace nothing is reachable, so no DNS query leaves the machine."""
    archive = tmp_path / "a"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode:
        pytest.skip("cannot make a network namespace here (needs root)")
    proc = subprocess.run(
        [
            "unshare",
            "-n",
            *CLI,
            "--archive",
            str(archive),
            "fetch",
            "http://news.example.invalid/story.html",
            "--retries",
            "0",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["failed"] == {"dns": 1}
    assert rows(archive, "SELECT reason FROM ingest_errors") == [("dns",)]
    assert "could not be resolved" in proc.stderr


PROBE = """
import json, sys
from archive.cli import main
sys.argv = ["newsarchive", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({n.split(".")[0] for n in sys.modules})), file=sys.stderr)
"""


@pytest.mark.parametrize("command", [["stats", "--json"], ["fetch", "--help"], ["--help"]])
def test_only_fetch_and_watch_import_httpx(command: list[str], tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["--archive", str(tmp_path / "a"), *command])],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert "httpx" not in loaded and "warcio" not in loaded, loaded
