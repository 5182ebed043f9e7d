"""Arabic-first internationalisation with Flask-Babel.

Every blueprint may keep its own ``translations/`` folder; all are merged. Catalogs (.po) are
compiled to .mo when missing or older than their source, so a fresh clone just works.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale

WEB = Path(__file__).resolve().parent
babel = Babel()


def translation_dirs() -> list[Path]:
    """Every ``translations`` folder under web/ (the core one first)."""
    return sorted({p.parent.parent for p in WEB.glob("**/translations/*/LC_MESSAGES")},
                  key=lambda p: (p != WEB / "translations", str(p)))


def compile_catalogs() -> int:
    """Compile stale .po catalogs to .mo; return how many were compiled."""
    done = 0
    for po in WEB.glob("**/translations/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        try:
            with mo.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
        except OSError:
            continue
        done += 1
    return done


def cli_locale() -> str:
    """Outside a request (``tasharuk ...`` commands): the shell's language (``LC_ALL``,
    ``LC_MESSAGES``, then ``LANG``), Arabic for ``ar*``, else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ar" if value.lower().startswith("ar") else "en"
    return "en"


SUPPORTED = ("ar", "en")


def _signed_in() -> object | None:
    """The person signed in through the session (not an API token), or None."""
    from flask_login import current_user

    user = current_user
    return user if getattr(user, "is_authenticated", False) and hasattr(user, "locale") else None


def select_locale() -> str:
    """``?lang=`` (remembered in the session), an API client's ``Accept-Language: en``, the
    signed-in person's language (``User.locale``, which their e-mails use too), else Arabic;
    a command's messages follow the shell's language (``cli_locale``)."""
    if not has_request_context():
        return cli_locale()
    lang = request.args.get("lang")
    if lang in SUPPORTED:
        session["lang"] = lang
        return lang
    if session.get("lang") in SUPPORTED:
        return session["lang"]
    header = request.headers.get("Accept-Language", "")
    if header.lower().startswith("en") and "api" in request.path.split("/")[1:2]:
        return "en"
    user = _signed_in()
    if user is not None and user.locale in SUPPORTED:
        return user.locale
    return "ar"


def remember_language() -> None:
    """before_request: a signed-in person who switches language keeps it on their account,
    so the next sign-in and their notification e-mails use it too."""
    lang = request.args.get("lang")
    if lang not in SUPPORTED:
        return
    user = _signed_in()
    if user is not None and user.locale != lang:
        from data.db import db

        user.locale = lang
        db.session.commit()


def current_locale() -> str:
    """'ar' or 'en' for the current request."""
    return str(get_locale() or "ar")


def init_app(app: Flask) -> None:
    """Bind Babel with every translations folder, and give templates ``locale`` and ``dir``."""
    compile_catalogs()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(p) for p in translation_dirs())
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(remember_language)

    @app.context_processor
    def _locale_context() -> dict:
        loc = current_locale()
        return {"locale": loc, "text_dir": "rtl" if loc == "ar" else "ltr",
                "other_locale": "en" if loc == "ar" else "ar"}

    @app.template_filter("loc")
    def _localized(obj, field: str = "name") -> str:
        """``{{ obj|loc('name') }}``: the Arabic or English value of ``field_ar``/``field_en``."""
        loc = current_locale()
        value = getattr(obj, f"{field}_{loc}", None)
        if not value:
            value = getattr(obj, f"{field}_{'en' if loc == 'ar' else 'ar'}", "")
        return value or ""
