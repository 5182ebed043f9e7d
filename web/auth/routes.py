"""Sign in and sign out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from data.db import db
from referral.accounts import authenticate

from ..security import AUTHENTICATED, PUBLIC, allow
from . import bp
from .forms import LoginForm


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    """Show the sign-in form; sign in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong email or password."))
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@allow(AUTHENTICATED)
def logout():
    """Sign out."""
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("main.index"))
