"""Rate limits switched on for one test (the test app has them off), low, reset around it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def rate_limits(app, **rates: str) -> Iterator[None]:
    """Rate limits on with ``rates`` (setting -> "N per period", e.g.
    ``REPORT_RATE_LIMIT="3 per hour"``) for the block; the counters reset before and after,
    and the settings come back as they were."""
    from web.extensions import limiter

    old = {k: app.config.get(k) for k in ("RATELIMIT_ENABLED", *rates)}
    app.config.update(RATELIMIT_ENABLED=True, **rates)
    limiter.reset()
    try:
        yield
    finally:
        app.config.update(old)
        limiter.reset()


def limits_fixture(**rates: str):
    """A ``limits`` fixture for a test module: ``limits = limits_fixture(X_RATE_LIMIT="2 per
    hour")``, then a test asking for ``limits`` runs with those rates on."""
    import pytest

    @pytest.fixture
    def limits(app):
        with rate_limits(app, **rates):
            yield

    return limits
