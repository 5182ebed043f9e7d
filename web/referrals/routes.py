"""Referral pages. Views parse input, call one use case, render; the request commits."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms.fields.choices import SelectChoice

from data.db import db
from data.errors import BadInput, Forbidden, TasharukError
from data.models import READER_ROLES, REASONS, STAFF_ROLES, Service
from network import reference
from network.feedback import FEEDBACK_STATES
from referral.access import routes_through_focal_point
from referral.boxes import box_services, list_box, parse_filters
from referral.bundles import propose_bundle
from referral.cases import create_referrals, parse_case
from referral.consent import consent_organizations
from referral.detail import case_labels, referral_detail, services_by_id
from referral.eligibility import problems
from referral.glass import GLASS_ROLES, end_glass, glass_review, open_glass
from referral.lifecycle import ACTION_LABELS, REASON_LABELS, STATUS_LABELS, add_note, transition
from referral.renewal import renew_consent
from referral.revocation import consent_receipt, revoke_consent
from referral.search import resolve_area
from textmatch.languages import language_codes, language_name

from ..i18n import current_locale
from ..security import allow, caller, principal
from ..sent_once import claim, keep
from . import bp
from .common import cipher
from .forms import (
    CONTACT_CHOICES,
    SCOPE_CHOICES,
    ConsentFields,
    GlassForm,
    NoteForm,
    ProfileForm,
    ReferralForm,
    RenewForm,
    RevokeForm,
    TransitionForm,
)

STAFF = STAFF_ROLES
READERS = READER_ROLES


def _label(table: dict, key: str | None) -> str:
    if not key:
        return ""
    ar, en = table.get(key, (key, key))
    return en if current_locale() == "en" else ar


def _choices(form: ProfileForm) -> None:
    loc = current_locale()
    form.target_groups.choices = [
        SelectChoice(g.code, g.name(loc))
        for g in reference.target_groups(db.session)]
    form.needs.choices = [
        SelectChoice(t.code, t.name(loc))
        for t in reference.service_types(db.session)]


def _org_id() -> int:
    org_id = getattr(principal(), "organization_id", None)
    if org_id is None:
        raise Forbidden(_("Referrals belong to organisations; your account has none."))
    return org_id


def _ids(values: list[str], field: str) -> list[int]:
    out = []
    for v in values:
        if not v.isdigit() or len(v) > 10:
            raise BadInput(_("%(field)s must be an integer id.", field=field), field=field)
        out.append(int(v))
    return out


def _message(exc: TasharukError) -> str:
    """The user's-language message for a use-case error (by code or field), else its text."""
    field = exc.details.get("field", "") if isinstance(exc.details, dict) else ""
    by_code = {
        "stale_version": _("The referral changed since you loaded it; reload it and try again."),
        "illegal_transition": _("This action is not allowed on the referral now."),
    }
    by_field = {
        "consent": _("A referral cannot be sent without recorded consent (who, how, what may "
                     "be shared) or an allowed override with a reason."),
        "consent.given_by": _("Say who gave consent (the person or a guardian)."),
        "consent.scope": _("Tick what may be shared."),
        "consent.at": _("The consent date cannot be in the future."),
        "consent.expires_at": _("Consent must be valid until a date after today."),
        "consent_override_reason": _("Only an organisation admin may send without consent; a "
                                     "caseworker only in an emergency, always with a reason."),
        "case.age": _("Age must be a whole number between 0 and 120."),
        "case.phone": _("Phone: digits, spaces, '+', '-' and brackets only."),
        "case.name": _("The name is too long, or no data key is configured to store it."),
        "case.pcode": _("Unknown p-code."),
        "case.case_code": _("Case code: up to 40 letters, digits, '-', '_', '/' or '.'."),
        "service_ids": _("This service cannot take the referral."),
        "reason": _("Choose a reason from the list."),
        "reason_text": _("Explain the reason 'other' in a few words (at most 500 characters)."),
        "note": _("The note is too long (at most 2000 characters)."),
    }
    return by_code.get(exc.code) or by_field.get(field) or exc.message


def _contact_labels() -> dict[str, str]:
    """The contact channels by name, in the user's language."""
    return {c.value: str(c.label) for c in CONTACT_CHOICES if c.value}


FIELD_OF = {"consent": "consent_method", "consent.method": "consent_method",
            "consent.given_by": "consent_given_by", "consent.scope": "consent_scope",
            "consent.at": "consent_at", "consent.purpose": "consent_purpose",
            "consent.expires_at": "consent_expires", "consent.organization_ids": "consent_orgs"}


