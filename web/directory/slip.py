"""The printable feedback slip: a person's single-use code and its link, in Arabic and in
English on the same sheet (whatever the caseworker's language), from the service or the
referral page."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from data.models import Service


def _texts(svc: Service, locale: str) -> dict[str, str]:
    """The slip's words in ``locale``, from the catalogs."""
    with force_locale(locale):
        return {"locale": locale, "dir": "rtl" if locale == "ar" else "ltr",
                "title": _("How did it go?"),
                "service": svc.name_en if locale == "en" and svc.name_en else svc.name_ar,
                "intro": _("Tell us whether you received the service, were treated with "
                           "respect and on time. It takes a minute, needs no account and "
                           "does not ask who you are."),
                "how": _("Open this address, or enter the code on the feedback page:"),
                "code": _("Your code (it works once):")}


def feedback_slip(svc: Service, code: str, back: str) -> str:
    """The slip for ``code`` on ``svc``; ``back`` is the page the caseworker came from."""
    return render_template("directory/feedback_code.html", svc=svc, code=code, back=back,
                           url=url_for("directory.give_feedback", code=code, _external=True),
                           sides=[_texts(svc, "ar"), _texts(svc, "en")])
