"""Known-item search in every language (issue 16): does searching an article's rarer words find it?

    .venv/bin/python bench/bench_languages.py [--per-article 5] [--per-language 30] [--seed 1] [--json]

Ingests, with the real `newsarchive ingest`, the shared corpus pages (`../shared/corpus/*.html`:
en, pt, ru, ko, it, id, ja) and the pages of `bench/generate_languages.py` (zh, ar, de, fr,
es), into a fresh archive. Then, from each article (title and body as stored), picks up to
`--per-article` of its rarer words: words of 4+ letters found in the fewest articles, and for
Chinese, Japanese and Korean text substrings of 2 to 4 characters of its CJK runs (the same
rarity rule). Each is searched as a user would type it (`archive.searching.run_search`, up to
1,000 hits); a search counts as found when its hits include that article. Reported per
article language (as ingest detected it): searches, found, share. Target: >= 0.99 each.

Second, inflections: per stemmed language, a form the article does not hold must find it
through a form it holds (`generate_languages.INFLECTIONS`, e.g. German Radweg -> Radwegen).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate_languages import INFLECTIONS, write_pages  # noqa: E402

from archive.indexing import ArchiveDB, index_dir_for  # noqa: E402
from archive.searching import MAX_LIMIT, SearchRequest, run_search  # noqa: E402
from index.analysis import words  # noqa: E402
from index.errors import QueryError  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
MIN_LETTERS = 4
TARGET = 0.99


def ingest(archive: Path, paths: list[Path]) -> float:
    """Run the real `newsarchive ingest`; returns seconds."""
    script = Path(sys.executable).parent / "newsarchive"
    base = [str(script)] if script.exists() else [sys.executable, "-c", "from archive.cli import main; main()"]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(
        [*base, "--archive", str(archive), "ingest", *map(str, paths)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return time.perf_counter() - started


def candidates(text: str) -> set[str]:
    """Searchable words of `text`: alphabetic words of MIN_LETTERS+ letters; CJK substrings."""
    found: set[str] = set()
    for word, cjk in words(text):
        if cjk:
            for size in (2, 3, 4):
                found.update(word[i : i + size] for i in range(len(word) - size + 1))
        elif word.isalpha() and len(word) >= MIN_LETTERS:
            found.add(word)
    return found


def pick(rows: list[dict], per_article: int, per_language: int, seed: int) -> dict[int, list[str]]:
    """Per article id, its candidates found in the fewest articles: `per_article` of them, more
    in a language with few articles, so each language gets about `per_language` searches."""
    per_row = {row["id"]: candidates(row["text"]) for row in rows}
    frequency = Counter(word for found in per_row.values() for word in found)
    articles = Counter(row["language"] for row in rows)
    rng = random.Random(seed)
    out = {}
    for row in rows:
        found = per_row[row["id"]]
        wanted = max(per_article, -(-per_language // articles[row["language"]]))
        ranked = sorted(found, key=lambda w: (frequency[w], rng.random()))
        out[row["id"]] = ranked[:wanted]
    return out


def searched(db: ArchiveDB, index_dir: Path, text: str) -> set[int]:
    try:
        result = run_search(db, index_dir, SearchRequest(query=text, limit=MAX_LIMIT))
    except QueryError:
        return set()
    return {hit["id"] for hit in result["hits"]}


def tokens_of(text: str) -> set[str]:
    return {word for word, _ in words(text)}


def share(found: int, total: int) -> float | None:
    return round(found / total, 4) if total else None


def load_average() -> list[str] | None:
    path = Path("/proc/loadavg")
    return path.read_text().split()[:3] if path.exists() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--per-article", type=int, default=5)
    parser.add_argument("--per-language", type=int, default=30, help="searches at least")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build the archive here and keep it")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-languages-") as tmp:
        work = args.keep or Path(tmp)
        pages = write_pages(work / "pages")
        archive = work / "archive"
        corpus = sorted(args.corpus.glob("*.html"))
        if not corpus:
            print(f"No pages in {args.corpus}: pass --corpus DIR.", file=sys.stderr)
            return 2
        seconds = ingest(archive, corpus + pages)
        conn = sqlite3.connect(archive / "news.db")
        rows = [
            {
                "id": i,
                "language": lang or "unknown",
                "title": title or "",
                "text": f"{title or ''}\n{body or ''}",
            }
            for i, lang, title, body in conn.execute(
                "SELECT id, language, title, body FROM articles"
            )
        ]
        conn.close()
        db = ArchiveDB.open(archive)
        index_dir = index_dir_for(archive)
        chosen = pick(rows, args.per_article, args.per_language, args.seed)
        language = {row["id"]: row["language"] for row in rows}
        per_language: dict[str, Counter] = defaultdict(Counter)
        misses: list[dict] = []
        started = time.perf_counter()
        for article_id, found_words in chosen.items():
            lang = language[article_id]
            per_language[lang]["articles"] += 1
            for word in found_words:
                per_language[lang]["searches"] += 1
                if article_id in searched(db, index_dir, word):
                    per_language[lang]["found"] += 1
                else:
                    misses.append({"id": article_id, "language": lang, "query": word})
        search_seconds = time.perf_counter() - started

        inflections: dict[str, Counter] = defaultdict(Counter)
        inflection_misses = []
        for lang, cases in INFLECTIONS.items():
            for query, title_start, held in cases:
                target = next((r for r in rows if r["title"].startswith(title_start)), None)
                held_here = target is not None and held.lower() in tokens_of(target["text"])
                absent = target is not None and query.lower() not in tokens_of(target["text"])
                if not (held_here and absent):
                    inflection_misses.append({"language": lang, "query": query, "problem": "bad case: the article is missing, lacks the held form or holds the query"})  # fmt: skip
                    continue
                inflections[lang]["pairs"] += 1
                if target["id"] in searched(db, index_dir, query):
                    inflections[lang]["found"] += 1
                else:
                    inflection_misses.append({"language": lang, "query": query, "held": held})
        db.close()

    found_total = sum(c["found"] for c in per_language.values())
    report = {
        "articles": len(rows),
        "ingest_seconds": round(seconds, 1),
        "search_ms_mean": round(1000 * search_seconds / max(1, len(misses) + found_total), 1),
        "known_item": {
            lang: {**counts, "share": share(counts["found"], counts["searches"])}
            for lang, counts in sorted(per_language.items())
        },
        "misses": misses,
        "inflections": {
            lang: {**counts, "share": share(counts["found"], counts["pairs"])}
            for lang, counts in sorted(inflections.items())
        },
        "inflection_misses": inflection_misses,
        "load": load_average(),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"{report['articles']} articles ingested in {report['ingest_seconds']} s; "
              f"{report['search_ms_mean']} ms per search; load {report['load']}")  # fmt: skip
        print(f"{'language':<9}{'articles':>9}{'searches':>10}{'found':>7}{'share':>8}")
        for lang, c in report["known_item"].items():
            flag = "" if c["share"] is not None and c["share"] >= TARGET else "  < target"
            print(f"{lang:<9}{c['articles']:>9}{c['searches']:>10}{c['found']:>7}{c['share']:>8.3f}{flag}")  # fmt: skip
        print(f"\n{'inflection':<11}{'pairs':>6}{'found':>7}{'share':>8}")
        for lang, c in report["inflections"].items():
            print(f"{lang:<11}{c['pairs']:>6}{c['found']:>7}{c['share']:>8.3f}")
        for miss in misses + inflection_misses:
            print("miss:", json.dumps(miss, ensure_ascii=False))
    ok = all(c["share"] is not None and c["share"] >= TARGET for c in report["known_item"].values())
    ok = ok and not any("problem" in miss for miss in inflection_misses)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
