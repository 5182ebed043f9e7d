"""Folium maps of coverage gaps that work offline: every script and style comes from the app.

Leaflet is linked from ``/vendor/leaflet`` (served by the app from XStatic-Leaflet) or, for the
standalone download, inlined with its images as data URIs; folium's CDN defaults (jQuery,
Bootstrap, Font Awesome) are dropped. Base tiles are added only when a tile URL is configured.
Polygons are simplified for the web (``geo.shapes.simplify``, vectorised) and their coordinates
rounded; areas without a polygon are drawn as circles on their centroid, sized by PiN.
"""

from __future__ import annotations

import base64
import json
import math
import re
from html import escape
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.features import GeoJsonStyleMapper
from folium.utilities import get_obj_in_upper_tree
from jinja2 import Template

from geo.shapes import simplify

__all__ = ["COLORS", "LABELS", "MAP_TOLERANCE_DEG", "color_for", "gap_map", "leaflet_dir",
           "simplify_shapes"]

MAP_TOLERANCE_DEG = 0.02  # ~2 km: polygons as the web map draws them (simplified once)
MAP_GRID_DEG = 1e-3  # ~100 m: coordinates snapped to it (no false precision, fewer bytes)

COLORS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # score 0-20 ... 80-100
NO_DATA = "#cfd4da"
# Bilingual labels: the map travels as a file, so it carries both languages.
LABELS = {
    "gap_score": ("درجة الفجوة", "Gap score"),
    "people_in_need": ("الأشخاص المحتاجون", "People in need"),
    "severity": ("الشدة", "Severity"),
    "organizations": ("المنظمات", "Organisations"),
    "services": ("الخدمات", "Services"),
    "capacity": ("السعة الشهرية", "Capacity per month"),
    "reached": ("الأشخاص الذين تم الوصول إليهم", "People reached"),
    "coverage": ("التغطية", "Coverage"),
    "declined_referrals": ("إحالات مرفوضة أو غير ملباة", "Declined or unmet referrals"),
    "unmet_searches": ("عمليات بحث بلا نتيجة", "Searches that found nothing"),
    "legend": ("درجة الفجوة (0-100)", "Gap score (0-100)"),
    "no_data": ("لا بيانات", "No data"),
    "areas": ("المناطق", "Areas"),
    "sites": ("مواقع الخدمات", "Service sites"),
}
FIGURES = ("gap_score", "people_in_need", "severity", "organizations", "services", "capacity",
           "reached", "coverage", "declined_referrals", "unmet_searches")


def leaflet_dir() -> Path:
    """Where XStatic-Leaflet keeps leaflet.js, leaflet.css and images/."""
    import xstatic.pkg.leaflet as leaflet

    return Path(leaflet.BASE_DIR)


