"""`newsarchive reextract`: the current extractors over the stored raw inputs.

Every input is kept verbatim so that an extractor fix can reach the whole archive. For each
selected article, its current input (`articles.source_id`) is rebuilt from the stored bytes
(`raw_read.raw_document`) and extracted again by `extract_task`, the one per-input step: a
pure function (a `Task` in, an `Outcome` out) that `reextract` runs through a pluggable
`mapper` (`map` here; a cluster's ordered map later). Articles whose extraction changed get
a new version (the old one goes to `article_versions`, as an update by ingest does) and a
new `seq`, so the index follows; the rest are left alone.

Batches are transactions, each also saving how far the run got (`archive_meta`
`reextract_state`): an interrupted run is continued by the same command run again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.model import Article, RawDocument
from ingest.textdump_template import marks

from .article_history import diff_text, word_diff
from .pipeline import extract_one
from .raw_read import raw_document
from .site_template_tables import has_tables, load_counts
from .site_templates import ExtractedPage
from .store import Store

STATE_META = "reextract_state"
BATCH = 200
FORMATS = {"text": "text", "html": "html", "json": "json", "jsonl": "json", "feed": "feed"}
COMPARED = (
    "title",
    "authors",
    "published",
    "category",
    "site",
    "url",
    "language",
    "dateline",
    "wire",
    "body",
    "captions",
)


class ReextractError(Exception):
    """Options `reextract` cannot honour; the message names the fix."""


@dataclass(slots=True)
class Task:
    """One stored input to extract again (picklable: it may travel to a worker)."""

    article_id: int
    raw: RawDocument
    template: frozenset[str] | None = None  # the site's text-dump template, when it has one
    site: str | None = None  # the site its ingest forced with --site


@dataclass(slots=True)
class Outcome:
    article_id: int
    article: Article | None
    error: str | None = None


def extract_task(task: Task) -> Outcome:
    """Extract one stored input as ingest would today (the site template included).

    The same steps as ingest's (archive/site_templates.py): a page the template marks
    (`marks`, any of its lines) is extracted again with it, keeping the site it was filed
    under; an article with no template line ends as it was first extracted.
    """
    item = extract_one(task.raw, task.site)
    if item.failure is not None:
        return Outcome(task.article_id, None, item.failure.message)
    keys = item.template_keys if isinstance(item, ExtractedPage) else None
    if task.template and keys is not None and marks(keys.lines, task.template):
        site = task.site or (item.article.site_name if item.article else None)
        better = extract_one(task.raw, site, task.template)
        if better.failure is None and better.article is not None:
            item = better
    return Outcome(task.article_id, item.article)


Mapper = Callable[[Callable[[Task], Outcome], Iterable[Task]], Iterable[Outcome]]


@dataclass(slots=True)
class ReextractReport:
    selected: int = 0
    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0  # the current extractor finds no article: the stored one is kept
    no_raw: int = 0  # no stored bytes (purged)
    reindexed: int = 0
    resumed_after: int | None = None
    dry_run: bool = False
    changed_ids: list[int] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "selected": self.selected,
            "examined": self.examined,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "no_raw": self.no_raw,
            "reindexed": self.reindexed,
            "resumed_after": self.resumed_after,
            "dry_run": self.dry_run,
            "changed_ids": self.changed_ids,
            "sample": self.sample,
            "errors": self.errors[:20],
        }


def _where(site: str | None, fmt: str | None, since: str | None) -> tuple[str, list[Any]]:
    clauses, params = ["a.id > ?"], []
    if site:
        clauses.append("a.site = ? COLLATE NOCASE")
        params.append(site)
    if fmt:
        if fmt == "warc":
            clauses.append("s.format = 'html' AND s.container IS NOT NULL")
        elif fmt in FORMATS:
            clauses.append("s.format = ?")
            params.append(FORMATS[fmt])
        else:
            raise ReextractError(f"--format {fmt!r} is not one of {', '.join([*FORMATS, 'warc'])}.")
    if since:
        clauses.append("a.first_seen >= ?")
        params.append(since)
    return " AND ".join(clauses), params


class _Context:
    """Per-run caches: each site's template, each run's forced --site."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self.templates: dict[str, frozenset[str]] = {}
        self.forced: dict[int, str | None] = {}

    def template(self, site: str | None) -> frozenset[str] | None:
        if not site or not has_tables(self.store):
            return None
        if site not in self.templates:
            self.templates[site] = load_counts(self.store, site).template()
        return self.templates[site] or None

    def forced_site(self, run_id: int | None) -> str | None:
        if run_id is None:
            return None
        if run_id not in self.forced:
            row = self.db.execute(
                "SELECT arguments FROM ingest_runs WHERE id = ?", [run_id]
            ).fetchone()
            self.forced[run_id] = _site_argument(json.loads(row[0]) if row and row[0] else [])
        return self.forced[run_id]


def _site_argument(arguments: list[str]) -> str | None:
    for n, arg in enumerate(arguments):
        if arg == "--site" and n + 1 < len(arguments):
            return arguments[n + 1]
        if arg.startswith("--site="):
            return arg.split("=", 1)[1]
    return None


