"""Gap dashboard, its map (embedded and downloadable) and the table's CSV/XLSX exports."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from data.db import db
from data.errors import BadInput
from data.io.downloads import gap_cache_folder

from ..args import page_arg
from ..directory.forms import LABELS
from ..i18n import current_locale
from ..lazy import lazy_module
from ..partners.forms import PathwayForm, RequestForm
from ..security import allow, map_page, principal
from . import GAP_ROLES, bp
from .forms import GapFilterForm
from .forms import choices as select_choices

uc = lazy_module("planning.gaps")  # pandas, folium: loaded by the first request
cache = lazy_module("planning.gapcache")  # the tables and maps of the last nightly run
FILL_ARGS = ("pcode", "sector", "service", "group")
FILTERS = ("level", "sector", "service", "group", "period")


def _filters() -> dict[str, str]:
    return {k: request.args[k] for k in FILTERS if request.args.get(k)}


def _links(row: dict, sector: str | None) -> dict[str, str]:
    """Links from an area's gap to the organisations there, partners and the forum."""
    pcode = row["pcode"]
    views = current_app.view_functions
    links = {}
    if "directory.search" in views:
        links["organizations"] = url_for("directory.search", pcode=pcode)
    elif "api.services" in views:
        links["organizations"] = url_for("api.services", pcode=pcode)
    # the organisations able to fill this gap (the sector's services in or near the area)
    fill = {k: v for k, v in _filters().items() if k in FILL_ARGS}
    links["fill"] = url_for("gaps.fill", **{**fill, "pcode": pcode})
    if "forum.new_thread" in views:
        name = row.get("name_en") if current_locale() == "en" else row.get("name_ar")
        links["forum"] = url_for("forum.new_thread", pcode=pcode, sector=sector,
                                 link=url_for("gaps.dashboard", **_filters()),
                                 title=_("Coverage gap in %(area)s (%(pcode)s)",
                                         area=name or pcode, pcode=pcode))
    return links


def _cache():
    """Where the gap pages' tables and maps of the last nightly run are kept."""
    return gap_cache_folder(current_app.config)


@bp.get("/")
@allow(*GAP_ROLES)
def dashboard():
    """Filters, the gap map (in an iframe) and one page of the ranked table below it; a bad
    filter is shown next to its field with the other filters kept (HTTP 400)."""
    form = GapFilterForm(request.args)
    choices = uc.filter_choices(db.read_session, current_locale())
    form.sector.choices = select_choices(_("All sectors"), choices["sectors"])
    form.service.choices = select_choices(_("All service types"), choices["service_types"])
    form.group.choices = select_choices(_("Everyone"), choices["groups"])
    args = _filters()
    if request.args.get("sites"):
        args["sites"] = "1"
    snap = cache.current(db.read_session, _cache())  # one read: the files and "as of"
    try:
        selection = uc.parse_selection(request.args)
        view = uc.gap_page(db.read_session, selection, request.args, current_locale(),
                           page=page_arg(),
                           facts=cache.cached_facts(db.read_session, _cache(), selection, snap))
    except BadInput as exc:
        name = str(exc.details.get("field", ""))
        target = getattr(form, name if name in FILTERS else "", None)
        errors = {target.id if target is not None else name: exc.message}
        if target is not None:
            target.errors = [exc.message]
        return render_template("gaps/dashboard.html", form=form, view=None, args=args,
                               errors=errors, labels=_labels(form)), 400
    for row in view.rows:
        row["links"] = _links(row, selection.sector)
    return render_template("gaps/dashboard.html", form=form, view=view, args=args,
                           selection=selection, errors={}, labels={},
                           as_of=snap.at if snap else None,
                           first_run=None if snap else cache.first_run(db.read_session))


def _labels(form: GapFilterForm) -> dict[str, str]:
    """Field id -> label, for the error summary's links."""
    return {getattr(form, k).id: str(getattr(form, k).label.text) for k in FILTERS}


@bp.get("/map")
@allow(*GAP_ROLES)
@map_page
def map_view():
    """The map alone (the dashboard embeds it in an iframe)."""
    html = cache.cached_map_html(
        db.read_session, _cache(), uc.parse_selection(request.args),
        sites=bool(request.args.get("sites")), **cache.map_options(
            current_locale(), tiles_url=current_app.config.get("TILES_URL", ""),
            asset_base=url_for("main.leaflet_asset", filename="x")[:-2]))
    return Response(html, mimetype="text/html")


