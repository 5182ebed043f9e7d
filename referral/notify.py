"""Notifications: in-app rows now, and email through SMTP after the transaction commits.

Emails never carry sensitive details: callers pass a short text and a link only. Without
``MAIL_SERVER`` email is a no-op; in-app notifications always work.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage

from sqlalchemy import event
from sqlalchemy.orm import Session

from data.models import Notification, User

__all__ = ["MailConfig", "notify", "send_email"]

log = logging.getLogger(__name__)


class MailConfig:
    """Where mail goes: ``server`` empty means mail is switched off."""

    def __init__(self, server: str = "", port: int = 25, sender: str = "tasharuk@localhost",
                 base_url: str = "http://127.0.0.1:5000"):
        self.server = server
        self.port = port
        self.sender = sender
        self.base_url = base_url.rstrip("/")

    @classmethod
    def from_flask(cls) -> MailConfig:
        """The current Flask app's mail settings."""
        from flask import current_app

        c = current_app.config
        return cls(c.get("MAIL_SERVER", ""), int(c.get("MAIL_PORT", 25)),
                   c.get("MAIL_SENDER", "tasharuk@localhost"), c.get("BASE_URL", ""))


def _current_config() -> MailConfig:
    """The Flask app's mail settings, or mail off outside an app (CLI, scripts, notebooks)."""
    from flask import has_app_context

    return MailConfig.from_flask() if has_app_context() else MailConfig()


def send_email(config: MailConfig, to: str, subject: str, body: str) -> bool:
    """Send one plain-text email now; False (and a log line) when mail is off or fails."""
    if not config.server:
        return False
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    try:
        with smtplib.SMTP(config.server, config.port, timeout=10) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("email to %s failed: %s", to, exc)
        return False
    return True


def _queue(session: Session, config: MailConfig, mails: list[tuple[str, str, str]]) -> None:
    pending = session.info.setdefault("pending_mail", [])
    pending.extend((config, *m) for m in mails)
    if session.info.get("mail_hooked"):
        return
    session.info["mail_hooked"] = True

    @event.listens_for(session, "after_commit")
    def _send(sess: Session) -> None:
        queue = sess.info.pop("pending_mail", [])
        for cfg, to, subject, body in queue:
            send_email(cfg, to, subject, body)

    @event.listens_for(session, "after_rollback")
    def _drop(sess: Session) -> None:
        sess.info.pop("pending_mail", None)


def notify(session: Session, users: Iterable[User], kind: str, text_ar: str, text_en: str,
           link: str = "", *, email: bool = True, config: MailConfig | None = None) -> int:
    """Notify ``users`` in-app, and by email after commit when mail is configured.

    The texts must be free of personal or sensitive details; the link leads to them.
    Returns the number of notifications written.
    """
    users = [u for u in users if u is not None and u.active]
    for user in users:
        session.add(Notification(user_id=user.id, kind=kind, text_ar=text_ar, text_en=text_en,
                                 link=link))
    session.flush()
    if email and users:
        config = config or _current_config()
        if config.server:
            url = f"{config.base_url}{link}" if link.startswith("/") else link
            mails = []
            for user in users:
                text = text_en if user.locale == "en" else text_ar
                mails.append((user.email, f"Tasharuk | تشارك: {text[:80]}",
                              f"{text_ar}\n{text_en}\n\n{url}\n"))
            _queue(session, config, mails)
    return len(users)
