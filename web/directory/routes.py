"""Directory pages: search (list + map), organisation, service, service forms."""

from __future__ import annotations

import re

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from data.db import db
from data.errors import BadInput
from data.models import STAFF_ROLES, Service, ServiceReport
from network import directory
from referral.lifecycle import REASON_LABELS
from referral.search import PARAMS, parse_query

from ..api.services import search_noting_unmet, viewer
from ..extensions import limiter, rate, refused
from ..lazy import lazy_module
from ..maps import map_json
from ..security import PUBLIC, allow, caller, is_platform_admin, may_call
from ..sent_once import claim, keep, key_of, mark, new_key
from . import bp
from .forms import (
    CADENCE_LABELS,
    DAY_NAMES,
    FRESHNESS_LABELS,
    LABELS,
    REPORT_KIND_LABELS,
    REPORT_STATE_LABELS,
    REVIEW_LABELS,
    REVIEW_REQUEST_LABELS,
    WEEK,
    ServiceForm,
)
from .slip import feedback_slip

pages = lazy_module("network.directory_pages")  # partners and ranking: pandas, scikit-learn


def _refer_url(service_id: int, **prefill) -> str | None:
    """The referral form for this service, when the referrals blueprint is installed and the
    caller may use it (the public sees no Refer link); ``prefill`` carries the search's
    profile (age, sex, pcode, target groups, needs) into the form."""
    if "referrals.new" not in current_app.view_functions:
        return None
    if may_call("referrals.new"):
        return url_for("referrals.new", service_id=service_id,
                       **{k: v for k, v in prefill.items() if v})
    return None


def _profile(args, area: str | None = None) -> dict:
    """The person's profile a search (or a service page opened from it) carries into the
    referral form: place, age, sex, target groups and languages."""
    sex = args.get("sex")
    language = args.get("language") or args.get("languages") or ""
    return {"age": args.get("age", ""), "sex": sex if sex in ("female", "male") else "",
            "pcode": area or args.get("pcode", ""),
            "target_groups": args.getlist("group") or args.getlist("target_groups"),
            "languages": language}


@bp.get("/")
@allow(PUBLIC)
def search():
    """Search providers by need, place and profile; results as a list and on a map."""
    s = db.read_session  # a replica's when configured: a little lag is fine for a search
    args = {k: v for k, v in request.args.lists() if k in PARAMS}
    errors: dict[str, str] = {}
    result = None
    if any(v and any(x.strip() for x in v) for v in args.values()):
        from werkzeug.datastructures import MultiDict

        try:
            qy = parse_query(s, MultiDict([(k, x) for k, v in args.items() for x in v]),
                             strict=False)
            result = search_noting_unmet(s, qy)
        except BadInput as exc:
            errors[str(exc.details.get("field", "need"))] = exc.message
    points = []
    if result:
        for n, item in enumerate(result.items, start=(result.page - 1) * result.per_page + 1):
            site = item["site"]
            if site and not site["hidden"] and site["lat"] is not None:
                points.append({"lat": site["lat"], "lon": site["lon"], "n": n,
                               "name": item["name_ar" if _ar() else "name_en"],
                               "url": url_for("directory.service", service_id=item["id"])})
    areas = directory.area_outlines(s, [result.area] if result and result.area else [])
    refer_urls, service_urls, focal_ids = {}, {}, set()
    if result and any(item["sensitive"] for item in result.items):  # issue 23
        from referral.access import routed_service_ids

        focal_ids = routed_service_ids(
            s, [item["id"] for item in result.items if item["sensitive"]], caller())
    if result:
        prefill = _profile(request.args, result.area)
        refer_urls = {item["id"]: _refer_url(item["id"], needs=[item["service_type"]["code"]],
                                             **prefill) for item in result.items}
        service_urls = {item["id"]: url_for(
            "directory.service", service_id=item["id"], needs=[item["service_type"]["code"]],
            **{k: v for k, v in prefill.items() if v}) for item in result.items}
    return render_template(
        "directory/search.html", choices=directory.search_choices(s), args=request.args,
        errors=errors, result=result, map_data=map_json(points, areas), labels=LABELS,
        refer_urls=refer_urls, service_urls=service_urls, reasons=REASON_LABELS,
        focal_ids=focal_ids,
        area=directory.area_name(s, result.area if result else None),
        selected_groups=set(request.args.getlist("group")),
        selected_available=set(request.args.getlist("available")))


