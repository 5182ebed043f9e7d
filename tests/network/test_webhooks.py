"""Webhooks (issue 22): an organisation registers an HTTPS endpoint; each change reaches it
as a signed, timestamped event, delivered by jobs with retries and back-off, then marked
failing; every attempt is logged. Tested against a real HTTP server on loopback that checks
the signature itself."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import re
import threading
import time

import pytest
from sqlalchemy import func, select, text

from data.models import AuditLog, Webhook, WebhookDelivery
from network.webhooks import MAX_ATTEMPTS, deliver, fan_out
from tests.network.test_directory_api import check
from tests.web.test_security import _token as _csrf
from tests.web.test_security import csrf_app  # noqa: F401 (the fixture)


class Receiver:
    """A partner system's endpoint: verifies each event's signature and timestamp."""

    def __init__(self):
        self.secret = ""
        self.mode = "ok"  # ok, fail, slow, redirect
        self.events: list[dict] = []
        self.paths: list[str] = []
        self.refused = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                receiver.paths.append(self.path)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ts = self.headers["X-Tasharuk-Timestamp"]
                want = "sha256=" + hmac.new(receiver.secret.encode(), f"{ts}.".encode() + body,
                                            hashlib.sha256).hexdigest()
                fresh = abs(time.time() - int(ts)) < 300
                if not (fresh and hmac.compare_digest(want,
                                                      self.headers["X-Tasharuk-Signature"])):
                    receiver.refused += 1
                    self.send_response(401)
                elif receiver.mode == "slow":
                    time.sleep(1.5)
                    self.send_response(200)
                elif receiver.mode == "redirect" and self.path == "/hook":
                    self.send_response(302)  # urllib followed it (as a GET) by default
                    self.send_header("Location", "/inside")
                elif receiver.mode == "fail":
                    self.send_response(500)
                else:
                    receiver.events.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def do_GET(self):  # noqa: N802 (a followed redirect arrives as a GET)
                receiver.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    """The receiving server, and the app's context (the worker's: its data keys)."""
    old = app.config.get("TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK")
    app.config["TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK"] = True
    r = Receiver()
    with app.app_context():
        yield r
    r.close()
    app.config["TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK"] = old


@pytest.fixture
def hooked(client, make, login, receiver):
    org = make.org()
    login(make.user("org_admin", org))
    resp = client.post(f"/api/v1/organizations/{org.id}/webhooks", json={"url": receiver.url})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    receiver.secret = body["secret"]
    return org, body


def _first_delivery(session, make, org, hook) -> WebhookDelivery:
    """A change of ``org`` (a new service) fanned out: the hook's first delivery, not sent yet."""
    make.service(organization=org)
    fan_out(session)
    return session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == hook["id"]).order_by(WebhookDelivery.id)).first()


def _jobs(session) -> int:
    return session.scalar(text("SELECT count(*) FROM procrastinate_jobs "
                               "WHERE task_name = 'webhooks.deliver'"))


def test_a_change_reaches_the_endpoint_signed(client, session, make, receiver, hooked):
    org, hook = hooked
    spec = client.get("/api/v1/openapi.json").get_json()
    jobs = _jobs(session)
    svc = make.service(organization=org)
    assert fan_out(session) >= 1 and _jobs(session) > jobs  # one job per delivery
    ids = session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == hook["id"]).order_by(WebhookDelivery.id)).all()
    assert [deliver(session, i) for i in ids] == ["delivered"] * len(ids)
    assert receiver.refused == 0
    assert ("service", svc.id, "created") in [
        (e["change"]["entity"], e["change"]["id"], e["change"]["action"])
        for e in receiver.events]
    log = check(spec, "/webhooks/{webhook_id}/deliveries", "get",
                client.get(f"/api/v1/webhooks/{hook['id']}/deliveries"))["items"]
    assert {d["status"] for d in log} == {"delivered"} and log[0]["last_status_code"] == 204
    assert "secret" not in client.get(f"/api/v1/organizations/{org.id}/webhooks"
                                      ).get_json()["items"][0]
    assert fan_out(session) == 0  # the cursor moved on