def color_for(score: float, has_data: bool = True) -> str:
    """Fill colour of a gap score (five classes of 20 points; grey without data)."""
    if not has_data or score is None or (isinstance(score, float) and math.isnan(score)):
        return NO_DATA
    return COLORS[min(int(score // 20), 4)]


def simplify_shapes(wkb: pd.Series, tolerance_deg: float = MAP_TOLERANCE_DEG,
                    grid_deg: float = 1e-4) -> np.ndarray:
    """Shapely geometries from WKB, simplified (topology kept) and snapped to a grid."""
    return simplify(shapely.from_wkb(wkb.to_numpy()), tolerance_deg, grid_deg)


def _html(value: Any) -> str:
    """``value`` as HTML text that no template reads as code: branca compiles every element's
    rendered script as a Jinja template, so a service named ``{{ ... }}`` ran on the server
    when a planner opened the map (its braces are written as the entity ``&#123;``)."""
    return escape(str(value)).replace("{", "&#123;")


def _fmt(name: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if name == "coverage":
        return f"{100 * value:.0f}%"
    if name in ("severity", "gap_score"):
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _label(name: str, lang: str | None) -> str:
    """A label in ``lang`` (Arabic or English), or both when the map travels as a file."""
    ar, en = LABELS[name]
    return ar if lang == "ar" else en if lang == "en" else f"{ar} · {en}"


def _tooltip(row: dict[str, Any], lang: str | None = None) -> str:
    """An area's figures; in the reader's language only inside the app (a third of the
    bytes: Arabic travels escaped in the map's JSON), in both in the downloaded file."""
    name = (row["name_ar"] if lang == "ar" else row["name_en"] if lang == "en"
            else f"{row['name_ar']} · {row['name_en']}")
    lines = [f"<b>{_html(name)}</b> <small>{_html(row['pcode'])}</small>"]
    for figure in FIGURES:
        lines.append(f"{_label(figure, lang)}: <b>{_fmt(figure, row.get(figure))}</b>")
    return "<div dir='auto'>" + "<br>".join(lines) + "</div>"


def _site_groups(sites: pd.DataFrame, lang: str | None) -> list[dict[str, Any]]:
    """Sites grouped by sub-district (else by a ~5 km cell): one marker per group at the mean
    position, with the count and the first few services, instead of one marker per site.
    Grouped once with numpy (a pandas groupby part per group cost ~3 ms each, 0.9 s a map);
    each mean is the same sum over the group's sites in their order as ``Series.mean``."""
    key = sites["pcode"].where(sites["pcode"].notna(),
                               (sites["lon"] / 0.05).round().astype(str) + ":"
                               + (sites["lat"] / 0.05).round().astype(str))
    codes, _keys = pd.factorize(key, sort=True)
    order = np.argsort(codes, kind="stable")  # each group's sites, in their order
    ends = np.cumsum(np.bincount(codes[codes >= 0]))
    lat, lon = sites["lat"].to_numpy(dtype=float), sites["lon"].to_numpy(dtype=float)
    service = sites["service_ar" if lang == "ar" else "service_en"].to_numpy()
    org = sites["org_ar" if lang == "ar" else "org_en"].to_numpy()
    title = _label("sites", lang)
    groups, start = [], int(np.sum(codes < 0))
    for end in ends:
        part = order[start:int(end)]
        start, count = int(end), len(part)
        names = [f"{_html(service[i])} · {_html(org[i])}" for i in part[:3]]
        more = count - len(names)
        groups.append({"lat": round(float(lat[part].sum() / count), 4),
                       "lon": round(float(lon[part].sum() / count), 4), "count": count,
                       "tip": f"<b>{title}: {count}</b><br>"
                              + "<br>".join(names) + (f"<br>+{more}" if more > 0 else "")})
    return groups


class _MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (Leaflet's default adds miles)."""

    _template = Template("""{% macro script(this, kwargs) %}
L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class _Legend(MacroElement):
    """A fixed legend box of the five score classes."""

    _template = Template("""{% macro header(this, kwargs) %}<style>
.gap-legend{position:absolute;z-index:1000;bottom:44px;left:10px;background:#fff;
padding:6px 8px;border:1px solid #999;font:12px/1.4 Tahoma,Arial,sans-serif}
.gap-legend i{display:inline-block;width:14px;height:10px;margin-inline-end:4px}
</style>{% endmacro %}
{% macro html(this, kwargs) %}<div class="gap-legend" dir="auto">{{ this.body }}</div>
{% endmacro %}""")

    def __init__(self, body: str):
        super().__init__()
        self._name = "GapLegend"
        self.body = body


class _RawText(Element):
    """Rendered text put in the page as it is, not compiled again as a template."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _GeoJson(folium.GeoJson):
    """folium's GeoJson layer, the same page, without compiling its rendered script (the
    whole GeoJSON, ~300 KB at level 3) as a Jinja template as branca's ``MacroElement``
    does (~0.1 s of a map's CPU): folium 0.20's ``GeoJson.render``, ``Layer.render`` and
    ``MacroElement.render`` with the text added as ``_RawText``."""

    def render(self, **kwargs: Any) -> str:
        self.parent_map: Any = get_obj_in_upper_tree(self, folium.Map)
        if (self.style or self.highlight) and self.data["features"]:
            mapper = GeoJsonStyleMapper(self.data, self.feature_identifier, self)
            if self.style:
                self.style_map = mapper.get_style_map(self.style_function)
            if self.highlight:
                self.highlight_map = mapper.get_highlight_map(self.highlight_function)
        parent: Any = self._parent
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=parent.get_name()),
                           name=self.get_name() + "_add")
        figure: Any = self.get_root()
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            if macros.get(part) is not None:
                getattr(figure, part).add_child(_RawText(macros[part](self, kwargs)),
                                                name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
        return ""


def _legend_html() -> str:
    ar, en = LABELS["legend"]
    rows = [f"<b>{ar}</b><br><b>{en}</b>"]
    for k, color in enumerate(COLORS):
        # ranges read left to right even in the right-to-left legend (0–20, not 20–0)
        rows.append(f"<i style='background:{color}'></i>"
                    f"<span dir='ltr'>{20 * k}–{20 * (k + 1)}</span>")
    rows.append(f"<i style='background:{NO_DATA}'></i>{' · '.join(LABELS['no_data'])}")
    return "<br>".join(rows)


def _inline_assets(fig: Any) -> None:
    base = leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        path = base / match.group(1)
        if not path.exists():
            return match.group(0)
        return "url(data:image/png;base64," + base64.b64encode(path.read_bytes()).decode() + ")"

    css = re.sub(r"url\((images/[^)]+\.png)\)", data_uri, css)
    js = (base / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    fig.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    fig.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")


def gap_map(table: pd.DataFrame, shapes: pd.DataFrame, *, sites: pd.DataFrame | None = None,
            tiles_url: str | None = None, asset_base: str = "/vendor/leaflet",
            standalone: bool = False, tolerance_deg: float = MAP_TOLERANCE_DEG,
            title: str = "", lang: str = "ar") -> str:
    """The HTML of a choropleth of ``table``'s gap scores (``shapes``: pcode, wkb, lon, lat).

    ``tolerance_deg``: how much to simplify the polygons (0 when ``shapes`` already are, e.g.
    by ``data.gapdata.area_shapes(..., tolerance_deg=MAP_TOLERANCE_DEG)``); coordinates are
    snapped to a 1e-4° grid either way.

    ``standalone`` inlines Leaflet so the file opens anywhere without a network; otherwise
    Leaflet is linked from ``asset_base`` (the app's own route). The page declares ``lang``
    (and its direction) and carries ``title``, for screen readers inside the dashboard's frame.
    """
    tip_lang = None if standalone else lang  # the downloaded file carries both languages
    fmap = folium.Map(location=[35.0, 38.5], zoom_start=7, tiles=None, prefer_canvas=True)
    fmap.add_child(_MetricScale())
    fmap.default_js = [] if standalone else [("leaflet", f"{asset_base}/leaflet.js")]
    fmap.default_css = [] if standalone else [("leaflet_css", f"{asset_base}/leaflet.css")]
    fig: Any = fmap.get_root()
    if standalone:
        _inline_assets(fig)
    if title:
        fig.header.add_child(Element(f"<title>{_html(title)}</title>"), name="title")
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr="&copy; map tiles", name="tiles").add_to(fmap)
    merged = table.merge(shapes, on="pcode", how="left")
    rows = merged.to_dict("records")
    has_poly = merged["wkb"].notna().to_numpy() if "wkb" in merged else np.zeros(len(merged),
                                                                                  bool)
    features = []
    if has_poly.any():
        polygons = shapely.from_wkb(merged.loc[has_poly, "wkb"].to_numpy())
        geoms = simplify(polygons, tolerance_deg, MAP_GRID_DEG)
        texts = shapely.to_geojson(geoms)
        for row, geo in zip([r for r, h in zip(rows, has_poly, strict=True) if h], texts,
                            strict=True):
            has_data = not (isinstance(row["people_in_need"], float)
                            and math.isnan(row["people_in_need"])) or row["gap_score"] > 0
            features.append({"type": "Feature", "geometry": json.loads(geo), "properties": {
                "pcode": row["pcode"], "fill": color_for(row["gap_score"], has_data),
                "tip": _tooltip(row, tip_lang)}})
    areas = folium.FeatureGroup(name=" · ".join(LABELS["areas"]), show=True)
    if features:
        _GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555",
                                      "weight": 0.6, "fillOpacity": 0.75},
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
            name="areas",
        ).add_to(areas)
    pins = merged.loc[~has_poly & merged["lon"].notna()] if "lon" in merged else merged.iloc[:0]
    if len(pins):
        top = float(np.nanmax(pins["people_in_need"].fillna(0).to_numpy()) or 1.0)
        for row in pins.to_dict("records"):
            pin = 0.0 if pd.isna(row["people_in_need"]) else float(row["people_in_need"])
            folium.CircleMarker(
                location=[row["lat"], row["lon"]], radius=4 + 26 * math.sqrt(pin / top),
                color="#555", weight=1, fill=True, fill_opacity=0.75,
                fill_color=color_for(row["gap_score"], pin > 0 or row["gap_score"] > 0),
                tooltip=_tooltip(row, tip_lang)).add_to(areas)
    areas.add_to(fmap)
    if sites is not None and len(sites):
        layer = folium.FeatureGroup(name=" · ".join(LABELS["sites"]), show=False)
        groups = [{"type": "Feature", "geometry": {"type": "Point",
                                                   "coordinates": [g["lon"], g["lat"]]},
                   "properties": {"tip": g["tip"]}}
                  for g in _site_groups(sites, tip_lang or "en")]
        _GeoJson(  # one layer of data, not one script per marker
            {"type": "FeatureCollection", "features": groups},
            marker=folium.CircleMarker(radius=6, color="#0b6e4f", weight=1, fill=True,
                                       fill_color="#0b6e4f", fill_opacity=0.8),
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False), name="sites",
        ).add_to(layer)
        layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.add_child(_Legend(_legend_html()))
    pts = merged[["lon", "lat"]].dropna() if "lon" in merged else pd.DataFrame()
    if has_poly.any():
        minx, miny, maxx, maxy = shapely.total_bounds(polygons)
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    elif len(pts):
        fmap.fit_bounds([[pts["lat"].min(), pts["lon"].min()],
                         [pts["lat"].max(), pts["lon"].max()]])
    direction = "rtl" if lang == "ar" else "ltr"
    html = re.sub(r"<html>", f'<html lang="{escape(lang)}" dir="{direction}">', fig.render(),
                  count=1)
    # folium's JSON escapes every Arabic letter as \u06xx (6 bytes): write them as UTF-8 (2)
    return _ESCAPED_TEXT.sub(lambda m: chr(int(m.group(1), 16)), html)


# Arabic letters and the few punctuation marks of the tooltips, as JSON escapes them.
_ESCAPED_TEXT = re.compile(r"(?<!\\)\\u(06[0-9a-f]{2}|00b7|2013|066a|060c)")
