"""Capture from the web, as web archivists do it: every exchange into WARC, then the usual ingest.

`fetch` and `watch` are the only commands that touch the network; nothing here is imported
by any other command (httpx is imported only below this package).
"""