def _ar() -> bool:
    from ..i18n import current_locale

    return current_locale() == "ar"


@bp.get("/organizations/<int:organization_id>")
@allow(PUBLIC)
def organization(organization_id: int):
    """An organisation's profile, verified badge, services and coverage map."""
    page = pages.organization_page(db.read_session, organization_id, viewer())
    from ..accounts.forms import DecisionForm  # a platform admin verifies, rejects, suspends

    return render_template(
        "directory/organization.html", org=page.organization, services=page.services,
        decision_form=DecisionForm() if is_platform_admin() else None,
        labels=LABELS, can_edit=page.can_edit, partners=page.partners, alerts=page.alerts,
        alerts_shown=page.alerts_shown, stale=page.stale,
        map_data=map_json([], page.outlines))


@bp.get("/services/<int:service_id>")
@allow(PUBLIC)
def service(service_id: int):
    """Everything about a service, its sites on a map and how to refer; a sensitive service
    routed through focal points shows a non-specialist only how to request it (issue 23)."""
    gate = _focal_gate(service_id)
    if gate is not None:
        return gate
    page = pages.service_page(db.read_session, service_id, viewer())
    svc, detail = page.service, page.detail
    name_key = "name_ar" if _ar() else "name_en"
    points = [{"lat": x["lat"], "lon": x["lon"], "name": x[name_key] or detail[name_key]}
              for x in detail["sites"] if not x["hidden"]]
    groups = {g.code: g for g in svc.target_groups}
    return render_template(
        "directory/service.html", svc=svc, d=detail, labels=LABELS, day_names=DAY_NAMES,
        groups=groups, can_edit=page.can_edit,
        refer_url=_refer_url(svc.id, needs=request.args.getlist("needs")
                             or [svc.service_type_code], **_profile(request.args)),
        referral_stats=page.referral_stats, map_data=map_json(points, page.outlines),
        reasons=REASON_LABELS, freshness_labels=FRESHNESS_LABELS,
        cadence_labels=CADENCE_LABELS, review_reasons=REVIEW_REQUEST_LABELS,
        can_hand_code=may_call("directory.feedback_code"))


def _focal_gate(service_id: int):
    """The "request through the focal point" page instead of the listing, when it applies."""
    from data.models import Service
    from referral.access import routes_through_focal_point

    s = db.read_session
    svc = s.get(Service, service_id)
    if svc is None or not routes_through_focal_point(s, svc, caller()) or not viewer().sees_org(
            svc.organization_id, svc.organization.verification):
        return None
    return render_template("focal/gate.html", svc=svc, org=svc.organization)


@bp.get("/basemap/<int:level>.json")
@allow(PUBLIC)
def basemap(level: int):
    """The official boundaries of one level (1-3) with names: every map's base layer."""
    from network.basemap import base_layer

    response = current_app.json.response(base_layer(db.session, level))
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    return response.make_conditional(request)


# ------------------------------------------------------------------ forms

_SITE_LINE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,،]\s*(-?\d+(?:\.\d+)?)\s*(?:\|(.*))?$")


_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,،]\s*(-?\d+(?:\.\d+)?)\s*$")
CONFIDENTIAL_WORDS = ("confidential", "سري", "سرّي")
SUBDISTRICT_WORDS = ("subdistrict", "sub-district", "ناحية", "الناحية")


def _lang_key(*texts: str) -> str:
    return "ar" if re.search("[\u0600-\u06ff]", "".join(texts)) else "en"


def _front_gate_from(rest: list[str]) -> str | dict | None:
    """The front gate written after ``confidential``: ``subdistrict`` (or ``الناحية``), or a
    meeting point ``latitude, longitude | address``; None when nothing is written."""
    gate = rest[0] if rest else ""
    if not gate:
        return None
    if gate.lower() in SUBDISTRICT_WORDS:
        return "subdistrict"
    m = _POINT.match(gate)
    if not m:
        raise BadInput(_("Write the front gate as subdistrict, or as a meeting point: "
                         "latitude, longitude | address."), field="sites")
    address = rest[1] if len(rest) > 1 else ""
    return {"lat": float(m[1]), "lon": float(m[2]), f"address_{_lang_key(address)}": address}


