"""End-to-end ingest benchmark: the real `newsarchive ingest` beside baselines, on the same data.

    python bench/bench_ingest.py --count 10000                   # all formats, 10k articles
    python bench/bench_ingest.py --count 2000 --count 10000      # and how cost grows between sizes
    python bench/bench_ingest.py --count 2000 --formats html --ingest-arg=--jobs=2

For each format (jsonl, text, html) and size, the generator (`bench/generate.py`, seeded)
writes the articles once under `--data` (outside the repository; reused when the manifest
matches). Each pipeline then runs in its own fresh process, so its wall time includes start-up
and its peak memory is its own:

- `newsarchive ingest`: the real command, into a fresh archive folder (`--format` given).
- `whoosh`: a bare Whoosh build of the same documents with the project's schema
  (`index.schema`), one writer, one commit — the floor for anything that indexes with Whoosh.
- `fts5`: plain SQLite, the same rows into a table with an FTS5 index kept by triggers,
  one transaction per 200 rows — what a minimal SQLite-only archive would cost.
- `trafilatura` (HTML only): `trafilatura.extract` over the same pages, no storage at all.

The baselines read the articles from the JSON Lines files of the same size and seed, so
`whoosh` and `fts5` index the very documents the pages were rendered from.

Peak memory: the high-water mark of the busiest process of the command's tree (VmHWM of
/proc/PID/status, read every 100 ms while it runs: `ru_maxrss` from `wait4` also counted the
pages this benchmark's process had when it forked the command), and the peak summed RSS of
its whole process tree sampled every 100 ms (worker pools count). Figures print as a table
and are saved to `bench/out/ingest-<time>.json` and `bench/out/ingest-latest.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DEFAULT_DATA = Path(tempfile.gettempdir()) / "newsarchive-bench"
FORMATS = ("jsonl", "text", "html")
BATCH = 200
SAMPLE_SECONDS = 0.1

sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))


class BenchError(Exception):
    """The benchmark cannot run as asked; the message names what is missing and what to do."""


# ----------------------------------------------------------------------------- measuring
def _tree_rss_kb(root: int) -> tuple[int, int]:
    """Summed RSS and PSS (kB) of `root` and all its descendants, read from /proc.

    RSS counts the pages forked workers share with their parent once per process, so the sum
    overstates the memory a worker pool takes; PSS splits each shared page among its sharers.
    """
    tree, rss = _tree(root)
    return sum(rss.get(pid, 0) for pid in tree), sum(_pss_kb(pid) for pid in tree)


def _tree(root: int) -> tuple[set[int], dict[int, int]]:
    """The pids of `root` and all its descendants, and the RSS (kB) of every process."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
            with open(f"/proc/{entry.name}/statm", "rb") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        fields = stat[stat.rindex(b")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return tree, rss


def _hwm_kb(pid: int) -> int:
    """Peak resident set (VmHWM, kB) of one process since its exec, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size (kB) of one process, 0 when it is gone or /proc hides it."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `cmd`; return wall seconds, exit code, stdout/stderr and peak memory in MB."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        peak_tree = peak_pss = peak_busiest = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            tree, rss = _tree(proc.pid)
            tree_rss = sum(rss.get(p, 0) for p in tree)
            tree_pss = sum(_pss_kb(p) for p in tree)
            peak_busiest = max(
                peak_busiest, *(_hwm_kb(p) for p in tree)
            )  # high-water marks never drop
            peak_tree, peak_pss = max(peak_tree, tree_rss), max(peak_pss, tree_pss)
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "seconds": wall,
            "exit": proc.returncode,
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
            "peak_rss_mb": round(peak_busiest / 1024, 1),  # kB
            "peak_tree_rss_mb": round(max(peak_tree, peak_busiest) / 1024, 1),
            "peak_tree_pss_mb": round(peak_pss / 1024, 1),
            # user+sys of the process and every child it waited for (the index follower,
            # extraction workers): the cost that contention from other processes does not change
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "load1": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # before, after
        }


# ----------------------------------------------------------------------------- data
def ensure_data(root: Path, fmt: str, count: int, seed: int) -> tuple[Path, dict]:
    """The generated corpus for (fmt, count, seed), generated once and reused."""
    from generate import write_corpus

    folder = root / f"{fmt}-{count}-s{seed}"
    manifest_path = folder / ".manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("count") == count and manifest.get("seed") == seed:
            return folder, manifest
    if folder.exists():
        shutil.rmtree(folder)
    print(f"generating {count} {fmt} articles in {folder} ...", file=sys.stderr, flush=True)
    return folder, write_corpus(folder, count, fmt, seed)


def input_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def read_rows(jsonl_folder: Path) -> list[dict]:
    rows = []
    for path in input_files(jsonl_folder):
        with path.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


# ----------------------------------------------------------------------------- baselines (run in a child)
def baseline_fts5(rows_from: Path, work: Path) -> dict:
    """The same rows into SQLite with an FTS5 index kept by triggers, 200 rows per transaction."""
    started = time.perf_counter()
    rows = read_rows(rows_from)
    db = sqlite3.connect(work / "fts5.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(
        """
        CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT, authors TEXT, published TEXT,
            category TEXT, site_name TEXT, url TEXT, body TEXT, captions TEXT);
        CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='articles', content_rowid='id');
        CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
        END;
        """
    )
    sql = "INSERT INTO articles (title, authors, published, category, site_name, url, body, captions) VALUES (?,?,?,?,?,?,?,?)"
    for start in range(0, len(rows), BATCH):
        db.execute("BEGIN")
        db.executemany(
            sql,
            [
                (r["title"], json.dumps(r["authors"]), r["published"], r["category"], r["site_name"],
                 r["url"], r["body"], json.dumps(r["captions"]))
                for r in rows[start : start + BATCH]
            ],
        )  # fmt: skip
        db.execute("COMMIT")
    db.close()
    return {"docs": len(rows), "seconds": time.perf_counter() - started}


def whoosh_document(schema: Any, index: int, row: dict) -> dict[str, Any]:
    """Map an article row onto whatever fields the project's schema declares, by name and type."""
    from whoosh import fields as wf

    published = datetime.fromisoformat(row["published"]) if row.get("published") else None
    values: dict[str, Any] = {
        "id": index + 1, "article_id": index + 1, "title": row["title"], "body": row["body"],
        "content": f"{row['title']}\n{row['body']}", "authors": row["authors"], "author": row["authors"],
        "category": row["category"], "categories": [row["category"]], "site": row["site_name"],
        "site_name": row["site_name"], "url": row["url"], "published": published, "date": published,
        "year": published.year if published else None, "month": published.strftime("%Y-%m") if published else None,
        "language": row.get("language"), "dateline": row.get("dateline"), "wire": row.get("wire"),
        "captions": "\n".join(row.get("captions") or []),
    }  # fmt: skip
    doc: dict[str, Any] = {}
    for name, field in schema.items():
        value = values.get(name)
        if value is None or name.startswith("_"):
            continue
        if isinstance(field, wf.KEYWORD):
            items = value if isinstance(value, list) else [value]
            doc[name] = field.separator.join(str(v).replace(field.separator, " ") for v in items) if field.commas else " ".join(str(v) for v in items)  # fmt: skip
        elif isinstance(field, wf.NUMERIC):
            doc[name] = int(value) if not isinstance(value, str) else int(value.replace("-", ""))
        elif isinstance(field, wf.DATETIME):
            doc[name] = value if isinstance(value, datetime) else published
        elif isinstance(value, list):
            doc[name] = ", ".join(map(str, value))
        else:
            doc[name] = str(value) if not isinstance(value, datetime) else value.isoformat()
    return doc


