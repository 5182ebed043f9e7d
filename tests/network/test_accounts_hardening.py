"""Accounts items the first tests left unproven (audit of issue 3): argon2 hashes, cookie flags,
Redis-backed rate limits."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from select import select as select_

import pytest
from sqlalchemy import select

from data.models import User


def test_passwords_are_stored_as_argon2id_hashes(runner, client, session):
    result = runner.invoke(args=["users", "create", "--email", "h@example.org", "--role",
                                 "platform_admin", "--password", "correct horse battery"])
    assert result.exit_code == 0, result.output
    user = session.scalars(select(User).where(User.email == "h@example.org")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert client.post("/auth/login", data={"email": "h@example.org",
                                            "password": "correct horse batterx"}
                       ).status_code == 401


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(client, make,
                                                                       monkeypatch):
    from app import Config

    user = make.user("viewer", password="a long enough password")
    resp = client.post("/auth/login", data={"email": user.email,
                                            "password": "a long enough password"})
    assert resp.status_code == 302
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test app is served over http
    monkeypatch.setenv("BASE_URL", "https://tasharuk.example.org")
    assert Config().SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("BASE_URL", "http://127.0.0.1:5000")
    assert Config().SESSION_COOKIE_SECURE is False


PROBE = """
import sys
from app import create_app
app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "SECRET_KEY": "x",
                  "REDIS_URL": sys.argv[2], "RATELIMIT_ENABLED": True,
                  "LOGIN_RATE_LIMIT": "2 per hour", "WTF_CSRF_ENABLED": False})
print(app.config["RATELIMIT_STORAGE_URI"])
for _ in range(2):  # two processes share the counter only through Redis
    c = app.test_client()
    print(c.post("/auth/login", data={"email": "nobody@example.org", "password": "x"}).status_code)
"""


@pytest.fixture
def redis_url(tmp_path):
    """A throw-away redis-server on a free local port."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is missing: `make setup` installs it (data/setup/sysdeps.sh)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rate_limits_are_shared_through_redis_when_redis_url_is_set(database_url, redis_url):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    runs = [subprocess.run([sys.executable, "-c", PROBE, database_url, redis_url],
                           capture_output=True, text=True, timeout=120, env=env)
            for _ in range(2)]
    outputs = [r.stdout.split() for r in runs]
    assert all(r.returncode == 0 for r in runs), [r.stderr[-2000:] for r in runs]
    assert outputs[0][0] == redis_url
    # the second process starts where the first stopped: its first attempt is already refused
    assert outputs[0][1:] == ["401", "401"] and outputs[1][1:] == ["429", "429"]


REDIS_DOWN_PROBE = """
import sys
from app import create_app
from data.db import db
from network.tokens import create_token
from tests.conftest import Factory
url, redis_url, exports = sys.argv[1:4]
app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x",
                  "REDIS_URL": redis_url, "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False,
                  "LOGIN_RATE_LIMIT": "2 per hour", "EXPORT_TOKEN_RATE_LIMIT": "2 per hour",
                  "EXPORT_CACHE": exports, "PROPAGATE_EXCEPTIONS": False})
with app.app_context():
    _token, secret = create_token(db.session, Factory(db.session).org(), "viewer")
    db.session.commit()
c = app.test_client()
steps = {"login": lambda: c.post("/auth/login", data={"email": "nobody@example.org",
                                                      "password": "x"}),
         "export": lambda: c.get("/api/v1/exports/geojson",
                                 headers={"Authorization": f"Bearer {secret}"})}
print("ready", flush=True)
for line in sys.stdin:
    print(steps[line.strip()]().status_code, flush=True)
"""