def test_a_failing_endpoint_is_retried_with_backoff_then_marked_failing(session, make,
                                                                         receiver, hooked):
    org, hook = hooked
    delivery = _first_delivery(session, make, org, hook)
    receiver.mode = "fail"
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        status = deliver(session, delivery.id)
        assert delivery.attempts == attempt and delivery.last_status_code == 500
        if attempt < MAX_ATTEMPTS:
            assert status == "pending"
            # the clock, not now(): the test's transaction may have begun a while ago
            waits.append(session.scalar(text(
                "SELECT extract(epoch FROM scheduled_at - clock_timestamp()) "
                "FROM procrastinate_jobs WHERE task_name = 'webhooks.deliver' "
                "ORDER BY id DESC LIMIT 1")))
    assert status == "failed"
    assert [round(w) for w in waits] == [30, 60, 120, 240]  # doubling
    webhook = session.get(Webhook, hook["id"])
    assert webhook.failing_since is not None
    receiver.mode = "ok"  # the next success clears the failing mark
    make.service(organization=org)
    fan_out(session)
    last = session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == hook["id"]).order_by(WebhookDelivery.id.desc())).first()
    assert deliver(session, last) == "delivered" and webhook.failing_since is None


def test_a_slow_endpoint_times_out_and_is_logged(session, make, receiver, hooked):
    org, hook = hooked
    delivery = _first_delivery(session, make, org, hook)
    receiver.mode = "slow"
    assert deliver(session, delivery.id, timeout=0.3) == "pending"
    assert "timed out" in (delivery.last_error or "").lower()


def test_a_wrong_secret_is_refused_by_the_receiver(session, make, receiver, hooked):
    org, hook = hooked
    receiver.secret = "not-the-secret"
    delivery = _first_delivery(session, make, org, hook)
    assert deliver(session, delivery.id) == "pending" and receiver.refused == 1
    assert delivery.last_status_code == 401


@pytest.mark.parametrize(("url", "loopback_allowed"), [
    ("http://partner.example.org/hook", True), ("ftp://partner.example.org/x", True),
    ("http://127.0.0.1:9/hook", False), ("not a url", True)])
def test_only_https_is_accepted(client, app, make, login, url, loopback_allowed, session):
    org = make.org()
    login(make.user("org_admin", org))
    old = app.config.get("TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK")
    app.config["TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK"] = loopback_allowed
    try:
        resp = client.post(f"/api/v1/organizations/{org.id}/webhooks", json={"url": url})
    finally:
        app.config["TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK"] = old
    assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == "url"
    assert session.scalar(select(Webhook.id).where(Webhook.organization_id == org.id)) is None


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://192.168.0.9/hook",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/hook", "https://[fd00::1]/hook",
    "https://localhost/hook", "https://db.internal/hook", "https://printer.local/hook"])
def test_an_address_on_a_local_or_private_network_is_refused(client, make, login, url,
                                                             session):
    """An https URL inside the server's own network made the server call it (SSRF)."""
    org = make.org()
    login(make.user("org_admin", org))
    resp = client.post(f"/api/v1/organizations/{org.id}/webhooks?lang=en", json={"url": url})
    assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == "url"
    assert "public internet" in resp.get_json()["error"]["message"]
    assert session.scalar(select(Webhook.id).where(Webhook.organization_id == org.id)) is None


def test_a_delivery_to_a_name_now_pointing_inside_is_not_sent(session, make, receiver,
                                                              hooked):
    """The address is checked again at each delivery: a name may be re-pointed inside."""
    org, hook = hooked
    delivery = _first_delivery(session, make, org, hook)
    port = receiver.server.server_address[1]
    session.get(Webhook, hook["id"]).url = f"https://localhost:{port}/hook"  # edited in SQL
    assert deliver(session, delivery.id) == "pending"
    assert "private address" in delivery.last_error and receiver.paths == []


def test_a_redirect_is_an_answer_not_followed(session, make, receiver, hooked):
    org, hook = hooked
    delivery = _first_delivery(session, make, org, hook)
    receiver.mode = "redirect"
    assert deliver(session, delivery.id) == "pending" and delivery.last_status_code == 302
    assert receiver.paths == ["/hook"]  # /inside never asked for


