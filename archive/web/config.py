"""What one served archive is configured with, shared by the plugin, the server and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATABASE = "news"  # the archive's database name in Datasette (/news, /news/articles)


@dataclass(slots=True)
class WebConfig:
    archive_dir: Path
    public: bool = False
    search_timeout: float = 15.0
    max_concurrent_searches: int = 4
    sql_slots: int = 4  # visitor-written SQL requests in flight at once (throttle.py)
    sql_time_limit_ms: int = 1000
    base_url: str = "http://127.0.0.1:8001"  # the server's address as visitors see it (feeds)
    heavy_searches: int = 1  # wildcard / collapse searches at once (pure Python: they hold the GIL)
