"""Text from data made safe for a terminal: no control character, no markup, one line.

Pages, records and file names are data: an escape sequence in a title (clear the screen, set
the window title, a hyperlink), a newline in a file name (a forged `Error:` line) or Rich
markup in a site name (`[link=...]`) must print as visible text, never act. Every command
that prints data passes it through `safe` (one line) or `safe_text` (keeps line breaks), and
through `markup_safe` when the text goes to Rich with markup on.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates that reorder what follows them on screen (U+202A-202E, U+2066-2069)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"\r\n|[\n\r\u2028\u2029\x85\x0b\x0c\x1c-\x1e]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: object) -> str:
    """`value` as text with every control character shown as an escape (`\\e`, `\\x07`);
    line breaks and tabs stay. For multi-line output (an article's body)."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_visible, text.replace("\r\n", "\n"))


def safe(value: object) -> str:
    """`value` on one line: line breaks and tabs shown as `\\n`, `\\t`, every control escaped.

    For anything printed one item per line (file names, titles, error messages): one input
    always gives one line, whatever its name or content holds.
    """
    text = value if isinstance(value, str) else str(value)
    text = _BREAKS.sub(lambda m: "\\n" if m.group() in ("\n", "\r\n") else _visible(m), text)
    return safe_text(text.replace("\t", "\\t"))


def markup_safe(value: object, *, one_line: bool = True) -> str:
    """`safe` (or `safe_text`) and Rich markup escaped: for rich's `print` with markup on."""
    from rich.markup import escape

    return escape(safe(value) if one_line else safe_text(value))
