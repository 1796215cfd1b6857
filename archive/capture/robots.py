"""robots.txt, fetched once per host and run, read with `urllib.robotparser` (RFC 9309 rules).

A robots.txt that is missing (4xx) allows everything; one that cannot be reached (5xx, network
error) disallows everything for the run, as the RFC asks: a server in trouble is not a reason
to crawl it harder. `Crawl-delay` slows the host down, never speeds it up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

MAX_ROBOTS_BYTES = 512 * 1024  # the RFC lets a crawler stop reading at 500 KiB
MAX_CRAWL_DELAY = 60.0

# (url) -> (HTTP status, body); the fetcher records the exchange, and raises its own error
# (with `reason` and `message`) when no response came at all
RobotsGetter = Callable[[str], Awaitable[tuple[int, bytes]]]


@dataclass(slots=True)
class Rules:
    parser: RobotFileParser | None  # None: everything allowed
    unreachable: bool = False  # 5xx or network error: everything disallowed
    crawl_delay: float | None = None
    error: tuple[str, str] | None = None  # (reason, message) when no response came at all


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class RobotsCache:
    def __init__(self, get: RobotsGetter, user_agent: str) -> None:
        self._get = get
        self._agent = user_agent.split("/", 1)[0]  # the product token: "newsarchive"
        self._rules: dict[str, Rules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def rules(self, url: str) -> Rules:
        origin = origin_of(url)
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one robots.txt request per host, however many pages wait for it
            if origin not in self._rules:
                self._rules[origin] = await self._load(origin)
        return self._rules[origin]

    async def _load(self, origin: str) -> Rules:
        try:
            status, body = await self._get(origin + "/robots.txt")
        except Exception as exc:  # the fetcher's own error: DNS, TLS, timeout, refused...
            reason = getattr(exc, "reason", "network")
            message = getattr(exc, "message", str(exc))
            return Rules(None, unreachable=True, error=(reason, message))
        if status >= 500 or status == 429:
            return Rules(None, unreachable=True)
        if status >= 400 or status < 200 or status >= 300:
            return Rules(None)  # no robots.txt (or one behind redirects we gave up on)
        parser = RobotFileParser()
        text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        parser.parse(text.splitlines())
        delay = parser.crawl_delay(self._agent)
        return Rules(parser, crawl_delay=min(float(delay), MAX_CRAWL_DELAY) if delay else None)

    async def allowed(self, url: str) -> tuple[bool, str | None]:
        """Whether robots.txt lets us fetch `url`; the reason code when it does not."""
        rules = await self.rules(url)
        if rules.error:
            return False, rules.error[0]
        if rules.unreachable:
            return False, "robots_unreachable"
        if rules.parser is not None and not rules.parser.can_fetch(self._agent, url):
            return False, "robots_txt"
        return True, None

    def crawl_delay(self, url: str) -> float | None:
        rules = self._rules.get(origin_of(url))
        return rules.crawl_delay if rules else None
