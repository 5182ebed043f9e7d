"""Tasharuk's application factory and command-line entry point.

``create_app(config=None)``: configuration -> extensions -> blueprints -> CLI commands.
Nothing reads configuration or opens a connection at import time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from data.clitools import LazyCommands, LazyGroup, MapsErrors
from data.cluster import configured_url


class Config:
    """Configuration from environment variables, with safe local defaults."""

    def __init__(self) -> None:
        env = os.environ.get
        self.DATABASE_URL = configured_url()
        self.SECRET_KEY = env("SECRET_KEY") or _dev_secret()
        self.REDIS_URL = env("REDIS_URL", "")
        # Streaming replicas for reads that tolerate a little lag (libpq URLs, comma-separated)
        self.DATABASE_REPLICA_URLS = env("DATABASE_REPLICA_URLS", "")
        self.REPLICA_MAX_LAG_S = float(env("TASHARUK_REPLICA_MAX_LAG_S", "10"))
        self.REPLICA_CHECK_S = float(env("TASHARUK_REPLICA_CHECK_S", "2"))
        self.READ_YOUR_WRITES_S = float(env("TASHARUK_READ_YOUR_WRITES_S", "10"))
        self.MAIL_SERVER = env("MAIL_SERVER", "")
        self.MAIL_PORT = int(env("MAIL_PORT", "25"))
        self.MAIL_SENDER = env("MAIL_SENDER", "tasharuk@localhost")
        self.BASE_URL = env("BASE_URL", "http://127.0.0.1:5000")
        # Key(s) for personal data encrypted at rest (Fernet, comma-separated: newest first).
        self.DATA_KEYS = env("TASHARUK_DATA_KEYS", "")
        self.TILES_URL = env("TASHARUK_TILES_URL", "")  # base-map tiles are optional
        self.UPLOAD_FOLDER = env("TASHARUK_UPLOADS", "")
        self.EXPORT_FOLDER = env("TASHARUK_EXPORTS", "")  # files written by export jobs
        self.JOB_RETRY_BASE_S = float(env("TASHARUK_JOB_RETRY_S", "30"))  # back-off base
        self.JOB_MAX_ATTEMPTS = int(env("TASHARUK_JOB_ATTEMPTS", "5"))
        self.MAX_CONTENT_LENGTH = int(env("TASHARUK_MAX_UPLOAD", str(20 * 1024 * 1024)))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.BASE_URL.startswith("https://")
        self.BABEL_DEFAULT_LOCALE = "ar"
        # Times are stored in UTC and shown in Syria's time (web.ui filters, Flask-Babel).
        self.DISPLAY_TIMEZONE = env("TASHARUK_TIMEZONE", "Asia/Damascus")
        self.BABEL_DEFAULT_TIMEZONE = self.DISPLAY_TIMEZONE
        self.LANGUAGES = ("ar", "en")
        self.RATELIMIT_ENABLED = env("TASHARUK_RATELIMIT", "1") != "0"
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.WTF_CSRF_TIME_LIMIT = None
        # Exports (web/downloads.py): where built files are kept, how many builds may run at
        # once across all workers, and how often one person / one API token may download.
        self.EXPORT_CACHE = env("TASHARUK_EXPORT_CACHE", "")
        self.EXPORT_BACKGROUND = env("TASHARUK_EXPORT_BACKGROUND", "hsds,hsds31")  # built by a job
        self.EXPORT_SLOTS = int(env("TASHARUK_EXPORT_SLOTS", "1"))
        self.EXPORT_RATE_LIMIT = env("TASHARUK_EXPORT_RATE_LIMIT", "30 per hour")
        self.EXPORT_TOKEN_RATE_LIMIT = env("TASHARUK_EXPORT_TOKEN_RATE_LIMIT", "20 per hour")
        # Webhooks (network/webhooks.py): plain http to 127.0.0.1 only when asked (tests, trials).
        self.TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK = env(
            "TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK", "0") == "1"
        # Serving (docs/deploying.md): gzip unless the proxy compresses; who may read /metrics.
        self.GZIP = env("TASHARUK_GZIP", "1") != "0"
        self.METRICS_TOKEN = env("TASHARUK_METRICS_TOKEN", "")
        self.METRICS_NETWORKS = env("TASHARUK_METRICS_NETWORKS", "127.0.0.0/8,::1")
        # Server-side sessions (network/sessions.py): idle and absolute lifetimes.
        self.SESSION_IDLE_MINUTES = float(env("TASHARUK_SESSION_IDLE_MINUTES", "120"))
        self.SESSION_MAX_HOURS = float(env("TASHARUK_SESSION_MAX_HOURS", "12"))
        # Reverse proxies whose X-Forwarded-For/-Proto are believed (web/proxies.py): their
        # addresses (as gunicorn's forwarded_allow_ips, the same default) or their number.
        self.TRUSTED_PROXIES = env("TASHARUK_TRUSTED_PROXIES", "127.0.0.1,::1")
        # Login throttling per account and client (network/throttle.py).
        self.LOGIN_FREE_FAILURES = int(env("TASHARUK_LOGIN_FREE_FAILURES", "5"))
        self.LOGIN_DELAY_MAX = float(env("TASHARUK_LOGIN_DELAY_MAX", "900"))
        # Consent (referral/consent.py): days it lasts when the person states no end.
        self.CONSENT_DAYS = int(env("TASHARUK_CONSENT_DAYS", "365"))
        # Break-the-glass (referral/glass.py): hours a supervisor's emergency access lasts.
        self.GLASS_HOURS = float(env("TASHARUK_GLASS_HOURS", "3"))
        # Retention (referral/retention.py): days after which closed referrals lose their
        # personal data (the statistics stay).
        self.RETENTION_DAYS = int(env("TASHARUK_RETENTION_DAYS", "365"))

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _dev_secret() -> str:
    """A secret kept in instance/ so that sessions survive restarts of a local server."""
    from data.cluster import INSTANCE

    path = INSTANCE / "secret_key"
    try:
        if path.exists():
            return path.read_text().strip()
        INSTANCE.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
    except OSError:
        return secrets.token_hex(32)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``config`` overrides, then extensions and blueprints."""
    from web.jsonio import OrjsonProvider
    from web.lean import LeanCookieSessions, TasharukFlask

    app = TasharukFlask(__name__, template_folder="web/templates", static_folder="web/static",
                        instance_relative_config=False)
    app.json = OrjsonProvider(app)
    app.session_interface = LeanCookieSessions()
    app.config.from_mapping(Config().as_dict())
    if config:
        app.config.update(config)
    if not app.config.get("UPLOAD_FOLDER"):
        from data.cluster import INSTANCE

        app.config["UPLOAD_FOLDER"] = str(INSTANCE / "uploads")
    if not app.config.get("EXPORT_FOLDER"):
        from data.cluster import INSTANCE

        app.config["EXPORT_FOLDER"] = str(INSTANCE / "exports")

    from data.db import db
    from web import init_web

    db.init_app(app)
    init_web(app)
    _register_commands(app)
    return app