def _org_picker(form: ConsentFields) -> None:
    """Offer the verified organisations consent may name, by name in the user's language:
    after the picker's Find button (no JavaScript) those its search (``org_q``) finds and
    those already picked; else all of them (with JavaScript the box filters them in place)."""
    picked = _ids(form.consent_orgs.data or [], "consent.organization_ids")
    loc = current_locale()
    query = form.org_q.data if request.form.get("find_orgs") else None
    orgs = db.session.scalars(consent_organizations(query, picked)).all()
    form.consent_orgs.choices = [SelectChoice(str(o.id), o.name(loc)) for o in
                                 sorted(orgs, key=lambda o: o.name(loc))]


def _consent_of(form: ConsentFields) -> dict | None:
    """The consent the form states, as the use cases take it (None: no method chosen)."""
    if not form.consent_method.data:
        return None
    return {"given_by": form.consent_given_by.data, "method": form.consent_method.data,
            "scope": form.consent_scope.data,
            "at": form.consent_at.data.isoformat() if form.consent_at.data else None,
            "purpose": form.consent_purpose.data or None,
            "organization_ids": _ids(form.consent_orgs.data or [], "consent.organization_ids"),
            "expires_at": form.consent_expires.data.isoformat()
            if form.consent_expires.data else None}


def _field_error(form, exc: TasharukError) -> None:
    """Put a use case's error on the form field it names (else flash it)."""
    field = str(exc.details.get("field", "")) if isinstance(exc.details, dict) else ""
    name = FIELD_OF.get(field, field.removeprefix("case."))
    if name in form._fields:
        form[name].errors = [*form[name].errors, _message(exc)]
    else:
        flash(_message(exc), "error")


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    """The short referral form, for ``?service_id=`` (several for a bundle)."""
    service_ids = _ids(request.values.getlist("service_id"), "service_id")
    if not service_ids:
        raise BadInput(_("Choose a service to refer to (service_id)."), field="service_id")
    found = services_by_id(db.session, service_ids)
    if any(sid not in found for sid in service_ids):
        abort(404, _("This service doesn't exist."))
    services = [found[sid] for sid in service_ids]
    routed = [svc for svc in services
              if routes_through_focal_point(db.session, svc, principal())]
    if routed and "focal.new_request" in current_app.view_functions:  # issue 23
        return redirect(url_for("focal.new_request", service_id=routed[0].id,
                                pcode=request.args.get("pcode", "")))
    form = ReferralForm()
    _choices(form)
    _org_picker(form)
    data_cipher = cipher()
    if data_cipher is None:  # no data key: name, phone and note cannot be stored: not asked
        form.name.data = form.phone.data = form.note.data = form.contact_handle.data = None
        form.consent_scope.choices = [c for c in SCOPE_CHOICES
                                      if c.value not in ("name", "phone", "note")]
        form.contact_channel.choices = [c for c in CONTACT_CHOICES  # those without a number
                                        if c.value in ("", "in_person", "via_caseworker")]
    if request.method == "GET":
        for name in ("age", "sex", "pcode", "urgency"):
            if request.args.get(name):
                getattr(form, name).data = request.args.get(name)
        if request.args.get("languages"):
            codes, unknown = language_codes(request.args["languages"])
            form.languages.data = ", ".join(
                [language_name(c, current_locale()) for c in codes] + unknown)
        if request.args.getlist("needs"):
            form.needs.data = request.args.getlist("needs")
        if request.args.getlist("target_groups"):
            form.target_groups.data = request.args.getlist("target_groups")
    page = {"form": form, "services": services, "service_ids": service_ids,
            "person_fields": data_cipher is not None, "place_choices": [],
            "problems": problems(services, _age(form.age.data), form.sex.data or "unknown")}
    if request.method == "POST" and request.form.get("find_orgs"):  # the picker's search
        return render_template("referrals/new.html", **page)
    if form.validate_on_submit():
        pcode, languages = _place_and_languages(form, page)
        if form.errors:
            return render_template("referrals/new.html", **page), 400
        payload = {"service_ids": service_ids, "note": form.note.data,
                   "consent": _consent_of(form),
                   "consent_override_reason": form.consent_override_reason.data or None,
                   "eligibility_override_reason":
                       form.eligibility_override_reason.data or None,
                   "case": {"case_code": form.case_code.data, "age": form.age.data,
                            "sex": form.sex.data, "pcode": pcode,
                            "target_groups": form.target_groups.data,
                            "needs": form.needs.data, "languages": languages,
                            "urgency": form.urgency.data, "name": form.name.data,
                            "phone": form.phone.data,
                            "contact_channel": form.contact_channel.data,
                            "contact_handle": form.contact_handle.data}}
        claimed = claim("referral", form.submission.data, payload)
        if claimed.repeat is not None:  # the same form again: what it sent
            flash(_("Referral sent to %(n)d provider(s).", n=len(claimed.repeat)))
            return redirect(url_for("referrals.detail", referral_id=claimed.repeat[0]))
        try:
            case, referrals = create_referrals(db.session, principal(), payload, data_cipher)
        except TasharukError as exc:
            db.session.rollback()
            field = str(exc.details.get("field", "")) if isinstance(exc.details, dict) else ""
            _field_error(form, exc)
            if field == "eligibility_override_reason" and isinstance(exc.details, dict):
                page["problems"] = exc.details.get("problems") or page["problems"]
            return render_template("referrals/new.html", **page), exc.status
        keep(claimed, *(r.id for r in referrals))
        db.session.commit()
        flash(_("Referral sent to %(n)d provider(s).", n=len(referrals)))
        return redirect(url_for("referrals.detail", referral_id=referrals[0].id))
    status = 400 if request.method == "POST" else 200
    return render_template("referrals/new.html", **page), status


