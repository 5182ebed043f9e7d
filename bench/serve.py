"""The production server under load: `tasharuk serve` (gunicorn) on loopback at national scale.

Builds (or reuses) the national data set (``bench.dataset``), copies it into a scratch
database (the referral transitions write), starts ``tasharuk serve`` on 127.0.0.1 and drives it
with a small asyncio HTTP/1.1 client (keep-alive connections, one per simulated client) at
2, 16 and 64 concurrent clients over the mix: search 70 %, service page 10 %, inbox 10 %,
referral transitions 5 %, gap map 5 %. Every search of a run is distinct (no cache can help),
every transition accepts a different referral; the gap maps are served from the snapshot of
the nightly recomputation, which runs once first (``gap_recompute_s``). Then 16 clients of
searches alone give the CPU per served search, in ``--rounds`` runs of distinct searches (the
median one is reported, each round's figures beside it); its searches as bare SQL give the
floor.
CPU is measured in the same run from /proc (psutil): the gunicorn processes, the PostgreSQL
server's processes, and the load generator itself (it shares the machine). ``--restart``
restarts PostgreSQL under load (the project's own cluster only): answers while it is down,
and how soon full service is back.

    python -m bench serve [--scale 1] [--levels 2,16,64] [--requests 3000] [--seconds 30]
                          [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

MIX = (("search", 70), ("service", 10), ("inbox", 10), ("transition", 5), ("gap_map", 5))
SEARCH_ONLY_CLIENTS = 16
RESTART_WRITES = 300  # referral acceptances among the searches of the restart under load
INBOX_ORGS = 20
# referrals the mix accepts are due more than a day from now: an overdue one is expired by
# the worker's pass (referral expiry runs every 15 minutes) and its acceptance answers 409
NOT_DUE = "r.due_at > now() + interval '1 day'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--levels", default="2,16,64",
                        help="concurrent clients of each level, comma-separated")
    parser.add_argument("--requests", type=int, default=3000,
                        help="at most this many requests per level")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="at most this long per level")
    parser.add_argument("--searches", type=int, default=1000,
                        help="searches of the search-only run at 16 clients (and the floor)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="search-only runs, each of its own distinct searches; the one of "
                             "median CPU per search is reported, the others beside it")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker")
    parser.add_argument("--db", default=None, help="the data set's database (bench.dataset)")
    parser.add_argument("--restart", action="store_true",
                        help="also restart PostgreSQL under load (the project's own cluster)")


def _progress(msg: str) -> None:
    print(f"[bench serve] {msg}", file=sys.stderr, flush=True)


def _with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


# ----------------------------------------------------------------- what the clients send

@dataclass(frozen=True)
class Req:
    """One request of the mix."""

    kind: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class Plan:
    """Everything the load needs, prepared from the database before the clock starts."""

    searches: list[str]
    services: list[int]
    inbox: list[tuple[str, int]]  # (token, offset)
    transitions: list[tuple[str, int, int]]  # (token, referral id, version)
    gap_maps: list[str]
    login: tuple[str, str] = ("planner@demo.tasharuk", "demo-password")
    cookie: str = ""
    used: dict[str, int] = field(default_factory=dict)

    def take(self, kind: str, n: int) -> list[Req]:
        """The next ``n`` requests of ``kind`` (searches and transitions never repeat)."""
        start = self.used.get(kind, 0)
        self.used[kind] = start + n
        out = []
        for i in range(start, start + n):
            if kind == "search":
                out.append(Req(kind, "GET", self.searches[i]))
            elif kind == "service":
                out.append(Req(kind, "GET", f"/directory/services/"
                                            f"{self.services[i % len(self.services)]}"))
            elif kind == "inbox":
                token, offset = self.inbox[i % len(self.inbox)]
                out.append(Req(kind, "GET", f"/api/v1/referrals?box=in&offset={offset}",
                               (("Authorization", f"Bearer {token}"),)))
            elif kind == "transition":
                token, rid, version = self.transitions[i]
                body = f'{{"action": "accept", "version": {version}}}'.encode()
                out.append(Req(kind, "POST", f"/api/v1/referrals/{rid}/transitions",
                               (("Authorization", f"Bearer {token}"),
                                ("Content-Type", "application/json")), body))
            else:
                out.append(Req(kind, "GET", self.gap_maps[i % len(self.gap_maps)],
                               (("Cookie", self.cookie),)))
        return out

    def capacity(self, kind: str) -> int:
        """How many more requests of ``kind`` can be made (searches/transitions: distinct)."""
        if kind == "search":
            return len(self.searches) - self.used.get(kind, 0)
        if kind == "transition":
            return len(self.transitions) - self.used.get(kind, 0)
        return 10**9

    def mix(self, n: int, seed: int) -> list[Req]:
        """``n`` requests in the mix's proportions, shuffled (a kind that ran out of distinct
        requests, e.g. referrals left to accept at a small scale, gets fewer)."""
        reqs = [r for k, w in MIX
                for r in self.take(k, min(self.capacity(k), max(1, round(n * w / 100))))]
        random.Random(seed).shuffle(reqs)
        return reqs


def prepare(url: str, n_searches: int, n_transitions: int, seed: int) -> Plan:
    """Distinct searches, service ids, API tokens of the busiest receiving organisations,
    their sent referrals (to accept), and gap-map selections."""
    from bench.search import searches
    from data.db import make_engine
    from data.models import Organization
    from network.tokens import create_token

    qs = searches(n_searches * 2, seed, url)
    urls = list(dict.fromkeys("/api/v1/services?" + urlencode(q) for q in qs))[:n_searches]
    engine = make_engine(url)
    rng = random.Random(seed)
    with Session(engine) as s:
        # the service page is public: only verified organisations' services are shown to
        # an anonymous visitor (the others answer 404, as they should)
        services = list(s.scalars(text(
            "SELECT s.id FROM service s JOIN organization o ON o.id = s.organization_id "
            "WHERE o.verification = 'verified' ORDER BY s.id")))
        services = rng.sample(services, min(len(services), 2000))
        # the busiest receivers first; as many as it takes for n_transitions distinct
        # referrals to accept (the 20 busiest hold ~150 at national scale: the first runs
        # ran out of transitions after the first level)
        busiest = s.execute(text(
            "SELECT r.receiver_org_id, count(*) FROM referral r JOIN organization o "
            f"ON o.id = r.receiver_org_id WHERE r.status = 'sent' AND {NOT_DUE} "
            "AND o.verification = 'verified' GROUP BY 1 ORDER BY 2 DESC, 1")).all()
        receivers, enough = [], 0
        for org_id, count in busiest:
            if len(receivers) >= INBOX_ORGS and enough >= n_transitions:
                break
            receivers.append(org_id)
            enough += count
        orgs = receivers[:INBOX_ORGS]
        tokens = {}
        for org_id in receivers:
            _tok, secret = create_token(s, s.get(Organization, org_id), "org_admin",
                                        name="bench serve")
            tokens[org_id] = secret
        sent = s.execute(text(
            "SELECT receiver_org_id, id, version FROM referral r WHERE status = 'sent' "
            f"AND {NOT_DUE} AND receiver_org_id = ANY(:orgs) ORDER BY random() LIMIT :n"),
            {"orgs": receivers, "n": n_transitions}).all()
        sectors = list(s.scalars(text("SELECT code FROM sector WHERE parent_code IS NULL "
                                      "ORDER BY code")))
        s.commit()
    engine.dispose()
    inbox = [(tokens[o], off) for o in orgs for off in (0, 50, 100)]
    rng.shuffle(inbox)
    transitions = [(tokens[o], rid, v) for o, rid, v in sent]
    gap_maps = [f"/gaps/map?{urlencode({'level': lv, **({'sector': sc} if sc else {})})}"
                for lv in (1, 2, 3) for sc in [None, *sectors]]
    rng.shuffle(gap_maps)
    return Plan(urls, services, inbox, transitions, gap_maps)


# ----------------------------------------------------------------- the load generator

@dataclass
class Result:
    kind: str
    start: float
    ms: float
    status: int  # 0: no answer (connection error)
    retry_after: bool = False
    path: str = ""


class Conn:
    """One keep-alive HTTP/1.1 connection (responses carry Content-Length or are chunked)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def send(self, req: Req) -> tuple[int, bool]:
        """(status, whether Retry-After came) for ``req``; reconnects when needed."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{req.method} {req.path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                "Accept-Encoding: identity", f"Content-Length: {len(req.body)}"]
        head += [f"{k}: {v}" for k, v in req.headers]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + req.body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, _sep, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, "retry-after" in headers


async def _drive(port: int, reqs: list[Req], clients: int, seconds: float) -> list[Result]:
    queue = deque(reqs)
    results: list[Result] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        conn = Conn("127.0.0.1", port)
        try:
            while queue and time.perf_counter() < deadline:
                req = queue.popleft()
                t = time.perf_counter()
                try:
                    status, retry = await asyncio.wait_for(conn.send(req), 60)
                except (TimeoutError, OSError, asyncio.IncompleteReadError,
                        asyncio.LimitOverrunError, ValueError):
                    status, retry = 0, False
                    await conn.close()
                results.append(Result(req.kind, t, (time.perf_counter() - t) * 1000, status,
                                       retry, req.path))
        finally:
            await conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return results


# ----------------------------------------------------------------- CPU, from /proc

def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and all its descendants, those that
    have exited included: a process's reaped children count in its own children's times.
    (Counting only the living made a window in which a busy database backend exited, its
    pooled connection closed, report less CPU at its end than at its start: -7 ms a search.)"""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def postmaster_pid(url: str) -> int:
    """The PostgreSQL server's main process (from its data folder's postmaster.pid)."""
    from data.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        folder = conn.scalar(text("SHOW data_directory"))
    engine.dispose()
    return int(Path(folder, "postmaster.pid").read_text().split()[0])


