"""Attachment storage: type and size checked by content (``filetype``), files kept on disk.

Only PDF, DOCX, PNG and JPEG are accepted, recognised from their bytes; the file name's
extension must agree with the content (a ``.pdf`` that is really something else is refused).
Files are stored under the upload folder by their SHA-256, so a re-upload is free and an
orphan left by a rolled-back transaction is harmless.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import filetype
from sqlalchemy import select

from data.errors import BadInput, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from data.models import Attachment

__all__ = ["ALLOWED", "DEFAULT_MAX_BYTES", "CheckedFile", "check", "find_attachment", "open_path",
           "save"]

# Detected MIME type -> extensions the file name may carry.
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
}
INLINE = frozenset({"application/pdf", "image/png", "image/jpeg"})
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    """A file whose content was checked: safe name, detected type, size and hash."""

    filename: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def storage_key(self) -> str:
        return f"{self.sha256[:2]}/{self.sha256}"


def safe_filename(name: str) -> str:
    """The base name without path parts or control characters (Arabic letters are kept)."""
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return name[:150] or "file"


def check(filename: str | None, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
          field: str = "attachment") -> CheckedFile:
    """Check a file by its content; raise BadInput naming ``field`` when it is refused."""
    name = safe_filename(filename or "")
    if not data:
        raise BadInput(f"{field}: the file {name} is empty.", field=field)
    if len(data) > max_bytes:
        raise BadInput(f"{field}: the file {name} is {len(data) / 1048576:.1f} MB; the limit is "
                       f"{max_bytes / 1048576:.1f} MB.", field=field,
                       details={"size": len(data), "max_bytes": max_bytes})
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        found = kind.mime if kind else "unknown"
        raise BadInput(f"{field}: the file {name} is not a PDF, DOCX, PNG or JPEG "
                       f"(its content is {found}).", field=field, details={"detected": found})
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED[kind.mime]:
        raise BadInput(f"{field}: the file {name} is named .{ext or '?'} but its content is "
                       f"{kind.extension.upper()}; rename it or upload the right file.",
                       field=field, details={"detected": kind.mime})
    if not _whole(kind.mime, data):
        raise BadInput(f"{field}: the file {name} is incomplete (its end is missing): it may "
                       "not have finished downloading or uploading; send the whole file.",
                       field=field, details={"detected": kind.mime, "truncated": True})
    return CheckedFile(name, kind.mime, data, hashlib.sha256(data).hexdigest())


# Where each type says it ends, looked for in the file's last bytes (readers accept a little
# trailing junk after it: PDF readers look for %%EOF in the last 1,024 bytes).
_TAIL = 1024


def _whole(mime: str, data: bytes) -> bool:
    """Whether the file reaches its own end marker: a download or upload cut short (common on
    the connections our users have) is recognised by its first bytes but opens in no reader."""
    tail = data[-_TAIL:]
    if mime == "application/pdf":
        return b"%%EOF" in tail
    if mime == "image/png":
        return b"IEND" in tail
    if mime == "image/jpeg":
        return b"\xff\xd9" in tail
    try:  # DOCX: a zip whose central directory (at its end) reads
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return any(n.startswith("word/") for n in z.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError):
        return False


def save(folder: str | Path, checked: CheckedFile) -> str:
    """Write the file under ``folder`` (atomically, by hash); return its storage key."""
    path = Path(folder) / checked.storage_key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(checked.data)
        os.replace(tmp, path)
    return checked.storage_key


def open_path(folder: str | Path, storage_key: str) -> Path:
    """The stored file's path; NotFound when missing or when the key leaves the folder."""
    root = Path(folder).resolve()
    path = (root / storage_key).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound("The attached file is missing.")
    return path


def find_attachment(session: Session, file_id: uuid.UUID, *,
                    owner: Literal["document", "post"]) -> Attachment | None:
    """The attachment with this UUID belonging to a library document or a forum post, or None."""
    from data.models import Attachment

    column = Attachment.document_id if owner == "document" else Attachment.post_id
    return session.scalar(select(Attachment).where(Attachment.uuid == file_id,
                                                   column.is_not(None)))
