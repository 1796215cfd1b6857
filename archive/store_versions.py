"""An article's row and relations, and its versions: new text replaces the row, the old text
goes to `article_versions`.

Ingest (a changed page under a known URL), `reextract` (today's extractors over a kept input)
and site templates (a corrected extraction) all change articles through here, so a changed
article is written the same way whoever changed it: relations, signature and story, a new
`seq` for the index to follow.
"""

from __future__ import annotations

import json
from typing import Any

from ingest.extract import count_words
from ingest.model import Article
from ingest.urls import canonical_url

from .store_base import StoreCore, content_hash, now_iso
from .store_stories import Stories


class Versions:
    """Writes article rows, their authors, categories and captions, and their past versions."""

    def __init__(self, core: StoreCore, stories: Stories) -> None:
        self.core = core
        self.stories = stories

    # ------------------------------------------------------------------ rows and relations
    def article_row(self, article: Article, chash: str, url: str | None = None) -> dict[str, Any]:
        """The `articles` columns that come from the extraction (not id, story or history)."""
        published = article.published
        url = url or article.url
        site_id = self.core.lookup_id("sites", article.site_name) if article.site_name else None
        return {
            "title": article.title,
            "published": published,
            "published_year": int(published[:4]) if published and published[:4].isdigit() else None,
            "published_month": published[:7] if published and len(published) >= 7 else None,
            "authors": json.dumps(article.authors, ensure_ascii=False),
            "category": article.category,
            "site": article.site_name,
            "site_id": site_id,
            "url": url,
            "url_key": canonical_url(url) if url else None,
            "language": article.language,
            "dateline": article.dateline,
            "wire": article.wire,
            "body": article.body,
            "word_count": count_words(article.body),
            "content_hash": chash,
        }

    def write_relations(self, article_id: int, article: Article, *, new: bool = False) -> None:
        """Authors (in order), category and captions of the article, replacing the old ones."""
        core = self.core
        if not new:
            for table in ("article_authors", "article_categories", "captions"):
                core.db.execute(f"DELETE FROM [{table}] WHERE article_id = ?", [article_id])
        for n, name in enumerate(dict.fromkeys(article.authors)):
            author_id = core.lookup_id("authors", name)
            core.insert(
                "article_authors", {"article_id": article_id, "author_id": author_id, "position": n}
            )
        if article.category:
            category_id = core.lookup_id("categories", article.category)
            core.insert(
                "article_categories", {"article_id": article_id, "category_id": category_id}
            )
        for n, text in enumerate(article.captions):
            core.insert("captions", {"article_id": article_id, "position": n, "text": text})

    # ------------------------------------------------------------------ versions
    def new_version(
        self,
        article_id: int,
        article: Article,
        *,
        url: str | None = None,
        source_id: int | None = None,
        chash: str | None = None,
    ) -> None:
        """`article` becomes the article's current text; the text it had becomes a past version.

        `url` is the input's address, used when the article names none; `source_id` the input
        the new text came from (None: the same input as before, extracted again).
        """
        db = self.core.db
        old = db["articles"].get(article_id)
        fetched = db.execute(
            "SELECT fetched FROM sources WHERE id = ?", [old["source_id"]]
        ).fetchone()
        version = old["version"] or 1
        self._insert_version(article_id, version, old, fetched[0] if fetched else None)
        chash = chash or content_hash(article)
        row = self.article_row(article, chash, article.url or url)
        row.update({"updated_at": now_iso(), "version": version + 1, "seq": self.core.next_seq()})
        if source_id is not None:
            row["source_id"] = source_id
        db["articles"].update(article_id, row)
        self.write_relations(article_id, article)
        self.stories.resign(article_id, article.body, old["story_id"])

    def add_old_version(
        self,
        article_id: int,
        article: Article,
        chash: str,
        source_id: int,
        url: str | None,
        fetched: str | None,
    ) -> None:
        """Keep a version older than the current one (it arrived late) without rolling back."""
        row = {
            "title": article.title,
            "authors": json.dumps(article.authors, ensure_ascii=False),
            "published": article.published,
            "url": article.url or url,
            "body": article.body,
            "content_hash": chash,
            "source_id": source_id,
        }
        self._insert_version(article_id, 0, row, fetched)
        db = self.core.db
        # Number the versions by age again: fetch time, else the time they were replaced.
        ids = [
            r[0]
            for r in db.execute(
                "SELECT id FROM article_versions WHERE article_id = ?"
                " ORDER BY coalesce(fetched, replaced_at), id",
                [article_id],
            ).fetchall()
        ]
        for number, version_id in enumerate(ids, start=1):
            db.execute("UPDATE article_versions SET version = ? WHERE id = ?", [number, version_id])
        # the article's text is unchanged (an older version came late): no new seq to index
        db.execute("UPDATE articles SET version = ? WHERE id = ?", [len(ids) + 1, article_id])

    def replace_extraction(self, source_id: int, article: Article, url: str | None) -> int:
        """Put a new extraction of an archived input where its old one is (site templates).

        The article whose current text came from `source_id` takes it (new `seq`: the index
        follows); a past version that came from it is corrected in place; no new version, as
        the page did not change. Returns 1 when something changed, else 0.
        """
        db = self.core.db
        chash = content_hash(article)
        current = db.execute(
            "SELECT id, content_hash, title, authors, published, story_id FROM articles"
            " WHERE source_id = ?",
            [source_id],
        ).fetchone()
        authors = json.dumps(article.authors, ensure_ascii=False)
        if current is not None:
            article_id, old_hash, title, old_authors, published, story_id = current
            if (old_hash, title, old_authors, published) == (
                chash,
                article.title,
                authors,
                article.published,
            ):
                return 0
            row = self.article_row(article, chash, article.url or url)
            row["seq"] = self.core.next_seq()
            db["articles"].update(article_id, row)
            self.write_relations(article_id, article)
            self.stories.resign(article_id, article.body, story_id)
            return 1
        cursor = db.execute(
            "UPDATE article_versions SET title = ?, authors = ?, published = ?, body = ?,"
            " content_hash = ? WHERE source_id = ? AND (content_hash IS NOT ? OR title IS NOT ?"
            " OR authors IS NOT ? OR published IS NOT ?)",
            [
                article.title,
                authors,
                article.published,
                article.body,
                chash,
                source_id,
                chash,
                article.title,
                authors,
                article.published,
            ],
        )
        return 1 if cursor.rowcount else 0

    def _insert_version(
        self, article_id: int, version: int, row: dict[str, Any], fetched: str | None
    ) -> None:
        self.core.db["article_versions"].insert(
            {
                "article_id": article_id,
                "version": version,
                "title": row["title"],
                "authors": row["authors"],
                "published": row["published"],
                "url": row["url"],
                "body": row["body"],
                "content_hash": row["content_hash"],
                "source_id": row["source_id"],
                "fetched": fetched,
                "replaced_at": now_iso(),
            }
        )
