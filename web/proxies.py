"""The client's real address behind reverse proxies (``TASHARUK_TRUSTED_PROXIES``), so rate
limits and login throttling see each user, not the proxy.

The setting is either a number of proxies in front of the app (werkzeug's ``ProxyFix`` takes
the address that many hops from the right of ``X-Forwarded-For``), or a comma-separated list of
the proxies' addresses or networks, as gunicorn's ``forwarded_allow_ips`` takes it: when the
peer is one of them, the client is the right-most ``X-Forwarded-For`` entry that is not (the
scheme comes from ``X-Forwarded-Proto``). From any other peer the headers are ignored, so a
client cannot forge its way out of a limit. ``0`` or empty: never believed.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["TrustedProxies", "install", "parse"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_TRUSTED_MAX = 1024  # addresses remembered by TrustedProxies.trusted


def parse(raw: Any) -> int | list[Network]:
    """A count of proxies (0-10) or a list of networks; ValueError naming the variable."""
    text = str(raw if raw is not None else "").strip()
    if text.isdigit():
        count = int(text)
        if count > 10:
            raise ValueError(f"TASHARUK_TRUSTED_PROXIES: {count} proxies is more than 10")
        return count
    if not text:
        return 0
    nets = []
    for part in (p.strip() for p in text.split(",")):
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"TASHARUK_TRUSTED_PROXIES: {part!r} is neither a number of "
                             "proxies nor an IP address or network") from None
    return nets


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class TrustedProxies:
    """WSGI middleware: REMOTE_ADDR and the scheme from the forwarding headers of trusted
    proxies (a list of networks)."""

    def __init__(self, app: Callable, networks: Iterable[Network]):
        self.app = app
        self.networks = list(networks)
        # remembered per address text: every request asks it of its peer (parsing the
        # address cost ~5 us), nearly always one of a few proxies; bounded, so forged
        # X-Forwarded-For entries cannot fill memory
        self._trusted = functools.lru_cache(maxsize=_TRUSTED_MAX)(self._is_proxy)

    def trusted(self, text: str | None) -> bool:
        """Whether the address ``text`` is one of the proxies'."""
        return self._trusted(text or "")

    def _is_proxy(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in n for n in self.networks)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        if self.trusted(environ.get("REMOTE_ADDR")):
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")
                    if h.strip()]
            client = None
            for hop in reversed(hops):
                if _address(hop) is None:
                    break  # a malformed entry: believe nothing left of it
                client = hop
                if not self.trusted(hop):
                    break
            if client is not None:
                environ["REMOTE_ADDR"] = client
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


def install(app: Any) -> None:
    """Wrap ``app.wsgi_app`` according to ``app.config["TRUSTED_PROXIES"]``."""
    setting = parse(app.config.get("TRUSTED_PROXIES", ""))
    if isinstance(setting, int):
        if setting:
            from werkzeug.middleware.proxy_fix import ProxyFix

            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=setting, x_proto=setting)
    elif setting:
        app.wsgi_app = TrustedProxies(app.wsgi_app, setting)
