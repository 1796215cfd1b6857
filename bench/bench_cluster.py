"""Cluster scaling figures: extraction per Dask worker, and the single writer's ceiling.

    python bench/bench_cluster.py                      # 300 pages per format, 3,000 JSONL rows
    python bench/bench_cluster.py --pages 1000 --rows 10000

What it measures, on this machine, with the generator of bench/generate.py (seeded):
- `serial`: `extract_one` over the pages in this process: one core, no Dask (the baseline);
- `dask-1`, `dask-2`: the same pages through `archive.cluster.extract_on_cluster` (what
  `ingest --cluster` runs) on a real `dask scheduler` with 1, then 2 `dask worker` processes
  of one thread each on 127.0.0.1, results consumed in order, nothing written: extraction
  throughput per worker, Dask's overhead included (task round trips, raw bytes shipped back);
- `writer`: `newsarchive ingest` of pre-extracted JSON Lines (extraction nearly free): the
  articles per second one archive's writer (SQLite + dedup + the Whoosh follower and part
  writer) stores and indexes: the ceiling no number of workers lifts.
Prints a table and a JSON document (also saved to bench/out/cluster-latest.json) with the load
average before and after each run: the machine may be shared, so compare ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_ingest import ensure_data, newsarchive_command, run_measured  # noqa: E402

from tests.dask_cluster import Cluster  # noqa: E402  (the cluster the tests start)

OUT = ROOT / "bench" / "out"


def load() -> float:
    return round(os.getloadavg()[0], 2)


def serial_rate(data: Path, fmt: str) -> dict[str, Any]:
    from archive.pipeline import extract_one
    from ingest.extract import preload
    from ingest.readers import iter_documents

    docs = list(iter_documents([str(data)], fmt))
    preload({"html", "text", "json"})
    before = load()
    cpu = time.process_time()
    started = time.perf_counter()
    done = sum(1 for doc in docs if extract_one(doc).article is not None)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    size = sum(len(d.data) for d in docs if hasattr(d, "data"))
    return {"run": "serial", "pages": len(docs), "articles": done, "seconds": round(seconds, 2),
            "pages_per_s": round(len(docs) / seconds, 1), "kb_per_page": round(size / len(docs) / 1024, 1),
            "pages_per_cpu_s": round(len(docs) / cpu, 1),
            "load1": [before, load()]}  # fmt: skip


def cluster_rate(data: Path, fmt: str, cluster: Cluster, workers: int) -> dict[str, Any]:
    from distributed import Client

    from archive.cluster import extract_on_cluster
    from archive.pipeline import extract_one
    from ingest.extract import preload

    with Client(cluster.address, timeout="60s", set_as_default=False) as client:
        client.run(preload, {"html", "text", "json"})  # models loaded before the clock starts
        cpu_before = client.run(time.process_time)
    before = load()
    started = time.perf_counter()
    pages = articles = 0
    for item in extract_on_cluster([str(data)], fmt, None, extract_one, cluster.address):
        pages += 1
        articles += item.article is not None
    seconds = time.perf_counter() - started
    rate = pages / seconds
    with Client(cluster.address, timeout="60s", set_as_default=False) as client:
        cpu_after = client.run(time.process_time)
    worker_cpu = sum(cpu_after[w] - cpu_before.get(w, 0.0) for w in cpu_after)
    return {"run": f"dask-{workers}", "pages": pages, "articles": articles,
            "seconds": round(seconds, 2), "pages_per_s": round(rate, 1),
            "pages_per_s_per_worker": round(rate / workers, 1),
            "pages_per_worker_cpu_s": round(pages / worker_cpu, 1), "load1": [before, load()]}  # fmt: skip


def writer_ceiling(rows: int, seed: int, data_root: Path) -> dict[str, Any]:
    data, _ = ensure_data(data_root, "jsonl", rows, seed)
    with tempfile.TemporaryDirectory(prefix="bench-writer-") as tmp:
        cmd = [*newsarchive_command(), "--archive", str(Path(tmp) / "a"), "ingest", str(data),
               "--format", "jsonl", "--json"]  # fmt: skip
        result = run_measured(cmd, cwd=Path(tmp))
    if result["exit"] != 0:
        raise RuntimeError(result["stderr"][-500:])
    added = json.loads(result["stdout"].strip().splitlines()[-1])["added"]
    return {"run": "writer", "articles": len(added) if isinstance(added, list) else added,
            "rows": rows, "seconds": round(result["seconds"], 2),
            "articles_per_s": round(rows / result["seconds"], 1), "cpu_seconds": result["cpu_seconds"],
            "peak_tree_pss_mb": result["peak_tree_pss_mb"], "load1": result["load1"]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="generated pages per format")
    parser.add_argument("--rows", type=int, default=3000, help="JSON Lines rows for the writer")
    parser.add_argument("--formats", default="html,text")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "newsarchive-bench"
    )
    args = parser.parse_args(argv)
    out: dict[str, Any] = {"load1_start": load(), "cores": os.cpu_count(), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        cluster = Cluster(Path(tmp))
        try:
            cluster.start(workers=0)
            for n in (1, 2):
                cluster.add_worker()  # one more each round: 1, then 2
                cluster.wait_for(n)
                for fmt in args.formats.split(","):
                    data, _ = ensure_data(args.data, fmt, args.pages, args.seed)
                    runs = out["runs"].setdefault(fmt, [])
                    if n == 1:
                        print(f"[{fmt}] serial ...", file=sys.stderr, flush=True)
                        runs.append(serial_rate(data, fmt))
                    print(f"[{fmt}] dask-{n} ...", file=sys.stderr, flush=True)
                    runs.append(cluster_rate(data, fmt, cluster, n))
        finally:
            cluster.stop()
    print("[jsonl] writer ...", file=sys.stderr, flush=True)
    out["writer"] = writer_ceiling(args.rows, args.seed, args.data)
    out["load1_end"] = load()
    for fmt, runs in out["runs"].items():
        for run in runs:
            extra = (
                f"  {run['pages_per_s_per_worker']:>7} /s/worker  {run['pages_per_worker_cpu_s']:>7} /worker-CPU-s"
                if "pages_per_s_per_worker" in run
                else f"  {run['pages_per_cpu_s']:>7} /CPU-s"
            )
            print(f"{fmt:5} {run['run']:7} {run['pages']:6} pages {run['seconds']:7.2f} s "
                  f"{run['pages_per_s']:8} pages/s{extra}  load {run['load1']}")  # fmt: skip
    w = out["writer"]
    print(f"writer  {w['rows']} JSONL rows {w['seconds']:.2f} s  {w['articles_per_s']} articles/s  "
          f"CPU {w['cpu_seconds']} s  tree PSS {w['peak_tree_pss_mb']} MB  load {w['load1']}")  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cluster-latest.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