def _age(value) -> int | None:
    """The form's age as a whole number, or None (the use case validates it again)."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _place_and_languages(form: ReferralForm, page: dict) -> tuple[str | None, list[str]]:
    """The form's place as a p-code (a name goes through the resolver; an ambiguous one
    offers its candidates as choices) and its languages as codes (names or codes typed);
    problems become the fields' errors, the rest of the form is kept."""
    pcode = request.form.get("pcode_choice") or (form.pcode.data or "").strip() or None
    if pcode:
        try:
            pcode = resolve_area(db.session, pcode, "pcode")
            form.pcode.data = pcode
        except BadInput as exc:
            form.pcode.errors = [*form.pcode.errors, _message(exc) if "candidates" not in
                                 exc.details else _("Several places have this name: "
                                                    "choose one below.")]
            page["place_choices"] = exc.details.get("candidates", [])
    codes, unknown = language_codes(form.languages.data or "")
    if unknown:
        form.languages.errors = [*form.languages.errors, _(
            "Unknown language: %(names)s. Write language names (Arabic, Kurdish) or codes "
            "(ar, ku), separated by commas.", names=", ".join(unknown))]
    return pcode, codes


def _box(box: str):
    args = request.args.to_dict()
    args["box"] = box
    filters = parse_filters(args)
    org_id = _org_id()
    items = list_box(db.session, org_id, filters)
    own_services = box_services(db.session, org_id, box)
    args.pop("offset", None)
    more = len(items) == filters.limit
    return render_template("referrals/box.html", box=box, items=items, filters=filters,
                           next_args={**args, "offset": filters.offset + filters.limit}
                           if more else None,
                           services=own_services, status_label=lambda s: _label(
                               STATUS_LABELS, s), statuses=list(STATUS_LABELS))


@bp.get("/in")
@allow(*READERS)
def inbox():
    """Referrals received by the organisation, with filters; overdue ones highlighted."""
    return _box("in")


@bp.get("/out")
@allow(*READERS)
def outbox():
    """Referrals sent by the organisation, with filters; overdue ones highlighted."""
    return _box("out")


@bp.get("/<int:referral_id>")
@allow(*READERS)
def detail(referral_id: int):
    """The case page: the referral, the consented details, the timeline, the actions."""
    data = referral_detail(db.session, referral_id, principal(), cipher())
    db.session.commit()  # views of sensitive referrals are audited
    form = TransitionForm()
    form.reason.choices = [SelectChoice("", "—")] + [
        SelectChoice(r, _label(REASON_LABELS, r)) for r in REASONS]
    return render_template("referrals/detail.html", r=data, form=form, note_form=NoteForm(),
                           glass_form=GlassForm(),
                           names=case_labels(db.session, data["case"], current_locale()),
                           scope_labels={c.value: str(c.label) for c in SCOPE_CHOICES},
                           contact_labels=_contact_labels(),
                           status_label=lambda s: _label(STATUS_LABELS, s),
                           action_label=lambda a: _label(ACTION_LABELS, a),
                           reason_label=lambda r: _label(REASON_LABELS, r),
                           needs_reason={"decline", "close_unmet"},
                           feedback_states=FEEDBACK_STATES)


