"""/search parameters: validated from a query string, and written back into links.

The names are the CLI's options, so a search reads the same on the command line and the web.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from . import bridge

DEFAULT_LIMIT = 20
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class BadSearchParameter(Exception):
    """A /search parameter has a value the page cannot use; the message names it and the fix."""


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadSearchParameter(
            f"{name}={value!r} is not a whole number; use e.g. {name}={default}."
        ) from None
    return max(low, min(high, number))


def search_params(args: Any) -> dict[str, Any]:
    """Validated search parameters from the query string (the CLI's options, same names)."""
    params: dict[str, Any] = {"query": (args.get("q") or "").strip()}
    for name in bridge.FILTERS:
        value = (args.get(name) or "").strip()
        if name in ("since", "until") and value and not _DATE.match(value):
            raise BadSearchParameter(
                f"{name}={value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD."
            )
        params[name] = value or None
    sort = (args.get("sort") or "").strip() or None
    if sort is not None and sort not in bridge.SORTS:
        raise BadSearchParameter(
            f"sort={sort!r} is not a sort order; use one of {', '.join(bridge.SORTS)}."
        )
    params["sort"] = sort or ("relevance" if params["query"] else "newest")
    params["limit"] = _int(args.get("limit"), "limit", DEFAULT_LIMIT, 1, bridge.MAX_LIMIT)
    params["page"] = _int(args.get("page"), "page", 1, 1, 10_000)
    params["collapse"] = (args.get("collapse") or "").lower() in ("1", "on", "true", "yes")
    params["facets"] = True
    return params


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """The /search query string for `params` with some values changed (None drops one)."""
    merged = {
        "q": params.get("query") or None,
        **{k: params.get(k) for k in bridge.FILTERS},
        "sort": params.get("sort"),
        "limit": params.get("limit") if params.get("limit") != DEFAULT_LIMIT else None,
        "collapse": 1 if params.get("collapse") else None,
    }
    if merged["sort"] == ("relevance" if merged["q"] else "newest"):
        merged["sort"] = None  # the default order needs no parameter
    merged.update(changes)
    kept = {}
    for key, value in merged.items():
        if value in (None, "") or (key == "page" and int(value) == 1):
            continue
        kept[key] = value
    return urlencode(kept)


def format_date(value: str | None) -> str:
    """'2019-11-19' as '19 November 2019'; partial or odd dates as given."""
    if not value:
        return ""
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{d.day} {d.strftime('%B')} {d.year}"


def safe_link(url: Any) -> str | None:
    """Only http(s) addresses become links: a stored `javascript:` URL stays inert text."""
    text = str(url or "").strip()
    return text if re.match(r"^https?://", text, re.I) else None
