"""Referral benchmark: inbox query p95 and transition throughput at national scale.

National scale (``--scale 1``): 5,000 organisations, 100,000 services, 200,000 referrals with
1,000,000 events, bulk-generated server-side (``INSERT ... SELECT generate_series``) in a
scratch database ``tasharuk_bench_referrals`` on the same server. Each figure comes with its
floor measured in the same run: the bare SQL inbox query through psycopg, and a bare
UPDATE + INSERT per transition. Target: inbox p95 <= 20 ms.

Run: ``python -m bench.referrals --scale 0.1`` (or ``python -m bench referrals``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

DB_NAME = "tasharuk_bench_referrals"
TARGET_P95_MS = 20.0

BARE_INBOX = """
SELECT r.id, r.uuid, r.status, r.urgency, r.sensitive, r.version, r.service_id, r.sent_at,
       r.due_at, r.case_id, s.name_ar, s.name_en, o.id, o.name_ar, o.name_en,
       (r.status = 'sent' AND r.due_at < now()) AS overdue
FROM referral r JOIN organization o ON o.id = r.sender_org_id
LEFT JOIN service s ON s.id = r.service_id
WHERE r.receiver_org_id = %s AND r.status <> 'draft'
ORDER BY r.sent_at DESC NULLS FIRST, r.id DESC LIMIT 50
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queries", type=int, default=500, help="inbox queries to time")
    parser.add_argument("--transitions", type=int, default=300, help="transitions to time")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")


def _progress(msg: str) -> None:
    print(f"[bench referrals] {msg}", file=sys.stderr, flush=True)


def _with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from data.cluster import database_url, start

        start()
        url = database_url()
    return url


