"""Sign in and out, one's sessions and "sign out everywhere", password reset by signed link,
organisation registration, invitations."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from data.audit import record
from data.db import db
from data.errors import TasharukError
from network import accounts, organizations, sessions
from network.throttle import Throttle
from referral.notify import MailConfig, send_email

from ..extensions import limiter, rate
from ..formtext import Form
from ..security import (
    AUTHENTICATED,
    PUBLIC,
    allow,
    current_session_id,
    session_user,
    sign_in,
    sign_out,
    sign_out_everywhere,
)
from . import bp
from .forms import (
    ChangePasswordForm,
    ForgotForm,
    InvitationForm,
    LoginForm,
    NewPasswordForm,
    RegistrationForm,
    fill_choices,
    show_error,
)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.index")


def _cfg(key: str, default):
    return current_app.config.get(key, default)


def _link_error(exc: TasharukError):
    """A reset/invitation link that cannot be used: a clear page with its status."""
    return render_template("auth/link_error.html", message=_(exc.message)), exc.status


def _not_signed_in(response: Response) -> bool:
    """Whether a sign-in attempt failed (anything but the redirect of a signed-in person):
    only failures count against the address's limit, so a whole office signing in at the
    start of the day behind one address is never refused; guessing still is."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(rate("LOGIN_RATE_LIMIT", "10 per minute"), methods=["POST"],
               deduct_when=_not_signed_in)
def login():
    """Show the sign-in form; sign in with email and password (throttled per account and
    client after failures, never locked)."""
    form = LoginForm()
    if form.validate_on_submit():
        outcome = accounts.check_login(
            db.session, form.email.data, form.password.data, ip=request.remote_addr,
            throttle=Throttle(free=int(_cfg("LOGIN_FREE_FAILURES", 5)),
                              ceiling=float(_cfg("LOGIN_DELAY_MAX", 900))))
        db.session.commit()
        if outcome.status == "ok":
            sign_in(outcome.user)
            return redirect(_safe_next(request.args.get("next")))
        if outcome.status == "throttled":
            form.password.errors.append(ngettext(
                "Too many failed attempts from this device: wait %(num)d second and try "
                "again.", "Too many failed attempts from this device: wait %(num)d seconds "
                "and try again.", outcome.retry_after))
            return render_template("auth/login.html", form=form), 429, {
                "Retry-After": str(outcome.retry_after)}
        form.password.errors.append(_("Wrong email or password."))
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@allow(AUTHENTICATED)
def logout():
    """Sign out: the session ends on the server, so a copy of the cookie stops working."""
    if getattr(current_user, "id", None) is not None:
        record(db.session, "logout", user=current_user, object_type="user",
               object_id=current_user.id, ip=request.remote_addr)
    sign_out()
    flash(_("You are signed out."))
    return redirect(url_for("main.index"))


@bp.get("/sessions")
@allow(AUTHENTICATED)
def sessions_page():
    """One's own signed-in sessions (browser, since, last seen) and "sign out everywhere"."""
    user = session_user()
    rows = sessions.live_sessions(db.session, user, sessions.Lifetimes.from_config(
        current_app.config))
    return render_template("auth/sessions.html", rows=rows, current=current_session_id(),
                           form=Form())


