"""`tasharuk serve`'s settings: defaults from the machine, the environment, then the flags."""

from __future__ import annotations

import json

import pytest

from data.errors import BadInput
from web.serving.settings import ServerSettings, cpu_count


@pytest.mark.parametrize(("env", "flags", "expected"), [
    ({}, {}, {"workers": cpu_count(), "threads": 4, "timeout": 60, "bind": "127.0.0.1:8000"}),
    ({"TASHARUK_WORKERS": "3", "TASHARUK_THREADS": "8"}, {}, {"workers": 3, "threads": 8}),
    ({"TASHARUK_WORKERS": "3"}, {"workers": 5}, {"workers": 5}),      # the flag wins
    ({"TASHARUK_WORKERS": ""}, {}, {"workers": cpu_count()}),         # empty: the default
    ({"TASHARUK_WORKERS": "0"}, {}, {"workers": cpu_count()}),        # 0: one per CPU
    ({"TASHARUK_BIND": "unix:/run/tasharuk.sock"}, {}, {"bind": "unix:/run/tasharuk.sock"}),
    ({"TASHARUK_TRUSTED_PROXIES": "10.0.0.2"}, {}, {"trusted_proxies": "10.0.0.2"}),
])
def test_settings_come_from_the_machine_the_environment_and_the_flags(env, flags, expected):
    settings = ServerSettings.from_env(env, **flags)
    assert {k: getattr(settings, k) for k in expected} == expected


@pytest.mark.parametrize(("env", "flags", "message"), [
    ({"TASHARUK_WORKERS": "many"}, {}, "TASHARUK_WORKERS: 'many' is not a whole number"),
    ({"TASHARUK_THREADS": "0"}, {}, "TASHARUK_THREADS: 0 is outside 1-64"),
    ({}, {"timeout": 1}, "--timeout: 1 is outside 5-3600"),
    ({"TASHARUK_BIND": "8000"}, {}, "TASHARUK_BIND: '8000' is not HOST:PORT or unix:PATH"),
])
def test_bad_settings_name_the_variable_or_flag(env, flags, message):
    with pytest.raises(BadInput) as err:
        ServerSettings.from_env(env, **flags)
    assert err.value.message == message


@pytest.mark.parametrize(("proxies", "gunicorn"), [
    ("10.0.0.2,10.0.0.3", "10.0.0.2,10.0.0.3"),
    ("10.0.5.0/24", "10.0.5.0/24"),
    ("1", "127.0.0.1,::1"),  # a count of proxies: for the app; gunicorn trusts loopback
])
def test_trusted_proxies_reach_gunicorn(proxies, gunicorn):
    conf = ServerSettings.from_env({"TASHARUK_TRUSTED_PROXIES": proxies}).gunicorn()
    assert conf["forwarded_allow_ips"] == gunicorn


def test_gunicorns_configuration_carries_every_setting():
    conf = ServerSettings.from_env({}, workers=2, threads=4, bind="127.0.0.1:9").gunicorn()
    assert (conf["workers"], conf["threads"], conf["worker_class"], conf["bind"]) == \
        (2, 4, "gthread", ["127.0.0.1:9"])
    assert conf["timeout"] == 60 and conf["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert conf["max_requests_jitter"] == conf["max_requests"] // 10


def _cli(args, env=None):
    from click.testing import CliRunner

    from app import cli

    return CliRunner().invoke(cli, args, env=env or {})


def test_serve_check_prints_the_settings_and_a_bad_flag_exits_2():
    result = _cli(["serve", "--check", "--workers", "2"], {"TASHARUK_THREADS": "6"})
    assert result.exit_code == 0, result.output
    conf = json.loads(result.output)
    assert (conf["workers"], conf["threads"]) == (2, 6)
    bad = _cli(["serve", "--check", "--threads", "100"])
    assert bad.exit_code == 2
    assert "--threads: 100 is outside 1-64" in bad.output


def test_gunicorn_builds_no_access_line_the_configuration_drops():
    """The app logs each request; gunicorn's access logger is at WARNING, so its logger must
    not build the line's fields (the real gunicorn Logger did, on every request)."""
    import logging

    from gunicorn.config import Config

    from web.serving import gunicorn_conf
    from web.serving.logger import AppLogger

    conf = ServerSettings.from_env({}).gunicorn()
    assert conf["logger_class"] == "web.serving.logger.AppLogger"
    names = ("", "gunicorn.error", "gunicorn.access")  # gunicorn configures these: restored
    saved = {n: (logging.getLogger(n).level, list(logging.getLogger(n).handlers),
                 logging.getLogger(n).propagate) for n in names}
    cfg = Config()
    cfg.set("logconfig_dict", gunicorn_conf.logconfig_dict)
    logger = AppLogger(cfg)
    try:
        assert logger.access_log_enabled  # gunicorn's own test: it would build the fields
        logger.access(None, None, {}, None)  # built, these would raise AttributeError
        logging.getLogger("gunicorn.access").setLevel(logging.INFO)
        with pytest.raises(AttributeError):
            logger.access(None, None, {}, None)  # enabled: gunicorn's own path again
    finally:
        for name, (level, handlers, propagate) in saved.items():
            log = logging.getLogger(name)
            log.setLevel(level)
            log.handlers[:] = handlers
            log.propagate = propagate
