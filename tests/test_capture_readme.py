"""The README's "Capturing from the web" examples, run as written against a local site.

The site the README names (https://news.example.org) is replaced by a server on 127.0.0.1
serving the same paths from the shared corpus; `watch` gets `--rounds 1` so it ends.
"""

from __future__ import annotations

import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

from .capture_site import Server, Site, corpus_ids
from .conftest import ROOT

README_SITE = "https://news.example.org"


def capture_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Capturing from the web", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "the capture section has no bash example"
    return [line for line in block.group(1).splitlines() if line.startswith("newsarchive ")]


def test_readme_capture_examples_run(tmp_path: Path):
    lines = capture_examples()
    assert [line.split()[1] for line in lines] == ["fetch", "fetch", "fetch", "watch"]
    ids = corpus_ids(6, skip=70)
    site = Site(feed_ids=ids[:2], sitemap_ids=ids[2:4])
    server = Server(site).start()
    try:
        (tmp_path / "urls.txt").write_text(
            "".join(f"{server.base}/articles/{i}.html\n" for i in ids[4:])
        )
        for line in lines:
            args = shlex.split(line.replace(README_SITE, server.base))[1:]
            if args[0] == "watch":
                args += ["--rounds", "1"]
            proc = subprocess.run(
                [sys.executable, "-c", "from archive.cli import main; main()", *args],
                cwd=tmp_path,
                env={**__import__("os").environ, "NEWSARCHIVE_DIR": str(tmp_path / "news_archive")},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert proc.returncode == 0, f"{line}\n{proc.stderr}"
            assert "finished:" in proc.stderr
        db = sqlite3.connect(tmp_path / "news_archive" / "news.db")
        urls = {row[0] for row in db.execute("SELECT url FROM capture_state WHERE kind = 'page'")}
        db.close()
        assert len(urls) == 7  # the page named, 2 feed items, 2 sitemap pages, 2 from the file
        assert any(
            p.name.endswith(".warc.gz") for p in (tmp_path / "news_archive" / "warcs").iterdir()
        )
    finally:
        server.stop()
