"""Language identification with py3langid (its model ships inside the package: nothing fetched)."""

from __future__ import annotations

from functools import cache
from typing import Any

# 1,500 characters name the same language as 4,000 on every corpus and generated text we tried,
# at 1.6x the speed: detection was costing more than the text-dump extraction itself.
SAMPLE_CHARS = 1500
# Feature rows kept widened to float32 (568 bytes each): English text uses a few thousand of the
# model's 100,053; past this many, a page is scored the stock (slower) way and nothing is kept.
MAX_CACHED_ROWS = 32_768


@cache
def _identifier():  # type: ignore[no-untyped-def]
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    class RowCachedIdentifier(LanguageIdentifier):
        """py3langid's classifier with its float16 feature table widened row by row, once.

        numpy has no fast float16 product: the stock scorer widens the ~800 rows a sample
        touches on every call, half of the ~1 ms a page's detection took. Rows used once are
        kept as float32, so a page then costs a gather and a float32 product (same scores).
        """

        __slots__ = ("_rows", "_slot", "_source", "_used")

        def _sparse_score(self, visits: Any, table: Any) -> Any:
            idx = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
            counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
            slots = self._slots_for(idx, table)
            if slots is None:
                return LanguageIdentifier._sparse_score(self, visits, table)
            return np.log1p(counts) @ self._rows[slots] + self.nb_pc

        def _slots_for(self, idx: Any, table: Any) -> Any:
            """Where each feature's widened row sits, widening the rows not seen yet."""
            if getattr(self, "_source", None) is not table:  # first call, or other languages set
                self._source = table
                self._slot = np.full(table.shape[0], -1, dtype=np.int32)
                self._rows = np.empty((4096, table.shape[1]), dtype=np.float32)
                self._used = 0
            slots = self._slot[idx]
            missing = idx[slots < 0]
            if missing.size:
                end = self._used + missing.size
                if end > MAX_CACHED_ROWS:
                    return None
                if end > len(self._rows):
                    grown = np.empty((min(MAX_CACHED_ROWS, max(end, 2 * len(self._rows))), table.shape[1]), dtype=np.float32)  # fmt: skip
                    grown[: self._used] = self._rows[: self._used]
                    self._rows = grown
                self._rows[self._used : end] = table[missing]
                self._slot[missing] = np.arange(self._used, end, dtype=np.int32)
                self._used = end
                slots = self._slot[idx]
            return slots

    return RowCachedIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def detect_language(text: str, *, min_chars: int = 40) -> str | None:
    """ISO 639-1 code of `text`, or None when it is too short or too uncertain to say."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < min_chars:
        return None
    code, probability = _identifier().classify(sample)
    return code if probability >= 0.5 else None