@dataclass
class CpuMeter:
    """CPU of the app (gunicorn's tree), the database (the server's tree) and this process."""

    app_pid: int
    db_pid: int

    def read(self) -> tuple[float, float, float]:
        return _tree_cpu(self.app_pid), _tree_cpu(self.db_pid), time.process_time()


def _pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 2)


def measure(port: int, reqs: list[Req], clients: int, seconds: float,
            meter: CpuMeter) -> dict[str, Any]:
    """Run ``reqs`` with ``clients`` concurrent clients; throughput, latency, errors, CPU."""
    before = meter.read()
    t0 = time.perf_counter()
    results = asyncio.run(_drive(port, reqs, clients, seconds))
    elapsed = time.perf_counter() - t0
    after = meter.read()
    n = len(results) or 1
    ms = [r.ms for r in results]
    errors = [r for r in results if not 200 <= r.status < 400]
    kinds: dict[str, dict[str, Any]] = {}
    for kind in dict.fromkeys(r.kind for r in results):
        mine = [r for r in results if r.kind == kind]
        kinds[kind] = {"n": len(mine), "p50_ms": _pct([r.ms for r in mine], 50),
                       "p99_ms": _pct([r.ms for r in mine], 99),
                       "errors": sum(not 200 <= r.status < 400 for r in mine)}
    app, db, client = (after[i] - before[i] for i in range(3))
    return {
        "clients": clients, "requests": len(results), "seconds": round(elapsed, 2),
        "requests_per_s": round(len(results) / elapsed, 1),
        "p50_ms": _pct(ms, 50), "p95_ms": _pct(ms, 95), "p99_ms": _pct(ms, 99),
        "errors": len(errors),
        "error_statuses": sorted({r.status for r in errors}),
        "cpu_ms_per_request": {"app": round(app * 1000 / n, 2), "db": round(db * 1000 / n, 2),
                               "app_and_db": round((app + db) * 1000 / n, 2),
                               "load_generator": round(client * 1000 / n, 2)},
        "by_kind": kinds,
    }