def _sites_from(text: str) -> list[dict]:
    """Sites from the form's lines: ``latitude, longitude | name | address``, and for a
    confidential one ``| confidential | front gate`` after them."""
    sites = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        m = _SITE_LINE.match(line)
        if not m:
            raise BadInput(_("Write each site as: latitude, longitude | name | address."),
                           field="sites")
        rest = [p.strip() for p in (m[3] or "").split("|")]
        name = rest[0] if rest else ""
        address = rest[1] if len(rest) > 1 else ""
        key = _lang_key(name, address)
        site = {"lat": float(m[1]), "lon": float(m[2]), f"name_{key}": name,
                f"address_{key}": address}
        if len(rest) > 2 and rest[2]:
            if rest[2].lower() not in CONFIDENTIAL_WORDS:
                raise BadInput(_("Write each site as: latitude, longitude | name | address."),
                               field="sites")
            site["confidential"] = True
            site["front_gate"] = _front_gate_from(rest[3:])
        sites.append(site)
    return sites


def _site_line(x: dict) -> str:
    """One site as the form writes it back (a confidential one with its exact place)."""
    exact = x.get("exact")
    if not exact:
        return (f"{x['lat']}, {x['lon']} | {x['name_ar'] or x['name_en']} | "
                f"{x['address_ar'] or x['address_en'] or ''}")
    gate = "subdistrict" if x["front_gate"] == "subdistrict" else (
        f"{x['lat']}, {x['lon']} | {x['address_ar'] or x['address_en'] or ''}")
    return (f"{exact['lat']}, {exact['lon']} | {x['name_ar'] or x['name_en']} | "
            f"{exact['address_ar'] or exact['address_en'] or ''} | confidential | {gate}")


def _hours_from(form: ServiceForm) -> list[dict]:
    out = []
    for day in WEEK:
        value = getattr(form, f"hours_{day}").data or ""
        lines = [f"{day} {p.strip()}" for p in re.split(r"[,،]", value) if p.strip()]
        for d, o, c in directory.parse_hours(lines, f"hours_{day}"):
            out.append({"weekday": d, "opens": o.isoformat("minutes"),
                        "closes": c.isoformat("minutes")})
    return out


PATHWAY_TEXTS = ("what_to_bring_ar", "what_to_bring_en", "next_step_ar", "next_step_en")


def _data_from(form: ServiceForm) -> dict:
    """The form's values as the use case takes them (sites and hours parsed here)."""
    data = {name: getattr(form, name).data for name in (
        "service_type_code", "name_ar", "name_en", "description_ar", "description_en",
        "target_groups", "min_age", "max_age", "sex", "documents_required", "nationalities",
        "capacity_per_month", "availability", "languages", "modality", "cost", "cost_note",
        "referral_method", "referral_contact", "sensitive", "last_verified", "response_days",
        "review_every_days", *PATHWAY_TEXTS)}
    data["coverage"] = list(form.coverage_govs.data or []) + [
        c for c in re.split(r"[,،\s]+", form.coverage_more.data or "") if c]
    data["sites"] = _sites_from(form.sites.data)
    data["hours"] = _hours_from(form)
    return data


_FIELD_OF = {"coverage": "coverage_more", "hours": "hours_7", "body": "name_ar"}


def _show_error(form: ServiceForm, exc: BadInput) -> None:
    name = str(exc.details.get("field", "name_ar"))
    name = _FIELD_OF.get(name, name.split("[")[0].split(".")[0])
    field = getattr(form, name, None) or form.name_ar
    field.errors = [*field.errors, exc.message] if isinstance(field.errors, list) \
        else [exc.message]


