"""The fetch and watch commands: capture pages from the web into WARC files, then ingest them.

httpx and the capture package are imported inside the commands: no other command pays for
them, and nothing touches the network unless one of these two runs.
"""

# No `from __future__ import annotations` here: see archive/cli_common.py (start-up time).
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import JsonOption, archive_dir, fail, print_json

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

DelayOption = Annotated[
    float,
    typer.Option("--delay", min=0.0, help="Seconds between two requests to the same host."),
]
ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, help="Requests in flight at once, over all hosts.")
]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Seconds one request may take in all.")
]
RetriesOption = Annotated[
    int, typer.Option("--retries", min=0, help="Extra attempts after a timeout, 429 or 5xx.")
]
MaxSizeOption = Annotated[
    float, typer.Option("--max-size", min=0.001, help="Largest body accepted, in MB.")
]
BatchOption = Annotated[
    int,
    typer.Option(
        "--batch",
        min=1,
        help="Pages per WARC file, each ingested when full (fewer when --max-size is large).",
    ),
]


def parse_duration(text: str) -> float:
    """`15m`, `30s`, `1h`, `250ms` or plain seconds → seconds."""
    match = _DURATION.match(text)
    if not match:
        raise typer.BadParameter(
            f"{text!r} is not a duration; write it like 30s, 15m or 1h.", param_hint="--every"
        )
    return float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]


def _settings(delay: float, concurrency: int, timeout: float, retries: int, max_size: float):  # type: ignore[no-untyped-def]
    from .capture.fetcher import Settings

    return Settings(
        delay=delay,
        concurrency=concurrency,
        timeout=timeout,
        retries=retries,
        backoff=min(1.0, max(0.05, delay)),
        max_bytes=int(max_size * 2**20),
    )


def _read_url_file(path: str) -> list[str]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(
            f"{path}: cannot be read ({exc}); pass a text file with one URL per line."
        ) from None
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _finish(summary, verb: str, json_out: bool, code: int) -> None:  # type: ignore[no-untyped-def]
    if json_out:
        print_json({**summary.to_dict(), "interrupted": code == 130})
    typer.echo(summary.line(verb), err=True)
    raise typer.Exit(code=code)


def _capture(  # type: ignore[no-untyped-def]
    ctx: typer.Context,
    verb: str,
    settings,
    command: list[str],
    job,
    *,
    batch: int,
    json_out: bool,
    recheck: bool = False,
) -> None:
    """Run one capture (fetch or watch) and exit: 0, 1 when some URL failed, 130 when stopped."""
    from .capture.report import Reporter
    from .capture.runner import Stopped, run_capture
    from .store import ArchiveError

    try:
        summary = run_capture(
            archive_dir(ctx), settings, Reporter(), command, job, batch=batch, recheck=recheck
        )
    except Stopped as stop:
        _finish(stop.summary, f"{verb} stopped", json_out, 130)
    except ArchiveError as exc:
        raise fail(str(exc)) from None
    failed = sum(summary.failed.values()) + summary.ingest.failures
    _finish(summary, verb, json_out, 1 if failed else 0)


def fetch(
    ctx: typer.Context,
    urls: Annotated[list[str] | None, typer.Argument(help="Pages to fetch.")] = None,
    from_file: Annotated[
        str | None,
        typer.Option(
            "--from-file", help="A file with one URL per line (# comments), or - for stdin."
        ),
    ] = None,
    sitemap: Annotated[
        list[str] | None,
        typer.Option("--sitemap", help="A sitemap whose pages to fetch (repeatable)."),
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option("--feed", help="An RSS/Atom feed whose items to fetch (repeatable)."),
    ] = None,
    delay: DelayOption = 1.0,
    concurrency: ConcurrencyOption = 4,
    timeout: TimeoutOption = 30.0,
    retries: RetriesOption = 2,
    max_size: MaxSizeOption = 10.0,
    batch: BatchOption = 100,
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck",
            help="Ask again (conditionally) for pages feeds and sitemaps list that were captured before.",
        ),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Fetch pages politely into WARC files in the archive folder, then ingest them.

    Honours robots.txt, waits --delay seconds between requests to one host, retries passing
    failures, follows redirects, refuses non-HTML and oversized bodies, and records every
    request and response in ARCHIVE/warcs/. A second run asks only for what is new, with
    conditional requests (ETag, Last-Modified). Exit 0 when nothing failed, 1 when some URLs
    failed (each is in ingest_errors), 130 when stopped with Ctrl-C (what was done is kept).

    Example:
        newsarchive fetch https://example.org/news/story.html
        newsarchive fetch --feed https://example.org/rss.xml --sitemap https://example.org/sitemap.xml
        newsarchive fetch --from-file urls.txt --delay 2 --concurrency 8
    """
    pages = list(urls or [])
    if from_file:
        pages += _read_url_file(from_file)
    if not (pages or sitemap or feed):
        raise typer.BadParameter("give URLs, --from-file, --sitemap or --feed.", param_hint="URLS")
    _capture(
        ctx,
        "Fetch",
        _settings(delay, concurrency, timeout, retries, max_size),
        sys.argv[1:] or ["fetch", *pages],
        lambda capture: capture.fetch(pages, list(feed or []), list(sitemap or [])),
        batch=batch,
        recheck=recheck,
        json_out=json_out,
    )


def watch(
    ctx: typer.Context,
    feed: Annotated[
        list[str], typer.Option("--feed", help="An RSS/Atom feed to follow (repeatable).")
    ],
    every: Annotated[
        str, typer.Option("--every", help="How often to read the feeds: 30s, 15m, 1h.")
    ] = "15m",
    rounds: Annotated[
        int | None,
        typer.Option("--rounds", min=1, help="Stop after this many rounds (default: never)."),
    ] = None,
    delay: DelayOption = 1.0,
    concurrency: ConcurrencyOption = 4,
    timeout: TimeoutOption = 30.0,
    retries: RetriesOption = 2,
    max_size: MaxSizeOption = 10.0,
    batch: BatchOption = 100,
    json_out: JsonOption = False,
) -> None:
    """Follow feeds: read them every --every, fetch new items' pages, ingest them; until stopped.

    Same politeness and WARC recording as fetch. Stop it with Ctrl-C (or kill) at any moment:
    what was fetched is kept, and the next run resumes where this one was.

    Example:
        newsarchive watch --feed https://example.org/rss.xml --every 15m
        newsarchive watch --feed https://a.example/feed --feed https://b.example/atom --every 1h
    """
    seconds = parse_duration(every)
    _capture(
        ctx,
        "Watch",
        _settings(delay, concurrency, timeout, retries, max_size),
        sys.argv[1:] or ["watch", *feed],
        lambda capture: capture.watch(list(feed), seconds, rounds),
        batch=batch,
        json_out=json_out,
    )
