"""The sample deployment, for real: Debian's nginx with deploy/nginx/tasharuk.conf (a test
certificate) in front of `tasharuk serve` (gunicorn), all on loopback; the systemd units
checked by `systemd-analyze verify`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.serve import stop_server
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
PASSWORD = "correct horse battery staple"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082")


def _tool(path: str | None, package: str) -> str:
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"{package} is missing: `make setup` installs it (data/setup/sysdeps.sh)")
    return path


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for tasharuk.example.org and 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tasharuk.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("tasharuk.example.org"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    crt, pem = folder / "fullchain.pem", folder / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    pem.chmod(0o600)
    return crt, pem


def site_for_test(site: str, *, http: int, https: int, app: int, crt: Path, key: Path) -> str:
    """The sample site with the test's ports, certificate and static folder (each replaced
    value must be found exactly where the sample has it, so the sample cannot drift)."""
    swaps = [
        ("    listen 80;\n", f"    listen 127.0.0.1:{http};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https} ssl http2;\n"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app};"),
        ("/etc/ssl/tasharuk/fullchain.pem", str(crt)),
        ("/etc/ssl/tasharuk/privkey.pem", str(key)),
        ("/srv/tasharuk/web/static/", f"{ROOT}/web/static/"),
    ]
    for old, new in swaps:
        assert site.count(old) == 1, f"deploy/nginx/tasharuk.conf no longer has {old!r}"
        site = site.replace(old, new)
    return site


NGINX_CONF = """\
{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
daemon off;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""


def _trusting(crt) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(crt))


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120.0, **kw) -> None:
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0]} exited {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2, **kw)
            return
        except httpx.TransportError:
            time.sleep(0.25)
    pytest.fail(f"{url} did not answer in {timeout} s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def deployment(scratch_db, tmp_path_factory):
    """gunicorn (2 workers) behind nginx with the sample site; yields their addresses."""
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade
    from data.models import User
    from network.accounts import hash_password
    from network.forum import seed_categories

    _tool(NGINX, "nginx")
    tmp = tmp_path_factory.mktemp("deploy")
    url = scratch_db("tasharuk_deploy")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        load_reference(s)
        seed_categories(s)
        s.add(User(email="admin@example.org", name="Admin", role="platform_admin",
                   password_hash=hash_password(PASSWORD)))
        s.commit()
    ports = {"app": free_port(), "http": free_port(), "https": free_port()}
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "deploy-test",
           "BASE_URL": "https://tasharuk.example.org", "TASHARUK_UPLOADS": str(tmp / "uploads"),
           "TASHARUK_GZIP": "0", "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
           "TASHARUK_WORKERS": "2", "TASHARUK_THREADS": "2"}
    app_log = tmp / "gunicorn.log"
    with app_log.open("w") as out:
        app = subprocess.Popen([str(Path(sys.executable).parent / "tasharuk"), "serve",
                                "--bind", f"127.0.0.1:{ports['app']}"], env=env, cwd=ROOT,
                               stdout=out, stderr=subprocess.STDOUT)
    crt, key = _certificate(tmp)
    site = site_for_test((DEPLOY / "nginx" / "tasharuk.conf").read_text(), crt=crt, key=key,
                         **ports)
    (tmp / "site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, user=user))
    base = [NGINX, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf")]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    proxy = subprocess.Popen(base, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{ports['app']}/healthz", app, app_log)
        _wait(f"https://127.0.0.1:{ports['https']}/healthz", proxy, tmp / "error.log",
              verify=_trusting(crt))
        yield {"https": f"https://127.0.0.1:{ports['https']}",
               "http": f"http://127.0.0.1:{ports['http']}", "crt": str(crt),
               "app_log": app_log, "url": url}
    finally:
        stop_server(proxy)
        stop_server(app)
        engine.dispose()


@pytest.fixture
def web(deployment):
    import httpx

    # (a browser's Referer: Flask-WTF checks it on https forms)
    with httpx.Client(base_url=deployment["https"], verify=_trusting(deployment["crt"]),
                      headers={"Referer": deployment["https"] + "/"}, timeout=60) as client:
        yield client


def test_plain_http_is_sent_to_https(deployment):
    import httpx

    resp = httpx.get(deployment["http"] + "/directory/?x=1", timeout=30)
    assert resp.status_code == 301
    assert resp.headers["Location"].startswith("https://") and \
        resp.headers["Location"].endswith("/directory/?x=1")


def test_pages_come_through_the_proxy_compressed_with_https_known_to_the_app(web):
    resp = web.get("/", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "gzip"  # nginx's (the app's gzip is off)
    assert 'dir="rtl"' in resp.text
    # gunicorn trusts the proxy's X-Forwarded-Proto, so the app knows the page is https
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["X-Request-ID"])  # nginx's $request_id


def test_the_api_answers_json_and_the_request_is_logged_as_one_json_line(web, deployment):
    resp = web.get("/api/v1/taxonomy")
    assert resp.status_code == 200 and resp.json()["sectors"]
    rid = resp.headers["X-Request-ID"]
    end = time.monotonic() + 10
    while rid not in deployment["app_log"].read_text() and time.monotonic() < end:
        time.sleep(0.1)
    import json

    lines = [json.loads(line) for line in deployment["app_log"].read_text().splitlines()
             if rid in line]
    assert [(x["route"], x["status"]) for x in lines] == [("api.taxonomy", 200)]
    assert resp.headers["Server"] == "nginx"  # no version banner, gunicorn's hidden


def test_static_files_are_served_by_nginx_itself(web):
    resp = web.get("/static/css/app.css")
    assert resp.status_code == 200
    assert resp.content == (ROOT / "web" / "static" / "css" / "app.css").read_bytes()
    assert "X-Request-ID" not in resp.headers  # the app never saw it
    assert "max-age=86400" in resp.headers.get_list("Cache-Control")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_an_upload_goes_through_and_comes_back_the_same(web, deployment):
    from data.db import make_engine

    page = web.get("/auth/login")
    resp = web.post("/auth/login", data={"email": "admin@example.org", "password": PASSWORD,
                                         "csrf_token": _csrf(page.text)})
    assert resp.status_code == 302, resp.text
    page = web.get("/forum/threads/new")
    assert page.status_code == 200
    category = re.search(r'<option value="(\d+)"', page.text).group(1)
    resp = web.post("/forum/threads/new",
                    data={"csrf_token": _csrf(page.text), "category_id": category,
                          "title": "Deployment check", "body": "With a picture."},
                    files={"attachment": ("map.png", PNG, "image/png")})
    assert resp.status_code == 302, resp.text
    thread = web.get(resp.headers["Location"])
    link = re.search(r'href="(/forum/[^"]+)">map\.png<', thread.text).group(1)
    assert web.get(link).content == PNG
    eng = make_engine(deployment["url"])
    with eng.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM attachment")) == 1
    eng.dispose()
    # past the size limit, nginx refuses before the app is bothered
    big = web.post("/forum/threads/new", data={"csrf_token": _csrf(page.text)},
                   files={"attachment": ("big.png", b"\0" * (21 * 1024 * 1024), "image/png")})
    assert big.status_code == 413


def test_metrics_add_up_every_worker_and_stay_on_the_monitoring_host(web):
    for _ in range(8):
        assert web.get("/api/v1/areas?level=1").status_code == 200
    body = web.get("/metrics").text
    count = re.search(r'tasharuk_http_requests_total\{method="GET",route="api.areas",'
                      r'status="200"\} (\S+)', body)
    assert count and float(count.group(1)) == 8.0
    assert "tasharuk_db_pool_size" in body


def test_each_worker_froze_its_loaded_app_out_of_the_collector_s_scans(web):
    # a full collection walked the whole loaded app (~100 ms, the worker's requests waiting)
    # (the arbiter, which loads no app, shows 0; so does a worker still loading it)
    deadline = time.monotonic() + 120
    while True:
        body = web.get("/metrics").text
        frozen = {pid: float(n) for pid, n in re.findall(
            r'tasharuk_gc_frozen_objects\{pid="(\d+)"\} (\S+)', body) if float(n) > 0}
        if len(frozen) == 2 or time.monotonic() > deadline:  # TASHARUK_WORKERS=2
            break
        time.sleep(0.5)
    assert len(frozen) == 2, body[:2000]
    assert all(n > 50_000 for n in frozen.values()), frozen


def test_a_forwarded_client_is_not_the_monitoring_host(web):
    # nginx lets loopback reach /metrics; the app refuses a client named by an untrusted proxy
    assert web.get("/metrics").status_code == 200
    assert web.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 403


@pytest.mark.parametrize("unit", ["tasharuk-web.service", "tasharuk-worker.service"])
def test_systemd_units_verify(unit, tmp_path):
    analyze = _tool(SYSTEMD_ANALYZE, "systemd")
    text_ = (DEPLOY / "systemd" / unit).read_text()
    # the installed paths of the sample, pointed at this checkout
    assert text_.count("/srv/tasharuk/.venv/bin/tasharuk") == 1
    # files the service writes are not other local users' to read (systemd's default: 0022)
    assert re.search(r"^UMask=0027$", text_, re.M)
    exe = Path(sys.executable).parent / "tasharuk"
    (tmp_path / unit).write_text(text_.replace("/srv/tasharuk/.venv/bin/tasharuk", str(exe)))
    result = subprocess.run([analyze, "verify", str(tmp_path / unit)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert unit not in result.stderr, result.stderr  # no warning about the unit itself