@bp.post("/<int:referral_id>/transition")
@allow(*STAFF)
def act(referral_id: int):
    """Apply one transition button; errors come back as a message on the case page."""
    form = TransitionForm()
    form.reason.choices = [SelectChoice("", "")] + [SelectChoice(r, r) for r in REASONS]
    try:
        transition(db.session, referral_id, principal(), form.action.data or "",
                   version=form.version.data, reason=form.reason.data or None,
                   reason_text=form.reason_text.data or None, note=form.note.data)
    except TasharukError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("referrals.detail", referral_id=referral_id))
    db.session.commit()
    flash(_("Referral updated."))
    return redirect(url_for("referrals.detail", referral_id=referral_id))


@bp.post("/<int:referral_id>/note")
@allow(*STAFF)
def note(referral_id: int):
    """Add a note to the timeline."""
    form = NoteForm()
    try:
        claimed = claim("referral_note", form.submission.data,
                        {"referral": referral_id, "note": form.note.data or ""})
        if claimed.repeat is None:  # (a repeat: the note is there already)
            event = add_note(db.session, referral_id, principal(), form.note.data or "")
            keep(claimed, event.id)
    except BadInput as exc:
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("referrals.detail", referral_id=referral_id))
    db.session.commit()
    return redirect(url_for("referrals.detail", referral_id=referral_id))


@bp.get("/<int:referral_id>/print")
@allow(*STAFF)
def print_form(referral_id: int):
    """The printable referral form for an organisation not on the platform (consented data)."""
    data = referral_detail(db.session, referral_id, principal(), cipher(), printable=True)
    db.session.commit()
    return render_template("referrals/print.html", r=data, contact_labels=_contact_labels(),
                           names=case_labels(db.session, data["case"], current_locale()),
                           status_label=lambda s: _label(STATUS_LABELS, s))


@bp.post("/<int:referral_id>/feedback-code")
@allow(*STAFF)
def feedback_code(referral_id: int):
    """The referring caseworker hands the person a feedback code for the service, once it
    has taken them in: a printable slip in Arabic and English (not tied to the referral)."""
    from network.feedback import issue_code_for_referral

    from ..directory.slip import feedback_slip

    code, failed = _attempt(lambda: issue_code_for_referral(db.session, referral_id,
                                                            caller()),
                            "referrals.detail", referral_id)
    if failed is not None:
        return failed
    db.session.commit()
    return feedback_slip(db.session.get(Service, code.service_id), code.code,
                         url_for("referrals.detail", referral_id=referral_id))


def _attempt(call, endpoint: str, referral_id: int):
    """Run a use case: (its result, None), or after a user's error (not 403/404, which
    stay errors) the rollback, the message flashed and (None, a redirect to ``endpoint``)."""
    try:
        return call(), None
    except TasharukError as exc:
        if exc.status in (403, 404):
            raise
        db.session.rollback()
        flash(exc.message, "error")
        return None, redirect(url_for(endpoint, referral_id=referral_id))


def _renew_form(receipt: dict) -> RenewForm:
    """The renewal form, filled from the current record when it is first shown."""
    form = RenewForm()
    if request.method == "GET" and receipt.get("method"):
        form.consent_method.data = receipt["method"]
        form.consent_given_by.data = receipt["given_by"]
        form.consent_purpose.data = receipt["purpose"]
        form.consent_scope.data = list(receipt["scope"])
        form.consent_orgs.data = [str(i) for i in receipt["organization_ids"]]
    form.consent_method.choices = [c for c in form.consent_method.choices if c.value]
    _org_picker(form)
    return form


def _consent_page(referral_id: int, form: RenewForm | None = None, status: int = 200):
    """The receipt of one record (``?record=``, else the current one), its history, and
    for the current record the renew and revoke forms."""
    record_id = request.args.get("record", type=int)
    receipt = consent_receipt(db.session, referral_id, principal(), record_id, cipher())
    form = form or _renew_form(receipt)
    return render_template("referrals/consent.html", c=receipt, form=RevokeForm(),
                           renew=form, scope_labels={c.value: str(c.label)
                                                     for c in SCOPE_CHOICES},
                           contact_labels=_contact_labels(),
                           status_label=lambda s: _label(STATUS_LABELS, s)), status


@bp.get("/<int:referral_id>/consent")
@allow(*STAFF)
def consent(referral_id: int):
    """The printable consent receipt (what the person agreed to), with renew and revoke."""
    return _consent_page(referral_id)


