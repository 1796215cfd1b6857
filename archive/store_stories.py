"""Dedup links: each article's MinHash signature and the story (syndication cluster) it is in.

`dedup.py` holds the signature and LSH machinery; this module decides which story an article
joins when it is added or its text changes, and regroups a whole archive when the signature
scheme or the threshold changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import dedup
from .store_base import StoreCore


@dataclass(slots=True)
class Placement:
    """Where a new article goes: the story of its most similar earlier copy, else its own."""

    signature: dedup.Signature | None
    story_id: int
    copies: int  # articles in that story, the new one included
    joined: bool  # True when it joined an existing story


class Stories:
    """Signatures and story ids of the archive's articles (one writer, inside its transactions)."""

    def __init__(self, core: StoreCore) -> None:
        self.core = core

    def place(self, article_id: int, body: str) -> Placement:
        """The story a new article `article_id` with this body belongs to (nothing written)."""
        db = self.core.db
        sig = dedup.signature(body)
        match = self.core.near_dups.best_match(sig) if sig is not None else None
        if match is None:
            return Placement(sig, article_id, 1, False)
        return Placement(sig, match.story_id, dedup.story_size(db, match.story_id) + 1, True)

    def link(self, article_id: int, placement: Placement) -> None:
        """Record a new article's signature; refresh the counts of the story it joined."""
        if placement.signature is not None:
            self.core.near_dups.add(article_id, placement.signature)
        if placement.joined:
            dedup.refresh_story(self.core.db, placement.story_id, skip=[article_id])

    def resign(self, article_id: int, body: str, story_id: int) -> None:
        """New signature after an update; an article alone in its story may now join one."""
        near = self.core.near_dups
        near.remove(article_id)
        sig = dedup.signature(body)
        if sig is None:
            return
        if dedup.story_size(self.core.db, story_id) == 1:
            match = near.best_match(sig, exclude=article_id)
            if match is not None and match.story_id != story_id:
                self.core.db.execute(
                    "UPDATE articles SET story_id = ? WHERE id = ?", [match.story_id, article_id]
                )
                dedup.refresh_story(self.core.db, match.story_id)
        near.add(article_id, sig)

    def rebuild(self) -> int:
        """Recompute every signature and story from the bodies, oldest article first.

        Runs by itself once on an archive made before duplicate detection (or after the
        signature scheme changed); call it after changing the threshold to regroup the
        archive. Returns the number of stories with more than one copy.
        """
        core = self.core
        db = core.db
        near = core.near_dups
        with core.write_lock(), db.atomic():
            db.execute("DELETE FROM article_bands")
            db.execute("DELETE FROM article_minhash")
            last = 0
            while True:
                rows = db.execute(
                    "SELECT id, body, story_id FROM articles WHERE id > ? ORDER BY id LIMIT 500",
                    [last],
                ).fetchall()
                if not rows:
                    break
                for article_id, body, story_id in rows:
                    sig = dedup.signature(body or "")
                    match = near.best_match(sig) if sig is not None else None
                    story = match.story_id if match is not None else article_id
                    if story != story_id:
                        db.execute(
                            "UPDATE articles SET story_id = ? WHERE id = ?", [story, article_id]
                        )
                    if sig is not None:
                        near.add(article_id, sig)
                last = rows[-1][0]
            stories = [
                r[0]
                for r in db.execute(
                    "SELECT story_id FROM articles a WHERE story_copies IS NOT"
                    " (SELECT count(*) FROM articles b WHERE b.story_id = a.story_id)"
                    " OR syndicated IS NOT (story_copies > 1)"
                ).fetchall()
            ]
            for story_id in dict.fromkeys(stories):
                dedup.refresh_story(db, story_id)
            core.set_meta(dedup.SCHEME_META, dedup.SCHEME)
        return int(
            db.execute(
                "SELECT count(DISTINCT story_id) FROM articles WHERE syndicated = 1"
            ).fetchone()[0]
        )
