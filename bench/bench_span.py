"""Cost per document of the index follower's commits for several span sizes (issue 8).

    .venv/bin/python bench/bench_span.py --archive A [--count 10000] [--span 2000 --span 10000]

Indexes the first COUNT rows of archive A (say one kept by `bench_ingest.py --keep`) into a
fresh index the way the ingest's follower does (`index.writer.OpenWriter`, one commit per
span, unmerged), each span size in its own process so peak RSS is its own. Prints CPU ms
per document and the peak RSS: a larger span leaves fewer segments; is it dearer?

Peak RSS is the process's own high-water mark, VmHWM from /proc/self/status: `ru_maxrss`
of a child started by fork and exec also counts the parent's pages the child had before
its exec (measured; bench_export.py met the same).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> int:
    """This process's peak resident set (VmHWM) in MB; 0 where /proc is not there."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_one(archive: Path, count: int, span: int, folder: Path) -> dict:
    """Index `count` rows of `archive` into `folder`, a commit every `span` rows."""
    from archive.index_rows import BATCH, rows_after
    from archive.indexing import ArchiveDB
    from index import writer

    db = ArchiveDB.open(archive)
    rows: list[dict] = []
    mark = 0
    while len(rows) < count and (got := rows_after(db, mark, BATCH)):
        rows += got
        mark = int(got[-1]["seq"])
    db.close()
    rows = rows[:count]
    ix = writer.create_index(folder)
    cpu, wall = time.process_time(), time.perf_counter()
    opened = None
    for row in rows:
        opened = opened or writer.OpenWriter(ix)
        opened.add(row)
        if len(opened.ids) >= span:
            opened.commit(merge=False)
            opened = None
    if opened is not None:
        opened.commit(merge=False)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "span": span,
        "docs": len(rows),
        "segments": writer.segment_count(ix),
        "cpu_ms_per_doc": round(cpu / max(1, len(rows)) * 1000, 2),
        "wall_s": round(wall, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--span", type=int, action="append", default=[])
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # child run
    args = parser.parse_args()
    spans = args.span or [2000, 10000]
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_one(args.archive, args.count, spans[0], Path(tmp) / "index")))
        return
    print(f"{'span':>7} {'docs':>7} {'segments':>8} {'cpu ms/doc':>10} {'wall s':>7} {'rss MB':>7}")
    for span in spans:
        cmd = [sys.executable, __file__, "--one", "--archive", str(args.archive)]
        cmd += ["--count", str(args.count), "--span", str(span)]
        out = json.loads(subprocess.run(cmd, check=True, capture_output=True).stdout)
        print(
            f"{out['span']:>7} {out['docs']:>7} {out['segments']:>8} "
            f"{out['cpu_ms_per_doc']:>10} {out['wall_s']:>7} {out['peak_rss_mb']:>7}"
        )


if __name__ == "__main__":
    main()
