"""Loading official boundaries and gazetteers, and resolving names, on the real OCHA files."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from data.errors import BadInput
from data.io.boundaries import load_boundaries
from data.models import AdminArea

LEVELS = ("adm1", "adm2", "adm3")


def boundary_files(shared):
    return [shared("boundaries", f"syr_{lv}_cod_ab_20201217.geojson") for lv in LEVELS]


def count(session, level):
    return session.scalar(select(func.count()).select_from(AdminArea)
                          .where(AdminArea.level == level, AdminArea.geom.is_not(None)))


def test_real_boundaries_load_with_consistent_parents(session, boundaries, shared):
    assert boundaries == {1: 14, 2: 62, 3: 272}
    assert load_boundaries(session, boundary_files(shared)) == {1: 14, 2: 62, 3: 272}
    assert [count(session, lv) for lv in (1, 2, 3)] == [14, 62, 272]
    orphans = session.execute(text("""
        SELECT c.pcode FROM admin_area c LEFT JOIN admin_area p ON p.pcode = c.parent_pcode
        WHERE c.level > 1 AND (p.pcode IS NULL OR p.level <> c.level - 1
                               OR left(c.pcode, length(p.pcode)) <> p.pcode)""")).all()
    assert orphans == []
    invalid = session.scalar(text("SELECT count(*) FROM admin_area WHERE geom IS NOT NULL AND "
                                  "(NOT ST_IsValid(geom) OR GeometryType(geom) <> 'MULTIPOLYGON'"
                                  " OR NOT ST_Contains(geom, centroid))"))
    assert invalid == 0
    idleb = session.get(AdminArea, "SY07")
    assert (idleb.name_en, idleb.name_ar) == ("Idleb", "إدلب")


@pytest.mark.parametrize("lon,lat,pcode", [
    (36.723929, 36.186604, "SY070301"),   # Sarmada, in Dana sub-district
    (36.689563, 36.392488, "SY020302"),   # Jandairis
    (36.2920, 33.5130, "SY010000"),       # Damascus old city
    (37.1612, 36.2021, "SY020000"),       # Aleppo city (Jebel Saman)
])
def test_known_points_fall_in_the_right_sub_district(session, boundaries, lon, lat, pcode):
    found = session.scalars(select(AdminArea.pcode).where(
        AdminArea.level == 3,
        func.ST_Contains(AdminArea.geom, func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)),
    )).all()
    assert found == [pcode]


def test_reload_is_an_upsert(session, boundaries, shared):
    again = load_boundaries(session, boundary_files(shared)[:1])
    assert again == {1: 14}
    assert session.scalar(select(func.count()).select_from(AdminArea)) == 14 + 62 + 272


def test_shapefile_and_zip_of_shapefiles(session, shared, tmp_path):
    folder = shared("boundaries", "shapefile_adm1")
    shp = next(folder.glob("*.shp"))
    assert load_boundaries(session, [shp]) == {1: 14}
    archive = tmp_path / "adm1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"nested/{f.name}")
    assert load_boundaries(session, [archive]) == {1: 14}
    assert session.get(AdminArea, "SY12").name_ar == "درعا"


def square(x0, y0, size=0.1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + size, y0],
                                                [x0 + size, y0 + size], [x0, y0 + size],
                                                [x0, y0]]]}


def feature(level, pcode, geometry, parent="SY07", **extra):
    props = {f"ADM{level}_PCODE": pcode, f"ADM{level}_EN": f"Area {pcode}",
             f"ADM{level}_AR": f"منطقة {pcode}"}
    if level > 1:
        props[f"ADM{level - 1}_PCODE"] = parent
    props.update(extra)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write(tmp_path, name, features, **top):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features, **top}),
                    encoding="utf-8")
    return path


def test_invalid_geometry_is_repaired(session, tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[36, 35], [36.2, 35.2], [36.2, 35],
                                                  [36, 35.2], [36, 35]]]}
    path = write(tmp_path, "bowtie.geojson", [feature(2, "SY0799", bowtie)])
    assert load_boundaries(session, [path]) == {2: 1}
    ok = session.scalar(text("SELECT ST_IsValid(geom) AND ST_NumGeometries(geom) = 2 "
                             "FROM admin_area WHERE pcode = 'SY0799'"))
    assert ok is True


def test_projected_crs_is_reprojected(session, tmp_path):
    # a 10 km square in UTM zone 37N around 36.6E 35.9N
    utm = {"type": "Polygon", "coordinates": [[[284000, 3975000], [294000, 3975000],
                                               [294000, 3985000], [284000, 3985000],
                                               [284000, 3975000]]]}
    path = write(tmp_path, "utm.geojson", [feature(2, "SY0798", utm)],
                 crs={"type": "name", "properties": {"name": "EPSG:32637"}})
    load_boundaries(session, [path])
    lon, lat = session.execute(text("SELECT ST_X(centroid), ST_Y(centroid) FROM admin_area "
                                    "WHERE pcode = 'SY0798'")).one()
    assert 36.5 < lon < 36.8 and 35.8 < lat < 36.1


@pytest.mark.parametrize("name,content,message", [
    ("trunc.geojson", '{"type": "FeatureCollection", "features": [{"type": "Fea',
     "malformed or truncated GeoJSON (line 1"),
    ("crs.geojson", {"crs": {"type": "name", "properties": {"name": "EPSG:999999"}}},
     "unknown CRS 'EPSG:999999'"),
    ("dup.geojson", [feature(2, "SY0790", square(36, 35)), feature(2, "SY0790", square(37, 35))],
     "duplicate p-code SY0790 in features 1 and 2"),
    ("parent.geojson", [feature(2, "SY9901", square(36, 35), parent="SY99")],
     "feature 1 (SY9901): unknown parent p-code SY99"),
    ("noname.geojson", [feature(2, "SY0791", square(36, 35), ADM2_AR="")],
     "feature 1 (SY0791): field ADM2_AR is empty"),
    ("nolevel.geojson", [{"type": "Feature", "properties": {"name": "x"},
                          "geometry": square(36, 35)}], "no ADM1_PCODE..ADM4_PCODE field"),
    ("point.geojson", [feature(2, "SY0792", {"type": "Point", "coordinates": [36, 35]})],
     "feature 1 (SY0792): the geometry is not a polygon"),
    ("nogeom.geojson", [feature(2, "SY0793", None)], "feature 1 (SY0793): no geometry"),
    ("empty.geojson", [], "no features"),
])
def test_bad_boundary_files_are_refused_with_a_clear_message(session, tmp_path, name, content,
                                                             message):
    if isinstance(content, str):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, dict):
        path = write(tmp_path, name, [feature(2, "SY0794", square(36, 35))], **content)
    else:
        path = write(tmp_path, name, content)
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_boundaries(session, [path])


def test_shapefile_without_prj_and_zip_without_shapefile(session, shared, tmp_path):
    folder = shared("boundaries", "shapefile_adm1")
    for f in folder.iterdir():
        if f.suffix != ".prj":
            shutil.copy(f, tmp_path / f.name)
    with pytest.raises(BadInput, match="no .prj file"):
        load_boundaries(session, [next(tmp_path.glob("*.shp"))])
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(BadInput, match="holds no shapefile"):
        load_boundaries(session, [empty])


def test_cli_loads_nothing_when_one_file_is_bad(runner, session, boundaries, tmp_path):
    good = write(tmp_path, "good.geojson", [
        feature(1, "SY07", square(36, 35), ADM1_EN="Renamed")])
    bad = write(tmp_path, "bad.geojson", [feature(2, "SY9901", square(36, 35), parent="SY99")])
    result = runner.invoke(args=["load", "boundaries", str(good), str(bad)])
    assert result.exit_code == 2
    assert "bad.geojson feature 1 (SY9901): unknown parent p-code SY99" in result.output
    session.expire_all()
    assert session.get(AdminArea, "SY07").name_en == "Idleb"
    ok = runner.invoke(args=["load", "boundaries", "--if-empty", str(good)])
    assert ok.exit_code == 0 and "already loaded" in ok.output


# ---------------------------------------------------------------- gazetteer and resolver

@pytest.fixture
def gazetteer(session, boundaries):
    """The real boundaries with the gazetteer's aliases (both loaded once per run)."""
    return boundaries


