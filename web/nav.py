"""The main navigation: each blueprint adds its entries; users see those their role allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_babel import LazyString

from .security import PUBLIC, permits, role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString | str
    roles: frozenset[str]
    order: int
    area: str = "main"
    count: Callable[[], int] | None = None  # a number shown beside the entry (0: none)


_ITEMS: list[NavItem] = []


def add(endpoint: str, label: LazyString | str, *roles: str, order: int = 50,
        area: str = "main", count: Callable[[], int] | None = None) -> None:
    """Add a menu entry (call at blueprint import); ``roles`` as for ``security.allow``;
    ``area`` "main" (the menu) or "account" (next to the signed-in user); ``count`` gives the
    number of new things behind the entry (unread, to answer), shown beside it."""
    if any(i.endpoint == endpoint for i in _ITEMS):
        return
    _ITEMS.append(NavItem(endpoint, label, frozenset(roles or (PUBLIC,)), order, area, count))


def _is_current(url: str) -> bool:
    path = request.path
    return path == url or (url != "/" and url.endswith("/") and path.startswith(url))


def items(area: str = "main") -> list[dict]:
    """The entries of ``area`` the current user may see, as ``{"url", "label", "current"}``."""
    current = role()
    out = []
    for item in sorted(_ITEMS, key=lambda i: i.order):
        if item.area != area:
            continue
        if permits(item.roles, current):
            try:
                url = url_for(item.endpoint)
            except Exception:  # noqa: BLE001 - an entry whose blueprint is absent
                continue
            out.append({"url": url, "label": str(item.label), "current": _is_current(url),
                        "count": item.count() if item.count else 0})
    return out


def init_app(app: Flask) -> None:
    """Give templates ``nav_items()``."""
    app.context_processor(lambda: {"nav_items": items})
