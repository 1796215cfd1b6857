"""Size limits every reader shares (a module of its own so readers and containers import it
without importing each other)."""

MAX_BYTES = 200 * 1024 * 1024  # a single page or container larger than this is refused as too_large
