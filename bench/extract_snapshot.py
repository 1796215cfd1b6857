"""Everything extraction gives on the dev corpus, as one JSON file: diff two runs to prove a
refactoring changed nothing.

    python bench/extract_snapshot.py --dumps /tmp/dumps --out /tmp/before.json
    (change the code)
    python bench/extract_snapshot.py --dumps /tmp/dumps --out /tmp/after.json
    cmp /tmp/before.json /tmp/after.json

Covers, for the corpus's w3m dumps and HTML pages and for each renderer's dumps made by
`../shared/tools/render_dumps.sh DUMPS`: every page's Article (or failure) and its text-dump
template keys; every page extracted again with the template learned from its site's pages;
and whole ingests of the dumps (one job and two, small batches so templates move between
batches and pages are refreshed) into throwaway archives, with `reextract` run after each:
articles, site template counts and the re-extraction report.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"
RENDERERS = ("w3m", "lynx_nolist", "lynx", "markdown")


def _extract(path: Path, fmt: str, template: frozenset[str] | None = None) -> dict[str, Any]:
    from ingest.errors import IngestError
    from ingest.extract import extract_page
    from ingest.model import RawDocument

    raw = RawDocument(origin=path.name, data=path.read_bytes(), format=fmt)
    try:
        extraction = extract_page(raw, boilerplate=template)
    except IngestError as exc:
        return {"error": exc.reason, "message": str(exc)}
    out: dict[str, Any] = {"article": asdict(extraction.article)}
    if extraction.template_keys is not None:
        out["lines"] = sorted(extraction.template_keys.lines)
    return out


def _pages(folder: Path, fmt: str) -> dict[str, Any]:
    """Each page alone, then the text dumps again with their site's learned template."""
    from ingest.decode import decode_bytes
    from ingest.textdump_template import learn_site_boilerplate

    ext = "html" if fmt == "html" else "txt"
    paths = sorted(folder.glob(f"*.{ext}"))
    pages = {path.name: _extract(path, fmt) for path in paths}
    if fmt != "text":
        return pages
    sites: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        site = (pages[path.name].get("article") or {}).get("site_name")
        if site:
            sites[site].append(path)
    for site, members in sorted(sites.items()):
        texts = [decode_bytes(p.read_bytes(), p.name) for p in members]
        template = learn_site_boilerplate(texts)
        pages[f"template:{site}"] = sorted(template)
        if template:
            for path in members:
                pages[f"{path.name}+template"] = _extract(path, fmt, template)
    return pages


def _archive(folder: Path, jobs: int) -> dict[str, Any]:
    """A whole ingest of `folder` (batches of 20), then `reextract --dry-run`."""
    from archive.pipeline import IngestOptions, ingest
    from archive.reextract import reextract
    from archive.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp), create=True)
        run = store.start_run(["snapshot"])
        paths = [str(p) for p in sorted(folder.rglob("*.txt"))]
        total = ingest(store, paths, IngestOptions(fmt="text", batch_size=20, jobs=jobs), run)
        report = reextract(store, dry_run=True)
        store.close()
        with sqlite3.connect(Path(tmp) / "news.db") as conn:
            articles = conn.execute(
                "SELECT a.title, a.body, a.authors, a.published, a.site, a.category, a.version,"
                " s.origin FROM articles a JOIN sources s ON s.id = a.source_id ORDER BY s.origin"
            ).fetchall()
            lines = conn.execute(
                "SELECT site, key, pages FROM site_template_lines ORDER BY site, key"
            ).fetchall()
            sites = conn.execute(
                "SELECT site, pages, dirty FROM site_templates ORDER BY site"
            ).fetchall()
    return {
        "added": len(total.added),
        "failed": total.failures,
        "articles": [[*row[:-1], Path(row[-1]).name] for row in articles],
        "template_lines": lines,
        "template_sites": sites,
        "reextract": {k: report.to_dict()[k] for k in ("examined", "changed", "failed")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dumps", type=Path, required=True, help="render_dumps.sh output")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--generated", type=Path, help="also ingest these (bench/generate.py text)")
    parser.add_argument("--no-archive", action="store_true", help="pages only (fast)")
    args = parser.parse_args()
    snapshot: dict[str, Any] = {
        "corpus-w3m": _pages(CORPUS, "text"),
        "corpus-html": _pages(CORPUS, "html"),
    }
    for name in RENDERERS:
        snapshot[name] = _pages(args.dumps / name, "text")
    if not args.no_archive:
        folders = [("corpus", CORPUS), ("lynx", args.dumps / "lynx")]
        if args.generated:
            folders.append(("generated", args.generated))
        for name, folder in folders:
            for jobs in (1, 2):
                snapshot[f"archive-{name}-jobs{jobs}"] = _archive(folder, jobs)
    args.out.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False, sort_keys=True))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