# Every ``tasharuk`` command by name: where it lives and its short help (as the command says
# it). Commands are imported only when run, so ``tasharuk --help`` and light commands start
# fast; a test checks this table against the commands themselves.
COMMANDS: dict[str, tuple[str, str]] = {
    "backup": ("data.cli:backup_cmd",
                "Write a consistent backup (database dump, attachments, manifest) into the "
                "new or empty folder DIR; the keys are not in it (the manifest says which "
                "are needed)."),
    "bootstrap": ("app:bootstrap",
                "Everything `make run` does before serving, in one process (fast when already "
                "done): migrate, reference data, forum categories, boundaries and demo data "
                "when missing, the gazetteer's names when given, then the search ranking's "
                "referral-outcome terms and, before the first, the gap figures."),
    "db": ("data.cli:db_cli",
                "Database migrations (Alembic)."),
    "directory": ("network.cli:directory_cli",
                "Service directory maintenance."),
    "export": ("data.cli:export_cli",
                "Export HSDS 3.0 or 3.1, 4W (HXL) and GeoJSON."),
    "forum": ("network.cli:forum_cli",
                "The organisations' forum."),
    "gaps": ("planning.cli:gaps_cmd",
                "Coverage gaps per area, ranked: areas with need and no presence first, then by "
                "score."),
    "import": ("data.cli:import_cli",
                "Import 3W/4W spreadsheets and HSDS data."),
    "library": ("network.cli:library_cli",
                "The library of laws, decisions and circulars."),
    "limiter": ("flask_limiter.commands:cli",
                "Flask-Limiter maintenance & utility commands"),
    "jobs": ("jobs.cli:jobs_cli",
                "Background jobs: list, retry a failed one, counts."),
    "load": ("data.cli:load_cli",
                "Load reference data, boundaries, gazetteers, demo data."),
    "notebooks": ("planning.cli:notebooks_cli",
                "The planners' notebooks: execute them on this site's data (read-only) for the "
                "page."),
    "orgs": ("network.cli:orgs_cli",
                "Organisations: list pending, verify or reject."),
    "partners": ("network.cli:partners_cli",
                "Complementary partner suggestions (ORG: id or acronym) and the referral "
                "acceptance model."),
    "referrals": ("referral.cli:referrals_cli",
                "Referral jobs: expiry, key rotation, erasure of closed referrals."),
    "restore": ("data.cli:restore_cmd",
                "Restore the backup in DIR into the empty database DATABASE_URL and the "
                "empty upload folder; every table's row count is checked against the "
                "backup's."),
    "resolve": ("data.cli:resolve_cmd",
                "Resolve an admin-area NAME (Arabic or English) to its p-code(s)."),
    "tokens": ("network.cli:tokens_cli",
                "API tokens: create (secret shown once), revoke."),
    "users": ("network.cli:users_cli",
                "User accounts: create, set role, reset links."),
    "worker": ("jobs.cli:worker_cmd",
               "Run background jobs (mail, expiry, reminders, ranking, gaps, exports) and their "
               "schedules until stopped; run one or more per site (see README, Deploying)."),
}
# Commands that build no app when run from the shell: resolve reads the gazetteer itself,
# limiter is Flask-Limiter's own (its commands push the app when they need it).
WITHOUT_APP = frozenset({"limiter", "resolve"})
# ``tasharuk serve`` sits on the command itself, not on app.cli: it starts gunicorn without
# building an app in the launching process (gunicorn's workers build their own).
TOP_COMMANDS = {**COMMANDS, "serve": (
    "web.serving.cli:serve_cmd",
    "Serve the app with gunicorn, with its figures from the machine and the environment.")}


