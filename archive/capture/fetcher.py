"""Polite HTTP fetching with httpx: robots.txt, one request at a time per host, retries, caps.

Every attempt is written to the current WARC file as it happens: the request record before
the request is sent, then the response as received (body as sent, cut at the size cap and
marked `WARC-Truncated`), or a metadata record naming why no response came. Redirects are
followed here, hop by hop, so each hop is recorded and checked against robots.txt; a loop or
too many hops is a failure, not a hang. Each failure carries a stable reason code.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urljoin, urlsplit

import httpx

from .robots import RobotsCache
from .warcs import WarcSink

PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = (
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "text/plain",  # plain-text sitemaps, and feeds served carelessly
    "application/x-gzip",  # sitemap.xml.gz
    "application/gzip",
    "application/octet-stream",
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_WAIT = 60.0
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def user_agent() -> str:
    try:
        release = version("newsarchive")
    except PackageNotFoundError:  # running from a source tree without an install
        release = "dev"
    return f"newsarchive/{release} (news archive capture; obeys robots.txt)"


@dataclass(slots=True)
class Settings:
    delay: float = 1.0  # seconds between the end of one request to a host and the next
    concurrency: int = 4  # requests in flight at once, over all hosts
    timeout: float = 30.0  # seconds for one request, first byte to last
    retries: int = 2  # extra attempts after a transient failure (timeout, 429, 5xx, reset)
    backoff: float = 1.0  # first wait before a retry; doubles each time
    max_redirects: int = 10
    max_bytes: int = 10 * 2**20  # a body past this is cut off and refused (endless bodies too)
    user_agent: str = ""

    def __post_init__(self) -> None:
        self.user_agent = self.user_agent or user_agent()


@dataclass(slots=True)
class Outcome:
    """What became of one URL asked for (after redirects and retries)."""

    url: str
    kind: str  # page | feed | sitemap
    status: str  # fetched | not_modified | refused | failed
    reason: str | None = None
    message: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body: bytes | None = None  # decoded body of a feed or sitemap, for discovery
    via: str | None = None  # the feed or sitemap that listed it ("argument" when given)


class FetchError(Exception):
    def __init__(self, reason: str, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.transient = transient


@dataclass(slots=True)
class Exchange:
    status: int
    headers: httpx.Headers
    body: bytes
    refusal: tuple[str, str] | None  # (reason, message) when the body was refused


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched (a sentence), or None. Checked before any DNS look-up."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii").lower()  # IDNA-encoded by httpx
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return f"is not a valid URL ({exc})"
    if parsed.scheme not in ("http", "https"):
        return "is not an http:// or https:// URL"
    if not host:
        return "has no host name"
    if host.startswith("[") or re.fullmatch(r"[0-9.]+", host) or ":" in host:
        return None  # an IP literal
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"has an invalid host name {host!r}"
    return None


def classify(exc: BaseException, timeout: float) -> FetchError:
    """A transport error as a reason code and a sentence; `transient` ones are retried."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return FetchError("timeout", f"no complete response within {timeout:g} s", transient=True)
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in text or "certificate" in text:
        return FetchError("tls", f"the TLS handshake failed ({exc})")
    if any(isinstance(e, socket.gaierror) for e in chain) or re.search(
        r"name resolution|Name or service not known|nodename nor servname|No address associated",
        text,
    ):
        return FetchError("dns", f"the host name could not be resolved ({exc})")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL | UnicodeError):
        return FetchError("bad_url", f"is not a URL that can be fetched ({exc})")
    if "refused" in text.lower():
        return FetchError("connection_refused", "the server refused the connection", transient=True)
    if isinstance(exc, httpx.RemoteProtocolError):
        return FetchError(
            "protocol_error", f"the server broke the HTTP exchange ({exc})", transient=True
        )
    return FetchError(
        "network", f"the connection failed ({type(exc).__name__}: {exc})", transient=True
    )


