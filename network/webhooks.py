"""Webhooks (issue 22): an organisation registers an HTTPS URL and gets a secret; every
change of the feed (``network.changes``) reaches it as a signed, timestamped event.

Delivery never blocks the request that made the change: a periodic job (``webhooks.fanout``)
reads the feed after each webhook's cursor and writes one delivery per event, each sent by
its own job (``webhooks.deliver``). A failing or slow endpoint (timeout ``TIMEOUT_S``) is
tried again with back-off (``RETRY_BASE_S`` x 2^n) up to ``MAX_ATTEMPTS``; then the delivery
is failed and the webhook marked failing (it keeps receiving; the first success clears it).
Every attempt's answer or error is in the delivery log.

Its admins switch a webhook off (``set_active``: its pending deliveries are cancelled, no new
ones are made) and on again (it resumes from the feed's present: what changed meanwhile is read
from ``GET /changes``), or delete it with its log (``delete_webhook``); each is audited.

Signature: ``X-Tasharuk-Signature: sha256=HEX``, the HMAC-SHA256 with the secret of
``TIMESTAMP.BODY`` (bytes), ``TIMESTAMP`` in ``X-Tasharuk-Timestamp`` (Unix seconds): the
receiver recomputes it and refuses old timestamps (replays).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Forbidden, NotFound
from data.models import Organization, Webhook, WebhookDelivery
from data.queue import enqueue
from network.changes import changes
from referral.crypto import DataCipher, configured_cipher, seal, unseal
from referral.search import Viewer

__all__ = ["DELIVER_TASK", "MAX_ATTEMPTS", "TEST_CURSOR", "URL_MAX", "URL_SCHEMA",
           "delete_webhook", "deliver", "deliveries", "fan_out", "register_webhook",
           "send_test", "set_active", "sign", "webhooks"]

DELIVER_TASK = "webhooks.deliver"
MAX_ATTEMPTS = 5
RETRY_BASE_S = 30.0
TIMEOUT_S = 5.0
TEST_CURSOR = "test"  # a test event's place in the delivery log: it is no change of the feed


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _require_admin(session: Session, viewer: Viewer, organization_id: int) -> None:
    if session.get(Organization, organization_id) is None:
        raise NotFound(_("Organisation %(id)s does not exist.", id=organization_id))
    if not (viewer.role == "platform_admin" or (viewer.role == "org_admin"
                                                 and viewer.organization_id == organization_id)):
        raise Forbidden(_("Only this organisation's administrators may change it."))


def _loopback_http(parts) -> bool:
    """http to this machine: only registrable where the tests allow it (a local receiver)."""
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")


def _public(address: str) -> bool:
    """True for an address on the public internet (not loopback, private, link-local ...)."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


URL_MAX = 2000
# What _check_url accepts, as the API document states it: https to a host name (an address
# literal, ``localhost`` and the ``.local``/``.internal`` names are refused; so is a name that
# resolves to a private address, which no pattern can say).
URL_SCHEMA = {"type": "string", "format": "uri", "maxLength": URL_MAX,
              "pattern": "^https://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}"
                         "[a-z0-9])?)*\\.[a-z]{2,63}(/[A-Za-z0-9._~%/-]*)?$"}


def _check_url(url: str, allow_loopback_http: bool) -> str:
    """An https address on the public internet: a webhook must not make the server call its
    own network (cloud metadata, the database's host, the admin pages behind the proxy)."""
    parts = urlsplit(url)
    loopback = _loopback_http(parts)
    if not parts.hostname or not (parts.scheme == "https" or (loopback and allow_loopback_http)):
        raise BadInput(_("The webhook's address must start with https://."), field="url")
    if loopback:
        return url
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if (literal is not None and not literal.is_global) or host == "localhost" \
            or host.endswith((".localhost", ".local", ".internal")) or not _resolves_public(parts):
        raise BadInput(_("The webhook's address must be on the public internet, not a local "
                         "or private network."), field="url")
    return url


def _resolves_public(parts) -> bool:
    """Every address the webhook's host name resolves to is public (checked before each
    delivery: a name may be pointed at a private address after registration)."""
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return True  # let the request fail and be logged as the endpoint's error
    return all(_public(info[4][0]) for info in infos)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an address to follow (it could point inside)."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def webhook_json(hook: Webhook) -> dict[str, Any]:
    """A webhook as the API gives it (never its secret)."""
    return {"id": hook.id, "organization_id": hook.organization_id, "url": hook.url,
            "active": hook.active, "failing": hook.failing_since is not None,
            "failing_since": hook.failing_since.isoformat() if hook.failing_since else None,
            "created_at": hook.created_at.isoformat() if hook.created_at else None}