def _prefill(form: ServiceForm, d: dict) -> None:
    for name in ("service_type_code", "name_ar", "name_en", "description_ar", "description_en",
                 "availability", "modality", "cost", "cost_note", "referral_method",
                 "referral_contact", "sensitive", "last_verified", *PATHWAY_TEXTS):
        getattr(form, name).data = d[name] if name in d else d.get("service_type", {}).get(
            "code")
    form.service_type_code.data = d["service_type"]["code"]
    e = d["eligibility"]
    form.min_age.data = "" if e["min_age"] is None else str(e["min_age"])
    form.max_age.data = "" if e["max_age"] is None else str(e["max_age"])
    form.sex.data = e["sex"]
    form.target_groups.data = e["target_groups"]
    form.documents_required.data = ", ".join(e["documents_required"])
    form.nationalities.data = ", ".join(e["nationalities"])
    form.capacity_per_month.data = "" if d["capacity_per_month"] is None \
        else str(d["capacity_per_month"])
    form.response_days.data = str(d["response_days"])
    form.review_every_days.data = str(d["freshness"]["review_every_days"])
    form.languages.data = ", ".join(d["languages"])
    govs = [c["pcode"] for c in d["coverage"] if c["level"] == 1]
    form.coverage_govs.data = govs
    form.coverage_more.data = " ".join(c["pcode"] for c in d["coverage"] if c["level"] != 1)
    form.sites.data = "\n".join(_site_line(x) for x in d["sites"])
    for day in WEEK:
        periods = [f"{h['opens']}-{h['closes']}" for h in d["hours"] if h["weekday"] == day]
        getattr(form, f"hours_{day}").data = ", ".join(periods)


def _form(org_id: int) -> ServiceForm:
    form = ServiceForm()
    choices = directory.search_choices(db.session)
    loc = "ar" if _ar() else "en"
    form.service_type_code.choices = [SelectChoice("", _("Choose..."))] + [
        SelectChoice(t.code, t.name(loc), optgroup=s.name(loc))
        for s, types in choices["sectors"] for t in types]
    form.target_groups.choices = [SelectChoice(g.code, g.name(loc)) for g in choices["groups"]]
    form.coverage_govs.choices = [SelectChoice(a.pcode, a.name_ar if loc == "ar" else a.name_en)
                                  for a in choices["governorates"]]
    return form


def _render_form(form: ServiceForm, org, svc=None, status: int = 200):
    return render_template("directory/service_form.html", form=form, org=org, svc=svc,
                           week=WEEK, map_data=map_json([], [])), status


def _actor():
    """Who acts, for the audit log."""
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.route("/organizations/<int:organization_id>/services/new", methods=["GET", "POST"])
@allow("org_admin", "platform_admin")
def service_new(organization_id: int):
    """Add a service (the organisation's admins)."""
    s = db.session
    org = directory.get_organization(s, organization_id, viewer())
    if not directory.can_edit(viewer(), org.id):
        from data.errors import Forbidden

        raise Forbidden(_("Only this organisation's administrators may change it."))
    form = _form(org.id)
    if request.method == "POST" and form.validate_on_submit():
        try:
            sent = _data_from(form)
            claimed = claim("service", form.submission.data, {"organization": org.id, **sent})
            if claimed.repeat is not None:  # the same form again: its service
                return redirect(url_for("directory.service", service_id=claimed.repeat[0]))
            svc = directory.create_service(s, org.id, sent, viewer(), _actor())
            keep(claimed, svc.id)
            s.commit()
            flash(_("The service was saved."))
            return redirect(url_for("directory.service", service_id=svc.id))
        except BadInput as exc:
            s.rollback()
            _show_error(form, exc)
        return _render_form(form, org, status=400)
    if request.method == "GET":
        form.hours_5.data = form.hours_6.data = ""
    return _render_form(form, org)


@bp.route("/services/<int:service_id>/edit", methods=["GET", "POST"])
@allow("org_admin", "platform_admin")
def service_edit(service_id: int):
    """Change a service (the organisation's admins)."""
    s = db.session
    svc = directory.get_service(s, service_id, viewer())
    if not directory.can_edit(viewer(), svc.organization_id):
        from data.errors import Forbidden

        raise Forbidden(_("Only this organisation's administrators may change it."))
    org = svc.organization
    form = _form(org.id)
    if request.method == "POST" and form.validate_on_submit():
        try:
            directory.update_service(s, svc.id, _data_from(form), viewer(), _actor())
            s.commit()
            flash(_("The service was saved."))
            return redirect(url_for("directory.service", service_id=service_id))
        except BadInput as exc:
            s.rollback()
            _show_error(form, exc)
        return _render_form(form, org, svc, status=400)
    if request.method == "GET":
        _prefill(form, directory.service_detail(svc, viewer(), editing=True))
    return _render_form(form, org, svc)