@bp.post("/<int:referral_id>/consent/renew")
@allow(*STAFF)
def renew(referral_id: int):
    """The person agreed again: a new record supersedes the current one (audited)."""
    form = RenewForm()
    form.consent_method.choices = [c for c in form.consent_method.choices if c.value]
    _org_picker(form)
    if request.form.get("find_orgs"):  # the picker's search, without JavaScript
        return _consent_page(referral_id, form)
    if not form.validate_on_submit():
        return _consent_page(referral_id, form, 400)
    try:
        renew_consent(db.session, referral_id, principal(), _consent_of(form) or {})
    except TasharukError as exc:
        if exc.status in (403, 404):
            raise
        db.session.rollback()
        _field_error(form, exc)
        return _consent_page(referral_id, form, exc.status)
    db.session.commit()
    flash(_("Consent renewed: the new record is the one in force."))
    return redirect(url_for("referrals.consent", referral_id=referral_id))


@bp.post("/<int:referral_id>/consent/revoke")
@allow(*STAFF)
def revoke(referral_id: int):
    """The person revoked consent: withdraw the open referrals and close the shared fields."""
    form = RevokeForm()
    if not form.validate_on_submit() or form.confirm.data != "yes":
        raise BadInput(_("Confirm that the person revoked their consent."), field="confirm")
    done, back = _attempt(lambda: revoke_consent(db.session, referral_id, principal(),
                                                 reason=form.reason.data, cipher=cipher()),
                          "referrals.consent", referral_id)
    if back is not None:
        return back
    db.session.commit()
    flash(ngettext("Consent revoked; %(num)d open referral was withdrawn.",
                   "Consent revoked; %(num)d open referrals were withdrawn.",
                   len(done["withdrawn"])))
    return redirect(url_for("referrals.consent", referral_id=referral_id))


@bp.post("/<int:referral_id>/glass")
@allow(*sorted(GLASS_ROLES))
def glass(referral_id: int):
    """Break the glass: a supervisor states why and sees the sensitive record for a while."""
    form = GlassForm()
    if not form.validate_on_submit():
        raise BadInput(_("Breaking the glass needs a reason: why you must see this record."),
                       field="reason")
    grant, back = _attempt(lambda: open_glass(db.session, referral_id, principal(),
                                              form.reason.data, cipher()),
                           "referrals.detail", referral_id)
    if back is not None:
        return back
    db.session.commit()
    hours = (grant.expires_at - grant.started_at).total_seconds() / 3600
    flash(ngettext("Access opened for %(num)d hour; your organisation's admins were told.",
                   "Access opened for %(num)d hours; your organisation's admins were told.",
                   round(hours)))
    return redirect(url_for("referrals.detail", referral_id=referral_id))


@bp.get("/glass")
@allow("org_admin")
def glass_list():
    """Break-the-glass grants of the organisation, with reasons and reads, for review."""
    rows = glass_review(db.session, _org_id(), cipher())
    return render_template("referrals/glass.html", rows=rows)


@bp.post("/glass/<int:grant_id>/end")
@allow(*sorted(GLASS_ROLES))
def glass_end(grant_id: int):
    """End a break-the-glass grant now (its grantee, or an admin from the review page)."""
    try:
        grant = end_glass(db.session, grant_id, principal())
    except TasharukError as exc:
        if exc.status in (403, 404):
            raise
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("referrals.glass_list"))
    db.session.commit()
    flash(_("Break-the-glass access ended; the record is closed again."))
    if grant.user_id == getattr(principal(), "id", None):
        return redirect(url_for("referrals.detail", referral_id=grant.referral_id))
    return redirect(url_for("referrals.glass_list"))


@bp.route("/bundle", methods=["GET", "POST"])
@allow(*STAFF)
def bundle():
    """Several needs at once: propose the fewest providers, nearest, covering all needs."""
    form = ProfileForm(request.args, meta={"csrf": False}) if request.method == "GET" \
        else ProfileForm()
    _choices(form)
    proposal = None
    services: dict[int, Service] = {}
    if form.needs.data and form.validate():
        profile = parse_case(db.session, {
            "age": form.age.data, "sex": form.sex.data, "pcode": form.pcode.data or None,
            "target_groups": form.target_groups.data, "needs": form.needs.data})
        proposal = propose_bundle(db.session, profile, _org_id())
        services = services_by_id(db.session, list(proposal.service_ids))
    needs = {t.code: t for t in reference.service_types(db.session)}
    return render_template("referrals/bundle.html", form=form, proposal=proposal,
                           services=services, needs=needs)
