"""The confidential-place sweep (issue 23) over what leaves the server on its own: every webhook
event body (delivered to a real receiver on loopback) and every e-mail (through the real SMTP
test server) that a change involving a confidential site causes holds no exact point and no
exact address: the site made confidential, renamed, referred to, accepted, reported, removed."""

from __future__ import annotations

import json

from sqlalchemy import select

from data.models import REPORT_KINDS, WebhookDelivery
from network.reports import report_inaccuracy
from network.webhooks import deliver, fan_out
from referral.lifecycle import reference, transition
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401
from tests.network import test_confidential_sites as sites
from tests.network import test_webhooks as hooks
from tests.network.test_confidential_sites import BETRAYALS, PAIRS, confidential_site

owner, receiver = sites.owner, hooks.receiver  # their fixtures: the site's owner, a receiver


def _betrayed(text: str) -> list[str]:
    """Which marks of the exact place ``text`` holds."""
    return [b for b in BETRAYALS if b in text] + [m[0] for p in PAIRS for m in [p.search(text)]
                                                  if m]


def test_no_webhook_event_or_email_betrays_a_confidential_place(
        app, client, login, session, owner, world, receiver, smtp_server):
    world.service.sensitive = False  # its changes reach the feed like any listing's
    login(owner)
    hook = client.post(f"/api/v1/organizations/{world.receiver_org.id}/webhooks",
                       json={"url": receiver.url})
    assert hook.status_code == 201, hook.get_json()
    receiver.secret = hook.get_json()["secret"]
    url = f"/api/v1/services/{world.service.id}"

    assert client.patch(url, json={"sites": [confidential_site()]}).status_code == 200
    assert client.patch(url, json={"sites": [confidential_site(name_en="Safe space 2")]}
                        ).status_code == 200
    referral = new_referral(session, world, status="sent")  # the receiver's staff are told
    transition(session, referral.id, world.users[("receiver", "caseworker")], "accept",
               version=referral.version)  # the sender is told; the place is now released
    report_inaccuracy(session, world.service.id, {"kind": REPORT_KINDS[0],
                                                  "detail": "the gate moved"}, None)
    login(owner)
    assert client.patch(url, json={"sites": []}).status_code == 200

    fan_out(session)
    deliveries = session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == hook.get_json()["id"]).order_by(WebhookDelivery.id)).all()
    assert {deliver(session, d.id) for d in deliveries} == {"delivered"}
    events = receiver.events
    # the sweep reaches the site's own events: made confidential, renamed, removed
    site_events = [(e["change"]["entity"], e["change"]["action"]) for e in events
                   if e["change"]["entity"] == "location"]
    assert {"created", "withdrawn"} <= {a for _e, a in site_events}, events
    assert len(events) == len(deliveries) >= 3 and receiver.refused == 0
    leaks = {json.dumps(e, ensure_ascii=False): _betrayed(json.dumps(e, ensure_ascii=False))
             for e in events}
    assert {k: v for k, v in leaks.items() if v} == {}
    # the bodies as stored for retries hold nothing more
    assert [d.payload for d in deliveries if _betrayed(d.payload)] == []

    mails = smtp_server.wait_for(3)
    ref = reference(referral)
    texts = [m.as_string() + "\n" + m.get_content() for m in mails]
    assert len(texts) >= 3
    assert sum(ref in t for t in texts) >= 2  # the referral's notices (sent, accepted)
    assert any(world.service.name_en in m.get_content() for m in mails)  # the report's
    assert {m["To"]: _betrayed(t) for m, t in zip(mails, texts, strict=True)
            if _betrayed(t)} == {}
