"""Upload a 4W file, preview its validation report, confirm the import; download exports."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from data.audit import record
from data.db import db
from data.errors import BadInput, Forbidden, NotFound
from data.io.downloads import FORMATS
from data.io.fourw import import_4w
from data.io.orgs import review_alias, unreviewed_aliases

from ..downloads import send_export
from ..security import AUTHENTICATED, allow, principal
from ..sent_once import claim
from . import bp
from .forms import AliasForm, ConfirmForm, UploadForm
from .messages import file_error

IMPORTERS = ("platform_admin", "org_admin")


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _restriction() -> int | None:
    """None for platform admins; an org admin may import only their organisation's rows."""
    who = principal()
    if who.role == "platform_admin":
        return None
    if not who.organization_id:
        raise Forbidden(_("You are not a member of an organisation."))
    return who.organization_id


def _source(name: str | None, token: str) -> str:
    """The import's source: the file name as uploaded, so that uploading a corrected file
    again finds its earlier import; an organisation admin's under their organisation, so
    that nobody else's file of the same name is ever replaced."""
    name = Path((name or "").replace("\\", "/")).name.strip()[:200] or token
    restrict = _restriction()
    return name if restrict is None else f"{restrict}/{name}"


def _run(token: str, sheet: str, period: str, name: str | None, *, dry_run: bool,
         accept_partial: bool, replace: bool):
    path = _folder() / token
    if not path.exists():
        raise NotFound(_("This upload has expired; upload the file again."))
    return import_4w(db.session, path, sheet=sheet or None, period=period or None,
                     dry_run=dry_run, accept_partial=accept_partial,
                     restrict_to_org=_restriction(), source_name=_source(name, token),
                     imported_by=f"user {principal().id}", replace=replace)


def _index(form: UploadForm, status: int = 200):
    return render_template("exchange/index.html", form=form, formats=FORMATS,
                           can_import=principal().role in IMPORTERS), status


@bp.get("/")
@allow(AUTHENTICATED)
def index():
    """Downloads of the exports, and the import form for admins."""
    return _index(UploadForm())


@bp.post("/import")
@allow(*IMPORTERS)
def upload():
    """Store the uploaded file and show what importing it would do (nothing is written)."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    name = form.file.data.filename or ""
    suffix = Path(name).suffix.lower() or ".csv"
    token = secrets.token_hex(16) + suffix
    form.file.data.save(_folder() / token)
    try:
        report = _run(token, form.sheet.data, form.period.data, name, dry_run=True,
                      accept_partial=True, replace=form.replace.data)
    except BadInput as exc:
        (_folder() / token).unlink(missing_ok=True)
        form.file.errors = [file_error(exc.message, token, Path(name).name)]
        return _index(form, 400)
    confirm = ConfirmForm(token=token, sheet=form.sheet.data or "",
                          period=form.period.data or "", name=name,
                          replace=form.replace.data)
    return render_template("exchange/preview.html", report=report, confirm=confirm,
                           name=name)


@bp.post("/import/confirm")
@allow(*IMPORTERS)
def confirm():
    """Import the previewed file for real (one transaction); rejected rows block it unless
    the good rows are accepted."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise BadInput(_("The confirmation form is incomplete; upload the file again."))
    # the upload's token is the confirmation's key: confirmed again (pressed twice, or sent
    # again when the answer was lost), it says so instead of "this upload has expired"
    claimed = claim("import_4w", form.token.data, {
        "sheet": form.sheet.data, "period": form.period.data, "name": form.name.data,
        "accept_partial": form.accept_partial.data, "replace": form.replace.data})
    if claimed.repeat is not None:
        flash(_("This file has been imported already."))
        return redirect(url_for("exchange.index"))
    try:
        report = _run(form.token.data, form.sheet.data, form.period.data, form.name.data,
                      dry_run=False, accept_partial=form.accept_partial.data,
                      replace=form.replace.data)
    except BadInput as exc:
        db.session.rollback()
        report = getattr(exc, "report", None)
        if report is None:
            raise
        if exc.details.get("field") == "replace":
            flash(_("Nothing was imported: this file was imported before with other "
                    "content. Choose to replace the earlier import, or cancel."), "error")
        else:
            flash(_("Nothing was imported: %(n)s rows were rejected.",
                    n=report.rows_rejected), "error")
        return render_template("exchange/preview.html", report=report, confirm=form,
                               name=form.name.data), 400
    who = principal()
    record(db.session, "import.4w", user=who, organization_id=who.organization_id,
           object_type="activity",
           summary={k: v for k, v in report.to_dict().items()
                    if k in ("rows_read", "rows_imported", "rows_rejected", "created", "updated")})
    db.session.commit()
    (_folder() / form.token.data).unlink(missing_ok=True)
    flash(_("Imported %(n)s rows; %(c)s new activities.", n=report.rows_imported,
            c=report.created["activities"]))
    return redirect(url_for("exchange.index"))


@bp.get("/download/<kind>")
@allow(AUTHENTICATED)
def download_export(kind: str):
    """One export as a file: hsds (3.0), hsds31, 4w.csv, 4w.xlsx or geojson."""
    if kind not in FORMATS:
        raise NotFound(_("No such export."))
    return send_export(kind)


@bp.get("/aliases")
@allow("platform_admin")
def aliases():
    """Organisation aliases made by imports that nobody has confirmed yet."""
    rows = unreviewed_aliases(db.session)
    return render_template("exchange/aliases.html", rows=rows, form=AliasForm())


@bp.post("/aliases/<int:alias_id>")
@allow("platform_admin")
def review(alias_id: int):
    """Confirm an alias (same organisation) or split it off (a different organisation)."""
    form = AliasForm()
    if not form.validate_on_submit():
        raise BadInput(_("Choose whether the spelling is the same organisation."),
                       field="decision")
    same = form.decision.data == "same"
    alias = review_alias(db.session, alias_id, same=same)
    who = principal()
    record(db.session, "alias.review", user=who, obj=alias, object_type="organization_alias",
           summary={"alias": alias.alias, "same": same, "organization_id": alias.organization_id})
    db.session.commit()
    flash(_("Decision recorded; later imports follow it."))
    return redirect(url_for("exchange.aliases"))
