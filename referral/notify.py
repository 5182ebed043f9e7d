"""Notifications: in-app rows now, and email as a background job of the same transaction.

Emails never carry sensitive details: callers pass a short text and a link only. Without
``MAIL_SERVER`` email is a no-op; in-app notifications always work. With it, each email is
a ``mail.send`` job (``data.queue``) written in the caller's transaction: a rolled-back
change sends nothing, a committed one is sent by ``tasharuk worker``, retried with back-off.
The job holds the user's id, never the address (the worker reads it when sending).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from email.message import EmailMessage

from sqlalchemy.orm import Session

from data.models import Notification, User
from data.queue import enqueue

__all__ = ["MAIL_TASK", "MailConfig", "deliver", "notify", "send_email"]

MAIL_TASK = "mail.send"  # run by jobs.tasks

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


def deliver(config: MailConfig, to: str, subject: str, body: str) -> None:
    """Send one plain-text email now; raise OSError/SMTPException when it fails."""
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(config.server, config.port, timeout=10) as smtp:
        smtp.send_message(msg)


def send_email(config: MailConfig, to: str, subject: str, body: str) -> bool:
    """Send one plain-text email now; False (and a log line) when mail is off or fails."""
    if not config.server:
        return False
    try:
        deliver(config, to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("email failed: %s", type(exc).__name__)  # no address in logs
        return False
    return True


def notify(session: Session, users: Iterable[User], kind: str, text_ar: str, text_en: str,
           link: str = "", *, email: bool = True, config: MailConfig | None = None,
           email_links: Sequence[tuple[str, str]] = ()) -> int:
    """Notify ``users`` in-app, and by email (a job of this transaction) when mail is on.

    The texts must be free of personal or sensitive details; the link leads to them.
    ``email_links``: more (label, path) lines for the e-mail only (one-click answers).
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
            more = "".join(f"\n{label}:\n{config.base_url}{path}\n"
                           for label, path in email_links)
            for user in users:
                text = text_en if user.locale == "en" else text_ar
                enqueue(session, MAIL_TASK, queue="mail", user_id=user.id,
                        subject=f"Tasharuk | تشارك: {text[:80]}",
                        body=f"{text_ar}\n{text_en}\n\n{url}\n{more}")
    return len(users)
