"""`newsarchive watch`: feeds followed round after round, stopped by Ctrl-C, SIGTERM or kill -9."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from archive.capture.warcs import complete_length

from .capture_site import Server, Site, corpus_ids
from .conftest import ROOT
from .test_capture import CLI, newsarchive, rows, warc_records


@pytest.fixture
def site():
    server = Server(Site()).start()
    yield server
    server.stop()


def test_watch_fetches_new_items_as_they_appear_with_conditional_feed_requests(
    site: Server, tmp_path: Path
):
    ids = corpus_ids(5, skip=40)
    site.site.feed_ids = ids[:2]
    site.site.publish = {2: [ids[2]], 4: [ids[3], ids[4]]}  # news in rounds 2 and 4
    archive = tmp_path / "a"
    proc = newsarchive(
        archive,
        "watch",
        "--feed",
        f"{site.base}/feed.xml",
        "--every",
        "0.2s",
        "--rounds",
        "4",
        "--delay",
        "0.05",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    feeds = site.site.requests("/feed.xml")
    assert len(feeds) == 4
    assert [bool(h.headers.get("If-None-Match")) for h in feeds] == [False, True, True, True]
    assert [h.status for h in feeds] == [200, 200, 304, 200]
    pages = [h.path for h in site.site.requests("/articles/")]
    assert sorted(pages) == sorted(f"/articles/{i}.html" for i in ids)  # each page once
    assert report["fetched"]["page"] == 5 and report["not_modified"] == {"feed": 1}
    assert rows(archive, "SELECT count(*) FROM articles") == [(5,)]
    assert proc.stderr.count("Round ") == 4


def _start(archive: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "--archive", str(archive), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        # Ctrl-C as at a terminal: a shell starting the test run in the background (`cmd &`
        # without job control) ignores SIGINT, and an ignored signal stays ignored over exec
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_hits(site: Site, count: int, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while len(site.requests()) < count and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def _wait_for_served_pages(
    site: Site, count: int, proc: subprocess.Popen, limit: float = 120
) -> None:
    """Wait until `count` pages were answered in full (a hit is logged when it arrives)."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if sum(h.status == 200 for h in site.requests("/articles/")) >= count:
            return
        time.sleep(0.01)


def _wait_for_path(site: Site, path: str, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not site.requests(path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_keeps_what_was_fetched_and_marks_the_run(
    site: Server, tmp_path: Path, stop: signal.Signals
):
    ids = corpus_ids(8, skip=50)
    site.site.feed_ids = ids
    archive = tmp_path / "a"
    proc = _start(
        archive,
        "watch",
        "--feed",
        f"{site.base}/feed.xml",
        "--every",
        "1h",
        "--delay",
        "0.3",
        "--batch",
        "100",
    )
    _wait_for_served_pages(site.site, 3, proc)
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Watch stopped" in err
    served = {h.path for h in site.site.requests("/articles/") if h.status == 200}
    assert len(served) >= 3
    # the wave was cut short, yet its finished pages were closed into a WARC and ingested
    # (a response still on its way when the signal came is dropped, not half-recorded)
    assert not list((archive / "warcs").glob("*.partial"))
    recorded = {
        r["uri"] for r in warc_records(archive) if r["type"] == "response" and r["status"] == "200"
    }
    pages = {u for u in recorded if "/articles/" in u}
    assert len(pages) >= len(served) - 1
    assert rows(archive, "SELECT count(*) FROM articles")[0][0] == len(pages)
    assert rows(archive, "SELECT status FROM ingest_runs") == [("interrupted",)]
    again = newsarchive(
        archive, "watch", "--feed", f"{site.base}/feed.xml", "--rounds", "1", "--delay", "0.05"
    )
    assert again.returncode == 0, again.stderr
    assert rows(archive, "SELECT count(*) FROM articles") == [(8,)]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["fetch", "watch"])
def test_kill_9_at_a_random_moment_loses_nothing_and_the_next_run_completes(
    site: Server, tmp_path: Path, command: str
):
    """Killed at random moments (3 per command); each time, what was archived stays, whole."""
    ids = corpus_ids(16, skip=60)
    site.site.slow_seconds = 1.0  # one page answers slowly: the first kill lands while it waits
    site.site.slow_ids = {ids[3]}
    site.site.feed_ids = ids if command == "watch" else ids[:8]
    pages = [f"{site.base}/articles/{i}.html" for i in ids[8:]]
    feed = ["--feed", f"{site.base}/feed.xml"]
    if command == "fetch":
        args = ["fetch", *pages, *feed, "--delay", "0.05", "--batch", "3"]
        finish = args
    else:
        args = ["watch", *feed, "--every", "0.1s", "--delay", "0.05", "--batch", "3"]
        finish = [*args, "--rounds", "1"]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    archive = tmp_path / "a"
    partials = 0
    before: list[tuple] = []
    for kill in range(3):
        proc = _start(archive, *args)
        start = len(site.site.requests())
        if kill == 0:  # inside a wave for sure: the slow page's request is in the .partial file
            _wait_for_path(site.site, f"/slow/{ids[3]}.html", proc)
        else:  # anywhere: fetching, ingesting, recovering, between rounds
            _wait_for_hits(site.site, start + rng.randint(2, 12), proc)
            time.sleep(rng.random() * 0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        partials += len(list((archive / "warcs").glob("*.partial")))
        now = rows(archive, "SELECT id, content_hash FROM articles ORDER BY id")
        assert set(before) <= set(now), f"seed {seed}, kill {kill}: archived articles were lost"
        before = now
    final = newsarchive(archive, *finish)
    assert final.returncode == 0, f"seed {seed}: {final.stderr}"
    after = rows(archive, "SELECT id, content_hash FROM articles ORDER BY id")
    assert set(before) <= set(after) and len(after) == 16, f"seed {seed}"
    assert not list((archive / "warcs").glob("*.partial"))
    listed = {name for (name,) in rows(archive, "SELECT name FROM capture_warcs")}
    assert listed == {p.name for p in (archive / "warcs").glob("*.warc.gz")}
    assert newsarchive(archive, "verify").returncode == 0
    # nothing half-written was ever counted: every WARC file is whole, no record was cut
    for path in (archive / "warcs").glob("*.warc.gz"):
        data = path.read_bytes()
        assert complete_length(data) == len(data), f"seed {seed}: {path.name} ends mid-record"
    cut = "SELECT origin FROM ingest_errors WHERE reason IN ('truncated', 'malformed')"
    assert rows(archive, cut) == [], f"seed {seed}"
    assert partials >= 1, f"seed {seed}: the first kill left no .partial file to salvage"
