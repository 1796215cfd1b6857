"""`newsarchive verify`: whether SQLite and the Whoosh index hold the same articles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index import writer
from index.errors import IndexCorrupt, IndexMissing

from .index_rows import connection, head, watermark


@dataclass(slots=True)
class VerifyReport:
    """What `newsarchive verify` found; `ok` is True only when SQLite and Whoosh agree."""

    articles: int = 0
    indexed: int = 0
    watermark: int = 0
    head: int = 0
    missing: list[int] = field(default_factory=list)  # in SQLite, not in the index
    pending: list[int] = field(default_factory=list)  # of those, above the watermark
    extra: list[int] = field(default_factory=list)  # in the index, not in SQLite
    stale: list[int] = field(default_factory=list)  # content hash differs
    duplicated: list[int] = field(default_factory=list)  # id indexed more than once
    removed: int = 0  # articles taken out with `newsarchive remove` (archive.removal)
    removed_indexed: list[int] = field(default_factory=list)  # of those, still in the index
    corrupt: str | None = None

    @property
    def ok(self) -> bool:
        return (
            not (
                self.missing
                or self.extra
                or self.stale
                or self.duplicated
                or self.removed_indexed
                or self.corrupt
            )
            and self.watermark <= self.head
        )

    def problems(self) -> list[str]:
        """One sentence per problem, naming the articles (first ten) and the fix."""

        def ids(values: list[int]) -> str:
            shown = ", ".join(str(v) for v in values[:10])
            return shown + (f" and {len(values) - 10} more" if len(values) > 10 else "")

        out = []
        if self.corrupt:
            out.append(f"The index is unreadable: {self.corrupt}")
        if self.missing:
            note = (
                f" ({len(self.pending)} of them changed after the last catch-up; any command catches up)"
                if self.pending
                else ""
            )
            out.append(
                f"{len(self.missing)} article(s) missing from the index: {ids(self.missing)}{note}."
            )
        if self.extra:
            out.append(
                f"{len(self.extra)} indexed article(s) no longer in the archive: {ids(self.extra)}."
            )
        if self.stale:
            out.append(f"{len(self.stale)} article(s) indexed with old content: {ids(self.stale)}.")
        if self.duplicated:
            out.append(
                f"{len(self.duplicated)} article(s) indexed more than once: {ids(self.duplicated)}."
            )
        if self.removed_indexed:
            out.append(
                f"{len(self.removed_indexed)} removed article(s) still in the index: "
                f"{ids(self.removed_indexed)} (any command that can write the index drops them)."
            )
        if self.watermark > self.head:
            out.append(
                f"The index watermark ({self.watermark}) is ahead of the archive ({self.head})."
            )
        if out:
            out.append("Run `newsarchive reindex` to rebuild the index from the archive.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "articles": self.articles,
            "indexed": self.indexed,
            "watermark": self.watermark,
            "head": self.head,
            "missing": self.missing,
            "pending": self.pending,
            "extra": self.extra,
            "stale": self.stale,
            "duplicated": self.duplicated,
            "removed": self.removed,
            "removed_indexed": self.removed_indexed,
            "corrupt": self.corrupt,
            "problems": self.problems(),
        }


def verify(store: Any, index_dir: Path) -> VerifyReport:
    """Compare ids and content hashes between SQLite and Whoosh, as found (no catch-up first)."""
    from index.searcher import indexed_hashes

    report = VerifyReport(watermark=watermark(store), head=head(store))
    rows = connection(store).execute("SELECT id, content_hash, seq FROM articles").fetchall()
    report.articles = len(rows)
    try:
        ix = writer.open_index(Path(index_dir))
        try:
            indexed = indexed_hashes(ix)
        finally:
            ix.close()
    except IndexMissing as exc:
        report.corrupt = str(exc)
        report.missing = sorted(r[0] for r in rows)
        return report
    except IndexCorrupt as exc:
        report.corrupt = str(exc)
        return report
    except Exception as exc:  # reading stored fields can fail on a damaged segment too
        report.corrupt = f"{type(exc).__name__}: {exc}"
        return report
    report.indexed = sum(len(v) for v in indexed.values())
    in_sqlite = {r[0]: (r[1] or "", r[2] or 0) for r in rows}
    for article_id, (chash, seq) in sorted(in_sqlite.items()):
        hashes = indexed.get(article_id)
        if hashes is None:
            report.missing.append(article_id)
            if seq > report.watermark:
                report.pending.append(article_id)
        elif any(h != chash for h in hashes):
            report.stale.append(article_id)
    from .removals_table import removed_ids

    gone = removed_ids(connection(store))
    report.removed = len(gone)
    report.removed_indexed = sorted(gone & set(indexed))
    report.extra = sorted(set(indexed) - set(in_sqlite) - gone)
    report.duplicated = sorted(i for i, hashes in indexed.items() if len(hashes) > 1)
    return report
