"""Crash safety: `newsarchive ingest` and `reindex` killed with SIGKILL at random moments.

The inputs are corpus truth rows written as many small JSON Lines files. A clean run gives the
reference archive; then a second archive is built by an ingest killed again and again at
seeded random times (during extraction, SQLite commits, index commits, catch-ups) and finally
run to completion. After every kill the database must pass `PRAGMA integrity_check` and hold
whole batches only; at the end it must equal the clean run and `newsarchive verify` must pass.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import load_truth

BATCH = 4
ROWS_PER_FILE = 3
KILLS = 24
SEED = int(os.environ.get("NEWSARCHIVE_CRASH_SEED", "7"))
CLI = str(Path(sys.executable).with_name("newsarchive"))
pytestmark = pytest.mark.slow


def write_inputs(folder: Path, rows: list[dict]) -> list[str]:
    """Small JSON Lines files; returns every record's origin in the order ingest reads them."""
    folder.mkdir(parents=True)
    origins = []
    for start in range(0, len(rows), ROWS_PER_FILE):
        path = folder / f"part-{start // ROWS_PER_FILE:03d}.jsonl"
        chunk = rows[start : start + ROWS_PER_FILE]
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk))
        origins += [f"{path}:{n}" for n in range(1, len(chunk) + 1)]
    return origins


