"""What one server publishes and how: the archives (one, or the partitions of a set), their
database names in Datasette, and the limits the pages keep to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DATABASE = "news"  # the archive's database name in Datasette (/news, /news/articles)


@dataclass(frozen=True, slots=True)
class Served:
    """One archive the server publishes: the partition's name ("" for a lone archive), its
    folder, and its database's name in Datasette (`news`, or `news-2019` in a set)."""

    name: str
    folder: Path
    database: str

    def address(self, article_id: int) -> str:
        """How a page names an article: its id, or PARTITION/ID in a set (partitions.py)."""
        return f"{self.name}/{article_id}" if self.name else str(article_id)


def served_archives(folder: Path) -> tuple[Served, ...]:
    """The archives at `folder`: itself, or every partition of a partition set."""
    from archive.partitions import partition_dirs

    parts = partition_dirs(folder)
    if parts is None:
        return (Served("", Path(folder), DATABASE),)
    return tuple(Served(p.name, p, f"{DATABASE}-{p.name}") for p in parts)


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
    archives: tuple[Served, ...] = field(default=())  # empty: `archive_dir` alone

    def served(self) -> tuple[Served, ...]:
        return self.archives or (Served("", Path(self.archive_dir), DATABASE),)

    @property
    def is_set(self) -> bool:
        return bool(self.served()[0].name)

    def archive_named(self, partition: str | None) -> Served | None:
        """The archive an article address names: the lone one (no partition), or a partition
        of the set (a partition given); None when the address does not fit the server."""
        for served in self.served():
            if served.name == (partition or ""):
                return served
        return None

    def database_names(self) -> set[str]:
        return {s.database for s in self.served()}
