"""Writing one batch of extracted inputs: each input kept, each article added, updated or
linked as a duplicate, each failure recorded, all in one transaction.

A batch is one `db.atomic()` transaction under `write_lock`: sqlite-utils' bulk methods commit
every 100 rows on their own otherwise (TRAPS.md). What an input becomes:

- the very same input again (same bytes, same origin): unchanged, nothing written;
- a known page (same canonical URL): a duplicate if its text is known, else a new version
  (`store_versions`), or a late older version when it was fetched before the current one;
- the same text on the same site: a duplicate of that article;
- anything else: a new article, in the story of its most similar copy (`store_stories`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest.model import Article, Failure, RawDocument
from ingest.urls import canonical_url

from .raw_keep import InputFile, RawKeeper
from .store_base import StoreCore, content_hash, now_iso, sha256
from .store_stories import Stories
from .store_versions import Versions

FOLD_AFTER = 10  # failures of one reason in one file with rows of their own; then one count


@dataclass(slots=True)
class Extracted:
    """One input after extraction: the raw document and either its article or its failure."""

    raw: RawDocument | None
    article: Article | None = None
    failure: Failure | None = None


@dataclass(slots=True)
class BatchResult:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    duplicates: int = 0
    unchanged: int = 0  # the very same input ingested again: nothing new
    failed: list[Failure] = field(default_factory=list)  # each with its own ingest_errors row
    folded: int = 0  # further failures counted in their file's summary row (FOLD_AFTER)

    @property
    def failures(self) -> int:
        return len(self.failed) + self.folded


class BatchWriter:
    """The one writer of an ingest: turns batches of `Extracted` into rows."""

    def __init__(self, core: StoreCore, versions: Versions, stories: Stories) -> None:
        self.core = core
        self.db = core.db
        self.versions = versions
        self.stories = stories
        self.raw = RawKeeper(core.db)
        self._file: InputFile | None = None  # the input file of the item being written
        self._offset: int | None = None  # where the item's bytes lie in that file
        self._folds: dict[tuple[str, str], list[int]] = {}  # (file, reason) -> [count, row id]
        self._folded_rows: dict[int, tuple[int, str]] = {}  # summary rows to update this batch
        self._now = now_iso()

    def write_batch(
        self,
        items: Iterable[Extracted],
        run_id: int,
        also: Callable[[], None] | None = None,
    ) -> BatchResult:
        """Store one batch atomically: all of it is visible afterwards, or none of it.

        `also` runs inside the same transaction (site templates count the batch's pages)."""
        result = BatchResult()
        folds = {key: list(value) for key, value in self._folds.items()}
        self._now = now_iso()  # one clock read per batch: a million failed lines read it once each
        self._folded_rows = {}
        try:
            with self.core.write_lock(), self.db.atomic():
                for item in items:
                    self._write_one(item, run_id, result)
                if also is not None:
                    also()
                for row_id, (count, message) in self._folded_rows.items():
                    self.db.execute(
                        "UPDATE ingest_errors SET count = ?, message = ? WHERE id = ?",
                        [count, message, row_id],
                    )
        except BaseException:
            self.raw.forget()  # what the rolled-back transaction kept is gone
            self._folds = folds
            raise
        return result

    def _write_one(self, item: Extracted, run_id: int, result: BatchResult) -> None:
        raw = item.raw
        self._file = self.raw.file_for(raw, item.failure, run_id, self._now)
        if item.failure is not None:
            self._offset = raw.offset if raw is not None else item.failure.offset
            self._write_failure(item.failure, raw, run_id, result)
            return
        self._offset = raw.offset if raw is not None else None
        if raw is None or item.article is None:
            raise ValueError(
                "an Extracted item needs either a failure or a raw document with its article"
            )
        digest = sha256(raw.data)
        if self.db.execute(
            "SELECT 1 FROM sources WHERE sha256 = ? AND origin = ? AND status != 'failed'",
            [digest, raw.origin],
        ).fetchone():
            result.unchanged += 1
            return
        article = item.article
        chash = content_hash(article)
        url = article.url or raw.url
        url_key = canonical_url(url) if url else None
        if url_key:  # the same page, whatever form of its address: a duplicate or a new version
            current = self.db.execute(
                "SELECT id FROM articles WHERE url_key = ? ORDER BY id LIMIT 1", [url_key]
            ).fetchone()
            if current:
                self._write_same_page(int(current[0]), article, chash, raw, run_id, result)
                return
        same = self._same_content(chash, article.site_name, url_key)
        if same is not None:
            self.add_source(raw, raw.data, raw.origin, raw.format, "duplicate", same, run_id)
            result.duplicates += 1
            return
        result.added.append(self._insert_article(article, chash, raw, run_id))

    # ------------------------------------------------------------------ failures
    def _write_failure(
        self, failure: Failure, raw: RawDocument | None, run_id: int, result: BatchResult
    ) -> None:
        """One `ingest_errors` row per failed input; past `FOLD_AFTER` failures of one reason
        in one file (a million broken JSON lines), one row for the file counts the rest."""
        file_key = self._file.path if self._file else failure.container
        fold = self._folds.setdefault((file_key, failure.reason), [0, 0]) if file_key else None
        if fold is not None:
            fold[0] += 1
        if fold is not None and fold[0] > FOLD_AFTER:
            self._fold_failure(fold, file_key, failure, run_id)  # type: ignore[arg-type]
            result.folded += 1
            return
        source_id = None
        data = raw.data if raw is not None else failure.data
        if data:
            source_id = self.add_source(
                raw, data, failure.origin, failure.format, "failed", None, run_id
            )
        self.core.insert(
            "ingest_errors",
            {
                "run_id": run_id,
                "origin": failure.origin,
                "reason": failure.reason,
                "message": failure.message,
                "source_id": source_id,
                "file_id": self._file.id if self._file else None,
                "count": 1,
                "created": self._now,
            },
        )
        failure.data = None  # kept in the archive now: the run's totals need no copy
        result.failed.append(failure)

    def _fold_failure(self, fold: list[int], path: str, failure: Failure, run_id: int) -> None:
        more = fold[0] - FOLD_AFTER
        message = (
            f"{path}: {more} more input(s) in this file failed the same way ({failure.reason}),"
            f" the last at {failure.origin}; the file is kept as given."
        )
        if fold[1]:
            self._folded_rows[fold[1]] = (more, message)  # written once, at the batch's end
            return
        fold[1] = self.core.insert(
            "ingest_errors",
            {
                "run_id": run_id,
                "origin": path,
                "reason": failure.reason,
                "message": message,
                "source_id": None,
                "file_id": self._file.id if self._file else None,
                "count": more,
                "created": self._now,
            },
        )

    # ------------------------------------------------------------------ known pages and texts
    def _same_content(self, chash: str, site: str | None, url_key: str | None) -> int | None:
        """The article this text already belongs to on the same site (or any version of it).

        The same text on another site is not a duplicate but a syndicated copy: its own
        article, in the same story.
        """
        rows = self.db.execute(
            "SELECT id, site, url_key FROM articles WHERE content_hash = ?"
            " UNION SELECT a.id, a.site, a.url_key FROM article_versions v"
            " JOIN articles a ON a.id = v.article_id WHERE v.content_hash = ?"
            " ORDER BY id",
            [chash, chash],
        ).fetchall()
        for article_id, other_site, other_key in rows:
            if _same_site(site, url_key, other_site, other_key):
                return int(article_id)
        return None

    def _write_same_page(
        self,
        article_id: int,
        article: Article,
        chash: str,
        raw: RawDocument,
        run_id: int,
        result: BatchResult,
    ) -> None:
        """A page already archived: the same text is a duplicate, changed text a new version."""
        known = self.db.execute(
            "SELECT 1 FROM articles WHERE id = ? AND content_hash = ?"
            " UNION ALL SELECT 1 FROM article_versions WHERE article_id = ? AND content_hash = ?",
            [article_id, chash, article_id, chash],
        ).fetchone()
        if known:  # an earlier version ingested again never rolls the article back
            self.add_source(raw, raw.data, raw.origin, raw.format, "duplicate", article_id, run_id)
            result.duplicates += 1
            return
        older = self._is_older(article_id, article, raw)
        source_id = self.add_source(
            raw, raw.data, raw.origin, raw.format, "update", article_id, run_id
        )
        if older:
            self.versions.add_old_version(
                article_id, article, chash, source_id, raw.url, raw.fetched
            )
        else:
            self.versions.new_version(
                article_id, article, url=raw.url, source_id=source_id, chash=chash
            )
        result.updated.append(article_id)

    def _is_older(self, article_id: int, article: Article, raw: RawDocument) -> bool:
        """Whether this text predates the article's current version (fetch time, else date)."""
        published, fetched = self.db.execute(
            "SELECT a.published, s.fetched FROM articles a"
            " LEFT JOIN sources s ON s.id = a.source_id WHERE a.id = ?",
            [article_id],
        ).fetchone()
        if raw.fetched and fetched:
            return _instant(raw.fetched) < _instant(fetched)
        if article.published and published and article.published != published:
            return article.published < published
        return False

    # ------------------------------------------------------------------ new rows
    def add_source(
        self,
        raw: RawDocument | None,
        data: bytes,
        origin: str,
        fmt: str | None,
        status: str,
        article_id: int | None,
        run_id: int,
    ) -> int:
        """Keep an input's bytes and its `sources` row; returns the row's id."""
        digest = sha256(data)
        self.raw.keep_bytes(digest, data, self._file, self._offset)
        row = {
            "sha256": digest,
            "origin": origin,
            "container": raw.container if raw else None,
            "format": fmt or (raw.format if raw else None),
            "size": len(data),
            "url": raw.url if raw else None,
            "fetched": raw.fetched if raw else None,
            "status": status,
            "article_id": article_id,
            "run_id": run_id,
            "ingested": now_iso(),
            "file_id": self._file.id if self._file else None,
        }
        previous = self.db.execute(
            "SELECT id FROM sources WHERE sha256 = ? AND origin = ?", [digest, origin]
        ).fetchone()
        if previous:  # a failed input that now succeeds (after an extractor fix) takes over its row
            self.db["sources"].update(previous[0], row)
            return int(previous[0])
        return self.core.insert("sources", row)

    def _insert_article(self, article: Article, chash: str, raw: RawDocument, run_id: int) -> int:
        """A new article: its story is the one of its most similar earlier copy, else its own."""
        now = now_iso()
        article_id = self.core.next_article_id()
        placement = self.stories.place(article_id, article.body)
        # The source first (without its article), so the article row is written once: every
        # write to it also rewrites its full-text entry through the FTS triggers.
        source_id = self.add_source(raw, raw.data, raw.origin, raw.format, "article", None, run_id)
        row = self.versions.article_row(article, chash, article.url or raw.url)
        row.update(
            {
                "id": article_id,
                "first_seen": now,
                "updated_at": now,
                "version": 1,
                "seq": self.core.next_seq(),
                "story_id": placement.story_id,
                "story_copies": placement.copies,
                "syndicated": int(placement.copies > 1),
                "source_id": source_id,
            }
        )
        self.core.insert("articles", row)
        self.db.execute("UPDATE sources SET article_id = ? WHERE id = ?", [article_id, source_id])
        self.versions.write_relations(article_id, article, new=True)
        self.stories.link(article_id, placement)
        return article_id


def _instant(value: str) -> datetime:
    """An ISO time as an aware datetime (naive ones taken as UTC), for ordering fetch times."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _same_site(
    site: str | None, url_key: str | None, other_site: str | None, other_key: str | None
) -> bool:
    """Whether two articles come from one site: same name or same host; unknown counts as same."""
    names = bool(site and other_site)
    hosts = bool(url_key and other_key)
    if names and site.casefold() == other_site.casefold():  # type: ignore[union-attr]
        return True
    if hosts and url_key.split("/", 1)[0] == other_key.split("/", 1)[0]:  # type: ignore[union-attr]
        return True
    return not (names or hosts)