def test_gazetteer_merges_aliases_into_the_boundaries(session, boundaries, shared):
    from data.io.gazetteer import load_gazetteer

    files = [shared("admin_names", f"{n}.json") for n in
             ("governorates", "districts", "subdistricts")]
    report = load_gazetteer(session, files)
    assert (report.updated, report.created) == (348, 0)
    suran = session.get(AdminArea, "SY020405")
    assert "Sawran" in suran.aliases and "ناحية صوران" in suran.aliases


def test_gazetteer_creates_areas_without_boundaries(session, shared):
    from data.io.gazetteer import load_gazetteer

    session.execute(text("DELETE FROM admin_area WHERE level = 3"))
    session.execute(text("DELETE FROM admin_area WHERE level = 2"))
    report = load_gazetteer(session, [shared("admin_names", "districts.json")])
    assert report.created == 62
    area = session.get(AdminArea, "SY0703")
    assert area.level == 2 and area.parent_pcode == "SY07" and area.centroid is not None


@pytest.mark.parametrize("name,level,within,expected", [
    ("Idleb", None, None, "SY07"), ("Idlib", None, None, "SY07"), ("إدلب", None, None, "SY07"),
    ("ادلب", None, None, "SY07"), ("محافظة إدلب", None, None, "SY07"),
    ("Dar'a", None, None, "SY12"), ("Daraa", None, None, "SY12"), ("درعا", None, None, "SY12"),
    ("Lattakia", None, None, "SY06"), ("Latakia", None, None, "SY06"),
    ("اللاذقية", None, None, "SY06"),
    ("Al-Hasakeh", None, None, "SY08"), ("Al-Hasakah", None, None, "SY08"),
    ("الحسكه", None, None, "SY08"),
    ("Tartus", None, None, "SY10"), ("Deir ez-Zor", None, None, "SY09"),
    ("Idleb", 3, None, "SY070000"), ("Idleb", 2, None, "SY0700"),
    ("Dana", None, None, "SY070301"), ("الدانا", None, None, "SY070301"),
    ("Suran", None, "SY05", "SY050101"), ("صوران", 3, "SY02", "SY020405"),
    ("sy070301", None, None, "SY070301"),
])
def test_resolver_spellings(session, gazetteer, name, level, within, expected):
    from data.areas import resolve

    res = resolve(session, name, level, within)
    assert (res.status, res.pcode) == ("match", expected)