def _register_commands(app: Flask) -> None:
    """Every command, mounted on the app's CLI by name (imported when run)."""
    app.cli = LazyGroup(app, COMMANDS)


@click.command("bootstrap")
@click.option("--boundaries", "boundary_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Boundary files to load when no boundaries are loaded yet.")
@click.option("--gazetteer", "gazetteer_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Gazetteer files (OpenSyria admin_names JSON) whose names and aliases the "
                   "resolver learns; merged on every start (idempotent).")
@click.option("--demo-orgs", type=click.IntRange(0), default=300, show_default=True,
              help="Demo organisations to generate when the database has none (0: none).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.pass_context
def bootstrap(ctx: click.Context, boundary_files: tuple[Path, ...],
              gazetteer_files: tuple[Path, ...], demo_orgs: int, seed: int) -> None:
    """Everything `make run` does before serving, in one process (fast when already done):
    migrate, reference data, forum categories, boundaries and demo data when missing, the
    gazetteer's names when given, then the search ranking's referral-outcome terms and,
    before the first, the gap figures."""
    from data.cli import (
        db_upgrade,
        load_boundaries_cmd,
        load_demo_cmd,
        load_gazetteer_cmd,
        load_reference_cmd,
    )
    from network.cli import refresh_ranking_cmd, seed_cmd

    ctx.invoke(db_upgrade, revision="head")
    ctx.invoke(load_reference_cmd, folder=None)
    ctx.invoke(seed_cmd)
    if boundary_files:
        ctx.invoke(load_boundaries_cmd, paths=boundary_files, if_empty=True)
    if gazetteer_files:
        ctx.invoke(load_gazetteer_cmd, paths=gazetteer_files)
    if demo_orgs:
        from sqlalchemy import text

        from data.db import db

        empty = not db.session.scalar(text("SELECT EXISTS (SELECT 1 FROM organization)"))
        ctx.invoke(load_demo_cmd, orgs=demo_orgs, seed=seed, services=None, referrals=None,
                   if_empty=True)
        if empty:
            _demo_safe_places()
    ctx.invoke(refresh_ranking_cmd)
    _first_gap_figures()


def _first_gap_figures() -> None:
    """With no gap recomputation yet, run the first one here, in one transaction with its
    job row (seconds on the demo): the gap pages open from its snapshot from the first
    request, and a failure leaves no job, so the worker queues it at start (jobs.firstgaps)."""
    import time

    from sqlalchemy import text

    import jobs.tasks
    from data.db import db
    from jobs.firstgaps import enqueue_first_recompute

    job_id = enqueue_first_recompute(db.session)
    if job_id is None:
        db.session.commit()
        return
    started = time.process_time(), time.perf_counter()
    # as the worker would run it: doing, the task's own function, then succeeded
    done = text("UPDATE procrastinate_jobs SET status = CAST(:s AS procrastinate_job_status), "
                "attempts = attempts + CAST(:n AS int) WHERE id = :id")
    db.session.execute(done, {"s": "doing", "n": 0, "id": job_id})
    jobs.tasks.recompute_gaps.func.__wrapped__(db.session, job_id=job_id)
    db.session.execute(done, {"s": "succeeded", "n": 1, "id": job_id})
    db.session.commit()
    click.echo(f"gap figures computed (job {job_id}: {time.perf_counter() - started[1]:.1f} s, "
               f"{time.process_time() - started[0]:.1f} s CPU)")


def _demo_safe_places() -> None:
    """The demo just loaded gets confidential sites and focal points (network.demo)."""
    from data.db import db
    from network.demo import add_safe_places
    from referral.crypto import configured_cipher

    done = add_safe_places(db.session, configured_cipher())
    db.session.commit()
    if done["confidential_sites"] is None:
        click.echo("no data key (TASHARUK_DATA_KEYS): the demo's shelters and safe spaces "
                   "are not made confidential")
    else:
        click.echo(f"confidential sites: {done['confidential_sites']}")
    click.echo(f"focal points: {done['focal_points']}")


class TasharukGroup(MapsErrors, LazyCommands, FlaskGroup):
    """The ``tasharuk`` command: Flask's run/shell/routes plus our table of commands, found
    by name without building the app (it is built when a command needs it); our errors map
    to messages and exit codes (2 = bad input)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(lazy=TOP_COMMANDS, **kwargs)
        self._loaded_plugin_commands = True  # limiter, the one plugin, is in the table

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The command ``name``; the app's commands run in its context, built here as Flask's
        own group would (``resolve``, ``serve`` and the plugin need no app)."""
        command = super().get_command(ctx, name)
        if command is not None and name in COMMANDS and name not in WITHOUT_APP:
            from flask import current_app
            from flask.cli import ScriptInfo

            app = ctx.ensure_object(ScriptInfo).load_app()
            if not current_app or current_app._get_current_object() is not app:
                ctx.with_resource(app.app_context())
        return command


cli = TasharukGroup(create_app=create_app, help="Tasharuk (تشارك) command line.",
                    add_version_option=False)
