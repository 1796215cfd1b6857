"""Load test of `newsarchive serve`: hostile floods beside a visitor timing cheap pages.

    python bench/bench_serve.py --archive /tmp/a10k                 # 15 s per kind, both profiles
    python bench/bench_serve.py --archive /tmp/a10k --seconds 5 --kinds fts,facet --profile public
    python bench/bench_serve.py --build 2000 --archive /tmp/a2k     # build a generated archive first

For each hostile kind (issue 18) a child process keeps `--clients` requests of that kind in
flight for `--seconds`, on 127.0.0.1 only, while this process requests the cheap pages (`/`,
`/search?q=WORD`, `/article/ID`) one after the other and records how long each took. The
archive is copied first, and one copy's article gets a `--big-mb` body (the `/article/ID` of
a huge page); nothing else of the archive changes. Figures (p50/p95/max per cheap page, the
statuses the flood got) print as a table and go to `bench/out/serve-latest.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"

# what a hostile visitor sends; {big} is the article with the huge body
KINDS: dict[str, list[str]] = {
    "none": [],  # no flood: the baseline of the cheap pages on this machine, now
    "fts": ["/news/articles?_search=the+OR+a*", "/news/articles.json?_search=s*+OR+t*&_size=max"],
    "contains": [
        "/news/articles?body__contains=zzqqx",
        "/news/articles?title__like=%25e%25a%25&body__like=%25qqz%25",
    ],
    "facet": ["/news/articles?_facet=body", "/news/articles?_facet=title&_facet=url"],
    "sort": ["/news/articles?_sort=word_count&_size=max", "/news/articles?_sort_desc=title"],
    "size": ["/news/articles.json?_size=max&_shape=array", "/news/articles?_size=max"],
    "bigbody": ["/article/{big}", "/article/{big}.json"],
    "search": [
        "/search?q=se*+OR+co*+OR+pr*&collapse=1",
        "/search.json?q=th*+OR+an*+OR+re*&collapse=1&limit=100",
    ],
    "badparam": ["/news/articles?_sort=nosuchcol", "/news/articles?nosuch__contains=x&_size=x"],
}
CHEAP = ("/", "/search?q={word}", "/article/{first}")


# ----------------------------------------------------------------------------- the archive
def prepare(source: Path, work: Path, big_mb: float) -> dict[str, Any]:
    """Copy the archive and give its last article a huge body; returns ids and a search word."""
    target = work / "archive"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    conn = sqlite3.connect(target / "news.db")
    try:
        first = conn.execute("select min(id) from articles").fetchone()[0]
        big = conn.execute("select max(id) from articles").fetchone()[0]
        body = conn.execute("select body from articles where id = ?", [first]).fetchone()[0]
        word = max((w for w in body.split() if w.isalpha()), key=len, default="the").lower()
        if big_mb > 0:
            para = (body + "\n\n") if body else "word " * 200
            huge = (para * (int(big_mb * 2**20) // len(para) + 1))[: int(big_mb * 2**20)]
            # raw SQL, so `seq` stays: the index is not rebuilt for this bench-only change
            conn.execute("update articles set body = ? where id = ?", [huge, big])
            conn.commit()
    finally:
        conn.close()
    return {"archive": target, "first": first, "big": big, "word": word}


def build(count: int, target: Path) -> None:
    """A generated archive of `count` articles (bench/generate.py, JSON Lines, seed 1)."""
    data = target.parent / f"{target.name}-jsonl"
    words = Path(os.environ.get("NEWSARCHIVE_CORPUS", "/work/shared/corpus")) / "truth.jsonl"
    gen = [sys.executable, str(ROOT / "bench" / "generate.py"), "--count", str(count)]
    gen += ["--format", "jsonl", "--out", str(data)]
    if words.is_file():
        gen += ["--words-from", str(words)]
    subprocess.run(gen, check=True)
    cli = [sys.executable, "-c", "from archive.cli import main; main()", "--archive", str(target)]
    subprocess.run([*cli, "ingest", str(data), "--format", "jsonl"], check=True)


# ----------------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(archive: Path, public: bool, log: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    args = [sys.executable, "-c", "from archive.cli import main; main()"]
    args += ["--archive", str(archive), "serve", "--port", str(port)]
    if public:
        args.append("--public")
    out = log.open("wb")
    proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # an index of an older schema is rebuilt first
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("serve did not answer within 600 s")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ----------------------------------------------------------------------------- the flood
async def _flood(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    import httpx

    statuses: Counter[str] = Counter()
    if not paths:
        await asyncio.sleep(seconds)
        return {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(n: int, http: httpx.AsyncClient) -> None:
        i = n
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += 1
            try:
                async with http.stream("GET", path) as response:
                    async for _ in response.aiter_raw():
                        pass
                    statuses[str(response.status_code)] += 1
                    if response.status_code == 503:
                        await asyncio.sleep(0.05)
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(n, http) for n in range(clients)))
    return dict(statuses)


def flood_process(base: str, paths: list[str], clients: int, seconds: float, out: Any) -> None:
    out.send(asyncio.run(_flood(base, paths, clients, seconds)))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(base: str, cheap: list[str], seconds: float) -> dict[str, list[float]]:
    """Request the cheap pages in turn for `seconds`; every answer must be a 200."""
    import httpx

    timings: dict[str, list[float]] = {path: [] for path in cheap}
    stop = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.monotonic() < stop:
            for path in cheap:
                start = time.monotonic()
                response = http.get(path)
                took = time.monotonic() - start
                if response.status_code != 200:
                    raise RuntimeError(f"cheap page {path} answered {response.status_code}")
                timings[path].append(took)
    return timings


def run_kind(
    base: str, kind: str, paths: list[str], cheap: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    """One hostile kind: the flood in a child process, the visitor here."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=flood_process, args=(base, paths, clients, seconds + 1.0, child))
    proc.start()
    time.sleep(1.0)  # the flood is in full swing before the visitor starts
    timings = measure(base, cheap, seconds)
    proc.join(120)
    statuses = parent.recv() if parent.poll(5) else {"unfinished": 1}
    after = measure(base, cheap, 1.0)  # and the server is itself again once the flood ends
    every = [t for values in timings.values() for t in values]
    return {
        "kind": kind,
        "statuses": statuses,
        "p50": {p: percentile(v, 0.5) for p, v in timings.items()},
        "p95": {p: percentile(v, 0.95) for p, v in timings.items()},
        "max": {p: max(v) if v else float("nan") for p, v in timings.items()},
        "p95_all": percentile(every, 0.95),
        "requests": len(every),
        "after_max": max(t for v in after.values() for t in v),
    }


