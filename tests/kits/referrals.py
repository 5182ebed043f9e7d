"""Shared helpers of the referral tests: two organisations with staff, a service, keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

CONSENT = {"given_by": "the person", "method": "verbal", "scope": ["age_sex", "needs",
                                                                  "location", "name", "note"]}
# action -> state to start from, for walking a referral to any state
PATHS = {
    "draft": [], "sent": ["send"], "accepted": ["send", "accept"],
    "declined": ["send", "decline"], "in_progress": ["send", "accept", "start"],
    "completed": ["send", "accept", "start", "complete"],
    "closed_unmet": ["send", "accept", "close_unmet"], "withdrawn": ["withdraw"],
    "expired": ["send", "expire"], "receiver_revoked": ["send", "accept", "revoke_receiver"],
}
SYSTEM_ACTIONS = ("expire", "revoke_receiver")  # the platform's, never a user's


@dataclass
class World:
    sender_org: Any
    receiver_org: Any
    other_org: Any
    service: Any
    users: dict  # (side, role) -> user


@pytest.fixture(name="keys")
def keys_fixture(app):
    """A fresh data key configured on the app for the test."""
    from referral.crypto import generate_key

    old = app.config.get("TASHARUK_DATA_KEYS")
    key = generate_key()
    app.config["TASHARUK_DATA_KEYS"] = key
    yield key
    app.config["TASHARUK_DATA_KEYS"] = old


def quick_user(session, role: str, org, **kw):
    """A user without a password (argon2 hashing is slow; these tests never sign in by form)."""
    from data.models import User

    quick_user.n = getattr(quick_user, "n", 0) + 1
    kw.setdefault("email", f"ref{quick_user.n}-{role}-{id(session) % 10**6}@example.org")
    kw.setdefault("name", f"Staff {quick_user.n}")
    user = User(role=role, organization_id=org.id if org else None, **kw)
    session.add(user)
    session.flush()
    return user


@pytest.fixture(name="world")
def world_fixture(make, session) -> World:
    sender = make.org(name_en="Sender NGO", name_ar="المنظمة المرسلة")
    receiver = make.org(name_en="Receiver NGO", name_ar="المنظمة المستقبلة")
    other = make.org(name_en="Other NGO")
    service = make.service(organization=receiver, service_type_code="prot_pss",
                           coverage=["SY07"], response_days=3)
    users = {}
    for side, org in (("sender", sender), ("receiver", receiver), ("other", other)):
        for role in ("org_admin", "supervisor", "caseworker", "planner", "viewer"):
            users[(side, role)] = quick_user(session, role, org)
    users[("none", "platform_admin")] = quick_user(session, "platform_admin", None)
    return World(sender, receiver, other, service, users)


def cipher(app):
    from referral.crypto import cipher_from_config

    return cipher_from_config(app.config)


def new_referral(session, world: World, *, status: str = "sent", service=None,
                 name: str | None = "Fatima Al-Test", phone: str | None = "+963 944 123456",
                 data_cipher=None, **case):
    """A referral from the sender caseworker, walked to ``status``."""
    from referral.cases import create_referrals
    from referral.lifecycle import transition

    actor = world.users[("sender", "caseworker")]
    case.setdefault("age", 34)
    case.setdefault("sex", "female")
    case.setdefault("pcode", "SY07")
    payload = {"service_id": (service or world.service).id, "consent": dict(CONSENT),
               "case": {"name": name if data_cipher else None,
                        "phone": phone if data_cipher else None, **case},
               "note": "needs PSS after displacement" if data_cipher else ""}  # sealed: a key
    _, (referral,) = create_referrals(session, actor, payload, data_cipher, send=False)
    for action in PATHS[status]:
        who = None if action in SYSTEM_ACTIONS else world.users[
            ("sender" if action in ("send", "withdraw") else "receiver", "caseworker")]
        reason = {"decline": "no_capacity", "close_unmet": "no_capacity",
                  "revoke_receiver": "receiver_unverified"}.get(action)
        transition(session, referral.id, who, action, version=referral.version, reason=reason)
    return referral


@contextmanager
def fresh_database(url: str) -> Iterator[tuple[Any, Any, Any]]:
    """Migrate the empty database at ``url``, load the reference data, and yield a session,
    a row factory and a service covering SY07 (commit what you make; disposed after)."""
    from sqlalchemy.orm import Session

    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade
    from tests.conftest import Factory

    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            load_reference(s)
            make = Factory(s)
            yield s, make, make.service(coverage=["SY07"])
    finally:
        engine.dispose()
