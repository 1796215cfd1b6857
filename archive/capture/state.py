"""What a capture remembers between runs, in two tables of the archive database.

`capture_state`: one row per URL asked for (page, feed, sitemap or robots.txt) with the outcome
of its last request and the validators (ETag, Last-Modified) the next conditional request
sends. `capture_warcs`: the WARC files already ingested, so a file left un-ingested by a killed
run is ingested by the next one (and none twice). Both are written in the transaction that
records the wave they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..store import Store, now_iso

STATE_TABLE = "capture_state"
WARCS_TABLE = "capture_warcs"


@dataclass(slots=True)
class Known:
    """What the archive knows of one URL from earlier runs."""

    status: str  # fetched | not_modified | failed | refused
    etag: str | None
    last_modified: str | None
    last_fetched: str | None


def ensure_tables(store: Store) -> None:
    db = store.db
    names = set(db.table_names())
    if {STATE_TABLE, WARCS_TABLE} <= names:
        return
    with store.write_lock(), db.atomic():
        if STATE_TABLE not in db.table_names():
            db[STATE_TABLE].create(
                {
                    "url": str,
                    "kind": str,  # page | feed | sitemap
                    "via": str,  # the feed or sitemap that listed the page, or "argument"
                    "status": str,  # fetched | not_modified | failed | refused
                    "reason": str,  # stable code when failed or refused
                    "http_status": int,
                    "final_url": str,  # where redirects led
                    "etag": str,
                    "last_modified": str,
                    "first_fetched": str,
                    "last_fetched": str,
                    "warc": str,  # the WARC file holding the last exchange
                },
                pk="url",
            )
        if WARCS_TABLE not in db.table_names():
            db[WARCS_TABLE].create(
                {"name": str, "ingested": str, "records": int, "run_id": int}, pk="name"
            )


def known(store: Store, urls: list[str]) -> dict[str, Known]:
    found: dict[str, Known] = {}
    for start in range(0, len(urls), 500):
        part = urls[start : start + 500]
        marks = ",".join("?" * len(part))
        for row in store.db.execute(
            f"SELECT url, status, etag, last_modified, last_fetched FROM {STATE_TABLE} "
            f"WHERE url IN ({marks})",
            part,
        ).fetchall():
            found[row[0]] = Known(row[1], row[2], row[3], row[4])
    return found


def record(store: Store, rows: list[dict[str, Any]]) -> None:
    """Upsert outcomes (call inside the wave's transaction). Validators of a 304 are kept."""
    now = now_iso()
    for row in rows:
        previous = store.db.execute(
            f"SELECT etag, last_modified, first_fetched FROM {STATE_TABLE} WHERE url = ?",
            [row["url"]],
        ).fetchone()
        merged = dict(row, last_fetched=now)
        if previous:
            merged["first_fetched"] = previous[2]
            if row["status"] in ("not_modified", "failed", "refused"):
                merged["etag"] = row.get("etag") or previous[0]
                merged["last_modified"] = row.get("last_modified") or previous[1]
        else:
            merged["first_fetched"] = now
        store.db[STATE_TABLE].upsert(merged, pk="url", alter=False)


def ingested_warcs(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute(f"SELECT name FROM {WARCS_TABLE}").fetchall()}


def mark_ingested(store: Store, name: str, records: int, run_id: int) -> None:
    store.db[WARCS_TABLE].upsert(
        {"name": name, "ingested": now_iso(), "records": records, "run_id": run_id}, pk="name"
    )