def project_schema() -> Any:
    """The project's Whoosh schema from `index/schema.py`, or BenchError when it has not landed."""
    try:
        from index import schema as module
    except ImportError as exc:
        raise BenchError(
            "index/schema.py is not there yet, so the bare Whoosh baseline is skipped."
        ) from exc
    for name in ("build_schema", "make_schema", "article_schema", "schema"):
        candidate = getattr(module, name, None)
        if candidate is None:
            continue
        value = candidate() if callable(candidate) else candidate
        if hasattr(value, "names"):
            return value
    for value in vars(module).values():
        if hasattr(value, "names") and hasattr(value, "items") and not isinstance(value, type):
            return value
    raise BenchError("index/schema.py defines no Whoosh Schema this benchmark can find.")


def baseline_whoosh(rows_from: Path, work: Path) -> dict:
    """A bare Whoosh build: one writer, every document, one commit (timed apart)."""
    from whoosh import index as windex

    started = time.perf_counter()
    schema = project_schema()
    rows = read_rows(rows_from)
    folder = work / "whoosh"
    folder.mkdir()
    from index import schema as module

    def to_document(i: int, row: dict) -> dict:
        if hasattr(module, "document"):  # the project's own row → document mapping
            return module.document({**row, "id": i + 1, "site": row["site_name"]})
        return whoosh_document(schema, i, row)

    # The baseline gets the project's speed-ups (its schema's direct text indexing, its codec
    # settings, and index/writer.py's length-column patches) but not its memory bound:
    # Whoosh's default pool of 128 MB, so it spills less.
    with contextlib.suppress(ImportError):
        from index.writer import patch_whoosh_writes

        patch_whoosh_writes()
    ix = windex.create_in(folder, schema)
    codec = None
    with contextlib.suppress(ImportError):  # the project's block length, should it set one
        from index.writer import codec as project_codec

        codec = project_codec()
    writer = ix.writer(procs=1, limitmb=128, codec=codec)
    for i, row in enumerate(rows):
        writer.add_document(**to_document(i, row))
    before_commit = time.perf_counter()
    writer.commit()
    ix.close()
    done = time.perf_counter()
    return {"docs": len(rows), "seconds": done - started, "commit_seconds": done - before_commit,
            "fields": list(schema.names())}  # fmt: skip


