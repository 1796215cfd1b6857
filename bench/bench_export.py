"""Export benchmark: `newsarchive export` rate and peak memory beside a bare SQLite dump.

    python bench/bench_export.py --count 10000            # builds /tmp/newsarchive-bench-export-10000
    python bench/bench_export.py --count 20000 --formats jsonl,parquet

The archive is built once (reused when it holds `--count` articles) from the seeded synthetic
generator (`bench/generate.py`), written straight through the archive's Store (no index:
export without a query reads SQLite only). Each run is a fresh process, so its wall time
includes start-up and its peak memory (`ru_maxrss` from `wait4`) is its own:

- `export <format>`: the real command, `--output` to a file.
- `sqlite dump`: plain sqlite3 + json, every article row to JSON Lines: the floor.
- `stats --json`: the CLI's start-up memory, for scale.

The target (issue 19): 100k articles exported under 200 MB RSS; memory must not grow with the
archive (compare two sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

BARE = """
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); out = open(sys.argv[2], "w", encoding="utf-8")
cur = db.execute("SELECT * FROM articles ORDER BY id")
names = [d[0] for d in cur.description]
for row in cur:
    out.write(json.dumps(dict(zip(names, row)), ensure_ascii=False) + "\\n")
"""


def build(folder: Path, count: int) -> None:
    import sqlite3

    from generate import generate_articles

    from archive.store import Extracted, Store
    from ingest.model import Article, RawDocument

    db_path = folder / "news.db"
    if db_path.exists():
        have = sqlite3.connect(db_path).execute("SELECT count(*) FROM articles").fetchone()[0]
        if have >= count * 0.9:  # syndicated copies may fold: near enough is the same archive
            return
        raise SystemExit(f"{folder} holds {have} articles, not {count}: remove it first.")
    store = Store.open(folder)
    run = store.start_run(["bench_export", str(count)])
    batch: list[Extracted] = []
    started = time.monotonic()
    for n, fields in enumerate(generate_articles(count)):
        data = json.dumps(fields, ensure_ascii=False).encode()
        raw = RawDocument(origin=f"gen.jsonl:{n + 1}", data=data, format="json", url=fields["url"])
        batch.append(Extracted(raw=raw, article=Article(**fields)))
        if len(batch) == 500:
            store.write_batch(batch, run)
            batch = []
    if batch:
        store.write_batch(batch, run)
    store.close()
    print(f"built {count} articles in {time.monotonic() - started:.0f} s", file=sys.stderr)


def measure(argv: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of one fresh process."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
    return wall, usage.ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--formats", default="jsonl,csv,parquet")
    parser.add_argument("--archive", type=Path, default=None)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.archive or Path(tempfile.gettempdir()) / f"newsarchive-bench-export-{args.count}"
    if args.build_only:
        build(folder, args.count)
        return 0
    # built in its own process: a child forked from a parent holding numpy and the store
    # would report the parent's memory as its own peak (ru_maxrss counts it before exec)
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--count",
            str(args.count),
            "--archive",
            str(folder),
            "--build-only",
        ],
        check=True,
    )
    import sqlite3

    articles = (
        sqlite3.connect(folder / "news.db").execute("SELECT count(*) FROM articles").fetchone()[0]
    )
    out = Path(tempfile.mkdtemp(prefix="export-bench-"))
    cli = [sys.executable, "-c", "from archive.cli import main; main()", "--archive", str(folder)]
    rows = []
    wall, rss = measure(
        [sys.executable, "-c", BARE, str(folder / "news.db"), str(out / "bare.jsonl")]
    )
    rows.append(("sqlite dump (jsonl)", wall, rss, (out / "bare.jsonl").stat().st_size))
    wall, rss = measure([*cli, "export", "--site", "no such site", "--output", str(out / "none")])
    rows.append(("export of 0 (start-up)", wall, rss, 0))
    for fmt in args.formats.split(","):
        target = out / f"export.{fmt}"
        wall, rss = measure([*cli, "export", "--format", fmt, "--output", str(target)])
        rows.append((f"export {fmt}", wall, rss, target.stat().st_size))
    base = rows[0][1]
    print(f"{articles} articles; load average {Path('/proc/loadavg').read_text().split()[:3]}")
    print(
        f"{'run':26} {'wall s':>8} {'articles/s':>11} {'x dump':>7} {'peak RSS MB':>12} {'output MB':>10}"
    )
    for name, wall, rss, size in rows:
        rate = f"{articles / wall:,.0f}" if size else "-"
        print(f"{name:26} {wall:8.2f} {rate:>11} {wall / base:7.2f} {rss:12d} {size / 2**20:10.1f}")
    for item in out.iterdir():
        item.unlink()
    out.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