@bp.post("/services/<int:service_id>/verify")
@allow("org_admin", "platform_admin")
def service_verify(service_id: int):
    """Confirm that a listing is still right (resets its last-verified date)."""
    directory.verify_service(db.session, service_id, viewer(), _actor())
    db.session.commit()
    flash(_("Thank you: the listing is marked as verified today."))
    return redirect(url_for("directory.service", service_id=service_id))


# ------------------------------------------------------------------ review links (issue 22)

_LINK_STATUS = {"forged": 400, "expired": 410, "used": 409}


@bp.route("/review/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(rate("REVIEW_LINK_RATE_LIMIT", "30 per minute"))
def review(token: str):
    """A signed review link, without signing in: the listing and three answers (GET), the
    answer applied once (POST); a forged, expired or used link changes nothing. The e-mail's
    one-click links carry ``?answer=``: their page posts it by script (review.js), so a person
    answers in one click while a mail scanner's prefetch (no scripts) answers nothing."""
    from network.freshness import LinkProblem, answer_review, open_review

    s = db.session
    secret = current_app.config["SECRET_KEY"]
    try:
        if request.method == "POST":
            link = answer_review(s, token, request.form.get("answer", ""), secret)
            s.commit()
            return render_template("directory/review.html", link=link, answers=REVIEW_LABELS,
                                   svc=s.get(Service, link.service_id), done=True)
        link = open_review(s, token, secret)
    except LinkProblem as problem:
        s.rollback()
        return render_template("directory/review.html", problem=problem.kind), \
            _LINK_STATUS[problem.kind]
    chosen = request.args.get("answer")
    return render_template("directory/review.html", link=link, answers=REVIEW_LABELS,
                           svc=s.get(Service, link.service_id), done=False,
                           chosen=chosen if chosen in REVIEW_LABELS else None)


# ------------------------------------------------------------------ reports (issue 22)


def _reporter():
    """The signed-in person reporting (None: the public, or an API token)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.route("/services/<int:service_id>/report", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.shared_limit(rate("REPORT_RATE_LIMIT", "5 per hour"), scope="service_reports",
                      methods=["POST"])
def service_report(service_id: int):
    """Report inaccurate information on a listing: anyone, no account needed."""
    from network import reports

    s = db.session
    svc = directory.get_service(s, service_id, viewer())
    mark()  # (a form written by hand, with its key)
    error, form = None, {"kind": "", "detail": "", "submission": new_key()}
    if request.method == "POST":
        form = {"kind": request.form.get("kind", ""), "detail": request.form.get("detail", ""),
                "submission": key_of(request.form.get("submission")) or new_key()}
        try:
            sent = {"kind": form["kind"], "detail": form["detail"]}
            claimed = claim("service_report", form["submission"], {"service": svc.id, **sent})
            if claimed.repeat is not None:  # the same report again: its answer
                first = s.get(ServiceReport, claimed.repeat[0])
                if first is not None:
                    return redirect(url_for("directory.report_status", code=first.code))
            report = reports.report_inaccuracy(s, svc.id, sent, _reporter())
            keep(claimed, report.id)
            s.commit()
            return redirect(url_for("directory.report_status", code=report.code))
        except BadInput as exc:
            s.rollback()
            # the page asks "What is wrong?": answer in its words, not the API's field name
            error = _("Choose what is wrong with this listing.") \
                if exc.details.get("field") == "kind" else exc.message
    return render_template("directory/report.html", svc=svc, kinds=REPORT_KIND_LABELS,
                           error=error, form=form), 400 if error else 200


@bp.get("/reports/<code>")
@allow(PUBLIC)
def report_status(code: str):
    """A report's answer, for whoever holds its code (the reporter)."""
    from network import reports

    report, svc = reports.report_status(db.session, code)
    return render_template("directory/report_status.html", report=report, svc=svc,
                           kinds=REPORT_KIND_LABELS, states=REPORT_STATE_LABELS)


@bp.get("/organizations/<int:organization_id>/reports")
@allow("org_admin", "platform_admin")
def organization_reports(organization_id: int):
    """Reports on the organisation's listings, to answer (its admins)."""
    from network import reports

    org = directory.get_organization(db.session, organization_id, viewer())
    items = reports.organization_reports(db.session, org.id, viewer())
    return render_template("directory/reports.html", org=org, items=items,
                           kinds=REPORT_KIND_LABELS, states=REPORT_STATE_LABELS)


@bp.post("/reports/<int:report_id>/answer")
@allow("org_admin", "platform_admin")
def report_answer(report_id: int):
    """The organisation answers a report (fixed or not changed, with a word)."""
    from network import reports

    s = db.session
    report = reports.answer_report(s, report_id, {"status": request.form.get("status", ""),
                                                  "answer": request.form.get("answer", "")},
                                   viewer(), _actor())
    org_id = s.get(Service, report.service_id).organization_id  # type: ignore[union-attr]
    s.commit()
    flash(_("Your answer was saved and the reporter told."))
    return redirect(url_for("directory.organization_reports", organization_id=org_id))


# ------------------------------------------------------------------ feedback (issue 22)


@bp.post("/services/<int:service_id>/feedback-code")
@allow(*STAFF_ROLES)
def feedback_code(service_id: int):
    """A single-use code (and link) for the person to give feedback on this service."""
    from network import feedback

    s = db.session
    svc = directory.get_service(s, service_id, viewer())
    code = feedback.issue_code(s, svc.id, _actor())
    s.commit()
    return feedback_slip(svc, code.code, url_for("directory.service", service_id=svc.id))


@bp.get("/organizations/<int:organization_id>/feedback")
@allow("org_admin", "platform_admin")
def organization_feedback(organization_id: int):
    """What the people served said, per service (all answers, to its own admins) and the
    moderated-in comments."""
    from network import feedback

    s = db.session
    org = directory.get_organization(s, organization_id, viewer())
    comments = feedback.approved_comments(s, org.id, viewer())  # its admins only
    services = directory.organization_services(s, org.id)
    figures = feedback.feedback_figures(s, [x.id for x in services], viewer(),
                                        {x.id: org.id for x in services})
    return render_template("directory/organization_feedback.html", org=org, services=services,
                           figures=figures, comments=comments,
                           minimum=feedback.MIN_FEEDBACK)


def _moderation_page(errors: dict[int, str] | None = None, typed: dict[int, str] | None = None,
                     status: int = 200):
    from network import feedback

    return render_template("directory/moderation.html",
                           items=feedback.pending_comments(db.session, viewer()),
                           errors=errors or {}, typed=typed or {}), status


@bp.get("/feedback/moderation")
@allow("platform_admin")
def feedback_moderation():
    """Comments of the people served that wait for a platform admin's decision."""
    return _moderation_page()


@bp.post("/feedback/<int:feedback_id>/moderate")
@allow("platform_admin")
def moderate_feedback(feedback_id: int):
    """Approve a comment (its organisation then reads it) or reject it; a rejection needs a
    reason, kept in the audit log."""
    from network import feedback

    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "").strip()
    try:
        if decision == "rejected" and not reason:
            raise BadInput(_("Say why the comment is rejected."), field="reason")
        feedback.moderate(db.session, feedback_id, decision, viewer(), reason=reason,
                          actor=_actor())
    except BadInput as exc:
        db.session.rollback()
        return _moderation_page({feedback_id: exc.message}, {feedback_id: reason}, 400)
    db.session.commit()
    flash(_("The comment was approved: its organisation can read it.") if decision == "approved"
          else _("The comment was rejected."))
    return redirect(url_for("directory.feedback_moderation"))


@bp.route("/feedback/<code>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.shared_limit(rate("FEEDBACK_RATE_LIMIT", "10 per hour"), scope="feedback",
                      methods=["POST"], deduct_when=refused)
def give_feedback(code: str):
    """The person's feedback form, with the code their caseworker gave (no account)."""
    from data.errors import Conflict, NotFound
    from network import feedback

    s = db.session
    error, done = None, False
    if request.method == "POST":
        try:
            feedback.submit_feedback(s, code, {k: request.form.get(k, "") for k in (
                "provided", "respectful", "timely", "comment")})
            s.commit()
            done = True
        except (BadInput, Conflict, NotFound) as exc:
            s.rollback()
            error = exc.message
    return render_template("directory/feedback.html", code=code, error=error, done=done), \
        400 if error else 200
