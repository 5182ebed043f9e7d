"""Exports written aside and put in place only when complete: a failed one (a database that
does not answer, a bad row, a full disk) leaves nothing behind, neither a truncated file nor an
empty folder skeleton, and never clobbers the previous good export."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["file_aside", "folder_aside"]


@contextmanager
def file_aside(final: Path, suffix: str | None = None) -> Iterator[Path]:
    """A new temporary file beside ``final`` ending in ``suffix`` (default ``final``'s: the
    writers choose the format by it), renamed to ``final`` when the block ends without
    error, removed in every case."""
    final = Path(final)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".building-",
                               suffix=final.suffix if suffix is None else suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def folder_aside(final: Path) -> Iterator[Path]:
    """A new temporary folder beside ``final``; when the block ends without error its
    entries move into ``final`` (created if needed, same-named entries replaced)."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".building-{final.name}-"))
    try:
        yield tmp
        final.mkdir(exist_ok=True)
        for entry in tmp.iterdir():
            target = final / entry.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(entry, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
