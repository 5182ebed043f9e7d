"""Downloads of the exchange formats: HSDS 3.0 or 3.1 (zip), 4W (CSV/XLSX, HXL) and GeoJSON."""

from __future__ import annotations

from flask import Response, request

from data import fields

from ..args import int_arg
from ..downloads import send_export
from ..security import AUTHENTICATED, allow
from . import bp
from .openapi import error_responses

HSDS_VERSIONS = {"3.0": "hsds", "3.1": "hsds31"}  # version asked -> export kind


def _send(kind: str) -> Response:
    return send_export(kind, hxl=int_arg("hxl", 1, 0, 1) == 1)


@bp.get("/exports/hsds")
@allow(AUTHENTICATED)
def export_hsds():
    """Every organisation and service as Open Referral HSDS (JSON + CSV package, zip):
    3.0, or 3.1 (capacities, urls) with ``version=3.1``."""
    version = request.args.get("version", "3.0")
    if version not in HSDS_VERSIONS:
        raise fields.not_one_of("version", HSDS_VERSIONS)
    return _send(HSDS_VERSIONS[version])


@bp.get("/exports/4w.csv")
@allow(AUTHENTICATED)
def export_4w_csv():
    """Every 4W activity as CSV in the WoS template's shape (``hxl=0`` drops the tag row)."""
    return _send("4w.csv")


@bp.get("/exports/4w.xlsx")
@allow(AUTHENTICATED)
def export_4w_xlsx():
    """Every 4W activity as an XLSX sheet with the HXL hashtag row above the headers."""
    return _send("4w.xlsx")


@bp.get("/exports/geojson")
@allow(AUTHENTICATED)
def export_geojson():
    """Services' sites (points, sensitive ones left out) and coverage areas as GeoJSON."""
    return _send("geojson")


def _file(summary: str, op: str, mime: str, schema: dict | None = None) -> dict:
    content = {mime: {"schema": schema or {"type": "string", "contentMediaType": mime}}}
    return {"get": {"summary": summary, "operationId": op, "responses": {
        "200": {"description": summary + " (streamed; ETag = data version)",
                "content": content},
        "202": {"description": "Being prepared by a background job (large exports): call "
                               "again after Retry-After seconds", "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["status", "kind", "retry_after"],
                        "properties": {"status": {"const": "preparing"},
                                       "kind": {"type": "string"},
                                       "retry_after": {"type": "integer"},
                                       "message": {"type": "string"}}}}}},
        "304": {"description": "Not modified since the ETag sent in If-None-Match"},
        **error_responses(400, 401, 429, 503)}}}


OPENAPI_PATHS = {
    "/exports/hsds": {"get": {**_file("HSDS 3.0 or 3.1 documents and tabular package (zip)",
                                      "exportHsds", "application/zip")["get"],
                              "parameters": [{"name": "version", "in": "query", "schema": {
                                  "type": "string", "enum": ["3.0", "3.1"],
                                  "default": "3.0"}}]}},
    "/exports/4w.csv": {"get": {**_file("4W table as CSV with an HXL hashtag row",
                                        "export4wCsv", "text/csv")["get"],
                                "parameters": [{"name": "hxl", "in": "query", "schema": {
                                    "type": "integer", "enum": [0, 1]}}]}},
    "/exports/4w.xlsx": _file(
        "4W table as XLSX (WoS template shape, HXL row)", "export4wXlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "/exports/geojson": _file("Sites and coverage as a GeoJSON FeatureCollection",
                              "exportGeojson", "application/geo+json",
                              {"type": "object", "required": ["type", "features"],
                               "properties": {"type": {"const": "FeatureCollection"},
                                              "features": {"type": "array"}}}),
}