def median_round(runs: list[tuple[dict[str, Any], list[Req]]]
                 ) -> tuple[dict[str, Any], list[Req]]:
    """The run of median CPU per request (the lower middle of an even count): one quiet or
    busy minute of a shared machine moved a single run's figure by a third."""
    ranked = sorted(runs, key=lambda run: run[0]["cpu_ms_per_request"]["app_and_db"])
    return ranked[(len(ranked) - 1) // 2]


def _round_figures(run: dict[str, Any]) -> dict[str, Any]:
    """What each search-only round printed beside the median one."""
    return {"cpu_ms_per_search": run["cpu_ms_per_request"]["app_and_db"],
            "searches_per_s": run["requests_per_s"], "p99_ms": run["p99_ms"],
            "errors": run["errors"]}


# ----------------------------------------------------------------- the floor

def floor(url: str, search_paths: list[str]) -> dict[str, Any]:
    """The same searches as bare SQL (bench.search's floor) on one connection: wall time
    and CPU (this process + the connection's server process) per search."""
    from urllib.parse import parse_qsl

    import psutil
    from werkzeug.datastructures import MultiDict

    from bench.search import _types_for, floor_sql
    from data.db import fetch_all, make_engine
    from referral.search import generic_plan_safe, keyword_tsquery, parse_query

    engine = make_engine(url, workers=False)
    with engine.connect() as conn, Session(bind=conn) as s:
        backend = psutil.Process(conn.scalar(text("SELECT pg_backend_pid()")))
        statements = []
        for path in search_paths:
            q = dict(parse_qsl(urlsplit(path).query))
            for key in ("lat", "lon"):
                if key in q:
                    q[key] = float(q[key])
            qy = parse_query(s, MultiDict(q))
            prepare = None if generic_plan_safe(qy) else False
            tsq = keyword_tsquery(s, q["q"]) if "q" in q else None
            sql, params = floor_sql(q, tsq, _types_for(conn, q.get("need")))
            statements.append((sql, params, prepare))
        for sql, params, prepare in statements:  # warm-up, as the server had
            fetch_all(s, sql, params, prepare=prepare)
        t_db = sum(backend.cpu_times()[:2])
        t_me = time.process_time()
        ms = []
        for sql, params, prepare in statements:
            t = time.perf_counter()
            fetch_all(s, sql, params, prepare=prepare)
            ms.append((time.perf_counter() - t) * 1000)
        db_cpu = sum(backend.cpu_times()[:2]) - t_db
        me_cpu = time.process_time() - t_me
    engine.dispose()
    n = len(ms) or 1
    return {"searches": len(ms), "p50_ms": _pct(ms, 50), "p95_ms": _pct(ms, 95),
            "p99_ms": _pct(ms, 99),
            "cpu_ms_per_search": {"client": round(me_cpu * 1000 / n, 3),
                                  "db": round(db_cpu * 1000 / n, 3),
                                  "total": round((me_cpu + db_cpu) * 1000 / n, 3)}}


def machine_speed() -> dict[str, float]:
    """CPU milliseconds of a fixed pure-Python loop (a million additions, best of five) in
    this process: how fast this machine runs Python in this run, so that served figures
    measured on two machines (or on one machine on two days) can be set side by side."""
    best = float("inf")
    for _ in range(5):
        t, total = time.process_time(), 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.process_time() - t)
    return {"python_loop_1m_ms": round(best * 1000, 1)}