def start(archive: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [CLI, "--archive", str(archive), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        start_new_session=True,  # its own process group: extraction workers included
    )


def run(archive: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, "--archive", str(archive), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def group_alive(pgid: int) -> list[int]:
    """Processes still in the process group `pgid` (zombies excluded)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def kill_and_reap(proc: subprocess.Popen) -> None:
    """SIGKILL the command itself (as a crash would), then check nothing of it lingers."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 5
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    leftovers = group_alive(proc.pid)
    if leftovers:  # clean up what we started before failing
        os.killpg(proc.pid, signal.SIGKILL)
    assert not leftovers, f"worker processes outlived the killed ingester: {leftovers}"


def query(archive: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(archive / "news.db", timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def assert_consistent(archive: Path, origins: list[str], batch: int | None = BATCH) -> int:
    """Integrity, whole batches only, every article complete; returns how many inputs are in.

    `batch`: the --batch-size of the runs, when all runs used the same one."""
    assert query(archive, "PRAGMA integrity_check") == [("ok",)]
    assert query(archive, "PRAGMA foreign_key_check") == []
    tables = {
        name for (name,) in query(archive, "SELECT name FROM sqlite_master WHERE type='table'")
    }
    if "archive_meta" not in tables:
        # killed between creating news.db and committing its schema (one transaction): an
        # empty file, never half a schema; the next run creates it
        assert not tables, f"half a schema: {sorted(tables)}"
        return 0
    present = {o for (o,) in query(archive, "SELECT origin FROM sources")}
    done = len(present)
    # ingest reads inputs in a fixed order and commits BATCH of them at a time: what is in
    # the archive is always a whole number of batches from the start, never part of one
    assert present == set(origins[:done]), "a batch is half visible"
    if batch:
        assert done % batch == 0 or done == len(origins), f"{done} inputs: half a batch visible"
    orphans = query(
        archive,
        "SELECT a.id FROM articles a LEFT JOIN sources s ON s.id = a.source_id "
        "WHERE s.id IS NULL OR s.article_id != a.id",
    )
    assert orphans == [], "articles without their source row"
    authors = query(
        archive,
        "SELECT a.id, json_array_length(a.authors), count(aa.author_id) FROM articles a "
        "LEFT JOIN article_authors aa ON aa.article_id = a.id GROUP BY a.id",
    )
    assert all(n == m for _, n, m in authors), "articles without all their authors"
    fts = query(archive, "SELECT count(*) FROM articles_fts")[0][0]
    assert fts == query(archive, "SELECT count(*) FROM articles")[0][0]
    return done


def snapshot(archive: Path) -> dict:
    """What a user sees of the archive, independent of ids and timestamps."""
    tables = [
        "articles",
        "authors",
        "article_authors",
        "categories",
        "article_categories",
        "sites",
        "captions",
        "sources",
        "source_blobs",
        "ingest_errors",
    ]
    return {
        "counts": {t: query(archive, f"SELECT count(*) FROM [{t}]")[0][0] for t in tables},
        "articles": sorted(
            query(archive, "SELECT content_hash, url, title, published, authors FROM articles")
        ),
        "sources": sorted(query(archive, "SELECT origin, sha256, status FROM sources")),
    }


def search_total(archive: Path, text: str) -> int:
    out = run(archive, "search", text, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["total"]


@pytest.fixture(scope="module")
def crash_setup(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("crash")
    rows = load_truth()[:72]
    origins = write_inputs(base / "inputs", rows)
    clean = base / "clean"
    started = time.monotonic()
    out = run(clean, "ingest", str(base / "inputs"), "--batch-size", str(BATCH))
    seconds = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    assert run(clean, "verify").returncode == 0
    return {"base": base, "origins": origins, "clean": clean, "seconds": seconds}


def test_ingest_killed_at_random_points_then_finished_equals_a_clean_run(crash_setup):
    base, origins, clean = crash_setup["base"], crash_setup["origins"], crash_setup["clean"]
    archive = base / "crashed"
    rng = random.Random(SEED)
    window = max(2.0, crash_setup["seconds"] * 0.6)
    killed = finished = 0
    history = []
    for attempt in range(KILLS * 3):
        if killed >= KILLS:
            break
        # one kill in six at the index-commit crash point: between Whoosh and the watermark
        env = {"NEWSARCHIVE_CRASH_AT": "after_index_commit"} if attempt % 6 == 5 else None
        proc = start(archive, "ingest", str(base / "inputs"), "--batch-size", str(BATCH), env=env)
        delay = rng.uniform(0.3, window)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            kill_and_reap(proc)
            killed += 1
        else:
            if proc.returncode == -signal.SIGKILL:
                killed += 1  # the crash hook fired
            else:
                assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
                finished += 1
        if proc.stderr:
            proc.stderr.close()
        if (archive / "news.db").exists():
            history.append(assert_consistent(archive, origins))
        if finished and history and history[-1] == len(origins):
            # everything is in: start again on a fresh archive so later kills hit work too
            archive = base / f"crashed-{attempt}"
            finished = 0
    print(f"kills={killed} inputs committed after each run: {history}")
    assert killed >= 20, f"only {killed} kills landed ({history})"
    out = run(archive, "ingest", str(base / "inputs"), "--batch-size", str(BATCH))
    assert out.returncode == 0, out.stderr
    assert assert_consistent(archive, origins) == len(origins)
    assert snapshot(archive) == snapshot(clean)
    verify = run(archive, "verify", "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["ok"] is True
    assert search_total(archive, "said") == search_total(clean, "said") > 0
    runs = query(archive, "SELECT status FROM ingest_runs ORDER BY id")
    assert runs[-1] == ("done",)


def test_reindex_killed_at_random_points_keeps_a_usable_index(crash_setup):
    """An interrupted rebuild (including its optimize commit) leaves the old index working."""
    clean = crash_setup["clean"]
    rng = random.Random(SEED + 1)
    started = time.monotonic()
    out = run(clean, "reindex")
    assert out.returncode == 0, out.stderr
    seconds = time.monotonic() - started
    total = search_total(clean, "said")
    for _ in range(4):
        proc = start(clean, "reindex")
        try:
            proc.wait(timeout=rng.uniform(0.2, max(1.0, seconds)))
        except subprocess.TimeoutExpired:
            kill_and_reap(proc)
        if proc.stderr:
            proc.stderr.close()
        check = run(clean, "verify")
        assert check.returncode == 0, check.stdout + check.stderr
        assert search_total(clean, "said") == total
    out = run(clean, "reindex")
    assert out.returncode == 0, out.stderr
    assert run(clean, "verify").returncode == 0
    assert query(clean, "PRAGMA integrity_check") == [("ok",)]


# --------------------------------------------------------------------------- mixed folder

MIXED_DUMPS = [  # text dumps of sites with several dumps in the corpus: their templates learn
    "aeb-08f793762792",
    "aeb-2c46804d9db4",
    "aeb-7a664e40d256",
    "aeb-9a440270bf86",
    "aeb-3c5bf8db4272",
    "aeb-686bb170effe",
    "aeb-c50845a7158a",
    "aeb-776a1c046798",
    "aeb-c58aa507c4de",
    "aeb-c81e134ed499",
]


def write_mixed(folder: Path) -> None:
    """Dumps of a few sites (one synthetic site with a promo line on every page), the HTML of
    the same pages, and a JSON Lines file that updates some of them and repeats others."""
    from .conftest import CORPUS
    from .test_site_templates import write_pages

    write_pages(folder)  # page-0.txt ... page-3.txt: Metro Daily Herald
    truth = {row["id"]: row for row in load_truth()}
    for n, stem in enumerate(MIXED_DUMPS):
        (folder / f"d{n:02d}-{stem}.txt").write_bytes((CORPUS / f"{stem}.txt").read_bytes())
        (folder / f"h{n:02d}-{stem}.html").write_bytes((CORPUS / f"{stem}.html").read_bytes())
    updates = []
    for n, stem in enumerate(MIXED_DUMPS[:6]):
        row = dict(truth[stem])
        if n % 2 == 0:  # an update: the same URL with a corrected text
            row["body"] = row["body"] + "\n\nCorrection: an earlier version misstated a date."
        updates.append(row)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in updates)
    (folder / "m-updates.jsonl").write_text(lines)


def full_snapshot(archive: Path) -> dict:
    """Articles, bodies, versions and stories, byte for byte, blind to ids and clocks."""

    def rows(sql: str) -> list[tuple]:
        return sorted(query(archive, sql), key=repr)

    stories: dict[int, list[str]] = {}
    for story, chash in query(archive, "SELECT story_id, content_hash FROM articles"):
        stories.setdefault(story, []).append(chash)
    return {
        "articles": rows(
            "SELECT url, title, published, authors, category, site, language, dateline,"
            " body, content_hash, version, story_copies, syndicated, word_count FROM articles"
        ),
        "versions": rows(
            "SELECT a.content_hash, v.version, v.title, v.authors, v.published, v.body,"
            " v.content_hash FROM article_versions v JOIN articles a ON a.id = v.article_id"
        ),
        "stories": sorted(sorted(group) for group in stories.values()),
        "sources": rows("SELECT origin, sha256, status FROM sources"),
        "captions": rows(
            "SELECT a.content_hash, c.position, c.text FROM captions c"
            " JOIN articles a ON a.id = c.article_id"
        ),
    }


@pytest.fixture(scope="module")
def mixed_setup(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("mixed")
    folder = base / "inputs"
    write_mixed(folder)  # write_pages makes the folder
    clean = base / "clean"
    started = time.monotonic()
    out = run(clean, "ingest", str(folder), "--batch-size", "200")
    assert out.returncode == 0, out.stderr
    return {"base": base, "folder": folder, "clean": clean, "seconds": time.monotonic() - started}


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_batch_boundaries_do_not_change_the_archive(mixed_setup, batch):
    """Site templates learn across batches; every page still ends extracted with the template
    of all its site's pages, whatever the batch size."""
    archive = mixed_setup["base"] / f"batch-{batch}"
    out = run(archive, "ingest", str(mixed_setup["folder"]), "--batch-size", str(batch))
    assert out.returncode == 0, out.stderr
    clean = full_snapshot(mixed_setup["clean"])
    assert clean["versions"], "the JSON Lines file must update some articles"
    assert full_snapshot(archive) == clean
    assert run(archive, "verify").returncode == 0


@pytest.mark.parametrize("batch", [2, 5])
def test_kills_at_random_points_then_a_final_run_equal_a_clean_run(mixed_setup, batch):
    """kill -9 at seeded random moments (extraction, commits, template refreshes), then one
    run to the end: articles, bodies, versions and stories equal a clean run's."""
    rng = random.Random(SEED + batch)
    archive = mixed_setup["base"] / f"killed-{batch}"
    folder = str(mixed_setup["folder"])
    window = max(1.5, mixed_setup["seconds"] * 0.8)
    kills = 0
    for _ in range(5):
        proc = start(archive, "ingest", folder, "--batch-size", str(batch))
        try:
            proc.wait(timeout=rng.uniform(0.5, window))
        except subprocess.TimeoutExpired:
            kill_and_reap(proc)
            kills += 1
        if proc.stderr:
            proc.stderr.close()
        if (archive / "news.db").exists():
            assert query(archive, "PRAGMA integrity_check") == [("ok",)]
    assert kills >= 2, f"only {kills} kills landed"
    out = run(archive, "ingest", folder, "--batch-size", str(batch))
    assert out.returncode == 0, out.stderr
    assert full_snapshot(archive) == full_snapshot(mixed_setup["clean"])
    assert run(archive, "verify").returncode == 0
    statuses = [s for (s,) in query(archive, "SELECT status FROM ingest_runs ORDER BY id")]
    assert statuses[-1] == "done" and "interrupted" in statuses
    added = query(archive, "SELECT sum(added) FROM ingest_runs")[0][0]
    assert added == query(archive, "SELECT count(*) FROM articles")[0][0]  # killed runs counted
