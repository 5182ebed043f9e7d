"""Pages: suggested partners, requests, duplication alerts, the partnership map."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from data.db import db
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.models import READER_ROLES
from network import partners as uc
from network import pathway_requests as pathways
from network import reference

from ..args import page_arg
from ..i18n import current_locale
from ..maps import map_json
from ..security import AUTHENTICATED, allow, principal
from . import bp
from .forms import AnswerForm, DuplicationForm, FilterForm, PathwayForm, RequestForm

ACTIONS = ("accept", "decline", "withdraw")
ORG_ROLES = (*READER_ROLES, "planner", "platform_admin")


def _target_org_id() -> int:
    """The organisation a page is about: ``?org=`` for planners and platform admins, else the
    user's own organisation."""
    who = principal()
    raw = request.args.get("org", "")
    if raw and who.role in uc.INSIGHT_ROLES_ANY_ORG:
        return uc.get_org(db.session, raw).id
    if not who.organization_id:
        raise BadInput(_("Choose an organisation: add ?org= with its id or acronym."),
                       field="org")
    return who.organization_id


def discussion_link(title: str, link: str, category: str | None = None) -> str | None:
    """A link to start a forum thread about something, when the forum exists."""
    if "forum.new_thread" not in current_app.view_functions:
        return None
    extra = {"category": category} if category else {}
    return url_for("forum.new_thread", title=title, link=link, **extra)


def suggestion_discussion_link(org, partner) -> str | None:
    """"Start a discussion about this" for a partner suggestion: a thread in "partnership
    requests" titled with both organisations and linking the suggested partner's page."""
    loc = current_locale()
    title = _("Partnership: %(a)s and %(b)s", a=org.name(loc), b=partner.name(loc))
    page = (url_for("directory.organization", organization_id=partner.id)
            if "directory.organization" in current_app.view_functions else request.path)
    return discussion_link(title, page, category="partnership-requests")


def _with_choices(form):
    """The form with its target group and sector choices in the reader's language."""
    loc = current_locale()
    form.group.choices = [SelectChoice("", _("Any group"))] + [
        SelectChoice(g.code, g.name(loc)) for g in reference.target_groups(db.read_session)]
    form.sector.choices = [SelectChoice("", _("Any sector"))] + [
        SelectChoice(s.code, s.name(loc)) for s in reference.sectors(db.read_session)]
    return form


@bp.get("/")
@allow(*ORG_ROLES)
def index():
    """Suggested partners of an organisation, with reasons and filters."""
    org_id = _target_org_id()
    uc.check_insight_access(principal(), org_id)
    form = _with_choices(FilterForm(request.args))
    top = form.top.data if isinstance(form.top.data, int) else 10
    org, found = uc.suggestions(db.read_session, org_id, top=top, area=form.area.data or None,
                                group=form.group.data or None, sector=form.sector.data or None)
    who = principal()
    can_request = who.role == "org_admin" and who.organization_id == org.id
    return render_template("partners/index.html", org=org, found=found, form=form,
                           can_request=can_request, request_form=RequestForm(),
                           alerts=uc.duplication_alerts(db.read_session, org=org.id, limit=20),
                           discussion_link=discussion_link,
                           suggestion_discussion_link=suggestion_discussion_link)


def _send(form, send, sent: str):
    """Send the request of ``form`` with ``send(target id)``; a refusal (oneself, twice, an
    unverified organisation, a bad field) is said on the requests page, nothing written."""
    if not form.validate_on_submit() or not str(form.target.data).isdigit():
        field = "message" if form.message.errors else "target"
        error = BadInput(_("The message is longer than 2,000 characters.") if field == "message"
                         else _("The request form is incomplete."), field=field)
        return _requests_page(error=error.message), error.status
    try:
        send(int(form.target.data))
    except (BadInput, Conflict, NotFound) as exc:
        db.session.rollback()
        return _requests_page(error=exc.message), exc.status
    db.session.commit()
    flash(sent, "ok")
    return redirect(url_for("partners.requests"))


def _answer(action: str, request_id: int, withdraw, respond, unknown: str, accepted: str):
    """Withdraw (``withdraw``) or accept/decline (``respond``) request ``request_id`` with the
    use cases of its kind, then back to the requests page; ``unknown`` for an action that is
    none of ACTIONS."""
    if action not in ACTIONS:
        raise NotFound(unknown)
    form = AnswerForm()
    if not form.validate_on_submit():
        raise BadInput(_("The note is too long."), field="note")
    if action == "withdraw":
        withdraw(db.session, principal(), request_id)
        message = _("Request withdrawn.")
    else:
        respond(db.session, principal(), request_id, accept=action == "accept",
                note=form.note.data or "")
        message = accepted if action == "accept" else _("Request declined.")
    db.session.commit()
    flash(message, "ok")
    return redirect(url_for("partners.requests"))


@bp.post("/requests")
@allow("org_admin")
def create_request():
    """Send a partnership request (with an optional message) to another organisation; a
    refusal (oneself, twice, an unverified organisation) is said on the requests page."""
    form = RequestForm()
    return _send(form, lambda target: uc.request_partnership(
        db.session, principal(), target, message=form.message.data or ""),
        _("Partnership request sent."))


