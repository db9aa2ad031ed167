"""Text that is shown to the user: escaped so that it stays on one line and cannot drive the terminal, and short.

Every error line echoes what the user gave (a key, a value, a file name). Such text may hold newlines, terminal
escape sequences or a list of 200,000 numbers; `printable` escapes what a terminal would act on and `shown` gives a
bounded picture of a value (through the standard library's reprlib, which limits containers and strings level by
level).
"""

from __future__ import annotations

import reprlib
import unicodedata
from typing import Any

__all__ = ["printable", "shown", "describe", "LINE_LIMIT"]

LINE_LIMIT = 600  # characters of one error line
_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = 6
_REPR.maxdict = 4
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlong = 40


def _escape(ch: str) -> str:
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: Any, limit: int | None = LINE_LIMIT) -> str:
    """`text` with control, format and line-separator characters escaped (\\n, \\x1b, \\u2028...), cut to `limit`."""
    text = str(text)
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        out.append(_escape(ch) if category[0] == "C" or category in ("Zl", "Zp") else ch)
    result = "".join(out)
    if limit is not None and len(result) > limit:
        result = result[: max(0, limit - 3)] + "..."
    return result


def shown(value: Any) -> str:
    """A short picture of a value for an error message: `[1, 2, 3, 4, 5, 6, ...]`, `'a long na...me'`."""
    return printable(_REPR.repr(value), 120)


def describe(value: Any) -> str:
    """What was given, in words: `true`, `the text '0.5'`, `a list`, `nothing (null)`, `1.7`."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, dict):
        return f"a mapping {shown(value)}"
    if isinstance(value, list):
        return f"a list {shown(value)}"
    return shown(value)
