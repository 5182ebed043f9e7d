"""The same referral request sent twice creates one referral: the form pressed twice or sent
again when its answer was lost (a poor connection), an API client retrying with its
``Idempotency-Key``, two copies arriving at once. A changed form is a new referral; a key
reused for another API request is refused; keys are kept a day."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from data.models import Referral, Submission
from tests.kits.forms import key_on
from tests.kits.referrals import CONSENT, keys_fixture, world_fixture  # noqa: F401

FORM = {"age": "34", "sex": "female", "pcode": "SY07", "urgency": "normal",
        "needs": ["prot_pss"], "consent_method": "verbal", "consent_given_by": "the person",
        "consent_scope": ["age_sex", "needs"]}


def _referrals(session) -> int:
    return session.scalar(select(func.count()).select_from(Referral))


def _form_key(client, url: str) -> str:
    return key_on(client.get(url).get_data(as_text=True))


def test_the_form_sent_twice_sends_one_referral(client, login, session, world, keys):
    login(world.users[("sender", "caseworker")])
    url = f"/referrals/new?service_id={world.service.id}"
    key = _form_key(client, url)
    first = client.post(url, data={**FORM, "submission": key})
    again = client.post(url, data={**FORM, "submission": key})  # a double click, a resend
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert _referrals(session) == 1
    # back to the form, another person's details: a new referral, though the key came back
    other = client.post(url, data={**FORM, "age": "12", "submission": key})
    assert other.status_code == 302 and other.headers["Location"] != first.headers["Location"]
    assert _referrals(session) == 2
    # each new form has its own key; a form refused for a mistake keeps its key
    assert _form_key(client, url) != key
    refused = client.post(url, data={**FORM, "consent_method": "", "submission": key})
    assert refused.status_code == 400 and f'value="{key}"' in refused.get_data(as_text=True)


def test_a_form_without_its_key_still_sends(client, login, session, world, keys):
    login(world.users[("sender", "caseworker")])
    url = f"/referrals/new?service_id={world.service.id}"
    for junk in (None, "", "short", "x" * 65, "with space in it"):
        data = FORM if junk is None else {**FORM, "submission": junk}
        assert client.post(url, data=data).status_code == 302
    assert _referrals(session) == 5  # (no protection without a key; never an error)


def _payload(world) -> dict:
    return {"service_id": world.service.id, "consent": dict(CONSENT),
            "case": {"age": 34, "sex": "female", "pcode": "SY07"}}


@pytest.mark.parametrize(("key", "second_body", "second_key", "status", "created"), [
    ("retry-0001", "same", "retry-0001", 201, 1),  # a retry: the first answer's referral
    ("retry-0002", "other", "retry-0002", 409, 1),  # a key reused for another request
    ("retry-0003", "same", "retry-0004", 201, 2),  # a new key: a new request
    (None, "same", None, 201, 2),  # no key: no protection (as before)
])
def test_the_api_retry_with_its_key(client, login, session, world, keys, key, second_body,
                                    second_key, status, created):
    login(world.users[("sender", "caseworker")])

    def send(body, k):
        headers = {"Idempotency-Key": k} if k else {}
        return client.post("/api/v1/referrals", json=body, headers=headers)

    first = send(_payload(world), key)
    assert first.status_code == 201
    body = _payload(world)
    if second_body == "other":
        body["case"]["age"] = 35
    second = send(body, second_key)
    assert second.status_code == status, second.get_json()
    assert _referrals(session) == created
    if status == 201 and created == 1:
        assert second.get_json()["id"] == first.get_json()["id"]
    if status == 409:
        assert second.get_json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "has space", "ключ-12345"])
def test_a_malformed_key_is_refused_naming_the_header(client, login, session, world, keys,
                                                      key):
    login(world.users[("sender", "caseworker")])
    resp = client.post("/api/v1/referrals", json=_payload(world),
                       headers={"Idempotency-Key": key})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == "Idempotency-Key"
    assert _referrals(session) == 0


def test_two_copies_at_once_wait_for_the_first(database_url):
    """Two transactions claim one key at once (real connections): the second waits on the
    primary key until the first commits, then reads its referrals; a first that rolls back
    leaves the key to the second."""
    from data.db import make_engine
    from data.submissions import claim, record

    engine = make_engine(database_url)
    owner = f"user:test-{threading.get_ident()}"
    try:
        for outcome in ("commit", "rollback"):
            key = f"concurrent-{outcome}"
            with Session(engine) as first, Session(engine) as second:
                claimed = claim(first, owner, key, {"a": 1}, kind="referral")
                assert claimed.repeat is None
                record(first, claimed, [7, 8])
                got: list = []
                waiter = threading.Thread(target=lambda s=second, k=key, g=got: g.append(
                    claim(s, owner, k, {"a": 1}, kind="referral")))
                waiter.start()
                waiter.join(0.5)
                assert waiter.is_alive(), "the second claim waits for the first"
                getattr(first, outcome)()
                waiter.join(10)
                assert got[0].repeat == ([7, 8] if outcome == "commit" else None)
                second.rollback()
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM submission WHERE owner = :o"), {"o": owner})
        engine.dispose()


def test_keys_are_kept_a_day(session):
    from data.submissions import purge

    now = dt.datetime.now(dt.UTC)
    for age_h in (1, 25):
        session.add(Submission(owner="user:1", kind="referral", key_hash=f"{age_h:064d}",
                               body_hash="0" * 64, created_ids=[],
                               created_at=now - dt.timedelta(hours=age_h)))
    session.flush()
    assert purge(session, now) == 1
    assert session.scalars(select(Submission.key_hash)).all() == [f"{1:064d}"]
