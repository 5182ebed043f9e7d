"""Organisation profile, members and invitations, API tokens, webhooks; verification and audit
log."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from data.audit import audit_page, audit_query
from data.db import db
from data.errors import BadInput, NotFound, TasharukError
from data.members import org_admins
from data.models import READER_ROLES, Organization, User
from network import accounts, organizations, sessions, tokens, webhooks
from referral.notify import MailConfig, send_email
from web.accounts.forms import (
    AuditFilterForm,
    DecisionForm,
    InviteForm,
    ProfileForm,
    RoleForm,
    TokenForm,
    WebhookForm,
)

from ..api.services import viewer
from ..args import page_arg
from ..auth.forms import fill_choices, show_error
from ..extensions import limiter, rate
from ..formtext import Form
from ..i18n import current_locale
from ..security import (
    allow,
    current_session_id,
    organization_id,
    principal,
    require_same_org,
)
from ..sent_once import claim, keep
from . import bp

ORG_ROLES = (*READER_ROLES, "planner")
PAGE_SIZE = 50


def _my_org() -> Organization:
    """The caller's organisation (NotFound when the account has none)."""
    org = db.session.get(Organization, organization_id() or 0)
    if org is None:
        raise NotFound(_("Your account belongs to no organisation."))
    return org


def _member(user_id: int) -> User:
    """A user of the caller's organisation; NotFound for anyone else (ids do not leak)."""
    user = db.session.get(User, user_id)
    require_same_org(user.organization_id if user else None, what=_("member"))
    return user


def _members(org: Organization) -> list[User]:
    return organizations.members(db.session, org)


@bp.get("/organization")
@allow(*ORG_ROLES)
def organization():
    """The caller's organisation: profile, verification state and badge."""
    org = _my_org()
    hq = organizations.hq_areas(db.session, [org]).get(org.hq_pcode or "")
    return render_template("accounts/organization.html", org=org, hq=hq)