# ----------------------------------------------------------------- a database restart

def lost_writes(session: Session, results: list[Result]) -> list[int]:
    """Referrals whose acceptance the server acknowledged (2xx) but which are not accepted
    in the database now: acknowledged writes that were lost."""
    acked = [int(r.path.split("/")[4]) for r in results
             if r.kind == "transition" and 200 <= r.status < 300]
    kept = set(session.scalars(text(
        "SELECT id FROM referral WHERE id = ANY(:ids) AND status = 'accepted'"),
        {"ids": acked}))
    return sorted(set(acked) - kept)


def restart_under_load(port: int, url: str, reqs: list[Req], clients: int) -> dict[str, Any]:
    """Searches and referral acceptances at ``clients`` clients; after 2 s the project's
    cluster restarts. Answers while it is down (503 with Retry-After expected), how soon all
    answers are 200, and whether every acknowledged acceptance is in the database after."""
    from data.cluster import PROJECT, TEST

    folder = _data_directory(url)
    cluster = next((c for c in (PROJECT, TEST) if c.data_dir.resolve() == folder), None)
    if cluster is None:
        return {"skipped": "the database is not the project's own cluster"}
    marks: dict[str, float] = {}

    def bounce() -> None:
        time.sleep(2)
        marks["down"] = time.perf_counter()
        cluster.stop(mode="fast")
        time.sleep(1)
        cluster.start()
        marks["up"] = time.perf_counter()

    import threading

    thread = threading.Thread(target=bounce)
    thread.start()
    results = asyncio.run(_drive(port, reqs, clients, 15))
    thread.join()
    while_down = [r for r in results if marks["down"] <= r.start + r.ms / 1000 <= marks["up"]]
    after = sorted((r for r in results if r.start >= marks["up"]), key=lambda r: r.start)
    # the server failing (5xx, no answer); a 4xx (an acceptance refused for its referral's
    # state) is an answer of a working service
    bad_after = [r for r in after if r.status == 0 or r.status >= 500]
    full = (max(r.start + r.ms / 1000 for r in bad_after) - marks["up"]) if bad_after else 0.0
    writes = [r for r in results if r.kind == "transition"]
    from data.db import make_engine

    engine = make_engine(url)
    with Session(engine) as s:
        lost = lost_writes(s, results)
    engine.dispose()
    return {
        "clients": clients, "requests": len(results),
        "writes": {"sent": len(writes),
                   "acknowledged": sum(200 <= r.status < 300 for r in writes),
                   "refused_503": sum(r.status == 503 for r in writes),
                   "other": sorted({r.status for r in writes
                                    if not 200 <= r.status < 300 and r.status != 503}),
                   "acknowledged_lost": len(lost)},
        "down_seconds": round(marks["up"] - marks["down"], 2),
        "answers_while_down": {str(k): sum(r.status == k for r in while_down)
                               for k in sorted({r.status for r in while_down})},
        "503_with_retry_after": sum(r.status == 503 and r.retry_after for r in while_down),
        "not_503_while_down": sum(r.status not in (200, 503) for r in while_down),
        "errors_after_return": len(bad_after),
        "full_service_after_s": round(full, 3),
    }


