"""Search latency of our Whoosh index beside SQLite FTS5, on the same generated articles.

    .venv/bin/python bench/bench_search.py --count 10000 [--seed 1] [--repeat 3] [--out DIR] [--no-dense]

Builds both from `bench/generate.py` articles (a Zipf vocabulary from real text), then times
each query type in-process: p50/p95 in milliseconds over a fixed set of words drawn from the
generated titles (frequent and rare). Whoosh goes through `index.searcher.search` exactly as
the CLI does (exact totals, filters, facets over all hits; big hit lists on dense arrays,
`index.dense`). Wall and CPU (process time) are both printed, with the load average. FTS5 does the
same work in SQL: MATCH + bm25 top 20 + count(*), GROUP BY for each facet, JOINs for filters.
Target (issue 5): with facets no slower than FTS5, p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate_articles  # noqa: E402

from index import writer  # noqa: E402
from index.searcher import Filters, search  # noqa: E402


def rows_of(n: int, seed: int) -> list[dict]:
    rows = []
    for i, a in enumerate(generate_articles(n, seed), 1):
        rows.append(
            {
                "id": i,
                "title": a["title"],
                "body": a["body"],
                "authors": json.dumps(a["authors"]),
                "category": a["category"],
                "site": a["site_name"],
                "language": a["language"],
                "published": a["published"],
                "content_hash": str(i),
            }
        )
    return rows


def build_fts(rows: list[dict], path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE articles (id INTEGER PRIMARY KEY, title, body, category, site,
                               published, year INT, month TEXT);
        CREATE TABLE article_authors (article_id INT, name TEXT);
        CREATE INDEX aa ON article_authors(article_id);
        CREATE VIRTUAL TABLE fts USING fts5(title, body, content='articles', content_rowid='id',
                                            tokenize='porter unicode61');
        """
    )
    with conn:
        for r in rows:
            conn.execute(
                "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?)",
                [r["id"], r["title"], r["body"], r["category"], r["site"], r["published"],
                 int(r["published"][:4]), r["published"][:7]],
            )  # fmt: skip
            for name in json.loads(r["authors"]):
                conn.execute("INSERT INTO article_authors VALUES (?, ?)", [r["id"], name])
        conn.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
    return conn


def fts_queries(conn: sqlite3.Connection, site: str) -> dict[str, Callable[[str], object]]:
    def top(match: str, extra: str = "", params: tuple = (), order: str = "rank") -> object:
        sql = (
            "SELECT a.id FROM fts JOIN articles a ON a.id = fts.rowid "
            f"WHERE fts MATCH ? {extra} ORDER BY {order} LIMIT 20"
        )
        hits = conn.execute(sql, (match, *params)).fetchall()
        total = conn.execute(
            f"SELECT count(*) FROM fts JOIN articles a ON a.id = fts.rowid WHERE fts MATCH ? {extra}",
            (match, *params),
        ).fetchone()
        return hits, total

    def facets(match: str) -> object:
        out = [top(match)]
        for col in ("category", "site", "year", "month"):
            out.append(conn.execute(
                f"SELECT a.{col}, count(*) n FROM fts JOIN articles a ON a.id = fts.rowid "
                f"WHERE fts MATCH ? GROUP BY a.{col} ORDER BY n DESC", (match,)).fetchall())  # fmt: skip
        out.append(conn.execute(
            "SELECT aa.name, count(*) n FROM fts JOIN article_authors aa ON aa.article_id = fts.rowid "
            "WHERE fts MATCH ? GROUP BY aa.name ORDER BY n DESC LIMIT 20", (match,)).fetchall())  # fmt: skip
        return out

    return {
        "term": lambda w: top(w),
        "two terms": lambda w: top(w),
        "phrase": lambda w: top(w),
        "filters": lambda w: top(w, "AND a.site = ? AND a.published >= ?", (site, "2020")),
        "facets": facets,
        "sort by date": lambda w: top(w, order="a.published DESC"),
        "date range": lambda w: top(
            w, "AND a.published >= ? AND a.published < ?", ("2018", "2021")
        ),
    }


def whoosh_queries(ix, site: str) -> dict[str, Callable[[str], object]]:  # type: ignore[no-untyped-def]
    return {
        "term": lambda w: search(ix, w),
        "two terms": lambda w: search(ix, w),
        "phrase": lambda w: search(ix, w),
        "filters": lambda w: search(ix, w, filters=Filters(sites=[site], since="2020")),
        "facets": lambda w: search(ix, w, facets=True),
        "sort by date": lambda w: search(ix, w, sort="newest"),
        "date range": lambda w: search(ix, f"published:[2018 to 2020] {w}"),  # typed in the query
    }


