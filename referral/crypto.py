"""Personal data at rest: name and phone encrypted with Fernet keys from configuration.

``TASHARUK_DATA_KEYS`` holds comma-separated Fernet keys, newest first. New values are
encrypted with the newest key; any listed key decrypts; ``rotate_all`` re-encrypts every
stored value with the newest key so that old keys can then be removed.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.models import Case

__all__ = ["DataCipher", "cipher_from_config", "generate_key", "rotate_all"]


def generate_key() -> str:
    """A new Fernet key (urlsafe base64 text) to put first in TASHARUK_DATA_KEYS."""
    return Fernet.generate_key().decode()


class DataCipher:
    """Encrypts and decrypts small personal values with a MultiFernet (newest key first)."""

    def __init__(self, keys: Sequence[str]):
        keys = [k.strip() for k in keys if k and k.strip()]
        if not keys:
            raise BadInput(_("No data key configured: set TASHARUK_DATA_KEYS to one or more "
                             "Fernet keys (newest first), e.g. from `tasharuk referrals "
                             "new-key`."), field="TASHARUK_DATA_KEYS")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError) as exc:
            raise BadInput(_("TASHARUK_DATA_KEYS holds an invalid Fernet key: %(error)s",
                             error=exc), field="TASHARUK_DATA_KEYS") from exc

    def encrypt(self, value: str | None) -> bytes | None:
        """The token for ``value`` (None or empty stays None)."""
        if not value:
            return None
        return self._fernet.encrypt(value.encode("utf-8"))

    def decrypt(self, token: bytes | None) -> str | None:
        """The plaintext of ``token``; None when absent or no configured key opens it."""
        if not token:
            return None
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            return None

    def rotate(self, token: bytes) -> bytes:
        """``token`` re-encrypted with the newest key."""
        return self._fernet.rotate(bytes(token))


def cipher_from_config(config: dict) -> DataCipher:
    """The cipher for an app's config (``TASHARUK_DATA_KEYS``, or ``DATA_KEYS`` from env)."""
    raw = config.get("TASHARUK_DATA_KEYS") or config.get("DATA_KEYS") or ""
    if isinstance(raw, str):
        raw = raw.split(",")
    return DataCipher(list(raw))


def rotate_all(session: Session, cipher: DataCipher, batch: int = 500) -> int:
    """Re-encrypt every stored name and phone with the newest key; return the cases changed."""
    done = 0
    last_id = 0
    while True:
        cases = session.scalars(
            select(Case).where(Case.id > last_id,
                               or_(Case.name_enc.is_not(None), Case.phone_enc.is_not(None)))
            .order_by(Case.id).limit(batch)).all()
        if not cases:
            return done
        for case in cases:
            try:
                if case.name_enc:
                    case.name_enc = cipher.rotate(case.name_enc)
                if case.phone_enc:
                    case.phone_enc = cipher.rotate(case.phone_enc)
            except InvalidToken as exc:
                raise BadInput(_("Case %(id)s: no configured key decrypts its data; keep the "
                                 "old key in TASHARUK_DATA_KEYS until rotation finishes.",
                                 id=case.id), field="TASHARUK_DATA_KEYS") from exc
            done += 1
            last_id = case.id
        session.flush()