@bp.post("/pathways")
@allow("org_admin")
def create_pathway_request():
    """Ask another organisation for a referral pathway for a sector in an area (from "who can
    fill this gap"); a refusal (oneself, twice, an unverified organisation) is said on the
    requests page."""
    form = PathwayForm()
    return _send(form, lambda target: pathways.request_pathway(
        db.session, principal(), target, form.pcode.data, sector=form.sector.data or None,
        service=form.service.data or None, message=form.message.data or ""),
        _("Referral pathway request sent."))


@bp.post("/pathways/<int:request_id>/<action>")
@allow("org_admin")
def answer_pathway(request_id: int, action: str):
    """Accept, decline or withdraw a referral pathway request."""
    return _answer(action, request_id, pathways.withdraw_pathway, pathways.respond_to_pathway,
                   _("No action '%(action)s' on referral pathway requests; use one of "
                     "%(actions)s.", action=action, actions=", ".join(ACTIONS)),
                   _("Referral pathway agreed."))


@bp.get("/requests")
@allow("org_admin")
def requests():
    """Incoming and outgoing partnership requests, and the current partners."""
    return _requests_page()


def _requests_page(error: str | None = None) -> str:
    """The requests page, with a refused request's reason at the top when there is one."""
    org_id = principal().organization_id
    incoming, outgoing = uc.list_requests(db.session, org_id)
    ids = {r.requester_org_id for r in incoming} | {r.target_org_id for r in outgoing}
    orgs = uc.organizations_by_id(db.session, ids)
    pathways_in, pathways_out = pathways.list_pathway_requests(db.session, org_id)
    return render_template("partners/requests.html", incoming=incoming, outgoing=outgoing,
                           orgs=orgs, form=AnswerForm(), error=error,
                           pathways_in=pathways_in, pathways_out=pathways_out,
                           partners=uc.org_partners(db.session, org_id))


@bp.post("/requests/<int:request_id>/<action>")
@allow("org_admin")
def answer(request_id: int, action: str):
    """Accept, decline or withdraw a partnership request."""
    return _answer(action, request_id, uc.withdraw_request, uc.respond_to_request,
                   _("No action '%(action)s' on partnership requests; use one of "
                     "%(actions)s.", action=action, actions=", ".join(ACTIONS)),
                   _("Partnership accepted."))


@bp.post("/partnerships/<int:partnership_id>/end")
@allow("org_admin")
def end(partnership_id: int):
    """End a partnership."""
    if not AnswerForm().validate_on_submit():
        raise Forbidden(_("The form expired; reload the page."))
    uc.end_partnership(db.session, principal(), partnership_id)
    db.session.commit()
    flash(_("Partnership ended."), "ok")
    return redirect(url_for("partners.requests"))


DUPLICATION_PAGE = 25


def _duplication_page(org=None):
    """The duplication list of ``org`` (or of every organisation), filtered, sorted and paged
    as the query string asks; a bad filter is shown by its field (HTTP 400)."""
    form = _with_choices(DuplicationForm(request.args))
    args = {k: v for k, v in request.args.items()
            if k in ("org", "area", "group", "sector", "sort") and v}
    page = page_arg()
    try:
        alerts = uc.duplication_alerts(
            db.read_session, org=org.id if org else None,
            area=(form.area.data or "").strip().upper() or None,
            group=form.group.data or None, sector=form.sector.data or None,
            sort=form.sort.data or "organizations", limit=None)
    except BadInput as exc:
        target = getattr(form, str(exc.details.get("field", "")), None) or form.area
        target.errors = [exc.message]
        return render_template("partners/duplication.html", org=org, alerts=None, form=form,
                               args=args, page=1, pages=1, total=0,
                               discussion_link=discussion_link), 400
    pages = max(1, -(-len(alerts) // DUPLICATION_PAGE))
    page = min(page, pages)
    shown = alerts[(page - 1) * DUPLICATION_PAGE:page * DUPLICATION_PAGE]
    return render_template("partners/duplication.html", org=org, alerts=shown, form=form,
                           args=args, page=page, pages=pages, total=len(alerts),
                           discussion_link=discussion_link)


@bp.get("/duplication")
@allow(*ORG_ROLES)
def duplication():
    """Where the organisation duplicates others beyond the need (sorted, filtered, paged)."""
    org_id = _target_org_id()
    uc.check_insight_access(principal(), org_id)
    return _duplication_page(uc.get_org(db.read_session, org_id))


@bp.get("/duplication/area")
@allow("planner", "platform_admin")
def area_duplication():
    """Offers duplicated beyond the need, across organisations, for planners (by area)."""
    return _duplication_page()


@bp.get("/network")
@allow(AUTHENTICATED)
def network():
    """A map of the partnership network (organisations at their head office, a line per
    partnership), drawn by the directory's map script; the table lists the same."""
    net = uc.partnership_network(db.session)
    name = "name_en" if current_locale() == "en" else "name_ar"
    at = {n["id"]: [n["lat"], n["lon"]] for n in net["nodes"]}
    points = [{"lat": n["lat"], "lon": n["lon"], "name": n[name]} for n in net["nodes"]]
    lines = [[at[e["a"]], at[e["b"]]] for e in net["edges"]]
    return render_template("partners/network.html", net=net,
                           map_data=map_json(points, [], lines))