def _data_directory(url: str) -> Path:
    from data.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        folder = conn.scalar(text("SHOW data_directory"))
    engine.dispose()
    return Path(folder).resolve()


# ----------------------------------------------------------------- the server

def server_env(url: str, folder: Path) -> dict[str, str]:
    """The environment of the bench's server and worker: database ``url``, files in
    ``folder`` (uploads, exports and the gap pages' cache)."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-serve",
           "TASHARUK_RATELIMIT": "0", "TASHARUK_GZIP": "0", "TASHARUK_MAX_REQUESTS": "0",
           "TASHARUK_UPLOADS": str(folder / "uploads"),
           "TASHARUK_EXPORTS": str(folder / "exports"),
           "TASHARUK_EXPORT_CACHE": str(folder / "export-cache")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def recompute_gaps(url: str, folder: Path) -> float:
    """Run the nightly gap recomputation once, as the worker would (the gap pages are
    served from its snapshot); its wall time in seconds."""
    from data.db import make_engine
    from data.queue import enqueue

    engine = make_engine(url)
    with Session(engine) as s:
        enqueue(s, "gaps.recompute", timestamp=0)
        s.commit()
    engine.dispose()
    t = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "tasharuk"), "worker", "--once",
                    "--queue", "default"], env=server_env(url, folder), check=True,
                   stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - t, 1)


def start_server(url: str, port: int, workers: int | None, threads: int | None,
                 log: Path) -> subprocess.Popen:
    """``tasharuk serve`` on 127.0.0.1:``port`` for database ``url``; waits for /readyz."""
    import httpx

    env = server_env(url, log.parent)
    argv = [str(Path(sys.executable).parent / "tasharuk"), "serve", "--bind",
            f"127.0.0.1:{port}"]
    if workers:
        argv += ["--workers", str(workers)]
    if threads:
        argv += ["--threads", str(threads)]
    with log.open("w") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    end = time.monotonic() + 180
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"tasharuk serve exited {proc.returncode}: "
                               f"{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError(f"tasharuk serve was not ready in 180 s: {log.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM a server (gunicorn, nginx) so it drains; kill it if it is not gone in 40 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _login(port: int, email: str, password: str) -> str:
    """A signed-in session cookie (the planner's, for the gap maps)."""
    import re

    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
        page = c.get("/auth/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        resp = c.post("/auth/login", data={"email": email, "password": password,
                                           "csrf_token": token})
        if resp.status_code != 302:
            raise RuntimeError(f"bench login as {email} failed: {resp.status_code}")
        return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


def _copy_database(server: str, source: str, target: str) -> str:
    from data.db import make_engine

    admin = make_engine(_with_db(server, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{source}" '
                          "STRATEGY FILE_COPY"))  # (no WAL for the copy: no checkpoint storm)
    admin.dispose()
    return _with_db(server, target)


