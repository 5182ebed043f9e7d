"""The exports benchmark measures the old in-memory way and the cached file the same run."""

from __future__ import annotations

import io
import zipfile


def test_the_exports_bench_reports_before_and_after_figures(session, make):
    from bench.exports import before, measure

    make.service(coverage=["SY07"], sites=[(36.29, 33.51)])
    figures = measure(session, "geojson", repeat=1)
    assert set(figures) == {"before_s", "cold_s", "cached_s", "served_s", "bytes",
                            "before_peak_mb", "cold_peak_mb", "cached_peak_mb",
                            "served_peak_mb"}
    assert figures["bytes"] == len(before(session, "geojson"))  # the same export, from a file
    assert all(v >= 0 for v in figures.values())
    names = zipfile.ZipFile(io.BytesIO(before(session, "hsds"))).namelist()
    assert "datapackage.json" in names