def _stored(store: Store, article_id: int) -> dict[str, Any]:
    row = store.db.execute("SELECT * FROM articles WHERE id = ?", [article_id]).fetchone()
    names = [d[0] for d in store.db.execute("SELECT * FROM articles LIMIT 0").description]
    out = dict(zip(names, row, strict=True))
    out["authors"] = json.loads(out["authors"]) if out.get("authors") else []
    out["captions"] = [
        r[0]
        for r in store.db.execute(
            "SELECT text FROM captions WHERE article_id = ? ORDER BY position", [article_id]
        )
    ]
    return out


def _fresh(article: Article, raw: RawDocument) -> dict[str, Any]:
    return {
        "title": article.title,
        "authors": list(dict.fromkeys(article.authors)),
        "published": article.published,
        "category": article.category,
        "site": article.site_name,
        "url": article.url or raw.url,
        "language": article.language,
        "dateline": article.dateline,
        "wire": article.wire,
        "body": article.body,
        "captions": list(article.captions),
    }


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [key for key in COMPARED if (old.get(key) or None) != (new.get(key) or None)]


def _tasks(
    store: Store, ctx: _Context, rows: list[tuple[Any, ...]], report: ReextractReport
) -> Iterator[Task]:
    for article_id, source_id, site, run_id in rows:
        raw = raw_document(store.db, source_id) if source_id else None
        if raw is None:
            report.no_raw += 1
            continue
        forced = ctx.forced_site(run_id)
        template = ctx.template(forced or site) if raw.format == "text" else None
        yield Task(article_id, raw, template, forced)


def reextract(
    store: Store,
    *,
    site: str | None = None,
    fmt: str | None = None,
    since: str | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH,
    mapper: Mapper = map,
    sample: int = 5,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReextractReport:
    """Re-extract the selected articles (see the module docstring); returns the counts.

    Re-indexing is the caller's: every changed article has a new seq (`indexing.catch_up`).
    """
    where, params = _where(site, fmt, since)
    key = json.dumps({"site": site, "format": fmt, "since": since})
    report = ReextractReport(dry_run=dry_run)
    last = 0
    state = json.loads(store.get_meta(STATE_META) or "null")
    if state and state.get("key") == key and not dry_run:
        last = report.resumed_after = int(state["last_id"])
    base = "FROM articles a LEFT JOIN sources s ON s.id = a.source_id WHERE " + where
    report.selected = store.db.execute(f"SELECT count(*) {base}", [0, *params]).fetchone()[0]
    left = store.db.execute(f"SELECT count(*) {base}", [last, *params]).fetchone()[0]
    done = report.selected - left
    ctx = _Context(store)
    while True:
        rows = store.db.execute(
            f"SELECT a.id, a.source_id, a.site, s.run_id {base} ORDER BY a.id LIMIT ?",
            [last, *params, batch_size],
        ).fetchall()
        if not rows:
            break
        tasks = {t.article_id: t for t in _tasks(store, ctx, rows, report)}
        outcomes = list(mapper(extract_task, list(tasks.values())))
        with store.write_lock(), store.db.atomic():
            for outcome in outcomes:
                report.examined += 1
                if outcome.article is None:
                    report.failed += 1
                    report.errors.append(outcome.error or f"article {outcome.article_id}: failed")
                    continue
                old = _stored(store, outcome.article_id)
                task = tasks[outcome.article_id]
                new = _fresh(outcome.article, task.raw)
                changed = _differences(old, new)
                if not changed:
                    report.unchanged += 1
                    continue
                report.changed += 1
                report.changed_ids.append(outcome.article_id)
                if len(report.sample) < sample:
                    report.sample.append(_sample(outcome.article_id, old, new, changed))
                if not dry_run:  # the old text becomes a past version, as after an ingest update
                    store.new_version(outcome.article_id, outcome.article, url=task.raw.url)
            last = int(rows[-1][0])
            if not dry_run:
                store.set_meta(STATE_META, json.dumps({"key": key, "last_id": last}))
        done += len(rows)
        if on_progress:
            on_progress(done, report.selected)
    if not dry_run:
        with store.write_lock(), store.db.atomic():
            store.db.execute("DELETE FROM archive_meta WHERE key = ?", [STATE_META])
    return report


def _sample(
    article_id: int, old: dict[str, Any], new: dict[str, Any], changed: list[str]
) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": article_id, "title": new.get("title"), "fields": changed}
    if "body" in changed:
        text = diff_text(word_diff(old.get("body") or "", new.get("body") or ""), context=4)
        entry["diff"] = text if len(text) <= 600 else text[:597] + "..."
    for name in changed:
        if name not in ("body", "captions"):
            entry[name] = [old.get(name), new.get(name)]
    return entry


def reindex_changed(store: Store, archive_dir: Path) -> int:
    """Index what the run changed (the index follows `seq`, as after an ingest)."""
    from .indexing import catch_up, index_dir_for

    return catch_up(store, index_dir_for(archive_dir))