def build(url: str, scale: float, seed: int) -> dict:
    """Create, migrate and fill the scratch database; return the row counts."""
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade

    admin = make_engine(_with_db(url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    bench_url = _with_db(url, DB_NAME)
    upgrade(bench_url)
    engine = make_engine(bench_url)
    n_orgs = max(20, int(5000 * scale))
    n_services = max(40, int(100_000 * scale))
    n_refs = max(100, int(200_000 * scale))
    counts = {"organizations": n_orgs, "services": n_services, "referrals": n_refs}
    with Session(engine) as s:
        load_reference(s)
        s.commit()
        s.execute(text("SELECT setseed(:x)"), {"x": (seed % 1000) / 1000})
        _progress(f"organisations {n_orgs}, services {n_services}")
        s.execute(text("""
            INSERT INTO organization (id, uuid, name_ar, name_en, org_type, verification,
                                      search_text)
            SELECT g, gen_random_uuid(), 'منظمة ' || g, 'Organisation ' || g, 'local_ngo',
                   'verified', ''
            FROM generate_series(1, :n) g"""), {"n": n_orgs})
        s.execute(text("""
            INSERT INTO app_user (id, email, name, organization_id, role)
            SELECT g, 'staff' || g || '@bench.example', 'Staff ' || g, g,
                   CASE WHEN g % 2 = 0 THEN 'caseworker' ELSE 'org_admin' END
            FROM generate_series(1, :n) g"""), {"n": n_orgs})
        s.execute(text("""
            INSERT INTO service (id, uuid, organization_id, service_type_code, name_ar, name_en,
                                 response_days)
            SELECT g, gen_random_uuid(), 1 + (g % :o), 'prot_pss', 'خدمة ' || g,
                   'Service ' || g, 5
            FROM generate_series(1, :n) g"""), {"n": n_services, "o": n_orgs})
        _progress(f"cases and referrals {n_refs}")
        s.execute(text("""
            INSERT INTO referral_case (id, uuid, organization_id, case_code, age, sex, needs,
                                       urgency)
            SELECT g, gen_random_uuid(), 1 + (g::bigint * 7919) % :o, 'C-' || g,
                   (random() * 80)::int, 'female', '{prot_pss}', 'normal'
            FROM generate_series(1, :n) g"""), {"n": n_refs, "o": n_orgs})
        s.execute(text("""
            INSERT INTO consent_record (case_id, given_by, method, given_at, scope)
            SELECT g, 'person', 'verbal', now() - interval '60 days', '{needs,age_sex}'
            FROM generate_series(1, :n) g"""), {"n": n_refs})
        s.execute(text("""
            INSERT INTO referral (id, uuid, case_id, sender_org_id, sender_user_id,
                                  receiver_org_id, service_id, service_type_code, status,
                                  version, urgency, sensitive, sent_at, due_at, responded_at)
            SELECT g, gen_random_uuid(), g, c.organization_id, c.organization_id,
                   sv.organization_id, sv.id, 'prot_pss',
                   (ARRAY['sent','sent','accepted','declined','in_progress','completed',
                          'completed','closed_unmet','withdrawn','expired'])[1 + g % 10],
                   5, 'normal', g % 13 = 0, t, t + interval '7 days',
                   CASE WHEN g % 10 >= 2 THEN t + interval '20 hours' END
            FROM generate_series(1, :n) g
            JOIN referral_case c ON c.id = g
            JOIN service sv ON sv.id = 1 + (g::bigint * 104729) % :sv
            CROSS JOIN LATERAL (SELECT now() - (random() * interval '365 days') AS t) tt"""),
                  {"n": n_refs, "sv": n_services})
        _progress(f"events {n_refs * 5}")
        s.execute(text("""
            INSERT INTO referral_event (referral_id, at, actor_user_id, action, from_status,
                                        to_status, note)
            SELECT r.id, r.sent_at + k * interval '1 hour', r.sender_user_id,
                   (ARRAY['create','send','accept','start','note'])[k + 1],
                   (ARRAY[NULL,'draft','sent','accepted','in_progress'])[k + 1],
                   (ARRAY['draft','sent','accepted','in_progress','in_progress'])[k + 1], ''
            FROM referral r CROSS JOIN generate_series(0, 4) k"""))
        for table in ("organization", "app_user", "service", "referral_case", "referral"):
            s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))"))
        s.commit()
        counts["events"] = s.scalar(text("SELECT count(*) FROM referral_event"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return counts


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def time_inbox(bench_url: str, n_orgs: int, queries: int, seed: int) -> dict:
    """p50/p95 of the inbox through ``referral.boxes`` and the bare SQL floor."""
    from data.db import make_engine
    from referral.boxes import BoxFilters, box_query

    rng = random.Random(seed)
    orgs = [rng.randint(1, n_orgs) for _ in range(queries)]
    engine = make_engine(bench_url)
    ours, bare = [], []
    with Session(engine) as s:
        filters = BoxFilters(box="in")
        for org in orgs[:20]:  # warm-up
            s.execute(box_query(org, filters)).all()
        for org in orgs:
            t = time.perf_counter()
            s.execute(box_query(org, filters)).all()
            ours.append((time.perf_counter() - t) * 1000)
        raw = s.connection().connection.dbapi_connection
        with raw.cursor() as cur:
            for org in orgs:
                t = time.perf_counter()
                cur.execute(BARE_INBOX, (org,))
                cur.fetchall()
                bare.append((time.perf_counter() - t) * 1000)
        s.rollback()
    engine.dispose()
    return {"inbox_p50_ms": round(_pct(ours, 50), 3), "inbox_p95_ms": round(_pct(ours, 95), 3),
            "bare_sql_inbox_p50_ms": round(_pct(bare, 50), 3),
            "bare_sql_inbox_p95_ms": round(_pct(bare, 95), 3),
            "inbox_target_p95_ms": TARGET_P95_MS,
            "inbox_meets_target": _pct(ours, 95) <= TARGET_P95_MS}


def time_transitions(bench_url: str, count: int) -> dict:
    """Accepts per second through ``referral.lifecycle.transition`` (one commit each, with
    the event and the sender's notification), and the bare UPDATE + INSERT floor."""
    from data.db import make_engine
    from data.models import User
    from referral.lifecycle import transition
    from referral.notify import MailConfig

    engine = make_engine(bench_url)
    with Session(engine) as s:
        rows = s.execute(text("SELECT id, receiver_org_id, version FROM referral "
                              "WHERE status = 'sent' ORDER BY id LIMIT :n"),
                         {"n": 2 * count}).all()
        staff = dict(s.execute(text("SELECT organization_id, id FROM app_user")).all())
    ours_rows, bare_rows = rows[:count], rows[count:2 * count]
    config = MailConfig()
    t = time.perf_counter()
    for rid, org, version in ours_rows:
        with Session(engine) as s:
            transition(s, rid, s.get(User, staff[org]), "accept", version=version,
                       mail_config=config)
            s.commit()
    ours = len(ours_rows) / (time.perf_counter() - t)
    t = time.perf_counter()
    with engine.connect() as conn:
        for rid, org, version in bare_rows:
            with conn.begin():
                conn.execute(text("UPDATE referral SET status = 'accepted', version = version + 1,"
                                  " responded_at = now() WHERE id = :i AND version = :v"),
                             {"i": rid, "v": version})
                conn.execute(text("INSERT INTO referral_event (referral_id, actor_user_id, "
                                  "action, from_status, to_status) VALUES (:i, :u, 'accept', "
                                  "'sent', 'accepted')"), {"i": rid, "u": staff[org]})
    bare = len(bare_rows) / (time.perf_counter() - t)
    engine.dispose()
    return {"transitions_per_s": round(ours, 1), "bare_sql_transitions_per_s": round(bare, 1),
            "transitions_timed": len(ours_rows)}


def run(args: argparse.Namespace) -> dict:
    """Build the dataset at ``args.scale`` and measure; returns the JSON figures."""
    url = _server_url()
    t = time.perf_counter()
    counts = build(url, args.scale, args.seed)
    build_s = time.perf_counter() - t
    bench_url = _with_db(url, DB_NAME)
    _progress("timing the inbox")
    result = {"scale": args.scale, **counts, "build_s": round(build_s, 1)}
    result.update(time_inbox(bench_url, counts["organizations"], args.queries, args.seed))
    _progress("timing transitions")
    result.update(time_transitions(bench_url, args.transitions))
    if not args.keep:
        from data.db import make_engine

        admin = make_engine(_with_db(url, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.referrals", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    add_arguments(parser)
    print(json.dumps({"benchmark": "referrals", **run(parser.parse_args(argv))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
