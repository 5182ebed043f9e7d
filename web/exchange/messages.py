"""Whole-file errors of an upload as the upload page shows them.

The importer (``data/io``) writes its findings through gettext, so they already come in the
page's language (and a command's in the shell's); only the file's name needs correcting here.
"""

from __future__ import annotations

__all__ = ["file_error"]


def file_error(message: str, stored: str, name: str) -> str:
    """A whole-file error of an upload, naming the file as the user uploaded it (not the
    random name it is stored under)."""
    return message.replace(stored, name or stored)
