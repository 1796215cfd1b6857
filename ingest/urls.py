"""Canonical URLs: one key per page, whatever form of its address a copy was saved under.

The archive treats two inputs with the same key as the same page (a duplicate when the text is
the same, a new version when it changed), so the key drops everything that does not choose the
page: scheme, `www.`/`m.`/`amp.` hosts, default ports, `#fragments`, tracking parameters, AMP
forms (`/amp`, `.amp`, `?amp=1`, `?outputType=amp`, Google's AMP viewer and AMP cache URLs),
trailing slashes and `index.html`. What is left is compared as text.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

# Parameters that say who sent the reader, never which page they read.
_TRACKING = re.compile(
    r"""^(?:
        utm_\w+ | fbclid | gclid | gclsrc | dclid | msclkid | yclid | igshid | twclid | ttclid
        | mc_cid | mc_eid | _ga | _gl | _hsenc | _hsmi | mkt_tok | vero_id | oly_enc_id
        | oly_anon_id | wt\.mc_id | s_cid | ncid | ocid | cmpid | cmp | icid | intcmp | ito
        | ref | ref_src | ref_url | referer | referrer | smid | smtyp | src | source | soc_src
        | soc_trk | sr_share | share | shared | at_medium | at_campaign | at_custom\d* | taid
        | guccounter | guce_referrer | guce_referrer_sig | __twitter_impression | rss
        | amp | outputtype | output | amp_js_v | usqp | _js_v | __amp_source_origin
    )$""",
    re.I | re.X,
)
# Host prefixes that serve the same pages as the bare domain.
_HOST_PREFIX = re.compile(r"^(?:www\d?|m|mobile|amp)\.(?=[^.]+\.[^.]+)", re.I)
# Google's AMP viewer: www.google.com/amp/s/example.com/path
_GOOGLE_AMP = re.compile(r"^/amp/(s/)?(?P<rest>.+)$")
# The AMP cache: example-com.cdn.ampproject.org/c/s/example.com/path (also /v/ and /i/)
_AMP_CACHE_PATH = re.compile(r"^/[cvi]/(s/)?(?P<rest>.+)$")
_AMP_PATH = re.compile(r"(?:/amp|\.amp|/amp\.html)$", re.I)
_AMP_PREFIX = re.compile(r"^/amp(?=/.)", re.I)
_INDEX_PAGE = re.compile(r"/index\.(?:html?|php|aspx?|shtml)$", re.I)
_OTHER_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?!\d)", re.I)
_SLASHES = re.compile(r"/{2,}")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def canonical_url(url: str) -> str:
    """The key of the page at `url`: `https://www.x.com/a/?utm_source=t#top` → `x.com/a`.

    Not a URL to fetch (the scheme is gone); a stable text to compare. Returns "" for an
    empty or blank input.
    """
    text = url.strip()
    if not text:
        return ""
    if "://" not in text and not text.startswith("//"):
        if _OTHER_SCHEME.match(text):
            return text  # mailto:, urn:, ...: nothing to normalize
        text = "//" + text  # "example.com/a" written without a scheme
    parts = urlsplit(text)
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return text
    host = (parts.hostname or "").rstrip(".").lower()
    path = parts.path
    query = parts.query
    unwrapped = _unwrap_amp_viewer(host, path)
    if unwrapped is not None:
        rest = unwrapped + (f"?{query}" if query else "")
        return canonical_url(rest)
    host = _HOST_PREFIX.sub("", host)
    try:
        port = parts.port
    except ValueError:  # "host:abc": not a port, and not part of the page's identity either
        port = None
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = _normal_path(path)
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _TRACKING.match(k)]
    q = urlencode(sorted(pairs))
    return f"{host}{path}" + (f"?{q}" if q else "")


def _unwrap_amp_viewer(host: str, path: str) -> str | None:
    """The publisher's own address inside a Google AMP viewer or AMP cache URL, if it is one."""
    if host.endswith(".cdn.ampproject.org"):
        match = _AMP_CACHE_PATH.match(path)
    elif re.match(r"^(?:www\.)?google\.[a-z.]+$", host):
        match = _GOOGLE_AMP.match(path)
    else:
        return None
    return match.group("rest") if match else None


def _normal_path(path: str) -> str:
    path = quote(unquote(path), safe=_SAFE_PATH)  # one spelling of each character
    path = _SLASHES.sub("/", path).rstrip("/")
    path = _AMP_PREFIX.sub("", path)
    path = _AMP_PATH.sub("", path)
    path = _INDEX_PAGE.sub("/", path)
    return path.rstrip("/") or "/"
