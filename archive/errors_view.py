"""Failed inputs, one per input: what `errors`, `stats` and `ingest --retry-failed` see.

`ingest_errors` has one row per failed attempt: an input retried twice has three rows. An
input is named by its `origin` (a path, `path:LINE`, `path#N`); it is *failed* while its
latest attempt failed, that is while no input of that origin was archived in the same run
or a later one (a retry that succeeded, or the file fixed in place and ingested again).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `stats --json` imports this module and must not load ingest/
    from ingest.model import Failure, RawDocument

# The latest attempt of every origin that failed, unless an archived input of that origin
# came from the same run or a later one. One scan of each table, no per-row subquery.
FAILED_INPUTS = """
WITH attempts AS (
  SELECT origin, max(id) AS last_id, count(*) AS attempts, min(created) AS first_failed
  FROM ingest_errors GROUP BY origin
), archived AS (
  SELECT origin, max(run_id) AS run_id FROM sources
  WHERE status NOT IN ('failed') AND origin IN (SELECT origin FROM ingest_errors)
  GROUP BY origin
)
SELECT e.id, e.origin, e.reason, e.message, e.source_id, e.run_id, e.created,
       a.attempts, a.first_failed
FROM attempts a JOIN ingest_errors e ON e.id = a.last_id
LEFT JOIN archived ok ON ok.origin = e.origin
WHERE ok.run_id IS NULL OR ok.run_id < e.run_id
"""


@dataclass(slots=True)
class FailedInput:
    origin: str
    reason: str
    message: str
    attempts: int
    first_failed: str
    last_failed: str
    run_id: int
    source_id: int | None  # its kept bytes, when any could be read

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def failed_inputs(db: Any, reason: str | None = None) -> list[FailedInput]:
    """Every input whose latest attempt failed, by origin; `reason` keeps one reason code."""
    sql = f"SELECT * FROM ({FAILED_INPUTS})"
    params: list[Any] = []
    if reason:
        sql += " WHERE reason = ?"
        params.append(reason)
    sql += " ORDER BY origin"
    return [
        FailedInput(
            origin=origin,
            reason=why,
            message=message,
            attempts=attempts,
            first_failed=first,
            last_failed=created,
            run_id=run_id,
            source_id=source_id,
        )
        for (_id, origin, why, message, source_id, run_id, created, attempts, first) in db.execute(
            sql, params
        ).fetchall()
    ]


def failed_by_reason(db: Any, top: int = 10) -> dict[str, int]:
    """Failed inputs per reason code (each input once, under its latest reason)."""
    rows = db.execute(
        f"SELECT reason, count(*) n FROM ({FAILED_INPUTS}) GROUP BY reason"
        " ORDER BY n DESC, reason LIMIT ?",
        [top],
    ).fetchall()
    return {str(reason): int(n) for reason, n in rows}


def count_failed(db: Any) -> int:
    return int(db.execute(f"SELECT count(*) FROM ({FAILED_INPUTS})").fetchone()[0])


def retry_documents(db: Any, reason: str | None = None) -> Iterator[RawDocument | Failure]:
    """The failed inputs again, from their kept bytes; an input with none is read again from
    its path when that file still exists (a missing or unreadable file), else reported."""
    from ingest.model import Failure
    from ingest.readers import iter_documents

    from .raw_read import raw_document

    for item in failed_inputs(db, reason):
        doc = raw_document(db, item.source_id) if item.source_id else None
        if doc is not None:
            yield doc
        elif Path(item.origin).is_file():
            yield from iter_documents([item.origin])
        else:
            yield Failure(
                item.origin,
                item.reason,
                f"{item.origin}: cannot be retried: no bytes of it were kept and the file is"
                " gone; ingest it again from where it is now.",
            )
