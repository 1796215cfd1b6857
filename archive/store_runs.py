"""`ingest_runs`: one row per ingest, so a reader can tell what each run added, and a run
killed mid-way is marked `interrupted` (with what it committed) instead of `running` for ever.
"""

from __future__ import annotations

import json
import os

from .store_base import StoreCore, now_iso
from .store_write import BatchResult


class Runs:
    """Starts and finishes ingest runs; closes the runs of processes that died."""

    def __init__(self, core: StoreCore) -> None:
        self.core = core

    def start(self, arguments: list[str]) -> int:
        core = self.core
        with core.write_lock(), core.db.atomic():
            self._close_abandoned()
            table = core.db["ingest_runs"].insert(
                {
                    "pid": os.getpid(),
                    "started": now_iso(),
                    "arguments": json.dumps(arguments),
                    "status": "running",
                    "added": 0,
                    "updated": 0,
                    "duplicates": 0,
                    "unchanged": 0,
                    "failed": 0,
                }
            )
        return int(table.last_pk)

    def finish(self, run_id: int, totals: BatchResult, status: str = "done") -> None:
        core = self.core
        with core.write_lock(), core.db.atomic():
            core.db["ingest_runs"].update(
                run_id,
                {
                    "finished": now_iso(),
                    "added": len(totals.added),
                    "updated": len(totals.updated),
                    "duplicates": totals.duplicates,
                    "unchanged": totals.unchanged,
                    "failed": totals.failures,
                    "status": status,
                },
            )

    def _close_abandoned(self) -> None:
        """Runs still 'running' whose process is gone were killed: say so instead of for ever."""
        db = self.core.db
        table = db["ingest_runs"]
        if "pid" not in table.columns_dict:  # archives from before runs kept their process id
            table.add_column("pid", int)
        for run_id, pid in db.execute(
            "SELECT id, pid FROM ingest_runs WHERE status = 'running'"
        ).fetchall():
            if pid and pid != os.getpid() and not _process_alive(pid):
                table.update(
                    run_id,
                    {"status": "interrupted", "finished": now_iso(), **self._counts(run_id)},
                )

    def _counts(self, run_id: int) -> dict[str, int]:
        """What a killed run committed, counted from the rows it left (it never got to say):
        inputs it archived by status, and the failures it recorded."""
        db = self.core.db
        by_status = dict(
            db.execute(
                "SELECT status, count(*) FROM sources WHERE run_id = ? GROUP BY status", [run_id]
            ).fetchall()
        )
        columns = {r[1] for r in db.execute("PRAGMA table_info(ingest_errors)").fetchall()}
        failures = "sum(coalesce(count, 1))" if "count" in columns else "count(*)"
        failed = db.execute(
            f"SELECT coalesce({failures}, 0) FROM ingest_errors WHERE run_id = ?", [run_id]
        ).fetchone()[0]
        return {
            "added": by_status.get("article", 0),
            "updated": by_status.get("update", 0),
            "duplicates": by_status.get("duplicate", 0),
            "failed": int(failed),
        }


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