@bp.get("/map.html")
@allow(*GAP_ROLES)
@map_page
def map_download():
    """The map as one standalone HTML file (Leaflet inlined: opens without a network)."""
    selection = uc.parse_selection(request.args)
    html = cache.cached_map_html(
        db.read_session, _cache(), selection, sites=bool(request.args.get("sites")),
        standalone=True, tiles_url=current_app.config.get("TILES_URL", ""),
        title=_("Coverage gaps"), lang=current_locale())
    name = f"gaps-level{selection.level}-{selection.sector or selection.service_type or 'all'}"
    return Response(html, mimetype="text/html", headers={
        "Content-Disposition": f'attachment; filename="{name}.html"'})


@bp.get("/export.<fmt>")
@allow(*GAP_ROLES)
def export(fmt: str):
    """The ranked table as CSV or XLSX, headers in the interface language."""
    selection = uc.parse_selection(request.args)
    table = cache.cached_table(db.read_session, _cache(), selection)
    name = f"gaps-level{selection.level}-{selection.sector or selection.service_type or 'all'}"
    if fmt == "csv":
        return Response(uc.table_csv(table, current_locale()), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        return Response(uc.table_xlsx(table, current_locale()), mimetype=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    from data.errors import NotFound

    raise NotFound(_("Exports are CSV or XLSX."), field="format")


@bp.get("/fill")
@allow(*GAP_ROLES)
def fill():
    """Who can fill a gap: verified organisations with services of the sector in or near the
    area, with capacity and distance; an organisation's admin asks one to partner, or to set up
    a referral pathway for the sector there, in a click."""
    from network import partners
    from network.pathway_requests import pathway_status
    from planning.fill import NEAR_M, gap_fillers

    args = {k: request.args[k] for k in FILL_ARGS if request.args.get(k)}
    back = url_for("gaps.dashboard", **{k: v for k, v in args.items() if k != "pcode"})
    try:
        if not args.get("pcode"):
            raise BadInput(_("Choose an area: open this page from a row of the gap table."),
                           field="pcode")
        found = gap_fillers(db.read_session, args["pcode"], sector=args.get("sector"),
                            service=args.get("service"), group=args.get("group"))
    except BadInput as exc:
        return render_template("gaps/fill.html", found=None, error=exc.message, back=back), 400
    who = principal()
    own = who.organization_id if who.role == "org_admin" else None
    status = partners.relations(db.read_session, own) if own else {}
    scope = {"sector": None if args.get("service") else args.get("sector"),
             "service": args.get("service")}
    pathway = pathway_status(db.read_session, own, found.area.pcode, **scope) if own else {}
    return render_template("gaps/fill.html", found=found, error=None, back=back, own=own,
                           status=status, near_km=NEAR_M // 1000, form=RequestForm(),
                           pathway=pathway, pathway_form=PathwayForm(), scope_args=scope,
                           labels=LABELS)


@bp.get("/notebooks/")
@allow(*GAP_ROLES)
def notebooks():
    """The planners' notebooks: analyses to read here or download and run."""
    from planning.notebooks import notebook

    found = [notebook(name, _executed_dir()) for name in _notebook_names()]
    return render_template("gaps/notebooks.html", notebooks=found)


@bp.get("/notebooks/<name>")
@allow(*GAP_ROLES)
def notebook_page(name: str):
    """One notebook rendered: text as Markdown (sanitised), code and its outputs as text."""
    from network.forum import render_markdown
    from planning.notebooks import notebook

    nb = notebook(name, _executed_dir())
    return render_template("gaps/notebook.html", nb=nb, render_markdown=render_markdown)


@bp.get("/notebooks/<name>.ipynb")
@allow(*GAP_ROLES)
def notebook_download(name: str):
    """The notebook as .ipynb, to open in Jupyter."""
    from planning.notebooks import notebook

    nb = notebook(name, _executed_dir())
    return Response(nb.ipynb, mimetype="application/x-ipynb+json", headers={
        "Content-Disposition": f'attachment; filename="{nb.name}.ipynb"'})


def _notebook_names() -> list[str]:
    """The notebooks' names (``planning.notebooks``)."""
    from planning.notebooks import notebook_names

    return notebook_names()


def _executed_dir():
    """Where executed copies of the notebooks are kept (``notebooks/`` in the exports cache)."""
    from planning.notebook_run import executed_folder

    return executed_folder(current_app.config)
