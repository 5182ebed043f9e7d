"""Library search at scale: our Arabic-aware search versus the plain 'arabic' full-text floor.

``python -m bench library --scale 0.1`` builds ``20,000 x scale`` synthetic documents in a
scratch database of the local cluster (or ``DATABASE_URL``'s server), then times a fixed set of
queries through ``network.library.search`` (ranked, filtered, highlighted) and through the raw
SQL floor (``to_tsvector('arabic', title) @@ plainto_tsquery('arabic', q)`` on the same rows,
ranked by ts_rank). Prints JSON: median/p95 milliseconds of both, and how many of the queries
each answered with at least one document.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

DOCS_AT_FULL_SCALE = 20_000
QUERIES = ["التعاميم", "الجمعيات", "93", "٩٣", "جمع التبرعات", "التقارير السنوية", "تقرير سنوي",
           "المراسيم التشريعية", "fundraising", "bank account", "ترخيص المراكز الصحية",
           "مذكرات التفاهم", "الإشهار", "اشهار", "annual report"]
_SUBJECTS = ["الجمعيات", "المؤسسات الخاصة", "التبرعات", "التقارير السنوية", "الحسابات المصرفية",
             "المراكز الصحية", "مذكرات التفاهم", "الإشهار", "الرسوم", "المتطوعين", "المشاريع",
             "المنح الخارجية", "الدعم النفسي", "الإيواء", "التعليم غير النظامي"]
_HEADS = {"law": "قانون", "decree": "مرسوم", "legislative_decree": "مرسوم تشريعي",
          "ministerial_decision": "قرار وزاري", "circular": "تعميم", "guideline": "دليل",
          "form": "نموذج"}
_EN = ["associations", "fundraising", "annual reports", "bank accounts", "health centres",
       "memoranda of understanding", "registration", "fees", "volunteers", "projects",
       "foreign grants", "psychosocial support", "shelter", "non-formal education"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", default="tasharuk_bench_library")
    parser.add_argument("--repeat", type=int, default=3)


def _url(name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    base = os.environ.get("DATABASE_URL")
    if not base:
        from data.cluster import database_url, start

        start()
        base = database_url()
    p = urlsplit(base)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment)), \
        urlunsplit((p.scheme, p.netloc, "/postgres", p.query, p.fragment))


def _build(url: str, admin_url: str, name: str, n: int, seed: int) -> None:
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade
    from network.library import search_keys

    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(seed)
    kinds = list(_HEADS)
    rows = []
    for _ in range(n):
        kind = rnd.choice(kinds)
        k = rnd.randrange(len(_SUBJECTS))
        subject = _SUBJECTS[min(k, len(_EN) - 1)]
        number = str(rnd.randint(1, 3000))
        title = f"{_HEADS[kind]} رقم {number} بشأن {subject}"
        body = " ".join(rnd.choice(_SUBJECTS) for _ in range(40))
        title_en = f"{kind.replace('_', ' ')} {number} on {_EN[min(k, len(_EN) - 1)]}"
        rows.append({"kind": kind, "number": number, "title_ar": title, "title_en": title_en,
                     "body_ar": body, "issue_date": f"{rnd.randint(1958, 2025)}-01-01",
                     "search_title": search_keys(title, title_en, number),
                     "search_body": search_keys(_HEADS[kind], body)})
    with Session(engine) as s:
        load_reference(s)
        for start in range(0, n, 2000):
            s.execute(text(
                "INSERT INTO library_document (kind, number, title_ar, title_en, body_ar, "
                "issue_date, search_title, search_body, published) VALUES (:kind, :number, "
                ":title_ar, :title_en, :body_ar, CAST(:issue_date AS date), :search_title, "
                ":search_body, true)"), rows[start:start + 2000])
        s.commit()
        s.execute(text("ANALYZE library_document"))
        s.commit()
    engine.dispose()


def _time(fn, repeat: int) -> tuple[list[float], int]:
    times, answered = [], 0
    for q in QUERIES:
        best = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            found = fn(q)
            elapsed = (time.perf_counter() - t0) * 1000
            best = elapsed if best is None else min(best, elapsed)
        times.append(best)
        answered += bool(found)
    return times, answered


def run(args: argparse.Namespace) -> dict:
    from data.db import make_engine
    from network.library import search

    n = max(100, int(DOCS_AT_FULL_SCALE * args.scale))
    url, admin_url = _url(args.database)
    t0 = time.perf_counter()
    _build(url, admin_url, args.database, n, args.seed)
    build_s = time.perf_counter() - t0
    engine = make_engine(url)
    with Session(engine) as s:
        ours, ours_answered = _time(lambda q: search(s, q, per_page=20).hits, args.repeat)
        floor_sql = text(
            "SELECT id FROM library_document d, plainto_tsquery('arabic', :q) q "
            "WHERE d.published AND to_tsvector('arabic', d.title_ar || ' ' || d.body_ar) @@ q "
            "ORDER BY ts_rank(to_tsvector('arabic', d.title_ar || ' ' || d.body_ar), q) DESC "
            "LIMIT 20")
        floor, floor_answered = _time(lambda q: s.execute(floor_sql, {"q": q}).all(),
                                      args.repeat)
    engine.dispose()
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    admin.dispose()

    def q95(xs: list[float]) -> float:
        return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]

    return {"documents": n, "queries": len(QUERIES), "build_s": round(build_s, 1),
            "search_ms_median": round(statistics.median(ours), 1),
            "search_ms_p95": round(q95(ours), 1), "search_answered": ours_answered,
            "baseline": "plain to_tsvector('arabic') @@ plainto_tsquery, ts_rank, no index",
            "baseline_ms_median": round(statistics.median(floor), 1),
            "baseline_ms_p95": round(q95(floor), 1), "baseline_answered": floor_answered}


if __name__ == "__main__":
    import json
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    add_arguments(parser)
    print(json.dumps(run(parser.parse_args(sys.argv[1:])), ensure_ascii=False))