@bp.route("/organization/edit", methods=["GET", "POST"])
@allow("org_admin")
def edit_organization():
    """Edit the profile; a new name or registration number sends it back to review."""
    org = _my_org()
    form = ProfileForm(obj=org)
    fill_choices(form, db.session)
    if form.validate_on_submit():
        values = {name: field.data for name, field in form._fields.items()
                  if name != "csrf_token"}
        try:
            changed = organizations.update_organization(db.session, org, values,
                                                        by=principal())
        except TasharukError as exc:
            db.session.rollback()
            show_error(form, exc)
            return render_template("accounts/edit.html", form=form, org=org), exc.status
        db.session.commit()
        if org.verification == "pending" and set(changed) & set(organizations.IDENTITY_FIELDS):
            flash(_("Saved. The new name or registration number will be reviewed by the "
                    "platform team; until then the organisation is not shown as verified."))
        else:
            flash(_("Saved."))
        return redirect(url_for("accounts.organization"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/edit.html", form=form, org=org), status


def _members_page(org: Organization, invite_form: InviteForm | None = None,
                  link: str | None = None, status: int = 200):
    return render_template("accounts/members.html", org=org, members=_members(org),
                           form=invite_form or InviteForm(), role_form=RoleForm(),
                           link=link), status


@bp.get("/members")
@allow("org_admin")
def members():
    """Members of the caller's organisation, with invitation and role forms."""
    return _members_page(_my_org())


@bp.post("/members/invite")
@allow("org_admin")
@limiter.limit(rate("INVITE_RATE_LIMIT", "30 per hour"))
def invite():
    """Invite someone by a signed link (emailed when mail is configured, shown otherwise)."""
    org = _my_org()
    form = InviteForm()
    if not form.validate_on_submit():
        return _members_page(org, form, status=400)
    try:
        accounts.invite(db.session, org, form.email.data, form.role.data, by=principal())
    except TasharukError as exc:
        db.session.rollback()
        show_error(form, exc)
        return _members_page(org, form, status=exc.status)
    db.session.commit()
    mail = MailConfig.from_flask()
    token = accounts.invitation_token(current_app.secret_key, org, form.email.data,
                                      form.role.data, principal())
    link = mail.base_url + url_for("auth.accept_invitation", token=token)
    sent = send_email(mail, form.email.data,
                      f"Tasharuk | تشارك: دعوة للانضمام إلى {org.name_ar}",
                      f"دعتك {org.name_ar} للانضمام إلى تشارك.\n"
                      f"{org.name_en} invites you to join Tasharuk.\n\n{link}\n")
    if sent:
        flash(_("The invitation was sent to %(email)s.", email=form.email.data))
        return redirect(url_for("accounts.members"))
    return _members_page(org, InviteForm(), link=link)


@bp.post("/members/<int:user_id>/role")
@allow("org_admin")
def change_role(user_id: int):
    """Give a member another role."""
    user = _member(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _members_page(_my_org(), status=400)
    try:
        accounts.set_role(db.session, user, form.role.data, by=principal())
    except TasharukError as exc:
        db.session.rollback()
        flash(_(exc.message), "error")
        return _members_page(_my_org(), status=exc.status)
    db.session.commit()
    flash(_("The role of %(email)s was changed.", email=user.email))
    return redirect(url_for("accounts.members"))


@bp.post("/members/<int:user_id>/remove")
@allow("org_admin")
def remove_member(user_id: int):
    """Take a member out of the organisation (the account is deactivated)."""
    user = _member(user_id)
    try:
        accounts.remove_member(db.session, user, by=principal())
    except TasharukError as exc:
        db.session.rollback()
        flash(_(exc.message), "error")
        return _members_page(_my_org(), status=exc.status)
    db.session.commit()
    flash(_("%(email)s was removed from the organisation.", email=user.email))
    return redirect(url_for("accounts.members"))


def _tokens_page(org: Organization, form: TokenForm | None = None, secret: str | None = None,
                 status: int = 200):
    return render_template("accounts/tokens.html", org=org,
                           tokens=tokens.tokens_of(db.session, org.id),
                           form=form or TokenForm(), secret=secret), status


@bp.route("/tokens", methods=["GET", "POST"], endpoint="tokens")
@allow("org_admin")
@limiter.limit(rate("TOKEN_RATE_LIMIT", "10 per minute"), methods=["POST"])
def tokens_page():
    """The organisation's API tokens; create one (its secret is shown once)."""
    org = _my_org()
    form = TokenForm()
    if request.method == "GET":
        return _tokens_page(org)
    if not form.validate_on_submit():
        return _tokens_page(org, form, status=400)
    try:
        _token, secret = tokens.create_token(db.session, org, form.role.data,
                                             name=form.name.data, by=principal(),
                                             days=form.days.data)
    except TasharukError as exc:
        db.session.rollback()
        show_error(form, exc)
        return _tokens_page(org, form, status=exc.status)
    db.session.commit()
    return _tokens_page(org, secret=secret, status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@allow("org_admin")
@limiter.limit(rate("TOKEN_RATE_LIMIT", "10 per minute"))
def revoke_token(token_id: int):
    """Revoke one of the organisation's tokens; it stops working at once."""
    token = tokens.revoke_token(db.session, token_id, organization_id=organization_id() or 0,
                                by=principal())
    db.session.commit()
    flash(_("The token %(prefix)s… was revoked.", prefix=token.prefix))
    return redirect(url_for("accounts.tokens"))


WEBHOOK_LOG = 5  # deliveries shown per webhook; the rest is in the API's log


def _webhooks_page(form: WebhookForm | None = None, secret: str | None = None,
                   status: int = 200):
    org, who = _my_org(), viewer()
    hooks = webhooks.webhooks(db.session, org.id, who)
    return render_template("accounts/webhooks.html", org=org, form=form or WebhookForm(),
                           secret=secret, hooks=[
                               (h, webhooks.deliveries(db.session, h.id, who,
                                                       limit=WEBHOOK_LOG)) for h in hooks]), status


@bp.route("/webhooks", methods=["GET", "POST"])
@allow("org_admin")
@limiter.limit(rate("TOKEN_RATE_LIMIT", "10 per minute"), methods=["POST"])
def webhooks_page():
    """The organisation's webhooks: register one (its secret shown once), each one's address,
    state and last deliveries; test, off, on, delete."""
    form = WebhookForm()
    if request.method == "GET":
        return _webhooks_page()
    if not form.validate_on_submit():
        return _webhooks_page(form, status=400)
    try:
        claimed = claim("webhook", form.submission.data, {"url": form.url.data})
        if claimed.repeat is not None:  # sent again: the first answer's secret
            _hook, secret = webhooks.registered(db.session, claimed.repeat[0], viewer())
        else:
            hook, secret = webhooks.register_webhook(
                db.session, _my_org().id, {"url": form.url.data}, viewer(), principal(),
                allow_loopback_http=bool(current_app.config.get(
                    "TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK")))
            keep(claimed, hook.id)
    except TasharukError as exc:
        db.session.rollback()
        show_error(form, exc)
        return _webhooks_page(form, status=exc.status)
    db.session.commit()
    return _webhooks_page(secret=secret, status=201)


@bp.post("/webhooks/<int:webhook_id>/test")
@allow("org_admin")
@limiter.limit(rate("TOKEN_RATE_LIMIT", "10 per minute"))
def test_webhook(webhook_id: int):
    """Send a signed test event to one of the organisation's webhooks (logged like a change)."""
    try:
        webhooks.send_test(db.session, webhook_id, viewer(), principal())
    except BadInput as exc:
        db.session.rollback()
        flash(_(exc.message), "error")
        return _webhooks_page(status=exc.status)
    db.session.commit()
    flash(_("A test event is on its way; its answer appears in the delivery log."))
    return redirect(url_for("accounts.webhooks_page"))


@bp.post("/webhooks/<int:webhook_id>/active")
@allow("org_admin")
def switch_webhook(webhook_id: int):
    """Switch one of the organisation's webhooks off or on (form field ``active``)."""
    hook = webhooks.set_active(db.session, webhook_id,
                               {k: v for k, v in request.form.items() if k == "active"},
                               viewer(), principal())
    db.session.commit()
    flash(_("The webhook to %(url)s is on.", url=hook.url) if hook.active
          else _("The webhook to %(url)s is off.", url=hook.url))
    return redirect(url_for("accounts.webhooks_page"))


@bp.post("/webhooks/<int:webhook_id>/delete")
@allow("org_admin")
def delete_webhook(webhook_id: int):
    """Delete one of the organisation's webhooks and its delivery log."""
    webhooks.delete_webhook(db.session, webhook_id, viewer(), principal())
    db.session.commit()
    flash(_("The webhook was deleted."))
    return redirect(url_for("accounts.webhooks_page"))


CHANGES_PAGE = 50


@bp.get("/changes")
@allow("org_admin", "platform_admin")
def changes_page():
    """The directory's change feed for people, newest first, filtered by kind and change,
    paged by cursor; with how partner systems follow it through the API."""
    from network.changes import ACTIONS, ENTITIES, KEEP_DAYS, browse

    args = {k: request.args.get(k, "") for k in ("entity", "action", "before", "after")}
    error, status = None, 200
    try:
        page = browse(db.session, before=args["before"] or None, after=args["after"] or None,
                      entity=args["entity"] or None, action=args["action"] or None,
                      limit=CHANGES_PAGE)
    except BadInput as exc:
        db.session.rollback()
        error, status = exc, exc.status
        page = browse(db.session, limit=CHANGES_PAGE)
    filters = {k: args[k] for k in ("entity", "action") if args[k] and not (
        error and error.details.get("field") == k)}
    return render_template("accounts/changes.html", page=page, filters=filters, error=error,
                           entities=ENTITIES, actions=ACTIONS, org_id=organization_id(),
                           keep_days=KEEP_DAYS), status


# ---------------------------------------------------------------- platform administrators

@bp.get("/admin/organizations")
@allow("platform_admin")
def pending_organizations():
    """Organisations waiting for verification, oldest first."""
    orgs = organizations.pending(db.session)
    admins: dict[int, list] = {o.id: [] for o in orgs}
    for user in org_admins(db.session, *orgs):  # one query for the whole list
        admins[user.organization_id].append(user)
    areas = organizations.hq_areas(db.session, orgs)
    return render_template("accounts/pending.html", orgs=orgs, admins=admins, areas=areas,
                           form=DecisionForm())


@bp.post("/admin/organizations/<int:org_id>/decision")
@allow("platform_admin")
def decide_organization(org_id: int):
    """Verify an organisation, or reject or suspend it with a reason (its members' sessions
    end and the open referrals it received go back to their senders)."""
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("No such organisation."))
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            organizations.decide(db.session, org, verify=form.decision.data == "verify",
                                 suspend=form.decision.data == "suspend",
                                 reason=form.reason.data or "", by=principal())
        except TasharukError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
            return redirect(url_for("accounts.pending_organizations")), 303
        db.session.commit()
        flash(_("Decision saved for %(name)s.", name=org.name(current_locale())))
        return redirect(url_for("accounts.pending_organizations"))
    flash(_("Choose verify or reject."), "error")
    return redirect(url_for("accounts.pending_organizations")), 303


def _any_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No user %(id)s.", id=user_id))
    return user


@bp.get("/admin/users/<int:user_id>/sessions")
@allow("platform_admin")
def user_sessions(user_id: int):
    """A user's signed-in sessions, for a platform admin, with "sign out everywhere"."""
    user = _any_user(user_id)
    rows = sessions.live_sessions(db.session, user,
                                  sessions.Lifetimes.from_config(current_app.config))
    return render_template("auth/sessions.html", rows=rows, current=current_session_id(),
                           form=Form(), user=user,
                           end_url=url_for("accounts.end_user_sessions", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/sessions/end")
@allow("platform_admin")
def end_user_sessions(user_id: int):
    """Sign a user out everywhere (a platform admin's emergency stop for an account)."""
    user = _any_user(user_id)
    count = sessions.end_sessions(db.session, user, "ended_by_admin", by=principal(),
                                  audit=True)
    db.session.commit()
    flash(ngettext("%(num)d session was ended.", "%(num)d sessions were ended.", count))
    return redirect(url_for("accounts.user_sessions", user_id=user.id))


@bp.get("/admin/audit")
@allow("platform_admin")
def audit_log():
    """Browse the audit log, filtered by action, user, object type and dates; paginated."""
    form = AuditFilterForm(request.args)
    form.validate()
    page = page_arg()
    stmt = audit_query(action=form.action.data or "", user_email=form.user.data or "",
                       object_type=form.object_type.data or "",
                       since=form.since.data if not form.since.errors else None,
                       until=form.until.data if not form.until.errors else None)
    total, entries, users = audit_page(db.session, stmt, page=page, page_size=PAGE_SIZE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("accounts/audit.html", form=form, entries=entries, users=users,
                           total=total, page=page, pages=max((total - 1) // PAGE_SIZE + 1, 1),
                           args=args)