def register_webhook(session: Session, organization_id: int, data: dict, viewer: Viewer,
                     actor: Any = None, *, allow_loopback_http: bool = False
                     ) -> tuple[Webhook, str]:
    """A new webhook from now on; returns it and its secret (shown once)."""
    _require_admin(session, viewer, organization_id)
    unknown = sorted(set(data) - {"url"})
    if unknown:
        raise BadInput(_("Unknown field: %(name)s.", name=unknown[0]), field=unknown[0])
    url = _check_url(fields.text(data, "url", max_len=URL_MAX, required=True) or "",
                     allow_loopback_http)
    secret = secrets.token_urlsafe(32)
    hook = Webhook(organization_id=organization_id, url=url,
                   secret_enc=seal(configured_cipher(), secret, "secret"),
                   cursor=_feed_head(session))
    session.add(hook)
    session.flush()
    record(session, "webhook.created", user=actor, obj=hook, organization_id=organization_id,
           summary={"host": urlsplit(url).hostname})
    return hook, secret


def registered(session: Session, webhook_id: int, viewer: Viewer) -> tuple[Webhook, str]:
    """A webhook just registered and its secret, for the same request sent again (its first
    answer, the only one to show the secret, was lost: ``web.sent_once``)."""
    hook = _own_webhook(session, webhook_id, viewer)
    return hook, unseal(configured_cipher(), hook.secret_enc) or ""


def _feed_head(session: Session) -> str:
    """The change feed's present position: a webhook sends what changes after it."""
    start = session.execute(text(
        "SELECT txid, id FROM change_log ORDER BY txid DESC, id DESC LIMIT 1")).first()
    return f"{start[0]}-{start[1]}" if start else ""


def _own_webhook(session: Session, webhook_id: int, viewer: Viewer) -> Webhook:
    """The webhook, for its organisation's admins (NotFound, Forbidden otherwise)."""
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(_("No webhook %(id)s.", id=webhook_id), field="webhook_id")
    _require_admin(session, viewer, hook.organization_id)
    return hook


def set_active(session: Session, webhook_id: int, data: dict, viewer: Viewer,
               actor: Any = None) -> Webhook:
    """Switch a webhook off (its pending deliveries cancelled) or on again (from the feed's
    present, not the backlog: a long pause would otherwise flood it, or outlive the log)."""
    hook = _own_webhook(session, webhook_id, viewer)
    unknown = sorted(set(data) - {"active"})
    if unknown:
        raise BadInput(_("Unknown field: %(name)s.", name=unknown[0]), field=unknown[0])
    active = fields.boolean(data, "active")
    if active is None:
        raise fields.missing("active")
    if active == hook.active:
        return hook
    hook.active = active
    if active:
        hook.cursor, hook.failing_since = _feed_head(session), None
    else:
        now = dt.datetime.now(dt.UTC)
        for delivery in session.scalars(select(WebhookDelivery).where(
                WebhookDelivery.webhook_id == hook.id, WebhookDelivery.status == "pending")):
            delivery.status, delivery.finished_at = "failed", now
            delivery.last_error = "cancelled: the webhook was switched off"
    session.flush()
    record(session, "webhook.reactivated" if active else "webhook.deactivated", user=actor,
           obj=hook, organization_id=hook.organization_id,
           summary={"host": urlsplit(hook.url).hostname})
    return hook


def delete_webhook(session: Session, webhook_id: int, viewer: Viewer, actor: Any = None
                   ) -> None:
    """Delete a webhook and its delivery log (queued deliveries then find nothing to send)."""
    hook = _own_webhook(session, webhook_id, viewer)
    record(session, "webhook.deleted", user=actor, obj=hook,
           organization_id=hook.organization_id,
           summary={"host": urlsplit(hook.url).hostname})
    session.delete(hook)
    session.flush()


def webhooks(session: Session, organization_id: int, viewer: Viewer) -> list[Webhook]:
    """An organisation's webhooks (its admins)."""
    _require_admin(session, viewer, organization_id)
    return list(session.scalars(select(Webhook).where(
        Webhook.organization_id == organization_id).order_by(Webhook.id)))


def deliveries(session: Session, webhook_id: int, viewer: Viewer, limit: int = 100
               ) -> list[dict[str, Any]]:
    """The delivery log of one webhook, newest first (its organisation's admins)."""
    hook = _own_webhook(session, webhook_id, viewer)
    rows = list(session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == hook.id).order_by(WebhookDelivery.id.desc()).limit(limit)))
    retries = _next_attempts(session, [d.id for d in rows if d.status == "pending"])
    return [{"id": d.id, "change_cursor": d.change_cursor, "status": d.status,
             "attempts": d.attempts, "last_status_code": d.last_status_code,
             "last_error": d.last_error,
             "next_attempt_at": retries[d.id].isoformat() if d.id in retries else None,
             "finished_at": d.finished_at.isoformat() if d.finished_at else None}
            for d in rows]


