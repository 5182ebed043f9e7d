"""Issue 17: an organisation that is not verified (pending, rejected, suspended) and its
services reach nobody else: every GET route of the URL map (pages, API, downloads), every
export format (HSDS 3.0 and 3.1), the export jobs and the CLI exports are walked as each
role of another organisation and as an anonymous visitor, and the hidden organisations'
marker appears in none of them. A verified organisation with the same data is the control:
its marker must appear, so a walk that reaches no data cannot pass."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from data.io.downloads import FORMATS
from tests.web.test_access_matrix import dummy_values

HIDDEN = "qzhidden"  # in every name of the unverified organisations, services and sites
SHOWN = "qzshown"  # the same in the verified control organisation's data
ROLES = ("org_admin", "supervisor", "caseworker", "planner", "viewer")
IDLEB = (36.63, 35.93)
PARAMS = {"kind": list(FORMATS), "fmt": ["csv", "xlsx"], "level": [3]}


def _texts(body: bytes) -> list[str]:
    """The response as text, and every member of it when it is a zip (HSDS, XLSX)."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            return [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    return [body.decode("utf-8", "replace")]


def _org_world(make, session, marker: str, verification: str):
    """An organisation, a service with a site and coverage, and a 4W activity, all named
    with ``marker``."""
    from data.models import Activity

    org = make.org(name_en=f"{marker} {verification} Relief", name_ar=f"جمعية {marker}",
                   acronym=f"{marker[:6]}{verification[:3]}".upper(),
                   verification=verification)
    svc = make.service(organization=org, name_en=f"{marker} clinic", name_ar=f"عيادة {marker}",
                       coverage=["SY07", "SY070301"], sites=[(*IDLEB, "SY070301")],
                       search_text=f"{marker} clinic")
    svc.sites[0].name_en = f"{marker} site"
    session.add(Activity(organization_id=org.id, implementing_org=f"{marker} partner",
                         sector_code="protection", service_type_code="prot_pss",
                         activity_text="Psychosocial support", pcode="SY070301",
                         reached_total=10, period_start=dt.date(2023, 1, 1),
                         fingerprint=f"{marker}-{verification}"))
    session.flush()
    return org, svc


@pytest.fixture
def world(make, session, boundaries):
    hidden = [_org_world(make, session, HIDDEN, v) for v in ("pending", "rejected",
                                                             "suspended")]
    shown = _org_world(make, session, SHOWN, "verified")
    from data.searchrows import refresh_search_rows

    refresh_search_rows(session)
    return hidden, shown