def _audit(session, action: str, hook_id: int) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action,
                                                       AuditLog.object_id == str(hook_id))))


def test_an_admin_switches_a_webhook_off_and_on(client, session, make, receiver, hooked):
    """Off: its waiting deliveries are cancelled, none sent, none made; on: it resumes from
    the feed's present (what changed meanwhile is in GET /changes), audited both ways."""
    org, hook = hooked
    spec = client.get("/api/v1/openapi.json").get_json()
    make.service(organization=org)
    assert fan_out(session) >= 1
    waiting = session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == hook["id"])).all()
    off = check(spec, "/webhooks/{webhook_id}", "patch",
                client.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False}))
    assert off["active"] is False
    for d in waiting:
        session.refresh(d)
        assert d.status == "failed" and "switched off" in d.last_error
        assert deliver(session, d.id) == "skipped"
    assert receiver.events == [] and receiver.paths == []
    make.service(organization=org)
    assert fan_out(session) == 0  # an inactive webhook gets no deliveries
    assert len(_audit(session, "webhook.deactivated", hook["id"])) == 1
    on = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": True})
    assert on.status_code == 200 and on.get_json()["active"] is True
    assert fan_out(session) == 0  # the change made while off is not replayed
    svc = make.service(organization=org)
    assert fan_out(session) >= 1
    last = session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == hook["id"]).order_by(WebhookDelivery.id.desc())).first()
    assert deliver(session, last.id) == "delivered"
    assert receiver.events[-1]["change"]["id"] == svc.id
    assert len(_audit(session, "webhook.reactivated", hook["id"])) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"active": "maybe"}, "active"), ({}, "active"), ({"url": "https://x.org/h"}, "url")])
def test_switching_needs_a_boolean_and_nothing_else(client, session, hooked, body, field):
    _org, hook = hooked
    resp = client.patch(f"/api/v1/webhooks/{hook['id']}", json=body)
    assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == field
    assert session.get(Webhook, hook["id"]).active is True
    assert _audit(session, "webhook.deactivated", hook["id"]) == []


def test_an_admin_deletes_a_webhook_and_its_log(client, session, make, receiver, hooked):
    org, hook = hooked
    make.service(organization=org)
    fan_out(session)
    queued = session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == hook["id"])).all()
    assert queued
    assert client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    session.expire_all()
    assert session.get(Webhook, hook["id"]) is None
    assert [deliver(session, i) for i in queued] == ["skipped"] * len(queued)
    assert receiver.paths == []
    assert client.get(f"/api/v1/organizations/{org.id}/webhooks").get_json()["items"] == []
    entry = _audit(session, "webhook.deleted", hook["id"])
    assert len(entry) == 1 and entry[0].summary["host"] == "127.0.0.1"
    assert client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    assert client.patch(f"/api/v1/webhooks/{hook['id']}",
                        json={"active": True}).status_code == 404


@pytest.mark.parametrize("role", ["org_admin", "caseworker"])
def test_others_cannot_switch_off_or_delete_a_webhook(app, session, make, login, role):
    """Another organisation's admin (403, as for the delivery log) and a caseworker of the
    same one (403) change nothing. (No receiver: its app context would keep the first
    signed-in user for every request.)"""
    org = make.org()
    admin = login(make.user("org_admin", org), app.test_client())
    hook = admin.post(f"/api/v1/organizations/{org.id}/webhooks",
                      json={"url": "https://partner.example.org/hook"}).get_json()
    other = login(make.user(role, org if role == "caseworker" else make.org()),
                  app.test_client())
    assert other.patch(f"/api/v1/webhooks/{hook['id']}",
                       json={"active": False}).status_code == 403
    assert other.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 403
    session.expire_all()
    assert session.get(Webhook, hook["id"]).active is True
    assert admin.patch(f"/api/v1/webhooks/{hook['id']}",
                       json={"active": False}).status_code == 200


