"""Bytes to text: BOMs, declared and undeclared encodings, binary refused."""

from __future__ import annotations

import pytest

from ingest.decode import decode_bytes
from ingest.errors import EmptyInput, UnsupportedInput

TEXT = "Café society: naïve résumé — “quoted”"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with BOM
        TEXT.encode("utf-16-le"),  # without BOM
        TEXT.encode("utf-32"),
        TEXT.encode("utf-32-le"),  # without BOM
    ],
)
def test_unicode_forms_decode(data):
    assert decode_bytes(data, "page.txt") == TEXT


def test_utf8_without_declaration_is_not_read_as_latin1():
    html = "<html><head><title>Café</title></head><body><p>Crème brûlée</p></body></html>"
    assert "Crème brûlée" in decode_bytes(html.encode(), "p.html")


def test_wrong_latin1_declaration_on_utf8_bytes():
    html = '<meta charset="iso-8859-1"><p>Crème brûlée</p>'
    assert "Crème brûlée" in decode_bytes(html.encode(), "p.html")


def test_declared_cp1252():
    html = '<meta charset="windows-1252"><p>“Smart” quotes — and a euro €</p>'
    assert "“Smart” quotes — and a euro €" in decode_bytes(html.encode("cp1252"), "p.html")


def test_undeclared_legacy_encoding_is_detected():
    text = (
        "Les élèves étaient très contents de la journée à la mer, où ils ont mangé des crêpes. " * 5
    )
    assert decode_bytes(text.encode("latin-1"), "p.txt").startswith("Les élèves")


def test_empty_and_binary_are_refused_with_the_name():
    with pytest.raises(EmptyInput, match=r"blank\.txt"):
        decode_bytes(b"  \n", "blank.txt")
    with pytest.raises(UnsupportedInput, match=r"photo\.txt"):
        decode_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "photo.txt")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_wide_encodings_are_not_mistaken_for_binary(encoding):
    from ingest.decode import looks_binary, strip_bom

    data = strip_bom(("<html><body><p>" + TEXT * 20 + "</p></body></html>").encode(encoding))[0]
    assert not looks_binary(data)


def test_a_text_dump_opening_with_a_bracketed_logo_is_not_json():
    from ingest.readers import detect_format

    assert detect_format("page.txt", b"[site-logo]\nNews\n  \xe2\x80\xa2 Home\n") == "text"
    assert detect_format("export", b'[{"title": "x"}]') == "jsonl"
    assert detect_format("export", b'{"title": "x"}\n{"title": "y"}\n') == "jsonl"


def test_every_corpus_page_is_detected_as_what_it_is():
    """w3m renders a search box as `[          ] [Go]`: such dumps are text, not JSON."""
    from ingest.readers import detect_format

    from .conftest import CORPUS

    for page in sorted(CORPUS.glob("*.txt")):
        assert detect_format(page.name, page.read_bytes()[:4096]) == "text", page.name
    for page in sorted(CORPUS.glob("*.html")):
        assert detect_format(page.name, page.read_bytes()[:4096]) == "html", page.name
    assert (
        detect_format("search.txt", b"[                    ] [Go]\n  \xe2\x80\xa2 Home\n") == "text"
    )
