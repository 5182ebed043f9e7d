"""Data for the app's own Leaflet maps (``web/directory/static/map.js``, drawn by the
``directory/_map.html`` macro), embedded in the page as JSON that is never executed."""

from __future__ import annotations

import json

from flask import current_app, url_for
from flask_babel import gettext as _

__all__ = ["map_json", "tiles_url"]


def tiles_url() -> str:
    """The base-map tiles (``TASHARUK_TILES_URL``), or "" for areas and points only."""
    return current_app.config.get("TILES_URL") or current_app.config.get(
        "TASHARUK_TILES_URL", "")


def map_json(points: list[dict], areas: list[dict], lines: list[list] | None = None) -> str:
    """``points`` ({lat, lon, name, url?, n?}), ``areas`` (GeoJSON features) and ``lines``
    (each a list of [lat, lon]) for map.js."""
    from .i18n import current_locale

    data = {"points": points, "areas": areas, "lines": lines or [], "tiles": tiles_url(),
            "basemap": url_for("directory.basemap", level=0)[:-len("0.json")],
            "locale": current_locale(),
            "labels": {"zoom_in": _("Zoom in"), "zoom_out": _("Zoom out"),
                       "point": _("The chosen point")}}
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