def test_limits_hold_without_a_500_while_redis_is_down_and_use_it_again_when_back(
        scratch_db, redis_url, tmp_path):
    # Redis stopped: every sign-in (and reset, registration, report, export) answered 500
    from data.migrate import upgrade

    url = scratch_db("tasharuk_redis_down")
    upgrade(url)
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    cli = shutil.which("redis-cli")
    assert cli, "redis-cli comes with redis-server"

    def redis(*args: str) -> str:
        return subprocess.run([cli, "-p", port, *args], capture_output=True, text=True,
                              timeout=30).stdout.strip()

    probe = subprocess.Popen([sys.executable, "-c", REDIS_DOWN_PROBE, url, redis_url,
                              str(tmp_path / "exports")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        assert probe.stdout.readline().strip() == "ready"

        def send(step: str) -> int:
            probe.stdin.write(step + "\n")
            probe.stdin.flush()
            return int(probe.stdout.readline())

        assert send("login") == 401 and int(redis("dbsize")) > 0  # counted in Redis
        redis("shutdown", "nosave")
        # each process counts in memory: the same limits, refused when over, never a 500
        assert [send("login") for _ in range(3)] == [401, 401, 429]
        assert [send("export") for _ in range(3)] == [200, 200, 429]
        # Redis back (empty): the limiter finds it again within its back-off (up to 32 s)
        server = subprocess.Popen([shutil.which("redis-server"), "--port", port, "--bind",
                                   "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                   str(tmp_path)], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while redis("ping") != "PONG" and time.monotonic() < deadline:
                time.sleep(0.05)
            statuses = []
            while int(redis("dbsize") or 0) == 0 and time.monotonic() < deadline:
                statuses.append(send("login"))
                time.sleep(0.5)
            assert int(redis("dbsize")) > 0, statuses  # counting in Redis again
            assert set(statuses) <= {401, 429}, statuses
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        probe.stdin.close()
        probe.wait(timeout=30)
        probe.stdout.close()


def test_limits_hold_without_a_hang_while_redis_accepts_but_never_answers(scratch_db, tmp_path):
    """A Redis whose machine hangs, or whose packets a firewall drops after the connection is
    made, answers nothing: each limited form gives up on it within the socket timeout and
    counts in memory, as with Redis stopped, instead of holding its request (and its worker
    thread) for ever."""
    from data.migrate import upgrade

    url = scratch_db("tasharuk_redis_hung")
    upgrade(url)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # the kernel completes every connection; nothing ever reads or answers
    probe = subprocess.Popen([sys.executable, "-c", REDIS_DOWN_PROBE, url,
                              f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
                              str(tmp_path / "exports")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        assert probe.stdout.readline().strip() == "ready"
        answers = []
        for step in ["login"] * 3 + ["export"] * 3:
            probe.stdin.write(step + "\n")
            probe.stdin.flush()
            ready, _w, _x = select_([probe.stdout], [], [], 30)
            assert ready, f"{step} still unanswered after 30 s: {answers}"
            answers.append(int(probe.stdout.readline()))
        assert answers == [401, 401, 429, 200, 200, 429]
    finally:
        probe.kill()
        probe.wait(timeout=30)
        probe.stdin.close()
        probe.stdout.close()
        silent.close()


def _both_languages(client, path):
    ar = client.get(path)
    en = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    return ar, en


@pytest.mark.parametrize(("path", "role", "title"), [
    ("/auth/password", "viewer", "Change the password"),
    ("/accounts/organization/edit", "org_admin", "Edit the profile"),
    ("/accounts/members", "org_admin", "Members"),
    ("/accounts/tokens", "org_admin", "API tokens"),
    ("/accounts/admin/organizations", "platform_admin", "Verify organisations"),
    ("/accounts/admin/audit", "platform_admin", "Audit log"),
    ("/auth/reset/forged-token", None, "This link cannot be used"),
    ("/auth/reset/{reset}", None, "Choose a new password"),
    ("/auth/invitation/{invite}", None, "Join %(org)s"),
])
def test_every_account_page_is_arabic_and_english(app, client, make, login, path, role, title):
    from flask_babel import force_locale, gettext

    from network.accounts import invitation_token, reset_token

    org = make.org(name_en="Bright Hands", name_ar="أيادٍ مشرقة")
    path = path.format(reset=reset_token(make.user("viewer", org), app.secret_key),
                       invite=invitation_token(app.secret_key, org, "n@example.org", "viewer"))
    if role:
        login(make.user(role, None if role == "platform_admin" else org))
    with app.test_request_context("/"), force_locale("ar"):
        arabic = gettext(title, org="أيادٍ مشرقة")
    english = title.replace("%(org)s", "Bright Hands")
    assert arabic != english
    ar, en = _both_languages(client, path)
    ar_html, en_html = ar.get_data(as_text=True), en.get_data(as_text=True)
    expected = 400 if "forged-token" in path else 200  # only the forged link is refused
    assert ar.status_code == en.status_code == expected
    assert 'lang="ar" dir="rtl"' in ar_html and arabic in ar_html and english not in ar_html
    assert 'lang="en" dir="ltr"' in en_html and english in en_html and arabic not in en_html


def test_audit_filters_by_end_date_and_reports_a_bad_date(client, session, make, login):
    import datetime as dt

    from data.audit import record

    admin = make.user("platform_admin")
    record(session, "role.changed", user=admin, object_type="user", object_id=admin.id)
    login(admin)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert "<code>role.changed</code>" in client.get(
        f"/accounts/admin/audit?until={tomorrow}&object_type=user").get_data(as_text=True)
    assert "<code>role.changed</code>" not in client.get(
        "/accounts/admin/audit?until=2020-01-01").get_data(as_text=True)
    bad = client.get("/accounts/admin/audit?since=notadate")
    assert bad.status_code == 200 and "قيمة التاريخ غير صالحة" in bad.get_data(as_text=True)
