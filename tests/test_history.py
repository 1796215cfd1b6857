"""`show` lists sources, story copies and versions; `history` shows word diffs between versions
(real publisher text from the corpus truth, ingested as JSON Lines through the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from archive.article_history import diff_text, word_diff
from tests.conftest import load_truth, run_cli


def _record(row: dict, **changes: str) -> str:
    rec = {k: row.get(k) for k in ("title", "authors", "published", "site_name", "url")}
    rec["body"] = row["body"].replace("\n", "\n\n")
    rec.update(changes)
    return json.dumps(rec, ensure_ascii=False) + "\n"


def test_show_and_history_of_an_updated_syndicated_article(tmp_path: Path) -> None:
    row = next(r for r in load_truth() if len(r["body"].split()) > 200)
    paragraphs = [p for p in row["body"].split("\n") if len(p.split()) > 5]
    words = paragraphs[1].split()
    old_word, new_word = words[3], "CORRECTED"
    fixed = paragraphs[1].replace(old_word, new_word, 1)
    body2 = "\n\n".join([paragraphs[0], fixed, *paragraphs[2:], "Editor's note: corrected."])
    (tmp_path / "v1.jsonl").write_text(_record(row), encoding="utf-8")
    (tmp_path / "v2.jsonl").write_text(
        _record(row, body=body2)
        + _record(row, body=body2, site_name="Other Daily", url="https://other.example/copy"),
        encoding="utf-8",
    )
    archive = tmp_path / "archive"
    assert run_cli(archive, "ingest", str(tmp_path / "v1.jsonl"), "--jobs", "1").returncode == 0
    second = run_cli(archive, "ingest", str(tmp_path / "v2.jsonl"), "--jobs", "1")
    assert "1 added, 1 updated" in second.stderr, second.stderr

    shown = json.loads(run_cli(archive, "show", "1", "--json").stdout)
    assert shown["version"] == 2
    assert [s["status"] for s in shown["sources"]] == ["article", "update"]
    assert [c["id"] for c in shown["story_copies"]] == [2]
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert shown["versions"][-1]["current"] is True
    text = run_cli(archive, "show", "1").stdout
    assert "Sources (2)" in text and "Story copies (1)" in text and "Versions (2" in text
    assert "2: " in text and "Other Daily" in text

    history = json.loads(run_cli(archive, "history", "1", "--json").stdout)
    assert len(history["versions"]) == 2
    diff = history["versions"][1]["diff"]
    removed = [t for op, t in diff if op == "-"]
    added = [t for op, t in diff if op == "+"]
    assert any(old_word in t for t in removed), diff
    assert any(new_word in t for t in added) and any("Editor's note" in t for t in added)
    plain = run_cli(archive, "history", "1").stdout
    assert f"{{+{new_word}" in plain and f"[-{old_word}" in plain
    versions = json.loads(run_cli(archive, "show", "1", "--versions", "--json").stdout)["versions"]
    assert versions[1]["diff"] == diff

    missing = run_cli(archive, "history", "99")
    assert missing.returncode == 1 and "no article 99" in missing.stderr


def test_word_diff_is_exact() -> None:
    runs = word_diff("the cat sat on the mat", "the dog sat on the mat today")
    assert runs == [
        ("=", "the"),
        ("-", "cat"),
        ("+", "dog"),
        ("=", "sat on the mat"),
        ("+", "today"),
    ]
    assert diff_text(runs) == "the [-cat-] {+dog+} sat on the mat {+today+}"
    assert word_diff("same words", "same words") == [("=", "same words")]
