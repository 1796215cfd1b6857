"""Syndicated copies: articles whose bodies are near-identical share one `articles.story_id`.

Each article with a body of at least `MIN_WORDS` words gets a MinHash signature (datasketch's
affine32 scheme, `NUM_PERM` permutations, computed here in fixed-size chunks so memory does not
grow with NUM_PERM x the body) of the word `SHINGLE_WORDS`-shingles of its normalized body. The
signature is cut into `BANDS` bands of `ROWS` values (locality-sensitive hashing); each band
becomes one 64-bit key in the indexed table `article_bands`. A new article's candidates are
the articles sharing at least one band key (an indexed lookup, never an all-pairs scan), and a
candidate is a copy when the Jaccard similarity estimated from the two signatures (kept in
`article_minhash`) reaches the threshold. Because both tables live in the archive, this works
across batches and processes without loading anything into memory.

The threshold is a setting: env `NEWSARCHIVE_NEAR_DUP_THRESHOLD`, else the `archive_meta` key
`near_dup_threshold`, else `DEFAULT_THRESHOLD`. The bands are laid out for pairs at or above
`LSH_THRESHOLD` (about 99 % of pairs at Jaccard 0.7 and 89 % at 0.6 become candidates), so a
threshold below that loses recall rather than precision.

Stories: the story id is the id of the first archived copy; a new copy joins the story of its
most similar match, and every member's `story_copies` (members of the story) and `syndicated`
(1 when the story has more than one member) are kept current. They are not in the search index
(it reads them from SQLite), so these updates leave `seq` alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

NUM_PERM = 128
SHINGLE_WORDS = 5
# 16 bands of 4 values: the S-curve's midpoint (1/16)^(1/4) is 0.5, and it makes 89 % of pairs
# at Jaccard 0.6, 98.8 % at 0.7 and 99.98 % at 0.8 candidates, with 16 index rows per article
# (datasketch's own optimum for 0.5, 25 bands of 5, finds no more above 0.6 for 56 % more rows).
BANDS, ROWS = 16, 4
LSH_THRESHOLD = 0.5
MIN_WORDS = 50  # shorter bodies (briefs, captions, stubs) are too alike by chance to cluster
DEFAULT_THRESHOLD = 0.7
MAX_CANDIDATES = 50  # the candidates sharing the most bands; a story rarely has more copies
THRESHOLD_ENV = "NEWSARCHIVE_NEAR_DUP_THRESHOLD"
THRESHOLD_META = "near_dup_threshold"
SCHEME_META = "near_dup_scheme"
# Changing any part of this changes every signature and band: the archive then rebuilds them.
SCHEME = f"minhash-affine32-crc32fnv-p{NUM_PERM}-w{SHINGLE_WORDS}-b{BANDS}r{ROWS}-min{MIN_WORDS}"


class NearDupSettingError(ValueError):
    """The near-duplicate threshold setting is not a number between 0 and 1."""


def threshold_setting(meta_value: str | None = None) -> float:
    """The Jaccard similarity from which two bodies are copies of one story (see module doc)."""
    env = os.environ.get(THRESHOLD_ENV)
    text, where = (env, THRESHOLD_ENV) if env not in (None, "") else (meta_value, THRESHOLD_META)
    if text in (None, ""):
        return DEFAULT_THRESHOLD
    try:
        value = float(text)  # type: ignore[arg-type]
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise NearDupSettingError(
            f"{where}={text!r} is not a similarity: set it to a number above 0 and at most 1 "
            f"(default {DEFAULT_THRESHOLD})."
        )
    return value


# ---------------------------------------------------------------------------- signatures
_WORD = re.compile(r"\w+")  # quotes, dashes and other punctuation never reach a shingle


def words(body: str) -> list[str]:
    """The body's words, case- and typography-blind, for shingling."""
    return _WORD.findall(_folded(body))


def _folded(body: str) -> str:
    if not unicodedata.is_normalized("NFKC", body):
        body = unicodedata.normalize("NFKC", body)
    return body.lower()


def word_hashes(body: str) -> Any:
    """CRC-32 of each word of the body (as `words` splits it), as a numpy uint32 array.

    Hashed as the words are found, never held as a list of strings: 4 bytes per word instead
    of ~60 (a 20 MB body has 3.5 million words). A long body is folded a piece at a time (cut
    at whitespace, so no word and no case or NFKC context straddles a cut), counted first,
    then hashed into an array of exactly its size.
    """
    import numpy as np

    if len(body) <= PIECE_CHARS:
        return np.fromiter(
            (zlib.crc32(m.group().encode()) for m in _WORD.finditer(_folded(body))),
            dtype=np.uint32,
        )
    count = sum(1 for piece in text_pieces(body) for _ in _WORD.finditer(_folded(piece)))
    hashes = np.empty(count, dtype=np.uint32)
    at = 0
    for piece in text_pieces(body):
        chunk = np.fromiter(
            (zlib.crc32(m.group().encode()) for m in _WORD.finditer(_folded(piece))),
            dtype=np.uint32,
        )
        hashes[at : at + len(chunk)] = chunk
        at += len(chunk)
    return hashes


