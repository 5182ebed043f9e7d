"""``tasharuk serve``: the app under gunicorn, for production (``make run`` is for development)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from .settings import ENV, ServerSettings

CONF = Path(__file__).resolve().parent / "gunicorn_conf.py"


@click.command("serve")
@click.option("--bind", help="HOST:PORT or unix:PATH to listen on [TASHARUK_BIND; "
                             "127.0.0.1:8000]. Keep it on loopback behind the proxy.")
@click.option("--workers", type=int, help="Worker processes [TASHARUK_WORKERS; one per CPU].")
@click.option("--threads", type=int, help="Threads per worker [TASHARUK_THREADS; 4].")
@click.option("--timeout", type=int,
              help="Seconds before a stuck worker is restarted [TASHARUK_TIMEOUT; 60].")
@click.option("--check", is_flag=True, help="Print the settings as JSON and exit.")
def serve_cmd(bind: str | None, workers: int | None, threads: int | None,
              timeout: int | None, check: bool) -> None:
    """Serve the app with gunicorn, with its figures from the machine and the environment."""
    settings = ServerSettings.from_env(bind=bind, workers=workers, threads=threads,
                                       timeout=timeout)
    if check:
        import json

        click.echo(json.dumps(settings.gunicorn(), sort_keys=True))
        return
    env = dict(os.environ)
    for name in ("bind", "workers", "threads", "timeout"):
        env[ENV[name]] = str(getattr(settings, name))
    env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir(env.get("PROMETHEUS_MULTIPROC_DIR"))
    click.echo(f"tasharuk: gunicorn on {settings.bind}, {settings.workers} workers x "
               f"{settings.threads} threads", err=True)
    sys.stderr.flush()
    argv = [sys.executable, "-m", "gunicorn", "--config", str(CONF), "app:create_app()"]
    os.execve(sys.executable, argv, env)


def metrics_dir(wanted: str | None) -> str:
    """A folder for the workers' metrics files without a former run's (``*.db``) files:
    ``wanted`` (created when missing), or a new temporary one."""
    if not wanted:
        return tempfile.mkdtemp(prefix="tasharuk-metrics-")
    path = Path(wanted)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
    return str(path)