def words_for(rows: list[dict], seed: int) -> dict[str, list[tuple[str, str]]]:
    """(whoosh query, fts query) pairs per query type, from words of the generated titles."""
    rng = random.Random(seed)
    titles = [r["title"].lower().split() for r in rng.sample(rows, min(200, len(rows)))]
    words = [w.strip(".,;:'\"!?()") for t in titles for w in t]
    words = [w for w in words if w.isalpha() and len(w) > 2][:400]
    singles = rng.sample(words, 20)
    pairs = [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(20)]
    phrases = [" ".join(t[i : i + 2]) for t in titles[:20] for i in (0,) if len(t) > 2]
    clean = lambda s: " ".join(w.strip(".,;:'\"!?()") for w in s.split())  # noqa: E731
    out = {
        "term": [(w, w) for w in singles],
        "two terms": [(p, p) for p in pairs],
        "phrase": [(f'"{clean(p)}"', f'"{clean(p)}"') for p in phrases],
    }
    for kind in ("filters", "facets", "sort by date", "date range"):
        out[kind] = out["term"]
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def _reusable(index_dir: Path, count: int) -> bool:
    """An index from an earlier run with --out, of the same size and schema."""
    from index.errors import IndexError_

    try:
        return writer.exists(index_dir) and writer.open_index(index_dir).doc_count() == count
    except IndexError_:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="keep the index and db here")
    parser.add_argument(
        "--no-dense", action="store_true", help="Whoosh's matchers only (the path before dense)"
    )
    args = parser.parse_args(argv)
    if args.no_dense:
        from index import dense

        dense.MIN_POSTINGS = dense.MIN_POSTINGS_LOADED = 2**62
    work = args.out or Path(tempfile.mkdtemp(prefix="bench-search-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    rows = rows_of(args.count, args.seed)
    print(f"generated {len(rows)} articles in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    t = time.perf_counter()
    index_dir = work / "index"
    reused = _reusable(index_dir, len(rows))
    if not reused:
        writer.build_fresh(index_dir, rows)
    whoosh_build = time.perf_counter() - t
    t = time.perf_counter()
    (work / "fts.db").unlink(missing_ok=True)
    conn = build_fts(rows, work / "fts.db")
    fts_build = time.perf_counter() - t
    print(f"built: whoosh {whoosh_build:.1f} s, fts5 {fts_build:.1f} s", file=sys.stderr)
    site = rows[0]["site"]
    ix = writer.open_index(index_dir)
    runners = {"whoosh": whoosh_queries(ix, site), "fts5": fts_queries(conn, site)}
    queries = words_for(rows, args.seed)
    print(f"search latency, {len(rows)} articles, ms (p50 / p95), {args.repeat} runs of each query")
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")
    print(f"{'query type':<14} {'whoosh p50':>10} {'p95':>7} {'fts5 p50':>9} {'p95':>7}  ratio p95"
          f"  | CPU p50/p95: {'whoosh':>13} {'fts5':>13}")  # fmt: skip
    for kind, pairs in queries.items():
        timings: dict[str, list[float]] = {"whoosh": [], "fts5": []}
        cpu: dict[str, list[float]] = {"whoosh": [], "fts5": []}
        for engine, kinds in runners.items():
            run = kinds[kind]
            for _ in range(args.repeat):
                for whoosh_q, fts_q in pairs:
                    text = whoosh_q if engine == "whoosh" else fts_q
                    started, started_cpu = time.perf_counter(), time.process_time()
                    run(text)
                    timings[engine].append((time.perf_counter() - started) * 1000)
                    cpu[engine].append((time.process_time() - started_cpu) * 1000)
        w, f = timings["whoosh"], timings["fts5"]
        wc, fc = cpu["whoosh"], cpu["fts5"]
        print(
            f"{kind:<14} {percentile(w, 50):>10.1f} {percentile(w, 95):>7.1f} "
            f"{percentile(f, 50):>9.1f} {percentile(f, 95):>7.1f}  {percentile(w, 95) / percentile(f, 95):>6.2f}x"
            f"  | {percentile(wc, 50):>6.1f}/{percentile(wc, 95):<6.1f} {percentile(fc, 50):>6.1f}/{percentile(fc, 95):<6.1f}"
        )  # fmt: skip
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")
    built = (
        "reused from --out (not timed)"
        if reused
        else (f"{whoosh_build:.1f} s ({len(rows) / whoosh_build:.0f} docs/s)")
    )
    print(f"build: whoosh {built}, "
          f"fts5 {fts_build:.1f} s ({len(rows) / fts_build:.0f} docs/s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