def baseline_trafilatura(pages_from: Path, work: Path) -> dict:
    """trafilatura alone over the same HTML pages: extraction only, nothing stored."""
    import trafilatura

    started = time.perf_counter()
    docs = empty = 0
    for path in input_files(pages_from):
        text = trafilatura.extract(
            path.read_bytes().decode("utf-8"), with_metadata=True, favor_precision=False
        )
        docs += 1
        empty += not text
    return {"docs": docs, "empty": empty, "seconds": time.perf_counter() - started}


BASELINES = {"fts5": baseline_fts5, "whoosh": baseline_whoosh, "trafilatura": baseline_trafilatura}


# ----------------------------------------------------------------------------- runs
def newsarchive_command() -> list[str]:
    script = Path(sys.executable).parent / "newsarchive"
    return (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from archive.cli import main; main()"]
    )


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def run_ingest(data: Path, fmt: str, work: Path, extra: list[str]) -> dict:
    archive = work / "archive"
    cmd = [
        *newsarchive_command(),
        "--archive",
        str(archive),
        "ingest",
        str(data),
        "--format",
        fmt,
        "--json",
        *extra,
    ]
    result = run_measured(cmd, cwd=work)
    summary: dict = {}
    if result["stdout"].strip():
        try:
            summary = json.loads(result["stdout"].strip().splitlines()[-1])
        except json.JSONDecodeError:
            summary = {}
    row = {
        "pipeline": "newsarchive ingest",
        "command": " ".join(cmd[len(newsarchive_command()) :]),
        "exit": result["exit"],
        "seconds": result["seconds"],
        "peak_rss_mb": result["peak_rss_mb"],
        "peak_tree_rss_mb": result["peak_tree_rss_mb"],
        "peak_tree_pss_mb": result["peak_tree_pss_mb"],
        "cpu_seconds": result["cpu_seconds"],
        "load1": result["load1"],
        "added": summary.get("added"),
        "duplicates": summary.get("duplicates"),
        "failed": summary.get("failed"),
        "archive_mb": folder_mb(archive) if archive.exists() else None,
    }
    if result["exit"] not in (0, 1) or not summary:
        row["error"] = (result["stderr"].strip().splitlines() or ["no output"])[-1][:300]
    return row


