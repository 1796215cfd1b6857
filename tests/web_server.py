"""Helpers for the web tests: a real archive built from the corpus truth, a real server process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import ROOT, load_truth, truth_article

EVIL = "<script>alert(1)</script>"
EVIL_TITLE = f"Stadia rival {EVIL} unveiled"


def build_archive(folder: Path) -> dict[str, int]:
    """The 109 truth articles plus one hostile row; returns {truth id: article id}."""
    from archive.store import Extracted, Store
    from ingest.model import Article, RawDocument

    store = Store.open(folder)
    run_id = store.start_run(["tests"])
    items = []
    rows = load_truth()
    for row in rows:
        raw = RawDocument(
            origin=f"truth.jsonl#{row['id']}",
            data=json.dumps(row, ensure_ascii=False).encode(),
            format="json",
            url=row.get("url"),
        )
        items.append(Extracted(raw=raw, article=truth_article(row)))
    evil = Article(
        title=EVIL_TITLE,
        authors=[f"Mallory {EVIL}"],
        published="2019-11-21",
        category=f"Hacks {EVIL}",
        site_name="Evil Gazette",
        url="javascript:alert(1)",
        language="en",
        body=f"The console maker said {EVIL} would ship soon.\n\nA second paragraph about Stadia.",
        captions=[f"<img src=x onerror=alert(1)> {EVIL}"],
    )
    items.append(
        Extracted(
            raw=RawDocument(origin="evil.json", data=b'{"evil": true}', format="json"), article=evil
        )
    )
    result = store.write_batch(items, run_id)
    store.close()
    ids = {row["id"]: article_id for row, article_id in zip(rows, result.added, strict=False)}
    ids["evil"] = result.added[-1]
    return ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(archive: Path, *args: str, log: Path | None = None) -> Iterator[str]:
    """`newsarchive serve` in a subprocess on a free port; yields its base URL."""
    port = free_port()
    log = log or archive.parent / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from archive.cli import main; main()",
                "--archive",
                str(archive),
                "serve",
                "--port",
                str(port),
                *args,
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"serve exited with {proc.returncode}: {log.read_text()[-3000:]}"
                    )
                try:
                    if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"serve did not answer within 60 s: {log.read_text()[-3000:]}"
                    )
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
