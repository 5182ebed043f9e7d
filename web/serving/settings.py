"""How ``tasharuk serve`` runs gunicorn: every figure from the machine or the environment.

Defaults (docs/deploying.md): one worker process per CPU the process may use (the app is
CPU-bound: a search is ~4-8 ms of Python and SQL), 4 threads each (a request waits on the
database part of its time), a 60 s timeout (the largest exports), 20 MB bodies (as the
sample nginx site), and the proxies trusted for ``X-Forwarded-*`` on loopback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from data.errors import BadInput

__all__ = ["ServerSettings", "cpu_count"]


def cpu_count() -> int:
    """CPUs this process may run on (its affinity, e.g. a container's cpuset), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# field -> the environment variable that sets it
ENV = {"bind": "TASHARUK_BIND", "workers": "TASHARUK_WORKERS", "threads": "TASHARUK_THREADS",
       "timeout": "TASHARUK_TIMEOUT", "keepalive": "TASHARUK_KEEPALIVE",
       "max_requests": "TASHARUK_MAX_REQUESTS", "trusted_proxies": "TASHARUK_TRUSTED_PROXIES",
       "metrics_dir": "PROMETHEUS_MULTIPROC_DIR"}
LIMITS = {"workers": (1, 64), "threads": (1, 64), "timeout": (5, 3600), "keepalive": (0, 300),
          "max_requests": (0, 10_000_000)}


@dataclass(frozen=True)
class ServerSettings:
    """gunicorn's settings for Tasharuk; ``from_env`` reads the overrides."""

    bind: str = "127.0.0.1:8000"
    workers: int = 0  # 0: one per CPU
    threads: int = 4
    timeout: int = 60
    keepalive: int = 5
    max_requests: int = 20_000  # a worker is replaced after this many (with jitter): leaks
    trusted_proxies: str = "127.0.0.1,::1"
    metrics_dir: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **override) -> ServerSettings:
        """Defaults, then the environment, then ``override`` (command-line flags; None: unset)."""
        env = os.environ if env is None else env
        values: dict = {}
        for f in fields(cls):
            raw = override.get(f.name)
            name = f"--{f.name.replace('_', '-')}"
            if raw is None and env.get(ENV[f.name], "") != "":
                raw, name = env[ENV[f.name]], ENV[f.name]
            if raw is None:
                continue
            values[f.name] = _checked(f.name, name, raw)
        settings = cls(**values)
        if settings.workers == 0:
            settings = cls(**{**values, "workers": cpu_count()})
        return settings

    def gunicorn(self) -> dict:
        """The settings as gunicorn's configuration variables."""
        return {
            "bind": [self.bind], "workers": self.workers, "threads": self.threads,
            "worker_class": "gthread", "timeout": self.timeout, "graceful_timeout": 30,
            "keepalive": self.keepalive, "max_requests": self.max_requests,
            "max_requests_jitter": self.max_requests // 10,
            # (a number of proxies is the app's business: gunicorn keeps trusting loopback)
            "forwarded_allow_ips": "127.0.0.1,::1" if self.trusted_proxies.isdigit()
            else self.trusted_proxies,
            # the request line and headers: gunicorn's own bounds (the body: MAX_CONTENT_LENGTH)
            "limit_request_line": 8190, "limit_request_fields": 100,
            "limit_request_field_size": 8190,
            "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
            "accesslog": None,  # one JSON line a request comes from the app (web.ops)
            "logger_class": "web.serving.logger.AppLogger",  # (nor its fields built)
            "proc_name": "tasharuk",
            "control_socket_disable": True,  # (gunicorn 24+'s control socket: unused here)
        }


def _checked(field: str, name: str, raw) -> object:
    if field not in LIMITS:
        text = str(raw).strip()
        if field == "bind" and (":" not in text or not text.rsplit(":", 1)[1].isdigit()) \
                and not text.startswith("unix:"):
            raise BadInput(f"{name}: {text!r} is not HOST:PORT or unix:PATH", field=name)
        return text
    lo, hi = LIMITS[field]
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadInput(f"{name}: {raw!r} is not a whole number", field=name) from None
    if not (lo <= value <= hi) and not (field == "workers" and value == 0):
        raise BadInput(f"{name}: {value} is outside {lo}-{hi}", field=name)
    return value