def _drop_database(server: str, name: str) -> None:
    from data.db import make_engine

    admin = make_engine(_with_db(server, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build or reuse the data set, serve a copy of it, load it level by level."""
    import tempfile

    from bench import dataset

    levels = [int(x) for x in str(args.levels).split(",") if x.strip()]
    source = getattr(args, "db", None) or dataset.DB_NAME
    dataset.ensure(args.scale, args.seed, name=source)
    work = f"{source}_serve"
    _progress(f"copying {source} into {work}")
    url = _copy_database(dataset.server_url(), source, work)
    from data.migrate import upgrade

    upgrade(url)  # a data set built by older code lacks the newer migrations (/readyz: 503)
    per_level = args.requests
    rounds = max(1, getattr(args, "rounds", 1))
    n_search = int(per_level * 0.7 + 1) * (len(levels) + 1) + args.searches * rounds + 200
    n_transition = int(per_level * 0.05 + 1) * (len(levels) + 1) + 20 + RESTART_WRITES
    _progress(f"preparing {n_search} distinct searches, tokens and referrals to accept")
    plan = prepare(url, n_search, n_transition, args.seed)
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="tasharuk-bench-serve-"))
    _progress("the nightly gap recomputation (the gap pages serve its snapshot)")
    gap_seconds = recompute_gaps(url, tmp)
    proc = start_server(url, port, getattr(args, "workers", None),
                        getattr(args, "threads", None), tmp / "server.log")
    try:
        from web.serving.settings import ServerSettings

        settings = ServerSettings.from_env(workers=getattr(args, "workers", None),
                                           threads=getattr(args, "threads", None))
        plan.cookie = _login(port, *plan.login)
        meter = CpuMeter(proc.pid, postmaster_pid(url))
        _progress("warming up (every kind of request, 4 clients)")
        measure(port, plan.mix(min(200, per_level), args.seed), 4, args.seconds, meter)
        out_levels = {}
        for clients in levels:
            _progress(f"{clients} clients: up to {per_level} requests or {args.seconds} s")
            out_levels[str(clients)] = measure(port, plan.mix(per_level, args.seed + clients),
                                               clients, args.seconds, meter)
        runs = []
        for i in range(rounds):
            searches = plan.take("search", min(args.searches, plan.capacity("search")))
            _progress(f"{len(searches)} searches alone at {SEARCH_ONLY_CLIENTS} clients "
                      f"(round {i + 1} of {rounds})")
            runs.append((measure(port, searches, SEARCH_ONLY_CLIENTS, args.seconds * 2,
                                 meter), searches))
        alone, searches = median_round(runs)
        _progress("the same searches as bare SQL (the floor)")
        bare = floor(url, [r.path for r in searches])
        restart = None
        if getattr(args, "restart", False):
            _progress("restarting PostgreSQL under load")
            more = plan.take("search", min(args.searches, plan.capacity("search")))
            more += plan.take("transition", min(RESTART_WRITES, plan.capacity("transition")))
            random.Random(args.seed).shuffle(more)
            restart = restart_under_load(port, url, more, SEARCH_ONLY_CLIENTS)
    finally:
        stop_server(proc)
        _drop_database(dataset.server_url(), work)
    cpu = alone["cpu_ms_per_request"]["app_and_db"]
    result = {
        "scale": args.scale, "server": {"workers": settings.workers,
                                        "threads": settings.threads},
        "cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2),
        "machine": machine_speed(),
        "gap_recompute_s": gap_seconds,
        "levels": out_levels,
        "searches_alone": {**alone, "searches_per_s": alone["requests_per_s"],
                           "cpu_ms_per_search": cpu,
                           "rounds": [_round_figures(r) for r, _searches in runs]},
        "floor_sql": bare,
        "targets": {"cpu_ms_per_search": 4.0, "searches_per_s_at_16": 450,
                    "p99_ms_at_16": 50, "errors_at_64": 0},
    }
    if restart is not None:
        result["database_restart"] = restart
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.serve``: the same as ``python -m bench serve``."""
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    add_arguments(parser)
    print(json.dumps({"benchmark": "serve", **run(parser.parse_args(argv))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
