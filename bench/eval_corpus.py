"""Score our extractors on the shared development corpus with the team's scorer.

    python bench/eval_corpus.py --ext txt      # the corpus's own w3m dumps
    python bench/eval_corpus.py --ext html     # saved HTML pages
    python bench/eval_corpus.py --all          # every renderer and HTML, one table

`--all` renders the corpus's HTML with ../shared/tools/render_dumps.sh (w3m, `lynx -dump
-nolist`, `lynx -dump`, markdown from html2text; a bench-only need, not a runtime one) into
bench/out/dumps once, then runs `ingest.extract` in-process over each renderer's dumps and over
the HTML, and prints body P/R/F1, title / authors / date accuracy and ms per page for each.
`--half a|b` keeps one half of the pages (by a hash of the id) so one half can be used while
developing and the other checked afterwards. Predictions go to bench/out/pred-<name>.jsonl.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from ingest.errors import IngestError  # noqa: E402
from ingest.extract import extract  # noqa: E402
from ingest.model import RawDocument  # noqa: E402
from ingest.readers import detect_format  # noqa: E402

RENDERERS = ("w3m", "lynx_nolist", "lynx", "markdown")


def in_half(page_id: str, half: str | None) -> bool:
    """A fixed split of the pages into two halves, so tuning on one can be checked on the other."""
    if half is None:
        return True
    bucket = int(hashlib.sha256(f"eval-half:{page_id}".encode()).hexdigest()[:8], 16) % 2
    return bucket == (0 if half == "a" else 1)


def run(
    pages: list[Path], expected: str, pred_path: Path, half: str | None = None
) -> tuple[Path, list[float], int]:
    """Extract every page into `pred_path`; returns it, the ms per page and the failure count."""
    pred_path.parent.mkdir(parents=True, exist_ok=True)
    timings: list[float] = []
    failures = 0
    with pred_path.open("w", encoding="utf-8") as out:
        for page in pages:
            if not in_half(page.stem, half):
                continue
            data = page.read_bytes()
            # detection as `newsarchive ingest` does it: a page taken for another format scores 0
            fmt = detect_format(page.name, data[:4096])
            if fmt != expected:
                print(f"warning: {page.name} is detected as {fmt}, not {expected}", file=sys.stderr)
            raw = RawDocument(
                origin=str(page), data=data, format=fmt if fmt in ("text", "html") else expected
            )
            start = time.perf_counter()
            try:
                row = extract(raw).to_dict()
            except IngestError as exc:
                failures += 1
                row = {"error": str(exc)}
            timings.append((time.perf_counter() - start) * 1000)
            row["id"] = page.stem
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    timings.sort()
    return pred_path, timings, failures


def truth_for(corpus: Path, half: str | None, out_dir: Path) -> Path:
    """The truth file, cut to the chosen half (the scorer counts missing ids as empty)."""
    truth = corpus / "truth.jsonl"
    if half is None:
        return truth
    out_dir.mkdir(parents=True, exist_ok=True)
    kept = out_dir / f"truth-{half}.jsonl"
    rows = [
        line
        for line in truth.read_text(encoding="utf-8").splitlines()
        if line.strip() and in_half(json.loads(line)["id"], half)
    ]
    kept.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return kept


def score(truth: Path, pred: Path, json_out: Path, per_page: Path | None, quiet: bool) -> dict:
    cmd = [sys.executable, str(SHARED / "tools" / "eval_extract.py"), str(truth), str(pred)]
    cmd += ["--json", str(json_out)]
    if per_page is not None:
        cmd += ["--per-page", str(per_page)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if quiet else None)
    return json.loads(json_out.read_text(encoding="utf-8"))


def render(dumps: Path, corpus: Path) -> None:
    """Render the dumps once (html2text must be importable by this interpreter)."""
    if all((dumps / r).is_dir() and any((dumps / r).glob("*.txt")) for r in RENDERERS):
        return
    env = dict(os.environ, PYTHON=sys.executable)
    subprocess.run(
        [str(SHARED / "tools" / "render_dumps.sh"), str(dumps), str(corpus)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def timing_line(name: str, timings: list[float], failures: int) -> str:
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)] if timings else 0.0
    median = statistics.median(timings) if timings else 0.0
    return (
        f"{name}: {len(timings)} pages, {failures} failed, median {median:.1f} ms, "
        f"p95 {p95:.1f} ms per page"
    )


def run_all(args: argparse.Namespace) -> None:
    dumps = args.dumps or args.out / "dumps"
    render(dumps, args.corpus)
    truth = truth_for(args.corpus, args.half, args.out)
    rows = []
    sets = [(r, sorted((dumps / r).glob("*.txt")), "text") for r in RENDERERS]
    sets.append(("html", sorted(args.corpus.glob("*.html")), "html"))
    for name, pages, expected in sets:
        pred, timings, failures = run(pages, expected, args.out / f"pred-{name}.jsonl", args.half)
        per_page = args.out / f"per-page-{name}.jsonl" if args.per_page else None
        figures = score(truth, pred, args.out / f"score-{name}.json", per_page, quiet=True)
        rows.append((name, figures, timings, failures))
    print(
        f"{'input':<12} {'body P':>7} {'body R':>7} {'body F1':>7} {'title':>6} {'authors':>7} "
        f"{'date':>6} {'±1 day':>6} {'ms med':>7} {'ms p95':>7} {'failed':>6}"
    )

    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    for name, r, timings, failures in rows:
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)] if timings else 0.0
        print(
            f"{name:<12} {r['body_precision']:>7.3f} {r['body_recall']:>7.3f} "
            f"{r['body_f1']:>7.3f} {fmt(r['title_accuracy']):>6} {fmt(r['authors_accuracy']):>7} "
            f"{fmt(r['published_accuracy']):>6} {fmt(r['published_1d_accuracy']):>6} "
            f"{statistics.median(timings) if timings else 0.0:>7.1f} {p95:>7.1f} {failures:>6}"
        )
    for name, r, _, _ in rows:
        print(
            f"FINAL input={name} body_p={r['body_precision']:.4f} body_r={r['body_recall']:.4f} "
            f"body_f1={r['body_f1']:.4f} title_acc={fmt(r['title_accuracy'])} "
            f"authors_acc={fmt(r['authors_accuracy'])} "
            f"published_acc={fmt(r['published_accuracy'])} pages={r['pages']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ext", choices=["txt", "html"], default="txt")
    parser.add_argument("--all", action="store_true", help="every renderer's dumps and HTML")
    parser.add_argument("--half", choices=["a", "b"], help="score one half of the pages only")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--dumps", type=Path, help="rendered dumps (default OUT/dumps)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--per-page", action="store_true", help="also write per-page scores")
    args = parser.parse_args()
    if args.all:
        run_all(args)
        return
    expected = "text" if args.ext == "txt" else "html"
    pages = sorted(args.corpus.glob(f"*.{args.ext}"))
    pred, timings, failures = run(pages, expected, args.out / f"pred-{args.ext}.jsonl", args.half)
    print(timing_line(args.ext, timings, failures))
    truth = truth_for(args.corpus, args.half, args.out)
    cmd = [sys.executable, str(SHARED / "tools" / "eval_extract.py"), str(truth), str(pred)]
    if args.per_page:
        cmd += ["--per-page", str(args.out / f"per-page-{args.ext}.jsonl")]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
