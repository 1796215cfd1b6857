"""Article ids are never handed out twice, not even after `remove --purge` of the newest one.

An id is a public name: `show ID`, links to the web pages, the `removals` audit row, the
index's document and the `story_id` of copies left behind all use it. Planted: with ids back
to `max(id) + 1` (`StoreCore.next_article_id`), the first three tests fail (the new article
gets the removed one's id); without the `removals` witness in the migration
(`store_schema._ensure_article_id_counter`), the third does.
"""

from __future__ import annotations

import json
from pathlib import Path

from archive.removal import remove_articles
from archive.store import Extracted, Store
from archive.store_base import ARTICLE_ID_META
from ingest.model import RawDocument

from .conftest import load_truth, truth_article


def _add(store: Store, row: dict) -> int:
    """Archive one truth row as its own input; returns the new article's id."""
    data = json.dumps(row, ensure_ascii=False).encode()
    raw = RawDocument(origin=f"truth.jsonl#{row['id']}", data=data, format="json", url=row["url"])
    result = store.write_batch(
        [Extracted(raw=raw, article=truth_article(row))], store.start_run([])
    )
    assert len(result.added) == 1, result
    return result.added[0]


def _rows() -> list[dict]:
    rows = [r for r in load_truth() if r.get("url")]
    assert len({r["url"] for r in rows[:4]}) == 4
    return rows[:4]


def test_a_purged_newest_id_is_not_given_again(tmp_path: Path) -> None:
    rows = _rows()
    store = Store.open(tmp_path / "a")
    ids = [_add(store, row) for row in rows[:3]]
    assert ids == [1, 2, 3]
    removed, missing = remove_articles(store, [ids[-1]], "takedown", purge=True)
    assert [r.article_id for r in removed] == [3] and not missing
    assert _add(store, rows[3]) == 4
    store.close()


def test_the_counter_survives_reopening_and_a_plain_removal(tmp_path: Path) -> None:
    rows = _rows()
    store = Store.open(tmp_path / "a")
    ids = [_add(store, row) for row in rows[:2]]
    remove_articles(store, [ids[-1]], "mistaken ingest")
    store.close()
    store = Store.open(tmp_path / "a")
    assert _add(store, rows[2]) == 3
    assert store.get_meta(ARTICLE_ID_META) == "3"
    store.close()


def test_an_archive_from_before_the_counter_starts_past_its_removed_ids(tmp_path: Path) -> None:
    """The migration: an old archive (no counter) whose newest article was purged."""
    rows = _rows()
    store = Store.open(tmp_path / "a")
    ids = [_add(store, row) for row in rows[:3]]
    remove_articles(store, [ids[-1]], "takedown", purge=True)
    with store.write_lock():
        store.db.execute("DELETE FROM archive_meta WHERE key = ?", [ARTICLE_ID_META])
    store.close()
    store = Store.open(tmp_path / "a")  # adds the counter: the removals row still names id 3
    assert store.get_meta(ARTICLE_ID_META) == "3"
    assert _add(store, rows[3]) == 4
    store.close()


def test_rows_inserted_with_plain_sql_do_not_collide(tmp_path: Path) -> None:
    """Someone added an article with SQL, past the counter: the next id still goes beyond it."""
    rows = _rows()
    store = Store.open(tmp_path / "a")
    _add(store, rows[0])
    with store.write_lock():
        store.db.execute("INSERT INTO articles (id, title, body) VALUES (10, 'by hand', 'text')")
    assert _add(store, rows[1]) == 11
    store.close()
