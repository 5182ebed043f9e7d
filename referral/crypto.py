"""Personal data at rest: name, phone and free-text notes encrypted with Fernet keys.

``TASHARUK_DATA_KEYS`` holds comma-separated Fernet keys, newest first. New values are
encrypted with the newest key; any listed key decrypts; ``rotate_all`` re-encrypts every
stored value with the newest key so that old keys can then be removed, and seals any legacy
plain note left by a migration run without a key. ``SEALED`` lists every encrypted column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.models import (
    Case,
    ConsentRecord,
    GlassAccess,
    Referral,
    ReferralEvent,
    ServiceFeedback,
    ServiceReport,
    ServiceSite,
    Webhook,
)

__all__ = ["SEALED", "DataCipher", "cipher_from_config", "configured_cipher", "generate_key",
           "require_key", "rotate_all", "seal", "unseal"]

# model -> (sealed column, legacy plain column or None): everything encrypted at rest.
SEALED: dict[type, tuple[tuple[str, str | None], ...]] = {
    Case: (("name_enc", None), ("phone_enc", None), ("contact_handle_enc", None),
           ("consent_override_reason_enc", "consent_override_reason")),
    Referral: (("note_enc", "note"), ("reason_text_enc", "reason_text")),
    ReferralEvent: (("note_enc", "note"), ("reason_text_enc", "reason_text")),
    ServiceSite: (("exact_enc", None),),  # a confidential site's exact place
    GlassAccess: (("reason_enc", None),),  # why a supervisor broke the glass
    ServiceReport: (("detail_enc", None),),  # what a report of an inaccurate listing says
    Webhook: (("secret_enc", None),),  # the secret that signs an organisation's events
    ServiceFeedback: (("comment_enc", None),),  # a person's comment on a service
    ConsentRecord: (("revoked_reason_enc", None),),  # why the person revoked their consent
}
# The legacy plain columns' empty value (note is NOT NULL, the others are NULL when empty).
_PLAIN_EMPTY = {"note": ""}


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


def configured_cipher() -> DataCipher | None:
    """The current app's data cipher, or None when no (valid) key is configured."""
    if not has_app_context():
        return None
    try:
        return cipher_from_config(current_app.config)
    except BadInput:
        return None


def require_key(cipher: DataCipher | None, value: str | None, field: str) -> None:
    """BadInput naming ``field`` when there is text to store but no key to encrypt it with
    (free text about a person is never stored in plain)."""
    if value and cipher is None:
        raise BadInput(_("No data key configured: %(field)s is stored only encrypted (set "
                         "TASHARUK_DATA_KEYS).", field=field), field=field)


def seal(cipher: DataCipher | None, value: str | None, field: str) -> bytes | None:
    """``value`` encrypted for storage (None when empty); see ``require_key``."""
    require_key(cipher, value, field)
    return cipher.encrypt(value) if value else None


def unseal(cipher: DataCipher | None, token: bytes | None, legacy: str | None = None
           ) -> str | None:
    """The text of a sealed column for a reader already allowed to see it (the caller
    decides who may); a legacy plain value not yet sealed is shown as it is."""
    if token:
        return cipher.decrypt(token) if cipher is not None else None
    return legacy or None


def _resealed(row: Any, columns: tuple[tuple[str, str | None], ...],
              cipher: DataCipher) -> dict[str, Any]:
    """The new values of one row: tokens under the newest key, legacy plain text sealed."""
    values: dict[str, Any] = {}
    for sealed, plain in columns:
        token = getattr(row, sealed)
        if token:
            values[sealed] = cipher.rotate(token)
        legacy = getattr(row, plain) if plain else None
        if legacy:  # left in plain by a migration run without a key
            values[sealed] = cipher.encrypt(legacy)
            values[plain] = _PLAIN_EMPTY.get(plain)
    return values


def rotate_all(session: Session, cipher: DataCipher, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every sealed value with the newest key and seal legacy plain notes;
    return the rows changed per table.

    Plain UPDATEs by id: a referral's version (its optimistic lock) does not change, and the
    event table's append-only trigger lets exactly this re-sealing through.
    """
    done: dict[str, int] = {}
    for model, columns in SEALED.items():
        names = [c for c, _p in columns] + [p for _c, p in columns if p]
        stored = [getattr(model, c).is_not(None) for c, _p in columns]
        stored += [getattr(model, p) != _PLAIN_EMPTY[p] if p in _PLAIN_EMPTY
                   else getattr(model, p).is_not(None) for _c, p in columns if p]
        table = model.__tablename__
        done[table] = 0
        last_id = 0
        while True:
            rows = session.execute(
                select(model.id, *(getattr(model, n) for n in names))
                .where(model.id > last_id, or_(*stored)).order_by(model.id).limit(batch)).all()
            if not rows:
                break
            for row in rows:
                try:
                    values = _resealed(row, columns, cipher)
                except InvalidToken as exc:
                    raise BadInput(_("%(table)s %(id)s: no configured key decrypts its data; "
                                     "keep the old key in TASHARUK_DATA_KEYS until rotation "
                                     "finishes.", table=table, id=row.id),
                                   field="TASHARUK_DATA_KEYS") from exc
                session.execute(update(model).where(model.id == row.id).values(**values)
                                .execution_options(synchronize_session=False))
                done[table] += 1
                last_id = row.id
    session.expire_all()
    return done