def _next_attempts(session: Session, delivery_ids: list[int]) -> dict[int, dt.datetime]:
    """When each waiting delivery's job is next tried (one statement for the page)."""
    if not delivery_ids:
        return {}
    rows = session.execute(text(
        "SELECT (args->>'delivery_id')::int, min(scheduled_at) FROM procrastinate_jobs "
        "WHERE task_name = :task AND status = 'todo' AND scheduled_at IS NOT NULL "
        "AND (args->>'delivery_id')::int = ANY(CAST(:ids AS int[])) GROUP BY 1"),
        {"task": DELIVER_TASK, "ids": delivery_ids}).all()
    return {int(r[0]): r[1] for r in rows}


def send_test(session: Session, webhook_id: int, viewer: Viewer, actor: Any = None
              ) -> WebhookDelivery:
    """A signed test event to the webhook, delivered (and logged, retried) like any change,
    so that its admins can check their receiver without changing the directory."""
    hook = _own_webhook(session, webhook_id, viewer)
    if not hook.active:
        raise BadInput(_("Switch the webhook on before sending it a test event."),
                       field="active")
    payload = json.dumps({"event": "webhook.test", "webhook_id": hook.id,
                          "sent_at": dt.datetime.now(dt.UTC).isoformat()},
                         separators=(",", ":"))
    delivery = WebhookDelivery(webhook_id=hook.id, change_cursor=TEST_CURSOR, payload=payload)
    session.add(delivery)
    session.flush()
    enqueue(session, DELIVER_TASK, queue="webhooks", delivery_id=delivery.id)
    record(session, "webhook.tested", user=actor, obj=hook,
           organization_id=hook.organization_id, summary={"host": urlsplit(hook.url).hostname})
    return delivery


def fan_out(session: Session, limit: int = 100) -> int:
    """One delivery (and its job) per new change for every active webhook."""
    made = 0
    for hook in session.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id)):
        page = changes(session, hook.cursor or None, limit)
        for item in page["items"]:
            payload = json.dumps({"event": "directory.change", "change": item},
                                 ensure_ascii=False, separators=(",", ":"))
            delivery = WebhookDelivery(webhook_id=hook.id, change_cursor=item["cursor"],
                                       payload=payload)
            session.add(delivery)
            session.flush()
            enqueue(session, DELIVER_TASK, queue="webhooks", delivery_id=delivery.id)
            made += 1
        hook.cursor = page["next_cursor"]
    session.flush()
    return made


def deliver(session: Session, delivery_id: int, *, now: float | None = None,
            timeout: float = TIMEOUT_S, cipher: DataCipher | None = None) -> str:
    """Send one delivery; on failure schedule the next attempt or give up (failing).
    ``cipher``: the data keys that unseal the secret (default: the app's)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return "skipped"
    hook = session.get(Webhook, delivery.webhook_id)
    assert hook is not None  # deliveries cascade with their webhook
    if not hook.active:  # switched off while this job waited
        return "skipped"
    secret = unseal(cipher or configured_cipher(), hook.secret_enc)
    if not secret:  # never send an unsigned event
        raise RuntimeError("no data key unseals this webhook's secret (TASHARUK_DATA_KEYS)")
    timestamp = int(now if now is not None else time.time())
    body = delivery.payload.encode()
    request = urllib.request.Request(hook.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Tasharuk-Webhooks/1",
        "X-Tasharuk-Timestamp": str(timestamp),
        "X-Tasharuk-Signature": sign(secret, timestamp, body),
        "X-Tasharuk-Delivery": str(delivery.id)})
    delivery.attempts += 1
    code, error = None, None
    parts = urlsplit(hook.url)
    try:
        if not _loopback_http(parts) and not _resolves_public(parts):
            raise OSError(f"{parts.hostname} resolves to a private address; not sent")
        with _OPENER.open(request, timeout=timeout) as resp:  # noqa: S310 (checked above)
            code = resp.status
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    delivery.last_status_code, delivery.last_error = code, error
    finished = dt.datetime.now(dt.UTC)
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.finished_at = "delivered", finished
        hook.failing_since = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.finished_at = "failed", finished
        hook.failing_since = hook.failing_since or finished
    else:
        enqueue(session, DELIVER_TASK, queue="webhooks", delivery_id=delivery.id,
                schedule_in=dt.timedelta(seconds=RETRY_BASE_S * 2 ** (delivery.attempts - 1)))
    session.flush()
    return delivery.status
