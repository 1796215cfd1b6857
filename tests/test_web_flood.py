"""A flood of slow arbitrary SQL must not starve cheap requests (issues 6 and 7).

Datasette runs every query on one pool of SQL threads (3 by default): ten clients sending
queries that run to the time limit kept a 2 ms table page waiting for seconds (TRAPS.md).
Here ten clients hammer `/news.json?sql=` with a recursive CTE that never ends on its own,
while one visitor times a table page, the search API and an article page.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.web_server import build_archive, running_server

RUNAWAY = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
CLIENTS = 10
CHEAP_LIMIT_S = 1.5


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("flood") / "archive"
    return folder, build_archive(folder)


class Flood:
    """`CLIENTS` threads, each sending the runaway query again as soon as it is answered."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.statuses: list[int] = []
        self.errors: list[str] = []
        self.in_flight = 0
        self.threads = [threading.Thread(target=self._client) for _ in range(CLIENTS)]

    def _client(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            while not self.stop.is_set():
                with self.lock:
                    self.in_flight += 1
                response = client.get("/news.json", params={"sql": RUNAWAY})
                with self.lock:
                    self.in_flight -= 1
                    self.statuses.append(response.status_code)
                    if response.status_code == 503:
                        self.errors.append(response.headers.get("retry-after", ""))
                    elif response.status_code == 400:
                        self.errors.append(response.json()["error"])
                if response.status_code == 503:
                    time.sleep(0.05)  # a client that retries at once, nearly

    def __enter__(self) -> Flood:
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)  # every client has a query running or refused by now
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def _timed(client: httpx.Client, path: str, **params: object) -> tuple[float, httpx.Response]:
    start = time.monotonic()
    response = client.get(path, params=params)
    return time.monotonic() - start, response


@pytest.mark.slow
def test_slow_sql_flood_leaves_cheap_requests_fast(archive: tuple[Path, dict]) -> None:
    folder, ids = archive
    article = ids[next(iter(ids))]
    timings: dict[str, list[float]] = {"table": [], "search": [], "article": []}
    log = folder.parent / "flood-serve.log"
    with (
        running_server(folder, log=log) as base,
        httpx.Client(base_url=base, timeout=20) as visitor,
    ):
        _timed(visitor, "/news/articles", _size=5)  # templates and facets warmed up
        _timed(visitor, "/search.json", q="stadia")
        with Flood(base) as flood:
            for _ in range(3):
                seconds, response = _timed(visitor, "/news/articles", _size=5)
                assert response.status_code == 200 and "<table" in response.text
                timings["table"].append(seconds)
                seconds, response = _timed(visitor, "/search.json", q="stadia")
                assert response.status_code == 200 and response.json()["total"] >= 1
                timings["search"].append(seconds)
                seconds, response = _timed(visitor, f"/article/{article}")
                assert response.status_code == 200
                timings["article"].append(seconds)
            assert flood.in_flight > 0, "the flood ended before the visitor was done"
        statuses = set(flood.statuses)
    worst = {name: max(values) for name, values in timings.items()}
    print(f"\nworst cheap request under a {CLIENTS}-client slow SQL flood: {worst}")
    assert all(seconds < CHEAP_LIMIT_S for seconds in worst.values()), worst
    # every runaway query was cut off by the time limit or refused as busy: none ran forever
    assert statuses <= {400, 503}, statuses
    assert 400 in statuses  # some did run (to the time limit): SQL is throttled, not disabled
    assert all("took too long" in e or e.isdigit() for e in flood.errors), flood.errors[:3]
    # a timed-out query is the visitor's error: no traceback printed on the event loop for it
    assert "Traceback" not in log.read_text(errors="replace")


# ---------------------------------------------------------------- the cap itself, in process
def _scope(query: bytes, path: str = "/news.json") -> dict:
    return {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": []}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"sql=select+1", True),
        (b"_size=5&_where=id%3E1", True),
        (b"_size=5&sql=", True),
        (b"_size=5", False),
        (b"q=sql%3Dselect", False),  # a search for the words "sql=select"
        (b"_search=sql", False),
        (b"", False),
    ],
)
def test_visitor_sql_is_recognised(query: bytes, expected: bool) -> None:
    from archive.web.throttle import writes_sql

    assert writes_sql(_scope(query)) is expected


def test_requests_past_the_cap_get_503_and_others_pass() -> None:
    import asyncio
    import json

    from archive.web.throttle import with_sql_cap

    release = asyncio.Event()

    async def app(scope: dict, receive: object, send) -> None:  # type: ignore[no-untyped-def]
        if b"sql=" in scope["query_string"]:
            await release.wait()  # a query running to the time limit
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    capped = with_sql_cap(app, limit=2, time_limit_ms=1500)

    async def call(scope: dict) -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await capped(scope, None, send)
        return sent

    async def scenario() -> None:
        slow = [asyncio.create_task(call(_scope(b"sql=select+1"))) for _ in range(2)]
        await asyncio.sleep(0)
        refused = await call(_scope(b"sql=select+2"))
        refused_html = await call(_scope(b"sql=select+2", path="/news"))
        table = await call(_scope(b"_size=5", path="/news/articles"))
        assert refused[0]["status"] == 503
        assert dict(refused[0]["headers"])[b"retry-after"] == b"2"
        assert "busy" in json.loads(refused[1]["body"])["error"]
        assert refused_html[0]["status"] == 503 and b"try again" in refused_html[1]["body"]
        assert table[0]["status"] == 200
        release.set()
        assert [(await t)[0]["status"] for t in slow] == [200, 200]
        again = await call(_scope(b"sql=select+3"))  # slots are given back
        assert again[0]["status"] == 200

    asyncio.run(scenario())


def test_serve_refuses_a_cap_that_leaves_pages_no_thread(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from archive.cli import app

    args = ["--archive", str(tmp_path), "serve", "--sql-threads", "4", "--max-sql-requests", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "--max-sql-requests 4" in result.output and "--sql-threads" in result.output
