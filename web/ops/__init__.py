"""Operations endpoints (liveness, readiness, Prometheus metrics) and the per-request hooks
that feed them: request ids, one JSON log line a request, request and pool metrics."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Flask

bp = Blueprint("ops", __name__)

from . import routes  # noqa: E402,F401


def metrics_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``TASHARUK_METRICS_NETWORKS``: comma-separated addresses or CIDR networks."""
    nets = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"TASHARUK_METRICS_NETWORKS: {part!r} is not an address or "
                             "network (e.g. 10.0.5.0/24)") from None
    return nets


def init_app(app: Flask) -> None:
    """Parse the metrics settings, hook the request id/log/metrics, watch the database pool."""
    from .metrics import watch_pool
    from .requestlog import init_app as init_requestlog

    nets = app.config.get("METRICS_NETWORKS", "127.0.0.0/8,::1")
    if isinstance(nets, str):
        app.config["METRICS_NETWORKS"] = metrics_networks(nets)
    init_requestlog(app)
    dbs = app.extensions["tasharuk_db"]
    watch_pool(dbs["engine"])
    for i, replica in enumerate(dbs["replicas"].replicas if dbs.get("replicas") else ()):
        watch_pool(replica.engine, f"replica{i + 1}")
    app.register_blueprint(bp)
