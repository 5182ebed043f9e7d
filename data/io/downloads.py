"""The exports as in-memory downloads (web pages and the API): an HSDS zip, the 4W table
(CSV with or without the HXL row, or XLSX) and the GeoJSON FeatureCollection."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from sqlalchemy.orm import Session

__all__ = ["FORMATS", "download"]

# kind -> (file name, MIME type)
FORMATS = {
    "hsds": ("tasharuk-hsds.zip", "application/zip"),
    "4w.csv": ("tasharuk-4w.csv", "text/csv"),
    "4w.xlsx": ("tasharuk-4w.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "geojson": ("tasharuk.geojson", "application/geo+json"),
}


def download(session: Session, kind: str, *, hxl: bool = True) -> tuple[bytes, str, str]:
    """(content, file name, MIME type) of export ``kind`` (one of ``FORMATS``)."""
    name, mime = FORMATS[kind]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if kind == "hsds":
            from .hsds import export_hsds

            export_hsds(session, folder / "hsds")
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted((folder / "hsds").rglob("*")):
                    if path.is_file():
                        zf.write(path, path.relative_to(folder / "hsds").as_posix())
            return buf.getvalue(), name, mime
        if kind.startswith("4w"):
            from .hxl import export_4w

            path = folder / name
            export_4w(session, path, hxl=hxl)
            return path.read_bytes(), name, mime
        from .geojson import export_geojson

        out = io.StringIO()
        export_geojson(session, out)
        return out.getvalue().encode("utf-8"), name, mime
