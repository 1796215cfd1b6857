"""A small news site on 127.0.0.1 for the capture tests: real corpus pages, and trouble.

It serves `/work/shared/corpus/` pages in place (never copied), a robots.txt, an RSS feed and
sitemaps, with ETag / Last-Modified and 304s, and the responses a crawler meets in the wild:
slow, failing then recovering, failing for good, redirecting (once, in a loop), oversized,
endless, not HTML. Every request is logged with its arrival time, so tests check politeness
(the per-host delay) from the server's side, and conditional requests from their headers.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from .conftest import CORPUS

LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


def corpus_ids(count: int, skip: int = 0) -> list[str]:
    """Ids of corpus pages that extract to an article (the truth file lists them)."""
    from .conftest import load_truth

    ids = [row["id"] for row in load_truth() if (CORPUS / f"{row['id']}.html").exists()]
    return ids[skip : skip + count]


@dataclass
class Hit:
    at: float  # time.monotonic() when the request arrived
    host: str  # the Host header
    path: str
    headers: dict[str, str]
    status: int = 0
    done: float = 0.0  # when the handler finished answering


@dataclass
class Site:
    """What the site serves; tests change `feed_ids` between runs to publish new items."""

    feed_ids: list[str] = field(default_factory=list)
    sitemap_ids: list[str] = field(default_factory=list)
    slow_seconds: float = 3.0
    slow_ids: set[str] = field(default_factory=set)  # feed items linked under /slow/
    robots: str = "User-agent: *\nDisallow: /private/\n"
    hits: list[Hit] = field(default_factory=list)
    flaky_seen: set[str] = field(default_factory=set)
    # feed request number (1-based) -> ids published just before that request is answered
    publish: dict[int, list[str]] = field(default_factory=dict)
    feed_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""  # http://127.0.0.1:PORT, set when serving

    def requests(self, path_prefix: str = "") -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path.startswith(path_prefix)]

    def feed_xml(self) -> bytes:
        items = "".join(
            f"<item><title>Story {i}</title><link>{self.base}/{'slow' if i in self.slow_ids else 'articles'}/{i}.html</link>"
            f"<guid>{i}</guid></item>"
            for i in self.feed_ids
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Test news</title><link>{self.base}/</link>{items}</channel></rss>"
        ).encode()

    def sitemap_xml(self) -> bytes:
        urls = "".join(
            f"<url><loc>{escape(self.base)}/articles/{i}.html</loc><lastmod>2023-11-14</lastmod></url>"
            for i in self.sitemap_ids
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        ).encode()

    def sitemap_index(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.base}/sitemap.xml</loc></sitemap></sitemapindex>"
        ).encode()


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            hit = Hit(time.monotonic(), self.headers.get("Host", ""), self.path, dict(self.headers))
            with site.lock:
                site.hits.append(hit)
            try:
                hit.status = self.route(self.path)
            except (BrokenPipeError, ConnectionResetError):
                hit.status = hit.status or -1
            hit.done = time.monotonic()

        # -------------------------------------------------------------- answers
        def send(
            self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str
        ) -> int:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)
            return status

        def cached(self, body: bytes, ctype: str) -> int:
            """A resource with validators: 304 when the client already holds it."""
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag or (
                not self.headers.get("If-None-Match")
                and self.headers.get("If-Modified-Since") == LAST_MODIFIED
            ):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return 304
            return self.send(200, body, ctype, ETag=etag, Last_Modified=LAST_MODIFIED)

        def page(self, page_id: str) -> int:
            path = CORPUS / f"{Path(page_id).name}.html"
            if not path.is_file():
                return self.send(404, b"<html><body>Not found</body></html>")
            return self.cached(path.read_bytes(), "text/html; charset=utf-8")

        def route(self, path: str) -> int:
            if path == "/robots.txt":
                if site.robots == "500":
                    return self.send(500, b"oops", "text/plain")
                return self.send(200, site.robots.encode(), "text/plain")
            if path.startswith("/articles/") and path.endswith(".html"):
                return self.page(path[len("/articles/") : -len(".html")])
            if path.startswith("/private/"):
                return self.page(path.rsplit("/", 1)[-1].removesuffix(".html"))
            if path == "/feed.xml":
                with site.lock:
                    site.feed_requests += 1
                    site.feed_ids += site.publish.get(site.feed_requests, [])
                return self.cached(site.feed_xml(), "application/rss+xml")
            if path == "/sitemap.xml":
                return self.cached(site.sitemap_xml(), "application/xml")
            if path == "/sitemap-index.xml":
                return self.cached(site.sitemap_index(), "application/xml")
            if path.startswith("/slow/"):
                time.sleep(site.slow_seconds)
                return self.page(path.rsplit("/", 1)[-1].removesuffix(".html"))
            if path.startswith("/flaky/"):  # 503 once, then the page
                with site.lock:
                    first = path not in site.flaky_seen
                    site.flaky_seen.add(path)
                if first:
                    return self.send(503, b"busy", "text/plain", Retry_After="0")
                return self.page(path.rsplit("/", 1)[-1].removesuffix(".html"))
            if path == "/error500":
                return self.send(500, b"<html><body>Server error</body></html>")
            if path.startswith("/redirect/"):
                target = f"/articles/{path.rsplit('/', 1)[-1]}.html"
                return self.send(301, b"", "", Location=target)
            if path == "/loop/a":
                return self.send(302, b"", "", Location="/loop/b")
            if path == "/loop/b":
                return self.send(302, b"", "", Location=f"{site.base}/loop/a")
            if path == "/big":
                return self.big()
            if path == "/endless":
                return self.endless()
            if path == "/image.png":
                return self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
            return self.send(404, b"<html><body>Not found</body></html>")

        def big(self) -> int:
            """Declares 50 MB; sends it only to a client that keeps reading."""
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(50 * 2**20))
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_533
            for _ in range(50 * 2**20 // len(chunk)):
                self.wfile.write(chunk)
            return 200

        def endless(self) -> int:
            """A chunked HTML body that never ends (bounded here at 200 MB, for safety)."""
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>and on and on</p>" * 3000
            frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            for _ in range(200 * 2**20 // len(chunk)):
                self.wfile.write(frame)
            self.wfile.write(b"0\r\n\r\n")
            return 200

    return Handler


class Server:
    """The site on `host`, in a thread; `stop()` shuts it down."""

    def __init__(self, site: Site, host: str = "127.0.0.1") -> None:
        self.site = site
        self.httpd = ThreadingHTTPServer((host, 0), make_handler(site))
        self.httpd.daemon_threads = True
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
        site.base = site.base or self.base
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