def _urls(app, hidden, shown) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET route, its id parameters naming each hidden (and the
    shown) organisation or service, without and with search queries."""
    # searches whose words match every organisation's names but not the marker itself (a
    # page may repeat its query)
    queries = ("", f"?q=clinic&need=prot_pss&service_type=prot_pss&lon={IDLEB[0]}"
               f"&lat={IDLEB[1]}&pcode=SY070301&area=SY070301&level=3", "?q=relief")
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint.endswith("static"):
            continue
        choices = [dummy_values(rule)]
        for name in rule.arguments:
            if "org" in name:
                values = [o.id for o, _s in hidden] + [shown[0].id]
            elif "service" in name:
                values = [s.id for _o, s in hidden] + [shown[1].id]
            else:
                values = PARAMS.get(name, [choices[0][name]])
            choices = [{**c, name: v} for c in choices for v in values]
        for choice in choices:
            url = rule.build(choice, append_unknown=False)[1]
            out += [(rule.endpoint, url + query) for query in queries]
    return sorted(set(out))


def test_no_route_or_export_shows_an_unverified_organisation_to_anyone_else(
        app, session, make, login, world, runner, tmp_path, monkeypatch):
    hidden, shown = world
    viewer_org = make.org(name_en="Another organisation")
    callers = {"anonymous": app.test_client()}
    for role in ROLES:
        callers[role] = login(make.user(role, viewer_org), app.test_client())
    urls = _urls(app, hidden, shown)
    # HSDS 3.1 by its own name (the routes above reach it too, under 3.0's endpoint)
    urls += [("api.export_hsds 3.1", "/api/v1/exports/hsds?version=3.1"),
             ("exchange.download_export hsds31", "/exchange/download/hsds31")]
    leaks, seen = [], set()
    for caller, client in callers.items():
        for endpoint, url in urls:
            with client.get(url) as resp:
                assert resp.status_code < 500, f"{caller} {url}: {resp.status_code}"
                texts = _texts(resp.get_data())
            if any(HIDDEN in t.lower() for t in texts):
                leaks.append(f"{caller} GET {url} ({endpoint})")
            if any(SHOWN in t.lower() for t in texts):
                seen.add(endpoint)

    # the export jobs (tasharuk worker) and the command-line exports
    from jobs.exports import KINDS, enqueue_export
    from tests.kits.jobs import run_queued

    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path / "jobs"))
    jobs = [(kind, {}) for kind in KINDS] + [("hsds", {"version": "3.1"})]
    for kind, params in jobs:
        enqueue_export(session, kind, **params)
    for (task, written), (kind, params) in zip(run_queued(app, session, "exports.run"), jobs,
                                               strict=True):
        kind = " ".join([kind, *params.values()])
        texts = _texts((tmp_path / "jobs" / written.rsplit("/", 1)[-1]).read_bytes())
        if any(HIDDEN in t.lower() for t in texts):
            leaks.append(f"job {task} {kind}")
        if any(SHOWN in t.lower() for t in texts):
            seen.add(f"job {kind}")
    for args, out in ((["export", "hsds", str(tmp_path / "hsds")], tmp_path / "hsds"),
                      (["export", "hsds", "--version", "3.1", str(tmp_path / "hsds31")],
                       tmp_path / "hsds31"),
                      (["export", "4w", str(tmp_path / "4w.csv")], tmp_path / "4w.csv"),
                      (["export", "4w", str(tmp_path / "4w.xlsx")], tmp_path / "4w.xlsx"),
                      (["export", "geojson", str(tmp_path / "x.geojson")],
                       tmp_path / "x.geojson")):
        res = runner.invoke(args=args)
        assert res.exit_code == 0, res.output
        files = sorted(out.rglob("*")) if out.is_dir() else [out]
        texts = [t for f in files if f.is_file() for t in _texts(f.read_bytes())]
        if any(HIDDEN in t.lower() for t in texts):
            leaks.append("tasharuk " + " ".join(args[:-1]))
        if any(SHOWN in t.lower() for t in texts):
            seen.add("cli " + " ".join(args[:-1]))

    assert leaks == [], f"an unverified organisation shown to others: {leaks}"
    # the control: the verified organisation is shown by the exports, the API and the pages
    assert {"api.export_hsds", "api.export_4w_csv", "api.export_4w_xlsx", "api.export_geojson",
            "exchange.download_export", "api.list_services", "api.get_service",
            "api.get_organization", "directory.service", "directory.organization",
            *(f"job {k}" for k in ("hsds", "hsds 3.1", "4w.csv", "4w.xlsx", "geojson")),
            "api.export_hsds 3.1", "exchange.download_export hsds31",
            "cli export hsds", "cli export hsds --version 3.1", "cli export 4w",
            "cli export geojson"} <= seen, sorted(seen)


def test_its_own_members_still_see_their_pending_organisation(app, make, login, world):
    hidden, _shown = world
    org, svc = hidden[0]  # pending: may prepare its profile and services
    client = login(make.user("org_admin", org), app.test_client())
    for url in (f"/directory/organizations/{org.id}", f"/directory/services/{svc.id}",
                f"/api/v1/services/{svc.id}", "/accounts/organization"):
        with client.get(url) as resp:
            assert resp.status_code == 200, url
            assert HIDDEN in resp.get_data(as_text=True).lower(), url