def run_baseline(name: str, source: Path, work: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--run-baseline", name, "--source", str(source), "--work", str(work)]  # fmt: skip
    result = run_measured(cmd, cwd=work)
    row: dict[str, Any] = {"pipeline": name, "exit": result["exit"], "seconds": result["seconds"],
                           "peak_rss_mb": result["peak_rss_mb"], "peak_tree_rss_mb": result["peak_tree_rss_mb"],
                           "peak_tree_pss_mb": result["peak_tree_pss_mb"], "cpu_seconds": result["cpu_seconds"],
                           "load1": result["load1"]}  # fmt: skip
    try:
        inner = json.loads(result["stdout"].strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        row["error"] = (result["stderr"].strip().splitlines() or ["no output"])[-1][:300]
        return row
    if "skipped" in inner:
        row["skipped"] = inner["skipped"]
        return row
    row["inner_seconds"] = inner.pop("seconds")  # the work itself, start-up and imports excluded
    row.update(inner)
    return row


def bench_size(
    fmt: str,
    count: int,
    seed: int,
    data_root: Path,
    extra: list[str],
    skip: set[str],
    keep: Path | None = None,
) -> list[dict]:
    data, manifest = ensure_data(data_root, fmt, count, seed)
    rows_from, _ = ensure_data(data_root, "jsonl", count, seed)
    mb = manifest["bytes"] / 2**20
    results = []
    plan: list[tuple[str, Path]] = [("ingest", data), ("whoosh", rows_from), ("fts5", rows_from)]
    if fmt == "html":
        plan.append(("trafilatura", data))
    for name, source in plan:
        if name in skip:
            continue
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            work = Path(tmp)
            print(f"[{fmt} {count}] {name} ...", file=sys.stderr, flush=True)
            row = (
                run_ingest(data, fmt, work, extra)
                if name == "ingest"
                else run_baseline(name, source, work)
            )
            if name == "ingest" and keep is not None and (work / "archive").exists():
                kept = keep / f"{fmt}-{count}"
                shutil.rmtree(kept, ignore_errors=True)
                keep.mkdir(parents=True, exist_ok=True)
                shutil.move(work / "archive", kept)  # for timing the CLI on it afterwards
                row["kept"] = str(kept)
        row.update(format=fmt, count=count, input_mb=round(mb, 1))
        if "seconds" in row and not row.get("skipped") and not row.get("error"):
            row["docs_per_s"] = round(count / row["seconds"], 1)
            row["mb_per_s"] = round(mb / row["seconds"], 2)
            if "inner_seconds" in row:
                row["inner_docs_per_s"] = round(count / row["inner_seconds"], 1)
        results.append(row)
    ingest_row = next(
        (r for r in results if r["pipeline"] == "newsarchive ingest" and "docs_per_s" in r), None
    )
    for row in results:
        if ingest_row and row is not ingest_row and "docs_per_s" in row:
            row["ingest_vs_this"] = round(ingest_row["docs_per_s"] / row["docs_per_s"], 3)
    return results


def growth(results: list[dict]) -> list[dict]:
    """Seconds per article at the largest size ÷ at the smallest, per (format, pipeline)."""
    out = []
    keys = {(r["format"], r["pipeline"]) for r in results if "docs_per_s" in r}
    for fmt, pipeline in sorted(keys):
        runs = sorted((r for r in results if (r["format"], r["pipeline"]) == (fmt, pipeline) and "docs_per_s" in r),
                      key=lambda r: r["count"])  # fmt: skip
        if len(runs) >= 2:
            small, large = runs[0], runs[-1]
            per_small, per_large = (
                small["seconds"] / small["count"],
                large["seconds"] / large["count"],
            )
            out.append({"format": fmt, "pipeline": pipeline, "from": small["count"], "to": large["count"],
                        "cost_per_article_ratio": round(per_large / per_small, 2),
                        "peak_rss_from_mb": small["peak_tree_rss_mb"], "peak_rss_to_mb": large["peak_tree_rss_mb"]})  # fmt: skip
    return out


def print_table(results: list[dict], grown: list[dict]) -> None:
    header = f"{'format':6} {'count':>7} {'pipeline':20} {'docs/s':>8} {'MB/s':>6} {'seconds':>8} {'rss MB':>7} {'tree MB':>8} {'pss MB':>7}  notes"
    print(header)
    print("-" * len(header))
    for r in results:
        if r.get("skipped") or r.get("error"):
            note = f"skipped: {r['skipped']}" if r.get("skipped") else f"error: {r['error']}"
            print(
                f"{r['format']:6} {r['count']:>7} {r['pipeline']:20} {'-':>8} {'-':>6} {'-':>8} {'-':>7} {'-':>8} {'-':>7}  {note}"
            )
            continue
        notes = []
        if r.get("ingest_vs_this") is not None:
            notes.append(f"ingest = {r['ingest_vs_this']}x this")
        if r.get("inner_docs_per_s"):
            notes.append(f"{r['inner_docs_per_s']}/s without start-up")
        if r.get("cpu_seconds") is not None:
            notes.append(f"cpu {r['cpu_seconds']:.1f} s")
        if r.get("load1"):
            notes.append(f"load {r['load1'][0]}-{r['load1'][1]}")
        if r.get("commit_seconds") is not None:
            notes.append(f"commit {r['commit_seconds']:.1f} s")
        if r.get("failed"):
            notes.append(f"{r['failed']} failed")
        if r.get("duplicates"):
            notes.append(f"{r['duplicates']} duplicates")
        if r.get("archive_mb"):
            notes.append(f"archive {r['archive_mb']} MB")
        if r.get("exit"):
            notes.append(f"exit {r['exit']}")
        print(f"{r['format']:6} {r['count']:>7} {r['pipeline']:20} {r['docs_per_s']:>8} {r['mb_per_s']:>6} "
              f"{r['seconds']:>8.1f} {r['peak_rss_mb']:>7} {r['peak_tree_rss_mb']:>8} {r.get('peak_tree_pss_mb', '-'):>7}  {'; '.join(notes)}")  # fmt: skip
    if grown:
        print("\nGrowth of cost per article (1.0 = linear):")
        for g in grown:
            print(f"  {g['format']:6} {g['pipeline']:20} {g['from']} → {g['to']}: ×{g['cost_per_article_ratio']} "
                  f"per article, peak tree RSS {g['peak_rss_from_mb']} → {g['peak_rss_to_mb']} MB")  # fmt: skip


def environment() -> dict:
    import whoosh

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # fmt: skip
    return {
        "when": datetime.now(UTC).replace(microsecond=0).isoformat(), "commit": commit, "cpus": os.cpu_count(),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "whoosh": whoosh.versionstring(),
        "machine": platform.machine(),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count",
        type=int,
        action="append",
        help="articles per run; repeat for several sizes (default 10000)",
    )
    parser.add_argument(
        "--formats", default=",".join(FORMATS), help="comma-separated: jsonl,text,html"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"where generated inputs are kept (default {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--skip", default="", help="pipelines to leave out: ingest,whoosh,fts5,trafilatura"
    )
    parser.add_argument(
        "--ingest-arg",
        action="append",
        default=[],
        help="extra argument for `newsarchive ingest` (repeatable)",
    )
    parser.add_argument("--label", default="", help="a name for this run in the JSON output")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep each ingested archive as KEEP/FORMAT-COUNT (e.g. to time `search` on it)",
    )
    parser.add_argument("--run-baseline", choices=sorted(BASELINES), help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.run_baseline:  # child process: one baseline, JSON on stdout
        try:
            print(json.dumps(BASELINES[args.run_baseline](args.source, args.work)))
        except BenchError as exc:
            print(json.dumps({"skipped": str(exc)}))
        return 0

    formats = [f for f in args.formats.split(",") if f]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown format(s) {', '.join(sorted(unknown))}; use {', '.join(FORMATS)}.")
    counts = sorted(set(args.count or [10000]))
    skip = {s for s in args.skip.split(",") if s}
    results: list[dict] = []
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    OUT.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        for count in counts:
            results.extend(
                bench_size(fmt, count, args.seed, args.data, args.ingest_arg, skip, args.keep)
            )
            report = {
                "label": args.label,
                "environment": environment(),
                "argv": sys.argv[1:],
                "results": results,
                "growth": growth(results),
            }
            for path in (OUT / f"ingest-{stamp}.json", OUT / "ingest-latest.json"):
                path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")  # as we go
    print_table(results, growth(results))
    print(f"\nSaved {OUT / f'ingest-{stamp}.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
