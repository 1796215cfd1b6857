"""`newsarchive export`: every matching article, body and metadata, as JSON Lines, CSV or Parquet.

Rows are read in keyset pages of `PAGE` articles (by id) and written as they come, so memory
stays flat whatever the archive's size. A query goes through Whoosh once for the matching
ids (a list of integers); without one, the filters are plain SQL. The JSON Lines records use
the Article field names (`site_name`, not `site`), so `newsarchive ingest` reads an export
back to the same articles; the archive's own fields (`id`, `story_id`, `first_seen`...) ride
along and are ignored by ingest.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

PAGE = 500
FORMATS = ("jsonl", "csv", "parquet")
COLUMNS = (
    "id",
    "title",
    "authors",
    "published",
    "category",
    "site_name",
    "url",
    "language",
    "dateline",
    "wire",
    "body",
    "captions",
    "word_count",
    "content_hash",
    "story_id",
    "story_copies",
    "version",
    "first_seen",
    "updated_at",
)
_SQL_COLUMNS = (
    "id, title, authors, published, category, site, url, language, dateline, wire, body, "
    "word_count, content_hash, story_id, story_copies, version, first_seen, updated_at"
)


class ExportError(Exception):
    """An export that cannot be made as asked; the message names the fix."""


@dataclass(slots=True)
class ExportFilters:
    query: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None


def _resolve(db: Any, sql: str, typed: tuple[str, ...]) -> list[str]:
    """The stored values the typed ones name, as `search --author/--category/--site` finds
    them (`index.fieldvalues`: case and accents aside, a surname or one word of a name)."""
    from index.fieldvalues import matching

    values = [r[0] for r in db.execute(sql).fetchall() if r[0]]
    return sorted({name for value in typed for name in matching(value, values)})


def _sql_filters(db: Any, f: ExportFilters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []

    def any_of(column: str, values: list[str]) -> None:
        clauses.append(f"{column} IN ({','.join('?' * len(values))})" if values else "0")
        params.extend(values)

    if f.sites:
        any_of("site", _resolve(db, "SELECT DISTINCT site FROM articles", f.sites))
    if f.categories:
        any_of("category", _resolve(db, "SELECT DISTINCT category FROM articles", f.categories))
    if f.authors:
        names = _resolve(db, "SELECT name FROM authors", f.authors)
        marks = ",".join("?" * len(names))
        clauses.append(
            "id IN (SELECT aa.article_id FROM article_authors aa"
            f" JOIN authors au ON au.id = aa.author_id WHERE au.name IN ({marks}))"
        )
        params.extend(names)
    if f.since:
        clauses.append("published >= ?")
        params.append(f.since)
    if f.until:  # inclusive: until 2024-05 takes every day of May
        clauses.append("substr(published, 1, ?) <= ?")
        params += [len(f.until), f.until]
    return (" AND " + " AND ".join(clauses)) if clauses else "", params


def matching_ids(store: Any, index_dir: Path, f: ExportFilters) -> list[int]:
    """Ids of every article the query matches under the filters, in id order (Whoosh)."""
    from index import searcher as isearch
    from index.writer import open_index

    ix = open_index(Path(index_dir))
    try:
        found = isearch.search(
            ix,
            f.query or "",
            filters=isearch.Filters(
                authors=list(f.authors),
                categories=list(f.categories),
                sites=list(f.sites),
                since=f.since,
                until=f.until,
            ),
            sort="oldest",
            all_hits=True,
        )
    finally:
        ix.close()
    return sorted(found.ids)


def count_rows(store: Any, f: ExportFilters, ids: list[int] | None) -> int:
    if ids is not None:
        return len(ids)
    where, params = _sql_filters(store.db, f)
    return int(
        store.db.execute(f"SELECT count(*) FROM articles WHERE 1{where}", params).fetchone()[0]
    )


def iter_rows(
    store: Any, f: ExportFilters, ids: list[int] | None = None
) -> Iterator[dict[str, Any]]:
    """Every matching article as an export record, in id order, PAGE rows in memory at most."""
    db = store.db
    where, params = _sql_filters(db, f)
    last, position = -1, 0
    while True:
        if ids is None:
            cursor = db.execute(
                f"SELECT {_SQL_COLUMNS} FROM articles WHERE id > ?{where} ORDER BY id LIMIT ?",
                [last, *params, PAGE],
            )
        else:
            chunk = ids[position : position + PAGE]
            position += PAGE
            if not chunk:
                return
            marks = ",".join("?" * len(chunk))
            cursor = db.execute(
                f"SELECT {_SQL_COLUMNS} FROM articles WHERE id IN ({marks}) ORDER BY id", chunk
            )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        if not rows:
            if ids is None:
                return
            continue  # removed since the search: the next chunk
        captions = _captions(db, [r["id"] for r in rows])
        for row in rows:
            row["site_name"] = row.pop("site")
            row["authors"] = json.loads(row["authors"]) if row["authors"] else []
            row["captions"] = captions.get(row["id"], [])
            yield {name: row.get(name) for name in COLUMNS}
        last = rows[-1]["id"]


def _captions(db: Any, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    marks = ",".join("?" * len(ids))
    for article_id, text in db.execute(
        f"SELECT article_id, text FROM captions WHERE article_id IN ({marks})"
        " ORDER BY article_id, position",
        ids,
    ):
        out.setdefault(article_id, []).append(text)
    return out


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str], tick: Callable[[], None]) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
        tick()
    return n


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str], tick: Callable[[], None]) -> int:
    """One row per article; authors and captions joined with "; " (JSON Lines keeps lists)."""
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    n = 0
    for row in rows:
        flat = dict(row)
        flat["authors"] = "; ".join(row["authors"])
        flat["captions"] = "; ".join(row["captions"])
        writer.writerow(flat)
        n += 1
        tick()
    return n


def write_parquet(rows: Iterator[dict[str, Any]], out: IO[bytes], tick: Callable[[], None]) -> int:
    """Parquet through pyarrow (imported here only), one row group per PAGE articles."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise ExportError(f"Parquet needs pyarrow ({exc}): pip install pyarrow.") from exc
    text, number = pa.string(), pa.int64()
    schema = pa.schema(
        [
            ("id", number),
            ("title", text),
            ("authors", pa.list_(text)),
            ("published", text),
            ("category", text),
            ("site_name", text),
            ("url", text),
            ("language", text),
            ("dateline", text),
            ("wire", text),
            ("body", text),
            ("captions", pa.list_(text)),
            ("word_count", number),
            ("content_hash", text),
            ("story_id", number),
            ("story_copies", number),
            ("version", number),
            ("first_seen", text),
            ("updated_at", text),
        ]
    )
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        page: list[dict[str, Any]] = []
        for row in rows:
            page.append(row)
            n += 1
            tick()
            if len(page) >= PAGE:
                writer.write_table(pa.Table.from_pylist(page, schema=schema))
                page = []
        if page or n == 0:
            writer.write_table(pa.Table.from_pylist(page, schema=schema))
    return n


def export(
    rows: Iterator[dict[str, Any]],
    fmt: str,
    output: Path | None,
    stdout: IO[str],
    tick: Callable[[], None] = lambda: None,
) -> int:
    """Write `rows` in `fmt` to `output` (a file, written whole or not at all) or stdout."""
    if fmt not in FORMATS:
        raise ExportError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}.")
    if fmt == "parquet" and output is None:
        raise ExportError("Parquet is binary: write it to a file with --output FILE.")
    if output is None:
        return (write_jsonl if fmt == "jsonl" else write_csv)(rows, stdout, tick)
    partial = output.with_name(output.name + ".partial")
    try:
        if fmt == "parquet":
            with partial.open("wb") as fh:
                n = write_parquet(rows, fh, tick)
        else:
            with partial.open("w", encoding="utf-8", newline="") as fh:
                n = (write_jsonl if fmt == "jsonl" else write_csv)(rows, fh, tick)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    return n
