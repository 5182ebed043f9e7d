"""gunicorn's configuration for Tasharuk (``gunicorn -c web/serving/gunicorn_conf.py``).

Every figure comes from ``ServerSettings.from_env()`` (``tasharuk serve`` puts its flags in
the environment first). Logs are JSON lines on stderr (journald keeps them); a worker that
exits has its metrics files marked dead so ``/metrics`` stops counting its gauges. A worker
that has loaded the app freezes it out of the garbage collector's scans (``web.serving.memory``).
"""

from web.serving.settings import ServerSettings

_settings = ServerSettings.from_env()
globals().update(_settings.gunicorn())

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "data.jsonlog.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                            "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        "alembic": {"level": "WARNING", "handlers": [], "propagate": True},
    },
}


def child_exit(server, worker) -> None:
    """A worker is gone: its live gauges (pool in use) no longer count."""
    if _settings.metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """The worker has loaded the app: freeze it out of the garbage collector's scans."""
    from web.serving.memory import freeze_loaded_app

    freeze_loaded_app()
