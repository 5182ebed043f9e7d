"""Free-text notes about people are encrypted at rest (issue 17, finding 5): raw rows hold only
Fernet tokens, no column or search index anywhere holds the text, only who may see a note gets
it decrypted, there is no way to store one without a key, rotation and the migration cover them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from data.models import Case, Referral, ReferralEvent
from referral.crypto import DataCipher, generate_key, rotate_all
from referral.detail import referral_detail
from referral.lifecycle import add_note
from tests.kits.referrals import (  # noqa: F401
    CONSENT,
    cipher,
    fresh_database,
    keys_fixture,
    new_referral,
    world_fixture,
)

MARK = "Qx7secretdisclosure"  # one word, so a tsvector would keep it whole


def _create(client, login, world, **body):
    login(world.users[("sender", "org_admin")])
    payload = {"service_id": world.service.id, "consent": dict(CONSENT),
               "case": {"age": 30, "sex": "female", "pcode": "SY07", "needs": ["prot_pss"]},
               **body}
    return client.post("/api/v1/referrals", json=payload)


@pytest.fixture
def written(client, login, session, world, keys, app):
    """A referral whose every free-text field holds MARK: the note, an overridden consent's
    reason, a decline reason and note, and a timeline note; written through the API."""
    resp = _create(client, login, world, consent=None, note=f"{MARK} note",
                   consent_override_reason=f"{MARK} override")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    receiver = world.users[("receiver", "caseworker")]
    login(receiver)
    resp = client.post(f"/api/v1/referrals/{body['id']}/transitions",
                       json={"action": "decline", "version": body["version"], "reason": "other",
                             "reason_text": f"{MARK} reason", "note": f"{MARK} decline"})
    assert resp.status_code == 200, resp.get_json()
    add_note(session, body["id"], receiver, f"{MARK} timeline", cipher=cipher(app))
    session.flush()
    return session.get(Referral, body["id"])


# (table, sealed column, plain column, text expected, row selector)
SEALED_FIELDS = [
    ("referral", "note_enc", "note", f"{MARK} note", "id = :r"),
    ("referral", "reason_text_enc", "reason_text", f"{MARK} reason", "id = :r"),
    ("referral_case", "consent_override_reason_enc", "consent_override_reason",
     f"{MARK} override", "id = :c"),
    ("referral_event", "note_enc", "note", f"{MARK} decline",
     "referral_id = :r AND action = 'decline'"),
    ("referral_event", "reason_text_enc", "reason_text", f"{MARK} reason",
     "referral_id = :r AND action = 'decline'"),
    ("referral_event", "note_enc", "note", f"{MARK} timeline",
     "referral_id = :r AND action = 'note'"),
]


@pytest.mark.parametrize("table,sealed,plain,expected,where", SEALED_FIELDS)
def test_the_raw_row_holds_only_a_token(session, app, written, table, sealed, plain, expected,
                                        where):
    token, legacy = session.execute(text(f"SELECT {sealed}, {plain} FROM {table} WHERE {where}"),
                                    {"r": written.id, "c": written.case_id}).one()
    assert isinstance(token, bytes) and MARK.encode() not in token
    assert legacy in (None, "")
    assert cipher(app).decrypt(token) == expected
    assert DataCipher([generate_key()]).decrypt(token) is None


def test_the_text_is_nowhere_in_the_database(session, written):
    """Every text, JSON, array and tsvector column of every table and materialised view
    (search rows, audit log, notifications, outbox ...) is free of it."""
    columns = session.execute(text("""
        SELECT c.relname, a.attname FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') AND a.attnum > 0
          AND NOT a.attisdropped
          AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'jsonb'::regtype,
                             'json'::regtype, 'tsvector'::regtype, 'text[]'::regtype)""")).all()
    assert len(columns) > 50
    found = [f"{t}.{c}" for t, c in columns if session.execute(text(
        f'SELECT EXISTS (SELECT 1 FROM "{t}" WHERE "{c}"::text ILIKE :m)'),
        {"m": f"%{MARK}%"}).scalar()]
    assert found == []


def test_no_index_covers_a_note(session):
    defs = session.scalars(text(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN "
        "('referral', 'referral_event', 'referral_case')")).all()
    assert defs and not [d for d in defs if "note" in d or "reason_text" in d
                         or "override_reason" in d]


@pytest.mark.parametrize("who,sees", [
    (("sender", "org_admin"), True),  # the sender sees its own referral in full
    (("receiver", "caseworker"), True),  # the assigned staff member
    (("receiver", "org_admin"), False),  # a sensitive referral: only the assigned staff
])
def test_notes_are_decrypted_only_for_who_may_see_them(session, app, written, world, who,
                                                       sees):
    written.sensitive = True
    written.assigned_user_id = world.users[("receiver", "caseworker")].id
    session.flush()
    detail = referral_detail(session, written.id, world.users[who], cipher(app))
    notes = [e["note"] for e in detail["events"]] + [detail["note"]]
    reasons = [e["reason_text"] for e in detail["events"]] + [detail["reason_text"]]
    if sees:
        assert f"{MARK} decline" in notes and f"{MARK} reason" in reasons
    else:
        assert not any(notes) and not any(reasons)


def test_without_a_key_no_note_is_stored(client, login, session, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "TASHARUK_DATA_KEYS", "")
    monkeypatch.setitem(app.config, "DATA_KEYS", "")
    before = session.scalar(select(func.count()).select_from(Referral))
    resp = _create(client, login, world, note="a note")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == "note"
    assert "TASHARUK_DATA_KEYS" in resp.get_json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Referral)) == before
    resp = _create(client, login, world)  # without free text the referral goes
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    login(world.users[("receiver", "caseworker")])
    resp = client.post(f"/api/v1/referrals/{body['id']}/transitions",
                       json={"action": "accept", "version": body["version"], "note": "hi"})
    assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == "note"
    assert session.get(Referral, body["id"]).status == "sent"


def test_the_database_refuses_a_plain_note(session, world):
    """Whatever the code: a trigger refuses new plain text in the legacy columns."""
    ref = new_referral(session, world, status="sent")
    for statement in ("UPDATE referral SET note = 'plain' WHERE id = :r",
                      "INSERT INTO referral_event (referral_id, action, to_status, note) "
                      "VALUES (:r, 'note', 'sent', 'plain')"):
        with pytest.raises(DBAPIError, match="plain text refused"), session.begin_nested():
            session.execute(text(statement), {"r": ref.id})


def _check_calls(session) -> int:
    """How often this transaction called the plain-text check (``track_functions``)."""
    return session.scalar(text(
        "SELECT pg_stat_get_xact_function_calls('tasharuk_no_new_plain'::regproc)")) or 0


def test_rows_without_plain_text_skip_the_check(session, world, app, keys):
    """The rows the app writes (plain columns empty) pass the triggers' WHEN clause without
    calling the PL/pgSQL check (~16 us a row, issue 20); a plain value still reaches it, on
    every sealed table."""
    session.execute(text("SET LOCAL track_functions = 'pl'"))
    ref = new_referral(session, world, status="sent", data_cipher=cipher(app))
    add_note(session, ref.id, world.users[("sender", "org_admin")], "sealed",
             cipher=cipher(app))
    session.execute(text("UPDATE referral SET status = 'accepted' WHERE id = :r"), {"r": ref.id})
    session.flush()
    assert _check_calls(session) == 0
    for statement in ("UPDATE referral SET reason_text = 'plain' WHERE id = :r",
                      "UPDATE referral_case SET consent_override_reason = 'plain' "
                      "WHERE id = (SELECT case_id FROM referral WHERE id = :r)",
                      "INSERT INTO referral_event (referral_id, action, to_status, "
                      "reason_text) VALUES (:r, 'note', 'sent', 'plain')"):
        with pytest.raises(DBAPIError, match="plain text refused"), session.begin_nested():
            session.execute(text(statement), {"r": ref.id})  # (the function's own message)


@pytest.mark.parametrize("change", [
    "action = 'accept'", "at = now()", "note_enc = NULL, action = 'x'",
    "note = 'plain', note_enc = NULL",
])
def test_events_stay_append_only_except_for_resealing(session, world, app, keys, change):
    ref = new_referral(session, world, status="sent", data_cipher=cipher(app))
    event_id = session.scalar(select(ReferralEvent.id).where(
        ReferralEvent.referral_id == ref.id).order_by(ReferralEvent.id.desc()).limit(1))
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text(f"UPDATE referral_event SET {change} WHERE id = :e"),
                        {"e": event_id})
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("DELETE FROM referral_event WHERE id = :e"), {"e": event_id})
    with session.begin_nested():  # re-sealing is the one update let through
        session.execute(text("UPDATE referral_event SET note_enc = :t WHERE id = :e"),
                        {"t": cipher(app).encrypt("x"), "e": event_id})


def test_rotation_keeps_the_referrals_version(session, world, app, keys):
    ref = new_referral(session, world, status="accepted", data_cipher=cipher(app))
    version = ref.version
    new_key = generate_key()
    done = rotate_all(session, DataCipher([new_key, keys]))
    assert done["referral"] >= 1 and done["referral_case"] >= 1
    session.expire_all()
    row = session.get(Referral, ref.id)
    assert row.version == version
    assert DataCipher([new_key]).decrypt(row.note_enc) == "needs PSS after displacement"


# ---------------------------------------------------------------- the migration

def _plain_and_sealed(url: str, referral_id: int) -> tuple:
    from data.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        plain = conn.execute(text("SELECT r.note, e.note, c.consent_override_reason "
                                  "FROM referral r JOIN referral_case c ON c.id = r.case_id "
                                  "JOIN referral_event e ON e.referral_id = r.id "
                                  "AND e.action = 'note' WHERE r.id = :r"),
                             {"r": referral_id}).one()
        cols = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'referral'"))}
        sealed = conn.execute(text("SELECT note_enc FROM referral WHERE id = :r"),
                              {"r": referral_id}).scalar() if "note_enc" in cols else None
    engine.dispose()
    return tuple(plain), sealed


def test_the_migration_seals_existing_notes_with_a_key_and_rotation_without(scratch_db,
                                                                            monkeypatch):
    """Old plain rows (made by downgrading, which decrypts) are sealed by upgrading with
    TASHARUK_DATA_KEYS set; upgraded without a key they stay until rotate-keys seals them."""
    from sqlalchemy.orm import Session

    from data.db import make_engine
    from data.migrate import downgrade, upgrade
    from referral.cases import create_referrals

    key = generate_key()
    data_cipher = DataCipher([key])
    url = scratch_db("tasharuk_sealed_migration")
    with fresh_database(url) as (s, make, service):
        admin = make.user("org_admin", make.org())
        _, (ref,) = create_referrals(s, admin, {
            "service_id": service.id, "note": "first note",
            "consent_override_reason": "guardian unreachable",
            "case": {"age": 9, "sex": "male", "pcode": "SY07"}}, data_cipher)
        add_note(s, ref.id, admin, "second note", cipher=data_cipher)
        s.commit()
        rid = ref.id
    plain_now = ("", "", None)
    assert _plain_and_sealed(url, rid)[0] == plain_now

    monkeypatch.setenv("TASHARUK_DATA_KEYS", key)
    downgrade(url, "0020_one_head")  # decrypts into the plain columns
    old = ("first note", "second note", "guardian unreachable")
    assert _plain_and_sealed(url, rid) == (old, None)
    upgrade(url)  # with the key: sealed at once
    plain, sealed = _plain_and_sealed(url, rid)
    assert plain == plain_now and data_cipher.decrypt(sealed) == "first note"

    downgrade(url, "0020_one_head")
    monkeypatch.delenv("TASHARUK_DATA_KEYS")
    upgrade(url)  # without a key: nothing to seal with; the old rows wait, new ones can't
    assert _plain_and_sealed(url, rid) == (old, None)
    engine = make_engine(url)
    with engine.begin() as conn:  # a waiting row can still be answered; no new plain text
        conn.execute(text("UPDATE referral SET status = 'accepted' WHERE id = :r"), {"r": rid})
        with pytest.raises(DBAPIError, match="plain text refused"), conn.begin_nested():
            conn.execute(text("UPDATE referral SET note = 'more' WHERE id = :r"), {"r": rid})
    with Session(engine) as s:
        done = rotate_all(s, data_cipher)
        s.commit()
        assert done["referral"] == 1 and done["referral_event"] == 1
        assert done["referral_case"] == 1
        case = s.scalars(select(Case).join(Referral).where(Referral.id == rid)).one()
        assert data_cipher.decrypt(case.consent_override_reason_enc) == "guardian unreachable"
    engine.dispose()
    plain, sealed = _plain_and_sealed(url, rid)
    assert plain == plain_now and data_cipher.decrypt(sealed) == "first note"
