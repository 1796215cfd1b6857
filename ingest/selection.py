"""Which files of a folder or glob are pages: `ingest --include/--exclude` and the defaults.

A folder people point us at often holds more than pages: a README, a LICENSE, notes in
Markdown, images, a `.manifest.json`. The defaults skip what is clearly not a page (names
and extensions below, hidden files); `--include` takes files back (and, when given, limits a
walk to what it matches); `--exclude` skips more. A pattern matches a file's name or its path
relative to the folder walked (`fnmatch`, so `*` crosses `/`). A file named on the command
line is taken as given, defaults aside: only `--exclude` can skip it.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .readers import walk_glob

# Names that are documentation or legal text, never a news page (case-insensitive, any suffix).
NOT_PAGE_NAMES = ("readme", "license", "licence", "copying", "changelog", "notice", "authors")
# Extensions that are documentation, code, images or archives we cannot read as pages.
NOT_PAGE_SUFFIXES = (
    ".md",
    ".markdown",
    ".rst",
    ".py",
    ".js",
    ".css",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".svg",
    ".ico",
    ".pdf",
    ".zip",
)


@dataclass(slots=True)
class Selection:
    """The inputs to read (files and anything not a folder or glob, as given) and what was
    skipped, each with why: "not a page" (the defaults), "--exclude" or "not in --include"."""

    inputs: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def extend(self, other: Selection) -> None:
        self.inputs += other.inputs
        self.skipped += other.skipped

    def summary(self, limit: int = 3) -> str | None:
        """One line naming what was skipped and why, or None."""
        if not self.skipped:
            return None
        names = ", ".join(
            "".join(c if c.isprintable() else "?" for c in Path(p).name)  # no terminal control
            for p, _ in self.skipped[:limit]
        )
        more = f" and {len(self.skipped) - limit} more" if len(self.skipped) > limit else ""
        counts: dict[str, int] = {}
        for _, why in self.skipped:
            counts[why] = counts.get(why, 0) + 1
        why = "; ".join(f"{n} {reason}" for reason, n in counts.items())
        return (
            f"Skipped {len(self.skipped)} file(s): {names}{more} ({why}); "
            "--include PATTERN takes a file anyway."
        )


def _matches(patterns: Iterable[str], name: str, relative: str) -> bool:
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(relative, p) for p in patterns)


def not_a_page(name: str) -> bool:
    lower = name.lower()
    if lower.startswith("."):
        return True
    stem = lower.split(".", 1)[0]
    if stem in NOT_PAGE_NAMES:
        return True
    return lower.removesuffix(".gz").endswith(NOT_PAGE_SUFFIXES)


def select_inputs(
    paths: Iterable[str], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> Selection:
    """Folders walked and globs expanded into files, filtered; other paths kept as given."""
    include, exclude = list(include), list(exclude)
    out = Selection()

    def consider(path: str, relative: str, *, named: bool) -> None:
        name = os.path.basename(path)
        if _matches(exclude, name, relative):
            out.skipped.append((path, "by --exclude"))
        elif named or _matches(include, name, relative):
            out.inputs.append(path)
        elif include:
            out.skipped.append((path, "not in --include"))
        elif not_a_page(name):
            out.skipped.append((path, "not a page"))
        else:
            out.inputs.append(path)

    for item in paths:
        path = Path(item)
        if item == "-":
            out.inputs.append(item)
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    full = str(Path(root) / name)  # the origin the reader has always given
                    consider(full, os.path.relpath(full, path), named=False)
        elif path.exists():
            consider(item, path.name, named=True)
        elif glob.has_magic(item):
            # `**` through readers' walk: glob's own follows symlink loops without end
            matches = sorted(set(walk_glob(item))) if "**" in item else sorted(glob.glob(item))
            if not matches:
                out.inputs.append(item)  # the reader reports "the pattern matches no file"
            matches = [m for m in matches if not any(m.startswith(d + os.sep) for d in matches)]
            for match in matches:  # a folder matched with its files: walked once
                if Path(match).is_dir():
                    out.extend(select_inputs([match], include, exclude))
                else:
                    consider(match, os.path.basename(match), named=False)
        else:
            out.inputs.append(item)  # the reader reports it as not found
    return out
