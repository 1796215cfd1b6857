"""Datasette publication of the archive: metadata, the newsarchive plugin, templates and the server.

Nothing here is imported by the CLI at start-up: `serve` imports `archive.web.server` when it runs.
"""