PIECE_CHARS = 1 << 20
_SPACE_RUN = re.compile(r"\s+")


def text_pieces(text: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """`text` in pieces of about `size` characters, each cut just after a run of whitespace."""
    start = 0
    while start < len(text):
        end = start + size
        if end < len(text):
            match = _SPACE_RUN.search(text, end)
            end = match.end() if match else len(text)
        yield text[start:end]
        start = end


def shingle_hashes(tokens: list[str] | Any) -> Any:
    """32-bit hashes of the distinct word `SHINGLE_WORDS`-grams, as a numpy array.

    `tokens` are words (each hashed once with CRC-32, stable across processes, unlike
    `hash()`) or their hashes from `word_hashes`; the words of a shingle are combined
    FNV-style: 3x faster than hashing joined shingle texts. datasketch's affine32 scheme
    mixes these values again (murmur3's finalizer) before its permutations.
    """
    import numpy as np

    if isinstance(tokens, np.ndarray):
        word_hashes_ = tokens
    else:
        word_hashes_ = np.fromiter(
            (zlib.crc32(word.encode()) for word in tokens), dtype=np.uint32, count=len(tokens)
        )
    count = len(word_hashes_)
    n = max(1, count - SHINGLE_WORDS + 1)
    wide = word_hashes_[:n].astype(np.uint64)  # room for the product before the mask
    for k in range(1, min(SHINGLE_WORDS, count)):  # in place: no temporary array per step
        np.multiply(wide, _FNV_PRIME, out=wide)
        np.add(wide, word_hashes_[k : k + n], out=wide)
        np.bitwise_and(wide, _MASK32, out=wide)
    combined = wide.astype(np.uint32)  # every value is masked to 32 bits: nothing is lost
    del wide
    combined.sort()  # np.unique, without its copies: sorted distinct values
    keep = np.empty(len(combined), dtype=bool)
    keep[:1] = True
    np.not_equal(combined[1:], combined[:-1], out=keep[1:])
    return combined[keep]


_FNV_PRIME = 0x01000193
_MASK32 = 0xFFFFFFFF


@dataclass(slots=True)
class Signature:
    """A body's MinHash: `NUM_PERM` uint32 values, and the body's word count."""

    values: Any  # numpy.ndarray of uint32
    word_count: int

    def to_blob(self) -> bytes:
        return self.values.astype("<u4").tobytes()

    @classmethod
    def from_blob(cls, blob: bytes, word_count: int) -> Signature:
        import numpy as np

        return cls(np.frombuffer(blob, dtype="<u4"), word_count)

    def similarity(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two bodies' shingle sets."""
        return float((self.values == other.values).sum()) / NUM_PERM

    def band_keys(self) -> list[int]:
        """One signed 64-bit key per band (SQLite INTEGER), the band's number mixed in."""
        raw = self.values.astype("<u4").tobytes()
        width = ROWS * 4
        return [
            int.from_bytes(
                hashlib.blake2b(
                    raw[b * width : (b + 1) * width], digest_size=8, person=b.to_bytes(2, "little")
                ).digest(),
                "little",
                signed=True,
            )
            for b in range(BANDS)
        ]


@lru_cache(maxsize=1)
def _permutations() -> tuple[Any, Any]:
    """datasketch's affine32 permutations for seed 1 (`MinHash(seed=1, scheme="affine32")`).

    Made here with the same generator calls: importing datasketch (it loads scipy) cost the
    ingester 56 MB of RSS for two arrays of 128 numbers. `tests/test_duplicates.py` checks
    that signatures equal datasketch's own, value for value.
    """
    import numpy as np

    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(values: Any) -> Any:
    """MurmurHash3's 32-bit finalizer (datasketch's pre-mix of the affine schemes), in place."""
    import numpy as np

    values ^= values >> np.uint32(16)
    values *= np.uint32(0x85EBCA6B)
    values ^= values >> np.uint32(13)
    values *= np.uint32(0xC2B2AE35)
    values ^= values >> np.uint32(16)
    return values


# Shingle hashes permuted at a time: all at once is a values x NUM_PERM matrix (datasketch's
# `update_batch` made 3.6 GB of it for a 20 MB body). The minimum over chunks is the minimum
# over all, so the signature is the very same; a chunk costs 4,096 x 128 x 4 B = 2 MB.
SIGN_CHUNK = 4096


def minhash_values(shingles: Any) -> Any:
    """The MinHash of 32-bit shingle hashes: datasketch's affine32 scheme, computed in chunks."""
    import numpy as np

    a, b = _permutations()
    values = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    for start in range(0, len(shingles), SIGN_CHUNK):
        mixed = _fmix32(shingles[start : start + SIGN_CHUNK].astype(np.uint32).reshape(-1, 1))
        permuted = mixed * a + b  # uint32 arithmetic wraps: mod 2^32, as datasketch's
        np.minimum(values, permuted.min(axis=0), out=values)
    return values


def signature(body: str) -> Signature | None:
    """The body's signature, or None when it is too short to cluster.

    Memory grows with the body by about 12 bytes a word (its hash, its shingle's hash), not
    by NUM_PERM values a word.
    """
    hashes = word_hashes(body)
    count = len(hashes)
    if count < MIN_WORDS:
        return None
    shingles = shingle_hashes(hashes)
    del hashes
    return Signature(minhash_values(shingles), count)


# ---------------------------------------------------------------------------- the LSH tables
@dataclass(slots=True)
class Match:
    article_id: int
    story_id: int
    similarity: float


def ensure_tables(db: sqlite_utils.Database) -> None:
    """Create the signature and band tables when missing (idempotent, cheap)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS article_minhash ("
        " article_id INTEGER PRIMARY KEY REFERENCES articles(id),"
        " word_count INTEGER NOT NULL, signature BLOB NOT NULL)"
    )
    # WITHOUT ROWID: the primary key is the index; one row per (band key, article).
    db.execute(
        "CREATE TABLE IF NOT EXISTS article_bands ("
        " key INTEGER NOT NULL, article_id INTEGER NOT NULL,"
        " PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )


class NearDuplicates:
    """Signatures and band keys in SQLite; finds an article's best near-identical match."""

    def __init__(self, db: sqlite_utils.Database, threshold: float) -> None:
        self.db = db
        self.threshold = threshold

    def best_match(self, sig: Signature, exclude: int | None = None) -> Match | None:
        keys = sig.band_keys()
        marks = ",".join("?" * len(keys))
        candidates = [
            row[0]
            for row in self.db.execute(
                f"SELECT article_id FROM article_bands WHERE key IN ({marks})"
                " GROUP BY article_id ORDER BY count(*) DESC, article_id LIMIT ?",
                [*keys, MAX_CANDIDATES + 1],
            )
            if row[0] != exclude
        ]
        if not candidates:
            return None
        best: Match | None = None
        rows = self.db.execute(
            "SELECT m.article_id, m.signature, m.word_count, a.story_id"
            " FROM article_minhash m JOIN articles a ON a.id = m.article_id"
            f" WHERE m.article_id IN ({','.join('?' * len(candidates))})",
            candidates,
        )
        for article_id, blob, word_count, story_id in rows:
            score = sig.similarity(Signature.from_blob(blob, word_count))
            if score < self.threshold:
                continue
            # Most similar wins; on a tie, the older story keeps the copies together.
            if best is None or (score, -story_id) > (best.similarity, -best.story_id):
                best = Match(article_id, story_id or article_id, score)
        return best

    def add(self, article_id: int, sig: Signature) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO article_minhash (article_id, word_count, signature)"
            " VALUES (?, ?, ?)",
            [article_id, sig.word_count, sig.to_blob()],
        )
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO article_bands (key, article_id) VALUES (?, ?)",
            [(key, article_id) for key in sig.band_keys()],
        )

    def remove(self, article_id: int) -> None:
        """Forget an article's signature; its band rows are found again from the signature
        (an index on article_id would cost every insert `BANDS` more B-tree writes)."""
        row = self.db.execute(
            "SELECT signature, word_count FROM article_minhash WHERE article_id = ?", [article_id]
        ).fetchone()
        if row is None:
            return
        self.db.conn.executemany(
            "DELETE FROM article_bands WHERE key = ? AND article_id = ?",
            [(key, article_id) for key in Signature.from_blob(row[0], row[1]).band_keys()],
        )
        self.db.execute("DELETE FROM article_minhash WHERE article_id = ?", [article_id])


# ---------------------------------------------------------------------------- stories
def story_size(db: sqlite_utils.Database, story_id: int) -> int:
    return int(
        db.execute("SELECT count(*) FROM articles WHERE story_id = ?", [story_id]).fetchone()[0]
    )


def refresh_story(db: sqlite_utils.Database, story_id: int, skip: Iterable[int] = ()) -> int:
    """Set every member's copies count and syndicated flag; returns the story's size.

    Only rows whose values change are written. Their `seq` stays: the search index holds
    no story values (collapsing and copy counts are read from SQLite), so re-indexing every
    member of a story at each new copy would be work for nothing.
    """
    size = story_size(db, story_id)
    flag = 1 if size > 1 else 0
    skipped = set(skip)
    stale = [
        row[0]
        for row in db.execute(
            "SELECT id FROM articles WHERE story_id = ?"
            " AND (story_copies IS NOT ? OR syndicated IS NOT ?)",
            [story_id, size, flag],
        ).fetchall()
        if row[0] not in skipped
    ]
    for article_id in stale:
        db.execute(
            "UPDATE articles SET story_copies = ?, syndicated = ? WHERE id = ?",
            [size, flag, article_id],
        )
    return size