def test_the_webhooks_page_lists_switches_and_deletes(client, session, make, receiver, hooked):
    """The organisation's admins see each webhook's address, state and last deliveries in
    Arabic and English, reached from "My organisation", and switch it off, on, or delete it."""
    org, hook = hooked
    assert "/accounts/webhooks" in client.get("/accounts/organization").get_data(as_text=True)
    make.service(organization=org)
    fan_out(session)
    page = client.get("/accounts/webhooks").get_data(as_text=True)
    assert 'dir="rtl"' in page and "خطافات الويب" in page and receiver.url in page
    assert "بانتظار الإرسال" in page and "يعمل" in page
    off = client.post(f"/accounts/webhooks/{hook['id']}/active", data={"active": "false"},
                      follow_redirects=True)
    assert off.status_code == 200 and "متوقف الآن" in off.get_data(as_text=True)
    assert session.get(Webhook, hook["id"]).active is False
    assert "تشغيل" in off.get_data(as_text=True)  # the button now switches it on
    assert client.post(f"/accounts/webhooks/{hook['id']}/active",
                       data={"active": "maybe"}).status_code == 400
    assert client.post(f"/accounts/webhooks/{hook['id']}/delete").status_code == 302
    session.expire_all()
    assert session.get(Webhook, hook["id"]) is None
    assert client.post(f"/accounts/webhooks/{hook['id']}/delete").status_code == 404


def test_the_webhooks_page_in_english(app, make, login):
    """(Without the receiver: its app context would keep the first request's language.)"""
    org = make.org()
    admin = login(make.user("org_admin", org), app.test_client())
    hook = admin.post(f"/api/v1/organizations/{org.id}/webhooks",
                      json={"url": "https://partner.example.org/hook"}).get_json()
    admin.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False})
    page = admin.get("/accounts/webhooks?lang=en").get_data(as_text=True)
    assert 'dir="ltr"' in page and "https://partner.example.org/hook" in page
    assert "Off" in page and "Switch on" in page and "Nothing sent yet." in page


def test_the_page_s_buttons_need_their_csrf_token(csrf_app, make, login, session):  # noqa: F811
    org = make.org()
    admin = login(make.user("org_admin", org), csrf_app.test_client())
    hook = Webhook(organization_id=org.id, url="https://partner.example.org/hook",
                   secret_enc=b"x", cursor="")
    session.add(hook)
    session.flush()
    assert admin.post(f"/accounts/webhooks/{hook.id}/active",
                      data={"active": "false"}).status_code == 400
    assert admin.post(f"/accounts/webhooks/{hook.id}/delete").status_code == 400
    page = admin.get("/accounts/webhooks").get_data(as_text=True)
    assert admin.post(f"/accounts/webhooks/{hook.id}/active",
                      data={"active": "false", "csrf_token": _csrf(page)}).status_code == 302
    session.refresh(hook)
    assert hook.active is False


def test_an_admin_registers_a_webhook_on_the_page_and_tests_it(client, session, make, login,
                                                               receiver):
    """Registered from the page (the secret shown once), a test event reaches the real
    receiver signed with that secret, and the delivery log on the page says so."""
    org = make.org()
    login(make.user("org_admin", org))
    resp = client.post("/accounts/webhooks", data={"url": receiver.url})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 201 and receiver.url in page
    receiver.secret = re.search(r'<code class="secret">([^<]+)</code>', page)[1]
    hook = session.scalars(select(Webhook).where(Webhook.organization_id == org.id)).one()
    assert receiver.secret not in client.get("/accounts/webhooks").get_data(as_text=True)
    assert len(_audit(session, "webhook.created", hook.id)) == 1
    sent = client.post(f"/accounts/webhooks/{hook.id}/test", follow_redirects=True)
    assert sent.status_code == 200 and "اختبار" in sent.get_data(as_text=True)
    test = session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == hook.id)).one()
    assert _jobs_for(session, test.id) == 1  # sent by a job, never in the request
    assert deliver(session, test.id) == "delivered" and receiver.refused == 0
    assert receiver.events == [{"event": "webhook.test", "webhook_id": hook.id,
                                "sent_at": receiver.events[0]["sent_at"]}]
    log = client.get("/accounts/webhooks").get_data(as_text=True)  # (the receiver's
    # app context keeps the first request's language: Arabic)
    assert "حدث تجريبي" in log and "وصلت" in log and "204" in log
    assert len(_audit(session, "webhook.tested", hook.id)) == 1


