"""Stored column values as the web pages and the feed show them.

The `articles.authors` column holds a JSON array (sqlite-utils' list encoding); rows from
other queries or hand-made databases may hold a plain name instead, so both are read.
"""

from __future__ import annotations

import json
from typing import Any


def author_names(value: Any) -> list[str]:
    """Byline names from a JSON array, a list, or one plain name; [] for nothing."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if not value:
        return []
    try:
        names = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return [str(n) for n in names] if isinstance(names, list) else [str(names)]
