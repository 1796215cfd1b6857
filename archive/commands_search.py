"""Search-side commands (search, show, similar, timeline, verify, reindex), registered on the app."""