def _jobs_for(session, delivery_id: int) -> int:
    return session.scalar(text(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'webhooks.deliver' "
        "AND (args->>'delivery_id')::int = :id"), {"id": delivery_id})


def test_the_page_shows_when_a_failing_delivery_is_tried_again(client, session, make,
                                                               receiver, hooked):
    org, hook = hooked
    delivery = _first_delivery(session, make, org, hook)
    receiver.mode = "fail"
    assert deliver(session, delivery.id) == "pending"
    retry = session.scalar(text(
        "SELECT max(scheduled_at) FROM procrastinate_jobs WHERE task_name = 'webhooks.deliver' "
        "AND (args->>'delivery_id')::int = :id"), {"id": delivery.id})
    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"]
    mine = next(d for d in log if d["id"] == delivery.id)
    assert mine["next_attempt_at"] is not None and mine["last_status_code"] == 500
    page = client.get("/accounts/webhooks?lang=en").get_data(as_text=True)
    assert "Next attempt" in page and retry.isoformat()[:16].replace("T", " ") in page


@pytest.mark.parametrize("url", [
    "https://10.1.2.3/hook", "https://169.254.169.254/latest/meta-data", "https://localhost/x",
    "https://db.internal/hook", "http://partner.example.org/hook", "", "not a url"])
def test_the_page_refuses_what_the_api_refuses_and_keeps_what_was_typed(app, session, make,
                                                                        login, url):
    """The same checks as the API (SSRF among them), as an inline error next to the field
    with the typed address kept; nothing is registered."""
    org = make.org()
    admin = login(make.user("org_admin", org), app.test_client())
    resp = admin.post("/accounts/webhooks?lang=en", data={"url": url})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="url-error"' in page
    assert 'aria-invalid="true"' in page
    if url:
        assert f'value="{url}"' in page
    assert session.scalar(select(Webhook.id).where(Webhook.organization_id == org.id)) is None


def test_a_webhook_switched_off_cannot_be_tested(app, session, make, login):
    org = make.org()
    admin = login(make.user("org_admin", org), app.test_client())
    hook = admin.post(f"/api/v1/organizations/{org.id}/webhooks",
                      json={"url": "https://partner.example.org/hook"}).get_json()
    admin.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False})
    resp = admin.post(f"/accounts/webhooks/{hook['id']}/test?lang=en")
    assert resp.status_code == 400 and "Switch the webhook on" in resp.get_data(as_text=True)
    assert session.scalar(select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == hook["id"])) is None
    other = login(make.user("org_admin", make.org()), app.test_client())
    assert other.post(f"/accounts/webhooks/{hook['id']}/test").status_code == 403


def test_a_webhook_registered_twice_is_registered_once_with_its_secret(client, session, make,
                                                                         login, receiver):
    """The form pressed twice, or the API retried with its key, after the answer that showed
    the secret was lost: one webhook (each change is not delivered twice), and the repeat
    shows the same secret, the only one that signs its deliveries."""
    from data.models import Webhook
    from tests.kits.forms import key_on

    org = make.org()
    login(make.user("org_admin", org))
    key = key_on(client.get("/accounts/webhooks").get_data(as_text=True))
    pages = [client.post("/accounts/webhooks", data={"url": receiver.url, "submission": key})
             for _ in range(2)]
    assert [p.status_code for p in pages] == [201, 201]
    secrets = [re.search(r'<code class="secret">([^<]+)</code>', p.get_data(as_text=True))
               .group(1) for p in pages]
    assert secrets[0] == secrets[1]
    assert session.scalar(select(func.count()).select_from(Webhook).where(
        Webhook.organization_id == org.id)) == 1
    url = f"/api/v1/organizations/{org.id}/webhooks"
    other = receiver.url.replace("127.0.0.1", "localhost")
    first, retry = (client.post(url, json={"url": other}, headers={"Idempotency-Key": "hook-1234"})
                    for _ in range(2))
    assert first.status_code == retry.status_code == 201
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert retry.get_json()["secret"] == first.get_json()["secret"]
    assert session.scalar(select(func.count()).select_from(Webhook).where(
        Webhook.organization_id == org.id)) == 2
