"""What near-duplicate detection costs at ingest, and whether it finds the syndicated copies.

    python bench/bench_dedup.py --count 10000            # near-dup share + A/B against no near-dup
    python bench/bench_dedup.py --count 100000 --no-baseline
    python bench/bench_dedup.py --count 10000 --index   # with the Whoosh index, as the CLI

Articles come from `bench/generate.py` (seeded, so runs are comparable); its syndicated copies
(`--syndicated`, default 5 %) are edited the way papers edit wire copy before we ingest them:
the last paragraph cut (half of them) and a line of credit added, so a copy is near-identical,
not identical. They are written as JSON Lines and ingested through `archive.pipeline.ingest`
(read, extract, store) into a fresh archive, in batches of 200 as `newsarchive ingest` does.

Figures (CPU time of this process, so that other work on the machine does not skew them;
wall time is printed too):
- near-dup share: time inside the near-dup step (signature, band lookup and confirmation,
  band/signature writes, story counts) over the whole ingest time of the same run;
- A/B: the same ingest with the near-dup step switched off, run side by side (unless
  `--no-baseline`); the difference is what the step adds;
- recall/precision of the stories against the generator's own record of which article
  copies which (a copy repeats its original's title; originals' titles are unique).

Without `--index` the Whoosh index is not updated, so the share is of the cheaper part of
ingest (the worst case); `--index` measures what `newsarchive ingest` does.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate_articles  # noqa: E402

from archive import dedup  # noqa: E402
from archive.pipeline import IngestOptions, ingest  # noqa: E402
from archive.store import Store  # noqa: E402

PER_FILE = 5000


def write_inputs(folder: Path, count: int, seed: int, syndicated: float) -> None:
    """JSON Lines of `count` articles, copies edited (see the module doc)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    originals: set[str] = set()
    handle = None
    for index, article in enumerate(generate_articles(count, seed, syndicated=syndicated)):
        if index % PER_FILE == 0:
            if handle:
                handle.close()
            handle = (folder / f"articles-{index // PER_FILE:04d}.jsonl").open(
                "w", encoding="utf-8"
            )
        if article["title"] in originals:  # a copy: edit it as a paper would
            paragraphs = article["body"].split("\n\n")
            if len(paragraphs) > 6 and rng.random() < 0.5:
                paragraphs = paragraphs[:-1]
            paragraphs.append(f"Reporting by {article['site_name']} staff; editing by the desk.")
            article["body"] = "\n\n".join(paragraphs)
        else:
            originals.add(article["title"])
        handle.write(json.dumps(article, ensure_ascii=False) + "\n")  # type: ignore[union-attr]
    if handle:
        handle.close()


class Timer:
    """Wraps the near-dup entry points and adds up the time spent inside them."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.depth = 0
        self.by_name: dict[str, float] = defaultdict(float)

    def wrap(self, owner: object, name: str) -> None:
        inner = getattr(owner, name)
        timer = self

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            timer.depth += 1
            start = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                timer.depth -= 1
                if timer.depth == 0:
                    spent = time.process_time() - start
                    timer.seconds += spent
                    timer.by_name[name] += spent

        setattr(owner, name, timed)


def instrument() -> Timer:
    timer = Timer()
    for name in ("signature", "story_size", "refresh_story"):
        timer.wrap(dedup, name)
    for name in ("best_match", "add", "remove"):
        timer.wrap(dedup.NearDuplicates, name)
    return timer


def run_ingest(inputs: Path, archive: Path, with_index: bool) -> tuple[float, float, Store]:
    """Ingest everything as `newsarchive ingest` does; returns (CPU seconds, wall seconds, store)."""
    store = Store.open(archive)
    run_id = store.start_run(["bench"])
    hook = None
    if with_index:  # the Whoosh index updated after each committed batch, as the CLI does
        from archive.indexing import after_commit_hook, index_dir_for

        hook = after_commit_hook(index_dir_for(archive))
    cpu, wall = time.process_time(), time.perf_counter()
    ingest(store, [str(inputs)], IngestOptions(), run_id, after_commit=hook)
    return time.process_time() - cpu, time.perf_counter() - wall, store


def score(store: Store) -> dict[str, float]:
    """Pairwise recall and precision of the stories against the generator's copies."""
    truth: dict[str, list[int]] = defaultdict(list)
    found: dict[int, list[int]] = defaultdict(list)
    for article_id, title, story_id in store.db.execute(
        "SELECT id, title, story_id FROM articles ORDER BY id"
    ):
        truth[title].append(article_id)
        found[story_id].append(article_id)

    def pairs(groups: list[list[int]]) -> set[tuple[int, int]]:
        return {(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]}

    want = pairs(list(truth.values()))
    got = pairs(list(found.values()))
    hits = len(want & got)
    return {
        "copies_expected_pairs": len(want),
        "copies_found_pairs": len(got),
        "recall": round(hits / len(want), 4) if want else 1.0,
        "precision": round(hits / len(got), 4) if got else 1.0,
        "syndicated_articles": store.db.execute(
            "SELECT count(*) FROM articles WHERE syndicated = 1"
        ).fetchone()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--syndicated", type=float, default=0.05)
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without near-dup")
    parser.add_argument(
        "--index", action="store_true", help="also update the Whoosh index, as the CLI does"
    )
    parser.add_argument(
        "--inputs",
        type=Path,
        help="keep the generated JSON Lines in this folder, or reuse them if it holds some",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        work = Path(tmp)
        inputs = args.inputs or work / "inputs"
        if not (inputs.is_dir() and any(inputs.iterdir())):
            started = time.perf_counter()
            write_inputs(inputs, args.count, args.seed, args.syndicated)
            print(
                f"generated {args.count} articles in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )

        baseline = None
        if not args.no_baseline:
            real = dedup.signature
            dedup.signature = lambda body: None  # near-dup off: no signature, no lookup
            baseline, _, store = run_ingest(inputs, work / "off", args.index)
            store.close()
            dedup.signature = real
            print(f"ingest without near-dup: {baseline:.1f} s CPU", file=sys.stderr)

        timer = instrument()
        total, wall, store = run_ingest(inputs, work / "on", args.index)
        quality = score(store)
        size = {
            name: store.db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("article_bands", "article_minhash")
        }
        store.close()

    figures = {
        "count": args.count,
        "with_index": args.index,
        "syndicated_fraction": args.syndicated,
        "ingest_cpu_seconds": round(total, 2),
        "ingest_wall_seconds": round(wall, 2),
        "ingest_ms_per_article": round(total / args.count * 1000, 3),
        "near_dup_cpu_seconds": round(timer.seconds, 2),
        "near_dup_ms_per_article": round(timer.seconds / args.count * 1000, 3),
        "near_dup_share": round(timer.seconds / total, 4),
        "baseline_ingest_cpu_seconds": round(baseline, 2) if baseline is not None else None,
        "ab_added_share": round((total - baseline) / total, 4) if baseline is not None else None,
        "near_dup_ms_per_article_by_step": {
            name: round(seconds / args.count * 1000, 3) for name, seconds in timer.by_name.items()
        },
        **quality,
        **size,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"dedup-{args.count}{'-index' if args.index else ''}.json").write_text(
        json.dumps(figures, indent=2) + "\n"
    )
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
