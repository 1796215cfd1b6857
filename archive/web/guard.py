"""What a visitor may not see or call, and which Datasette errors are the visitor's own.

- Every SQLite connection gets an authorizer: `fts3_tokenizer()` (which hands out a native
  pointer) is refused; under `--public` the `file` column of `pragma_database_list` reads as
  NULL, so visitor SQL cannot learn where the archive lives on disk.
- Under `--public`, visitor SQL and table pages cannot read what is kept but not published:
  the `removals` audit rows (the title, URL and reason of a takedown) are refused (403), and
  the raw bytes in `source_blobs` read as NULL (a container file, such as a JSON Lines file,
  still holds the bytes of a removed record inside it). The local profile shows both.
- Under `--public`, `/-/databases` (the absolute path of each database) and `/-/threads`
  answer 404.
- Datasette raises `DatasetteError` with status 500 for mistakes in a visitor's parameters
  (`?_sort=nosuchcol`, `?nosuch__contains=x`, an FTS5 syntax error): those become 400 with
  one line, instead of a 500 and a 27 KB traceback on the event loop (issue 18).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .security import ASGIApp

REFUSED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension", "readfile", "writefile"})
PUBLIC_HIDDEN = ("/-/databases", "/-/threads")
PUBLIC_REFUSED_TABLES = frozenset({"removals"})
PUBLIC_NULL_COLUMNS = frozenset({("source_blobs", "content")})
# SQLite and Datasette messages that describe a mistake in the request, not a broken server
VISITOR_MISTAKES = (
    "cannot sort table by",
    "cannot use _sort and _sort_desc",
    "invalid _through",
    "no such column",
    "no such function",
    "fts5:",
    "malformed match",
    "unknown special query",
    "unrecognized token",
    "syntax error",
    "parse error",
    "like or glob pattern too complex",
    "string or blob too big",
    "parser stack overflow",
    "expression tree is too large",
    "too many sql variables",
    "not authorized",
    "interrupted",
    "wrong number of arguments",
)


def _authorizer(public: bool) -> Any:
    def authorize(action: int, arg1: Any, arg2: Any, db: Any, trigger: Any) -> int:
        if action == sqlite3.SQLITE_FUNCTION and str(arg2).lower() in REFUSED_FUNCTIONS:
            return sqlite3.SQLITE_DENY
        if public and action == sqlite3.SQLITE_READ:
            if arg1 in PUBLIC_REFUSED_TABLES:
                return sqlite3.SQLITE_DENY
            if (arg1, arg2) in PUBLIC_NULL_COLUMNS:
                return sqlite3.SQLITE_IGNORE
            if arg1 == "pragma_database_list":
                return sqlite3.SQLITE_IGNORE if arg2 == "file" else sqlite3.SQLITE_OK
        return sqlite3.SQLITE_OK

    return authorize


def guard_connection(conn: sqlite3.Connection, *, public: bool) -> None:
    """Install the authorizer (called at statement preparation only: no cost per row)."""
    conn.set_authorizer(_authorizer(public))


def visitor_status(exception: Exception) -> int | None:
    """The 4xx status for an error the visitor caused; None for a real failure."""
    status = int(getattr(exception, "status", 500) or 500)
    if status < 500:
        return status
    message = str(getattr(exception, "message", None) or exception).lower()
    if "is prohibited" in message:  # the authorizer refused a table (PUBLIC_REFUSED_TABLES)
        return 403
    if any(mistake in message for mistake in VISITOR_MISTAKES):
        return 400
    return None


async def not_found(send: Any) -> None:
    body = b"Not found.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def with_hidden_paths(app: ASGIApp, *, public: bool) -> ASGIApp:
    """Under --public, 404 for the introspection pages that show server paths and threads."""
    if not public:
        return app

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = str(scope.get("path") or "").rstrip("/")
        if scope["type"] == "http" and path.startswith(PUBLIC_HIDDEN):
            await not_found(send)
            return
        await app(scope, receive, send)

    return wrapped


SORT_PARAMETERS = ("_sort", "_sort_desc")
EXTENSIONS = (".json", ".csv", ".atom")


def sort_checker(datasette: Any) -> Any:
    """An async check answering the 400 message for a sort by a column a table cannot be
    sorted by, before the request waits for a costly slot (a flood of `?_sort=nosuchcol`
    otherwise queued behind real work and got 503 instead of its one line)."""
    from urllib.parse import parse_qsl

    sortable: dict[tuple[str, str], set[str] | None] = {}

    async def columns(database: str, table: str) -> set[str] | None:
        key = (database, table)
        if key not in sortable:
            db = datasette.databases[database]
            if not await db.table_exists(table):
                sortable[key] = None  # a view, a canned query: Datasette decides
            else:
                meta = datasette.table_metadata(database, table) or {}
                names = meta.get("sortable_columns") or await db.table_columns(table)
                sortable[key] = {*names, "rowid"}
        return sortable[key]

    async def check(scope: dict[str, Any]) -> str | None:
        raw = scope.get("query_string") or b""
        if b"_sort" not in raw:
            return None
        parts = str(scope.get("path") or "").strip("/").split("/")
        if len(parts) != 2 or parts[0] not in datasette.databases:
            return None
        database, table = parts
        for extension in EXTENSIONS:
            table = table.removesuffix(extension)
        wanted = [
            v for k, v in parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
            if k in SORT_PARAMETERS
        ]  # fmt: skip
        allowed = await columns(database, table) if wanted else None
        if allowed is None:
            return None
        for column in wanted:
            if column not in allowed:
                names = ", ".join(sorted(allowed - {"rowid"}))
                return f"Cannot sort {table} by {column!r}: sort by one of {names}."
        return None

    return check