@bp.post("/sessions/end")
@allow(AUTHENTICATED)
def end_all_sessions():
    """Sign out everywhere: every session of the account ends, this one too."""
    count = sign_out_everywhere()
    flash(ngettext("%(num)d session was ended. Sign in again.",
                   "%(num)d sessions were ended. Sign in again.", count))
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(rate("RESET_RATE_LIMIT", "5 per minute"), methods=["POST"])
def forgot():
    """Ask for a password-reset link (sent by email; the answer never reveals an account)."""
    form = ForgotForm()
    mail = MailConfig.from_flask()
    if form.validate_on_submit():
        user = accounts.find_user(db.session, form.email.data)
        if user is not None and user.active:
            record(db.session, "password.reset_requested", user=user, object_type="user",
                   object_id=user.id, ip=request.remote_addr)
            db.session.commit()
            link = mail.base_url + url_for("auth.reset", token=accounts.reset_token(
                user, current_app.secret_key))
            send_email(mail, user.email, "Tasharuk | تشارك: إعادة تعيين كلمة المرور",
                       "لإعادة تعيين كلمة المرور افتح الرابط (صالح لساعتين):\n"
                       "To reset your password open this link (valid for two hours):\n\n"
                       f"{link}\n")
        flash(_("If an account exists for this address, a link to reset the password is "
                "on its way."))
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form, mail_on=bool(mail.server)), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(rate("RESET_RATE_LIMIT", "5 per minute"), methods=["POST"])
def reset(token: str):
    """Choose a new password from a signed, expiring, single-use link."""
    max_age = int(_cfg("PASSWORD_RESET_MAX_AGE", 7200))
    try:
        user = accounts.read_reset(db.session, current_app.secret_key, token, max_age)
    except TasharukError as exc:
        return _link_error(exc)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, current_app.secret_key, token,
                                    form.password.data, max_age=max_age,
                                    ip=request.remote_addr)
        except TasharukError as exc:
            db.session.rollback()
            show_error(form, exc)
            return render_template("auth/reset.html", form=form, user=user), exc.status
        db.session.commit()
        flash(_("Your password was changed. Sign in with the new one."))
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, user=user), status


@bp.route("/register", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(rate("REGISTER_RATE_LIMIT", "10 per hour"), methods=["POST"])
def register():
    """Register an organisation and its first administrator; it waits for verification."""
    form = RegistrationForm()
    fill_choices(form, db.session)
    if form.validate_on_submit():
        values = {k: getattr(form, k).data for k in (
            "name_ar", "name_en", "acronym", "registration_number", "org_type", "hq_pcode",
            "email", "phone", "website")}
        try:
            org, admin = organizations.register_organization(
                db.session, values, admin_email=form.admin_email.data,
                admin_password=form.password.data, admin_name=form.admin_name.data,
                ip=request.remote_addr)
        except TasharukError as exc:
            db.session.rollback()
            show_error(form, exc)
            return render_template("auth/register.html", form=form), exc.status
        db.session.commit()
        sign_in(admin)
        flash(_("Your organisation is registered and waits for verification by the "
                "platform team."))
        return redirect(url_for("accounts.organization"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(rate("RESET_RATE_LIMIT", "5 per minute"), methods=["POST"])
def accept_invitation(token: str):
    """Join an organisation from a signed invitation: choose a name and a password."""
    try:
        email, org, role = accounts.read_invitation(db.session, current_app.secret_key, token)
    except TasharukError as exc:
        return _link_error(exc)
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(db.session, current_app.secret_key, token,
                                              form.name.data, form.password.data,
                                              ip=request.remote_addr)
        except TasharukError as exc:
            db.session.rollback()
            show_error(form, exc)
            return render_template("auth/invitation.html", form=form, email=email, org=org,
                                   role=role), exc.status
        db.session.commit()
        sign_in(user)
        flash(_("Welcome to Tasharuk."))
        return redirect(url_for("accounts.organization"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/invitation.html", form=form, email=email, org=org,
                           role=role), status


@bp.route("/password", methods=["GET", "POST"])
@allow(AUTHENTICATED)
@limiter.limit(rate("RESET_RATE_LIMIT", "5 per minute"), methods=["POST"])
def password():
    """Change one's own password (other sessions of the account end)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session, current_user, form.current_password.data,
                                     form.password.data, ip=request.remote_addr)
        except TasharukError as exc:
            db.session.rollback()
            show_error(form, exc)
            return render_template("auth/password.html", form=form), exc.status
        db.session.commit()
        sign_in(current_user._get_current_object())
        flash(_("Your password was changed."))
        return redirect(url_for("main.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
