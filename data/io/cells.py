"""Spreadsheet-safe text cells (OWASP's CSV-injection rule) and their way back.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or the
full-width ``＝ ＋ － ＠``) is a formula to a spreadsheet, a DDE command at worst. Exports
write it with a leading apostrophe (CSV) or as an explicit text cell (XLSX); imports drop
that apostrophe again, so an export read back gives the text as it was stored.
"""

from __future__ import annotations

__all__ = ["TRIGGERS", "neutralize", "restore"]

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralize(text: str) -> str:
    """The cell as a spreadsheet must receive it: an apostrophe before a formula trigger."""
    return "'" + text if text.startswith(TRIGGERS) else text


def restore(text: str) -> str:
    """The text as written before ``neutralize`` (an apostrophe before a trigger dropped)."""
    return text[1:] if text.startswith("'") and text[1:2] and text[1:].startswith(TRIGGERS) \
        else text
