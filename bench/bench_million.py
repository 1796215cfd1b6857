"""One machine at a million articles: ingest over time, sizes, memory, search, CLI, verify, reindex.

    python bench/bench_million.py --count 1000000 --work /big/disk/m1   # the real run (hours)
    python bench/bench_million.py --count 20000                         # a proof run
    python bench/bench_million.py --work /big/disk/m1 --search-only     # search again, after a change

Pieces of bench/bench_ingest.py (generated JSON Lines, reused between runs; process-tree
memory sampling) and bench/bench_search.py (query sets, the FTS5 baseline, percentiles):
1. `newsarchive ingest` of N generated JSON Lines articles, the archive's article count sampled
   every few seconds: the rate per tenth of the run, and the slow-down of the last tenth
   against the rate around 100k (or the second tenth in runs under 200k), with the peak RSS and
   PSS of the whole process tree (ingester, index follower, part writer);
2. news.db and index/ sizes;
3. in-process search p50/p95 per query type on the archive's own index (`index.searcher.search`,
   as the CLI runs it; facets over all hits), beside SQLite FTS5 built on the same rows
   (streamed from the JSON Lines, so a million rows never sit in memory); p50/p95 are over
   the repeated runs of each query, the p95 of first runs (cold pages) is reported apart;
4. `newsarchive search WORD --json` wall time (fresh process each run);
5. `newsarchive verify` and `newsarchive reindex` wall times.
Targets (issue 21): slow-down past 100k at most 20 %, tree PSS at most 500 MB, p95 at most
100 ms with facets and within 2x of FTS5's p95 per query type, `search --json` at most 400 ms.
Figures go to stdout and bench/out/million-latest.json; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_ingest import (  # noqa: E402
    _tree_rss_kb,
    ensure_data,
    folder_mb,
    input_files,
    newsarchive_command,
)
from bench_search import build_fts, fts_queries, percentile, whoosh_queries, words_for  # noqa: E402

OUT = ROOT / "bench" / "out"
SAMPLE_SECONDS = 0.5
COUNT_EVERY = 5.0  # seconds between article counts


def load() -> float:
    return round(os.getloadavg()[0], 2)


def articles_in(db_path: Path) -> int | None:
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def ingest_over_time(data: Path, archive: Path) -> dict[str, Any]:
    """Run the real ingest; sample the process tree's memory and the archive's article count."""
    cmd = [*newsarchive_command(), "--archive", str(archive), "ingest", str(data),
           "--format", "jsonl", "--json"]  # fmt: skip
    load_before = load()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak_rss = peak_pss = 0
        samples: list[tuple[float, int]] = [(0.0, 0)]
        next_count = COUNT_EVERY
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss, pss = _tree_rss_kb(proc.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            now = time.perf_counter() - started
            if now >= next_count:
                n = articles_in(archive / "news.db")
                if n is not None:
                    samples.append((round(now, 1), n))
                next_count = now + COUNT_EVERY
            time.sleep(SAMPLE_SECONDS)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"ingest exited {code}: {stderr[-800:]}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    samples.append((round(seconds, 1), articles_in(archive / "news.db") or 0))
    return {
        "seconds": round(seconds, 1),
        "added": summary["added"],
        "docs_per_s": round(summary["added"] / seconds, 1),
        "peak_tree_rss_mb": round(peak_rss / 1024, 1),
        "peak_tree_pss_mb": round(peak_pss / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "samples": samples,
        "load1": [load_before, load()],
    }


def reached(samples: list[tuple[float, int]], n: int) -> float | None:
    """When the archive first held `n` articles (linear between samples)."""
    for (t0, n0), (t1, n1) in itertools.pairwise(samples):
        if n0 <= n <= n1 and n1 > n0:
            return t0 + (t1 - t0) * (n - n0) / (n1 - n0)
    return None


def rate_between(samples: list[tuple[float, int]], low: int, high: int) -> float | None:
    """Articles per second while SQLite grew from `low` to `high` articles."""
    t0, t1 = reached(samples, low), reached(samples, high)
    if t0 is None or t1 is None or t1 <= t0:
        return None
    return round((high - low) / (t1 - t0), 1)


def rates(samples: list[tuple[float, int]], count: int) -> dict[str, Any]:
    """Rate per tenth of the run; the last tenth against the rate around 100k (or the second
    tenth in shorter runs); and the tail: seconds between SQLite holding every article and
    the end of the run (the index's last commit and merge)."""
    final = samples[-1][1]  # what the archive holds: duplicates in the input are not added
    tenth = final // 10
    bounds = [i * tenth for i in range(10)] + [final]
    per_tenth = [rate_between(samples, low, high) for low, high in itertools.pairwise(bounds)]
    base = (
        rate_between(samples, 90_000, 110_000)
        if count >= 200_000
        else per_tenth[1]  # a short run: the second tenth, past start-up
    )
    last = per_tenth[-1]
    done = reached(samples, samples[-1][1])
    return {
        "per_tenth": per_tenth,
        "baseline": base,
        "baseline_at": "90k-110k" if count >= 200_000 else "second tenth",
        "last_tenth": last,
        "slowdown_pct": round((1 - last / base) * 100, 1) if base and last else None,
        "index_tail_s": round(samples[-1][0] - done, 1) if done is not None else None,
    }


def fts_rows(data: Path) -> Iterator[dict[str, Any]]:
    """The generated rows as bench_search's FTS5 builder wants them, streamed from the files."""
    i = 0
    for path in input_files(data):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                a = json.loads(line)
                i += 1
                yield {"id": i, "title": a["title"], "body": a["body"],
                       "authors": json.dumps(a.get("authors") or []), "category": a.get("category"),
                       "site": a.get("site_name"), "published": a["published"]}  # fmt: skip


def sample_rows(data: Path, k: int = 400) -> list[dict[str, Any]]:
    rows = []
    for row in fts_rows(data):
        rows.append(row)
        if len(rows) >= k:
            break
    return rows


def search_latency(
    archive: Path, data: Path, work: Path, repeat: int, seed: int, reuse_fts: bool = False
) -> dict[str, Any]:
    """p50/p95 per query type and engine. A query's first run in the process (its postings
    or pages maybe not yet in the OS page cache, 6.6 GB of index at 1M) is kept apart from
    its repeats: mixed, the p95 of two runs was the slowest first runs."""
    from archive.indexing import index_dir_for
    from index.writer import open_index

    started = time.perf_counter()
    fts_path = work / "fts.db"
    if reuse_fts and fts_path.exists():
        conn = sqlite3.connect(fts_path)
    else:
        fts_path.unlink(missing_ok=True)
        conn = build_fts(fts_rows(data), fts_path)
    fts_build = time.perf_counter() - started
    ix = open_index(index_dir_for(archive))
    rows = sample_rows(data)
    site = rows[0]["site"]
    runners = {"whoosh": whoosh_queries(ix, site), "fts5": fts_queries(conn, site)}
    out: dict[str, Any] = {"fts5_build_s": None if reuse_fts else round(fts_build, 1),
                           "load1_start": load(), "repeat": repeat, "types": {}}  # fmt: skip
    for kind, pairs in words_for(rows, seed).items():
        first: dict[str, list[float]] = {"whoosh": [], "fts5": []}
        again: dict[str, list[float]] = {"whoosh": [], "fts5": []}
        for engine, kinds in runners.items():
            run = kinds[kind]
            for turn in range(repeat):
                for whoosh_q, fts_q in pairs:
                    t = time.perf_counter()
                    run(whoosh_q if engine == "whoosh" else fts_q)
                    (first if turn == 0 else again)[engine].append((time.perf_counter() - t) * 1000)
        w, f = again["whoosh"] or first["whoosh"], again["fts5"] or first["fts5"]
        out["types"][kind] = {
            "whoosh_p50": round(percentile(w, 50), 1),
            "whoosh_p95": round(percentile(w, 95), 1),
            "fts5_p50": round(percentile(f, 50), 1),
            "fts5_p95": round(percentile(f, 95), 1),
            "p95_ratio": round(percentile(w, 95) / max(percentile(f, 95), 1e-6), 2),
            "whoosh_first_p95": round(percentile(first["whoosh"], 95), 1),
            "fts5_first_p95": round(percentile(first["fts5"], 95), 1),
        }
    out["load1_end"] = load()
    conn.close()
    ix.close()
    return out


def timed_cli(archive: Path, *args: str, runs: int = 1, warmup: int = 0) -> dict[str, Any]:
    """Wall times of the CLI, with bytecode written as on a user's machine (a sandbox's
    PYTHONDONTWRITEBYTECODE=1 made every run compile the package: ~55 ms); `warmup` runs
    first, not counted."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    walls = []
    for i in range(warmup + runs):
        t = time.perf_counter()
        done = subprocess.run(
            [*newsarchive_command(), "--archive", str(archive), *args],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = (time.perf_counter() - t) * 1000
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-500:]}")
        if i >= warmup:
            walls.append(wall)
    return {"mean_ms": round(sum(walls) / len(walls), 1), "min_ms": round(min(walls), 1),
            "max_ms": round(max(walls), 1), "runs": runs, "load1": load()}  # fmt: skip


def cli_search(archive: Path, data: Path, runs: int) -> dict[str, Any]:
    """`newsarchive search WORD --json` wall time, WORD the first word of the first title."""
    word = sample_rows(data, 1)[0]["title"].split()[0].strip(".,;:'\"!?()").lower()
    return {**timed_cli(archive, "search", word, "--json", runs=runs, warmup=1), "query": word}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each search query (the first reported apart)"
    )
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "newsarchive-bench"
    )
    parser.add_argument("--work", type=Path, default=None, help="where the archive is built (kept)")
    parser.add_argument("--skip-reindex", action="store_true")
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="measure search and `search --json` again on the archive and FTS5 twin a run "
        "left in --work (figures to bench/out/million-search-latest.json)",
    )
    args = parser.parse_args(argv)
    if args.search_only:
        return search_again(args)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-million-"))
    work.mkdir(parents=True, exist_ok=True)
    archive = work / "archive"
    if archive.exists():
        raise SystemExit(f"{archive} exists: pass an empty --work folder.")
    report: dict[str, Any] = {"count": args.count, "seed": args.seed, "cores": os.cpu_count(),
                              "load1_start": load(), "work": str(work)}  # fmt: skip
    data, _ = ensure_data(args.data, "jsonl", args.count, args.seed)
    print(f"ingest of {args.count} JSONL articles into {archive} ...", file=sys.stderr, flush=True)
    ingest = ingest_over_time(data, archive)
    report["ingest"] = ingest
    report["rates"] = rates(ingest["samples"], args.count)
    save(report)
    report["sizes_mb"] = {"news.db": folder_mb(archive) - folder_mb(archive / "index"),
                          "index": folder_mb(archive / "index")}  # fmt: skip
    print("search latency ...", file=sys.stderr, flush=True)
    report["search"] = search_latency(archive, data, work, args.repeat, args.seed)
    save(report)
    report["cli_search_json"] = cli_search(archive, data, args.cli_runs)
    save(report)
    print("verify ...", file=sys.stderr, flush=True)
    report["verify"] = timed_cli(archive, "verify", "--json")
    save(report)
    if not args.skip_reindex:
        print("reindex ...", file=sys.stderr, flush=True)
        report["reindex"] = timed_cli(archive, "reindex", "--json")
    report["load1_end"] = load()
    save(report)
    show(report)
    return 0


def search_again(args: argparse.Namespace) -> int:
    """Search figures only, on a finished run's archive (after a change to search)."""
    if args.work is None or not (args.work / "archive").is_dir():
        raise SystemExit("--search-only needs the --work folder of a finished run.")
    archive = args.work / "archive"
    data, _ = ensure_data(args.data, "jsonl", args.count, args.seed)
    report: dict[str, Any] = {"count": articles_in(archive / "news.db"), "cores": os.cpu_count(),
                              "commit": _commit()}  # fmt: skip
    report["search"] = search_latency(archive, data, args.work, args.repeat, args.seed, True)
    report["cli_search_json"] = cli_search(archive, data, args.cli_runs)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "million-search-latest.json").write_text(json.dumps(report, indent=1))
    show_search(report)
    return 0


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def show_search(r: dict[str, Any]) -> None:
    print(f"{'query type':<14} {'p50':>7} {'p95':>7} {'fts5 p50':>9} {'p95':>7} {'p95 ratio':>9}"
          f" {'first-run p95':>14} {'fts5':>7}")  # fmt: skip
    for kind, t in r["search"]["types"].items():
        print(f"{kind:<14} {t['whoosh_p50']:>7} {t['whoosh_p95']:>7} {t['fts5_p50']:>9} "
              f"{t['fts5_p95']:>7} {t['p95_ratio']:>8}x {t.get('whoosh_first_p95', '-'):>14} "
              f"{t.get('fts5_first_p95', '-'):>7}")  # fmt: skip
    c = r["cli_search_json"]
    print(f"search --json ({c['query']}): {c['mean_ms']} ms mean ({c['min_ms']}-{c['max_ms']})")