def _media_type(headers: httpx.Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after", "").strip()
    return min(float(value), MAX_RETRY_WAIT) if value.isdigit() else None


def decoded(body: bytes, headers: httpx.Headers, limit: int) -> bytes:
    """A recorded body with its Content-Encoding (and a gzip file's own gzip) undone, bounded."""
    encoding = headers.get("content-encoding", "").strip().lower()
    for _ in range(2):
        if encoding in ("gzip", "x-gzip", "deflate") or body[:2] == b"\x1f\x8b":
            wbits = 16 + zlib.MAX_WBITS if body[:2] == b"\x1f\x8b" else zlib.MAX_WBITS
            try:
                body = zlib.decompressobj(wbits).decompress(body, limit)
            except zlib.error:
                return body
            encoding = ""
    return body


class HostGate:
    """One request at a time per host, `delay` seconds after the previous one ended."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def turn(self, host: str, delay: float) -> AsyncIterator[None]:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = self._last.get(host, float("-inf")) + delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last[host] = time.monotonic()


class Fetcher:
    """Fetch URLs politely, recording every exchange in `sink()` (the current WARC file)."""

    def __init__(self, settings: Settings, sink: Callable[[], WarcSink]) -> None:
        self.settings = settings
        self.sink = sink
        self.gate = HostGate()
        self.slots = asyncio.Semaphore(max(1, settings.concurrency))
        self.robots = RobotsCache(self._robots_get, settings.user_agent)
        self.client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max(1, settings.concurrency)),
        )

    def forget_robots(self) -> None:
        """Read robots.txt again on the next request to each host (each round of `watch`)."""
        self.robots = RobotsCache(self._robots_get, self.settings.user_agent)

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ one URL
    async def fetch(
        self,
        url: str,
        kind: str = "page",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Outcome:
        """Fetch `url` (conditionally when validators are given); never raises for the URL's sake."""
        problem = url_problem(url)
        if problem:
            return Outcome(url, kind, "failed", "bad_url", f"{url}: {problem}.")
        seen = {url}
        current = url
        for hop in range(self.settings.max_redirects + 1):
            allowed, why = await self.robots.allowed(current)
            if not allowed and why not in ("robots_txt", "robots_unreachable"):
                message = (
                    f"{url}: {(await self.robots.rules(current)).error[1]} (asking for robots.txt)."  # type: ignore[index]
                )
                return Outcome(url, kind, "failed", why, message, final_url=current)
            if not allowed:
                return Outcome(url, kind, "refused", why, _refusal(url, current, why))
            conditional = {}
            if hop == 0 and etag:
                conditional["If-None-Match"] = etag
            if hop == 0 and last_modified:
                conditional["If-Modified-Since"] = last_modified
            try:
                got = await self._with_retries(current, kind, conditional)
            except FetchError as exc:
                return Outcome(
                    url, kind, "failed", exc.reason, f"{url}: {exc.message}.", final_url=current
                )
            location = got.headers.get("location")
            if got.status in REDIRECTS and location:
                target = urljoin(current, location.strip())
                if target in seen:
                    return Outcome(
                        url,
                        kind,
                        "failed",
                        "redirect_loop",
                        f"{url}: the redirects loop back to {target}.",
                        got.status,
                        current,
                    )
                problem = url_problem(target)
                if problem:
                    return Outcome(
                        url,
                        kind,
                        "failed",
                        "bad_url",
                        f"{url}: redirects to {target}, which {problem}.",
                        got.status,
                        current,
                    )
                seen.add(target)
                current = target
                continue
            return self._outcome(url, kind, current, got)
        return Outcome(
            url,
            kind,
            "failed",
            "too_many_redirects",
            f"{url}: more than {self.settings.max_redirects} redirects; gave up.",
            final_url=current,
        )

    def _outcome(self, url: str, kind: str, final: str, got: Exchange) -> Outcome:
        base = {
            "http_status": got.status,
            "final_url": final,
            "etag": got.headers.get("etag"),
            "last_modified": got.headers.get("last-modified"),
        }
        if got.status == 304:
            return Outcome(url, kind, "not_modified", **base)
        if got.refusal:
            return Outcome(url, kind, "failed", got.refusal[0], f"{url}: {got.refusal[1]}.", **base)
        if 200 <= got.status < 300:
            body = None
            if kind != "page":
                body = decoded(got.body, got.headers, 4 * self.settings.max_bytes)
            return Outcome(url, kind, "fetched", body=body, **base)
        family = (
            "http_4xx"
            if 400 <= got.status < 500
            else "http_5xx"
            if got.status >= 500
            else "http_status"
        )
        phrase = _phrase(got.status)
        return Outcome(
            url,
            kind,
            "failed",
            family,
            f"{url}: the server answered {got.status} {phrase}.".replace("  ", " "),
            **base,
        )

    async def _robots_get(self, url: str) -> tuple[int, bytes]:
        """robots.txt through the same gate, retries and WARC (up to 5 redirects, RFC 9309).

        Raises FetchError when no response came (the robots cache keeps it for the host)."""
        current = url
        for _ in range(6):
            got = await self._with_retries(current, "robots", {})
            location = got.headers.get("location")
            if got.status in REDIRECTS and location:
                current = urljoin(current, location.strip())
                if url_problem(current):
                    return 404, b""
                continue
            if got.refusal and got.refusal[0] != "too_large":
                return 404, b""  # not a robots.txt (an HTML error page, say): none
            return got.status, decoded(got.body, got.headers, self.settings.max_bytes)
        return 404, b""

    # ------------------------------------------------------------------ attempts
    async def _with_retries(self, url: str, kind: str, conditional: dict[str, str]) -> Exchange:
        attempt = 0
        while True:
            try:
                got = await self._attempt(url, kind, conditional)
            except FetchError as exc:
                if not exc.transient or attempt >= self.settings.retries:
                    raise
                wait = self.settings.backoff * 2**attempt
            else:
                if got.status not in RETRY_STATUSES or attempt >= self.settings.retries:
                    return got
                wait = _retry_after(got.headers) or self.settings.backoff * 2**attempt
            attempt += 1
            await asyncio.sleep(wait)

    def _delay(self, url: str) -> float:
        robots = self.robots.crawl_delay(url)
        return max(self.settings.delay, robots or 0.0)

    async def _attempt(self, url: str, kind: str, conditional: dict[str, str]) -> Exchange:
        host = (urlsplit(url).hostname or "").lower()
        async with self.gate.turn(host, self._delay(url)), self.slots:
            return await self._send(url, kind, conditional)

    async def _send(self, url: str, kind: str, conditional: dict[str, str]) -> Exchange:
        """One request and its response, both recorded; raises FetchError when none came."""
        try:
            request = self.client.build_request("GET", url, headers=conditional)
        except (httpx.HTTPError, UnicodeError, ValueError) as exc:
            raise classify(exc, self.settings.timeout) from None
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        target = request.url.raw_path.decode("ascii", errors="replace")
        request_id = self.sink().request(url, "GET", target, headers)
        response: httpx.Response | None = None
        body = bytearray()
        try:
            async with asyncio.timeout(self.settings.timeout):
                response = await self.client.send(request, stream=True)
                try:
                    refusal, cut = await self._read(response, kind, body)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.HTTPError, OSError, UnicodeError) as exc:
            error = classify(exc, self.settings.timeout)
            if response is not None:  # headers came, the body did not finish: keep what came
                self._record(
                    url,
                    request_id,
                    response,
                    bytes(body),
                    "time" if error.reason == "timeout" else "disconnect",
                )
            self.sink().failure(url, request_id, error.reason, error.message)
            raise error from None
        self._record(url, request_id, response, bytes(body), cut)
        return Exchange(response.status_code, response.headers, bytes(body), refusal)

    def _record(
        self, url: str, request_id: str, response: httpx.Response, body: bytes, cut: str | None
    ) -> None:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
        ip = None
        stream = response.extensions.get("network_stream")
        with contextlib.suppress(Exception):
            ip = stream.get_extra_info("server_addr")[0] if stream else None
        self.sink().response(
            url,
            request_id,
            response.status_code,
            response.reason_phrase,
            headers,
            body,
            truncated=cut,
            ip=ip,
        )

    async def _read(
        self, response: httpx.Response, kind: str, body: bytearray
    ) -> tuple[tuple[str, str] | None, str | None]:
        """Read the body into `body` unless refused; (refusal, WARC-Truncated value)."""
        cap = self.settings.max_bytes
        ok = 200 <= response.status_code < 300
        media = _media_type(response.headers)
        allowed = PAGE_TYPES if kind == "page" else PAGE_TYPES + FEED_TYPES
        if ok and media and media not in allowed:
            what = "an HTML page" if kind == "page" else "a feed or sitemap"
            return ("wrong_content_type", f"is {media}, not {what}; not downloaded"), "unspecified"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return (
                "too_large",
                f"declares {int(declared):,} bytes, over the {cap:,}-byte cap; not downloaded",
            ), "length"
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > cap:
                del body[cap:]
                return (
                    "too_large",
                    f"sent more than {cap:,} bytes (the cap); cut off there",
                ), "length"
        if ok and not media and kind == "page" and not _looks_like_html(bytes(body)):
            return ("wrong_content_type", "has no Content-Type and does not look like HTML"), None
        return None, None


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _refusal(url: str, current: str, why: str | None) -> str:
    via = "" if current == url else f" (it redirects to {current})"
    if why == "robots_unreachable":
        return f"{url}: the site's robots.txt could not be read (server error or no connection), so nothing on it is fetched this run{via}."
    return f"{url}: refused by the site's robots.txt{via}."
