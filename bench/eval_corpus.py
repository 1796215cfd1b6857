"""Score our extractors on the shared development corpus with the team's scorer.

    python bench/eval_corpus.py --ext txt      # text dumps
    python bench/eval_corpus.py --ext html     # saved HTML pages

Runs `ingest.extract` in-process over ../shared/corpus/*.<ext>, writes predictions to
bench/out/pred-<ext>.jsonl, prints the scorer's figures and the median/p95 ms per page.
"""

from __future__ import annotations

import argparse
import json
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


def run(ext: str, corpus: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    pred_path = out_dir / f"pred-{ext}.jsonl"
    expected = "text" if ext == "txt" else "html"
    timings: list[float] = []
    failures = 0
    with pred_path.open("w", encoding="utf-8") as out:
        for page in sorted(corpus.glob(f"*.{ext}")):
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
    print(
        f"{ext}: {len(timings)} pages, {failures} failed, median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms per page"
    )
    return pred_path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ext", choices=["txt", "html"], default="txt")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--per-page", action="store_true", help="also write per-page scores")
    args = parser.parse_args()
    pred = run(args.ext, args.corpus, args.out)
    cmd = [
        sys.executable,
        str(SHARED / "tools" / "eval_extract.py"),
        str(args.corpus / "truth.jsonl"),
        str(pred),
    ]
    if args.per_page:
        cmd += ["--per-page", str(args.out / f"per-page-{args.ext}.jsonl")]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
