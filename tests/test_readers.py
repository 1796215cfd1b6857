"""Inputs → RawDocuments: folders, globs, stdin, .gz, and format detection by content."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from ingest.model import Failure, RawDocument
from ingest.readers import detect_format, iter_documents

from .conftest import CORPUS

PAGE = CORPUS / "aeb-042bb7b5feda.html"


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.txt", b"WARC/1.0\r\nWARC-Type: warcinfo\r\n", "warc"),
        ("a.dat", b'<?xml version="1.0"?>\n<rss version="2.0"><channel>', "feed"),
        ("a.xml", b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">', "feed"),
        ("a.txt", b'{"title": "x", "body": "y"}\n', "jsonl"),
        ("page", b"\xef\xbb\xbf<!DOCTYPE html><html><head>", "html"),
        ("story.html", b"Plain words in a misnamed file.", "html"),
        ("notes.txt", b"Plain words.", "text"),
    ],
)
def test_detect_format_reads_content_first(name, head, expected):
    assert detect_format(name, head) == expected


def test_folder_walk_gz_and_format_override(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "page.html.gz").write_bytes(gzip.compress(PAGE.read_bytes()))
    (tmp_path / "sub" / "records.jsonl").write_text(json.dumps({"title": "T", "body": "B"}) + "\n")
    (tmp_path / ".hidden.html").write_text("<html>hidden</html>")
    docs = list(iter_documents([str(tmp_path)]))
    # a folder's own files come before its subfolders', each in sorted order
    assert [(Path(d.origin).name, d.format) for d in docs] == [
        ("records.jsonl:1", "json"),
        ("page.html.gz", "html"),
    ]
    assert docs[1].data == PAGE.read_bytes()
    (forced,) = list(iter_documents([str(tmp_path / "sub" / "records.jsonl")], fmt="text"))
    assert forced.format == "text"


def test_stdin_dash(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PAGE.read_bytes())))
    (doc,) = list(iter_documents(["-"]))
    assert isinstance(doc, RawDocument) and doc.format == "html" and doc.origin == "<stdin>"


def test_missing_and_truncated_inputs_are_failures(tmp_path):
    cut = tmp_path / "cut.html.gz"
    cut.write_bytes(gzip.compress(PAGE.read_bytes())[:-400])
    out = list(iter_documents([str(tmp_path / "nope.html"), str(cut), str(tmp_path / "*.none")]))
    assert all(isinstance(o, Failure) for o in out)
    assert [o.reason for o in out] == ["not_found", "truncated", "not_found"]