def save(report: dict[str, Any]) -> None:
    """Write what is measured so far: a run of hours keeps its figures if a later step fails."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "million-latest.json").write_text(json.dumps(report, indent=1))


def show(r: dict[str, Any]) -> None:
    i, rt = r["ingest"], r["rates"]
    print(
        f"{r['count']:,} articles, {r['cores']} cores, load {r['load1_start']} -> {r['load1_end']}"
    )
    print(f"ingest: {i['seconds']} s, {i['docs_per_s']} docs/s, CPU {i['cpu_seconds']} s, "
          f"peak tree RSS {i['peak_tree_rss_mb']} MB, PSS {i['peak_tree_pss_mb']} MB")  # fmt: skip
    print(f"  rate per tenth: {rt['per_tenth']}")
    print(f"  last tenth {rt['last_tenth']}/s vs {rt['baseline']}/s ({rt['baseline_at']}): "
          f"slow-down {rt['slowdown_pct']} %; index tail after SQLite: {rt['index_tail_s']} s")  # fmt: skip
    print(f"sizes: news.db {r['sizes_mb']['news.db']} MB, index {r['sizes_mb']['index']} MB")
    show_search(r)
    print(f"verify: {r['verify']['mean_ms'] / 1000:.1f} s", end="")
    if "reindex" in r:
        print(f", reindex: {r['reindex']['mean_ms'] / 1000:.1f} s", end="")
    print()


if __name__ == "__main__":
    raise SystemExit(main())
