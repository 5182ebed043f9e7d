"""The main navigation: each blueprint adds its entries; users see those their role allows."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, url_for
from flask_babel import LazyString

from .security import AUTHENTICATED, PUBLIC, role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString | str
    roles: frozenset[str]
    order: int


_ITEMS: list[NavItem] = []


def add(endpoint: str, label: LazyString | str, *roles: str, order: int = 50) -> None:
    """Add a menu entry (call at blueprint import); ``roles`` as for ``security.allow``."""
    if any(i.endpoint == endpoint for i in _ITEMS):
        return
    _ITEMS.append(NavItem(endpoint, label, frozenset(roles or (PUBLIC,)), order))


def items() -> list[dict]:
    """The entries the current user may see, as ``{"url", "label"}``."""
    current = role()
    out = []
    for item in sorted(_ITEMS, key=lambda i: i.order):
        if PUBLIC in item.roles or (current and (AUTHENTICATED in item.roles
                                                 or current in item.roles)):
            try:
                out.append({"url": url_for(item.endpoint), "label": str(item.label)})
            except Exception:  # noqa: BLE001 - an entry whose blueprint is absent
                continue
    return out


def init_app(app: Flask) -> None:
    """Give templates ``nav_items()``."""
    app.context_processor(lambda: {"nav_items": items})