@pytest.mark.parametrize("name", ["Suran", "صوران", "Sawran"])
def test_ambiguous_names_are_reported_never_guessed(session, gazetteer, name):
    from data.areas import resolve

    res = resolve(session, name)
    if name == "Sawran":  # only the Aleppo Suran carries this alias
        assert res.pcode == "SY020405"
        return
    assert res.status == "ambiguous" and res.pcode is None
    assert sorted(a.pcode for a in res.matches) == ["SY020405", "SY050101"]


def test_unknown_names_say_so(session, gazetteer):
    from data.areas import resolve

    assert resolve(session, "Atlantis").status == "none"
    assert resolve(session, "SY999999").status == "none"
    assert resolve(session, "Dana", level=1).status == "none"


def test_resolve_command(runner, gazetteer):
    out = runner.invoke(args=["resolve", "صوران", "--format", "json"])
    assert out.exit_code == 1
    doc = json.loads(out.output)
    assert doc["status"] == "ambiguous" and len(doc["matches"]) == 2
    ok = runner.invoke(args=["resolve", "Idlib"])
    assert ok.exit_code == 0 and ok.output.startswith("SY07\tlevel 1\tIdleb\tإدلب")
    none = runner.invoke(args=["resolve", "Atlantis"])
    assert none.exit_code == 1 and "no area matches 'Atlantis'" in none.output


@pytest.mark.parametrize("name", ["Deir Ezzor", "Deir Ez-Zor", "Deir-ez-Zour", "Deir El Zour",
                                  "Dayr az Zawr", "دير الزور"])
def test_transliteration_variants_of_deir_ez_zor(session, gazetteer, name):
    from data.areas import resolve

    assert resolve(session, name).pcode == "SY09"
    assert resolve(session, name, 3).pcode == "SY090100"  # مركز دير الزور


def test_central_sub_districts_resolve_from_their_plain_arabic_name(session, boundaries):
    """The official Arabic name of a district's central sub-district is "مركز X"; files write
    X. Without the gazetteer's aliases, from the OCHA names alone."""
    from sqlalchemy import select

    from data.areas import resolver as area_resolver
    from data.models import AdminArea

    session.execute(text("UPDATE admin_area SET aliases = '{}'"))
    resolver = area_resolver(session)
    central = session.execute(select(AdminArea.pcode, AdminArea.name_ar, AdminArea.parent_pcode)
                              .where(AdminArea.level == 3,
                                     AdminArea.name_ar.like("مركز %"))).all()
    assert len(central) >= 50
    found = [p for p, ar, parent in central
             if resolver.resolve(ar.removeprefix("مركز ").strip(), 3, parent).pcode == p]
    assert len(found) == len(central), sorted(set(p for p, _a, _p in central) - set(found))
    # and without the district given, wherever the plain name is not another sub-district's
    plain = [p for p, ar, _parent in central
             if resolver.resolve(ar.removeprefix("مركز ").strip(), 3).pcode == p]
    assert len(plain) >= len(central) - 3


def test_bootstrap_loads_the_gazetteer_when_given(runner, session, boundaries, shared):
    from data.areas import resolve

    files = [str(shared("admin_names", f"{n}.json"))
             for n in ("governorates", "districts", "subdistricts")]
    session.execute(text("UPDATE admin_area SET aliases = '{}'"))  # the OCHA names only
    assert resolve(session, "Rif Dimashq").status == "none"
    res = runner.invoke(args=["bootstrap", "--demo-orgs", "0",
                              *[a for f in files for a in ("--gazetteer", f)]])
    assert res.exit_code == 0, res.output
    assert resolve(session, "Rif Dimashq").pcode == "SY03"
    makefile = (Path(__file__).resolve().parents[3] / "Makefile").read_text()
    assert "--gazetteer $(f)" in makefile and "admin_names" in makefile  # what make run does