def run_profile(
    prepared: dict[str, Any], public: bool, kinds: list[str], clients: int, seconds: float,
    work: Path,
) -> list[dict[str, Any]]:  # fmt: skip
    log = work / f"serve-{'public' if public else 'default'}.log"
    proc, base = start_server(prepared["archive"], public, log)
    try:
        cheap = [p.format(**prepared) for p in CHEAP]
        measure(base, cheap, 1.0)  # warm up templates, caches and the index
        results = []
        for kind in kinds:
            paths = [p.format(**prepared) for p in KINDS[kind]]
            result = run_kind(base, kind, paths, cheap, clients, seconds)
            result["profile"] = "public" if public else "default"
            results.append(result)
            print(_row(result), file=sys.stderr, flush=True)
    finally:
        stop_server(proc)
    text = log.read_text(errors="replace")
    for result in results:
        result["log_bytes"] = len(text)
        result["tracebacks"] = text.count("Traceback")
    return results


def _row(r: dict[str, Any]) -> str:
    p95 = " ".join(f"{v * 1000:6.0f}" for v in r["p95"].values())
    return (
        f"{r.get('profile', ''):8} {r['kind']:9} p95 ms (/ search article): {p95}   "
        f"p95 all {r['p95_all'] * 1000:6.0f}  n={r['requests']:4}  flood {r['statuses']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--archive", type=Path, required=True, help="archive folder (copied)")
    parser.add_argument("--build", type=int, default=0, help="build a generated archive of N")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds")
    parser.add_argument("--profile", choices=("default", "public", "both"), default="both")
    parser.add_argument("--big-mb", type=float, default=20.0, help="size of the huge body")
    parser.add_argument("--out", type=Path, default=OUT / "serve-latest.json")
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        print(f"Error: unknown kind(s) {unknown}; use {', '.join(KINDS)}.", file=sys.stderr)
        return 2
    if args.build and not (args.archive / "news.db").exists():
        build(args.build, args.archive)
    if not (args.archive / "news.db").is_file():
        print(f"Error: no archive at {args.archive}; pass --build N.", file=sys.stderr)
        return 2
    profiles = [False, True] if args.profile == "both" else [args.profile == "public"]
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        work = Path(tmp)
        prepared = prepare(args.archive, work, args.big_mb)
        results = []
        for public in profiles:
            results += run_profile(prepared, public, kinds, args.clients, args.seconds, work)
    summary = {
        "clients": args.clients,
        "seconds": args.seconds,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3]
        if Path("/proc/loadavg").exists()
        else None,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    worst = max(r["p95_all"] for r in results)
    print(f"worst p95 of the cheap pages: {worst * 1000:.0f} ms; loadavg {summary['loadavg']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
