"""Focal-point pages. Views parse input, call one use case, render; the request commits."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from data.db import db
from data.errors import BadInput, NotFound
from data.models import STAFF_ROLES, AdminArea, Service, User
from referral import focal

from ..referrals.common import cipher
from ..referrals.forms import CONTACT_CHOICES
from ..security import allow, caller
from ..sent_once import claim, keep
from . import bp
from .forms import ActionForm, ConvertForm, DesignateForm, RequestForm

STAFF = STAFF_ROLES


def _field_error(form, exc: BadInput, default: str) -> None:
    """Put a use case's error next to the field it names (the first part of its name)."""
    name = str(exc.details.get("field", default)).split(".")[-1].split("[")[0]
    target = getattr(form, name, None) or getattr(form, default)
    target.errors = [*target.errors, exc.message] if isinstance(target.errors, list) \
        else [exc.message]


def _service(raw) -> Service:
    svc = db.session.get(Service, raw) if isinstance(raw, int) else None
    if svc is None:
        raise NotFound(_("Service %(id)s does not exist.", id=raw), field="service_id")
    return svc


@bp.get("/")
@allow(*STAFF)
def index():
    """Requests routed to the organisation (focal points, admins) and sent by it."""
    found = focal.list_requests(db.session, caller())
    ids = {r.service_id for rows in found.values() for r in rows}
    services = {s.id: s for s in db.session.scalars(select(Service).where(Service.id.in_(ids)))}
    codes = {r.pcode for rows in found.values() for r in rows}
    areas = {a.pcode: a for a in db.session.scalars(
        select(AdminArea).where(AdminArea.pcode.in_(codes)))}
    return render_template("focal/index.html", found=found, services=services, areas=areas,
                           action=ActionForm(),
                           channels={c.value: c.label for c in CONTACT_CHOICES})


@bp.route("/request", methods=["GET", "POST"])
@allow(*STAFF)
def new_request():
    """The minimal request for a sensitive service: area, urgency, channel; no narrative."""
    svc = _service(request.args.get("service_id", type=int))
    form = RequestForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            sent = {"service_id": svc.id, "pcode": form.pcode.data,
                    "urgency": form.urgency.data, "channel": form.channel.data}
            claimed = claim("focal_request", form.submission.data, sent)
            if claimed.repeat is None:  # (a repeat: the request was sent)
                keep(claimed, focal.create_request(db.session, caller(), sent).id)
            db.session.commit()
            flash(_("The request was sent to the focal point, who will contact the person "
                    "as they chose."))
            return redirect(url_for("focal.index"))
        except BadInput as exc:
            db.session.rollback()
            _field_error(form, exc, "pcode")
        return render_template("focal/request.html", form=form, svc=svc), 400
    form.pcode.data = form.pcode.data or request.args.get("pcode", "")
    return render_template("focal/request.html", form=form, svc=svc)


@bp.post("/requests/<int:request_id>/call-back")
@allow(*STAFF)
def call_back(request_id: int):
    """The focal point called the person back."""
    focal.call_back(db.session, caller(), request_id)
    db.session.commit()
    flash(_("Recorded: the person was called back."))
    return redirect(url_for("focal.index"))


@bp.route("/requests/<int:request_id>/convert", methods=["GET", "POST"])
@allow(*STAFF)
def convert(request_id: int):
    """Turn the request into a referral, with the person's consent."""
    req, side = focal.get_request(db.session, caller(), request_id)
    form = ConvertForm()
    if request.method == "POST" and form.validate_on_submit():
        consent = {"given_by": form.given_by.data, "method": form.method.data,
                   "scope": form.scope.data} if form.given_by.data else None
        case = {"age": form.age.data, "sex": form.sex.data,
                "contact_handle": form.contact_handle.data}
        try:
            done = focal.convert(db.session, caller(), request_id,
                                 {"consent": consent, "case": case}, cipher())
            db.session.commit()
            return redirect(url_for("referrals.detail", referral_id=done.referral_id))
        except BadInput as exc:
            db.session.rollback()
            _field_error(form, exc, "given_by")
        return render_template("focal/convert.html", form=form, req=req), 400
    return render_template("focal/convert.html", form=form, req=req)


@bp.route("/points", methods=["GET", "POST"])
@allow("org_admin")
def points():
    """The organisation's focal points: designate members per governorate or district."""
    who = caller()
    form = DesignateForm()
    members = db.session.scalars(select(User).where(
        User.organization_id == who.organization_id, User.active).order_by(User.name)).all()
    form.user_id.choices = [(str(u.id), u.name) for u in members]
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            focal.designate(db.session, who, who.organization_id, form.user_id.data,
                            form.pcode.data)
            db.session.commit()
            flash(_("The focal point was designated."))
            return redirect(url_for("focal.points"))
        except BadInput as exc:
            db.session.rollback()
            _field_error(form, exc, "pcode")
            status = 400
    rows = focal.focal_points(db.session, who.organization_id)
    areas = {a.pcode: a for a in db.session.scalars(
        select(AdminArea).where(AdminArea.pcode.in_({fp.pcode for fp, _u in rows})))}
    return render_template("focal/points.html", form=form, rows=rows, areas=areas,
                           action=ActionForm()), status


@bp.post("/points/<int:focal_point_id>/remove")
@allow("org_admin")
def remove_point(focal_point_id: int):
    """End a designation."""
    focal.remove_focal_point(db.session, caller(), focal_point_id)
    db.session.commit()
    flash(_("The focal point was removed."))
    return redirect(url_for("focal.points"))
