"""Library pages: search, a document, publishing and editing (platform admins), following."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from data import attachments
from data.db import db
from data.errors import BadInput
from data.models import LibraryDocument
from network import library as uc
from network import reference

from ..args import page_arg
from ..i18n import current_locale
from ..security import AUTHENTICATED, PUBLIC, allow, caller, is_platform_admin
from ..sent_once import claim, content_of, keep
from . import bp
from .files import (
    attachment_response,
    file_error_message,
    max_bytes,
    read_uploads,
    upload_folder,
)
from .forms import (
    DocumentForm,
    FollowForm,
    SearchForm,
    kind_choices,
    status_choices,
    topic_choices,
)


def _directory_url(**args) -> str | None:
    """The service directory's search for these arguments, when the directory is installed."""
    try:
        return url_for("directory.search", **args)
    except BuildError:
        return None


def _sector_choices(loc: str) -> list[tuple[str, str]]:
    return [(s.code, s.name(loc)) for s in reference.sectors(db.session)]


def _topic_and_sector_choices(loc: str) -> list[tuple[str, str]]:
    return topic_choices(loc) + [(f"sector:{c}", n) for c, n in _sector_choices(loc)]


@bp.get("/")
@allow(PUBLIC)
def index():
    """Search the library (Arabic or English), with filters."""
    loc = current_locale()
    form = SearchForm(request.args)
    any_ = [("", _("Any"))]
    form.kind.choices = any_ + kind_choices(loc)
    form.status.choices = any_ + status_choices(loc)
    form.topic.choices = any_ + _topic_and_sector_choices(loc)
    form.issuer.choices = any_ + [(a, e if loc == "en" and e else a)
                                  for a, e in uc.issuers(db.session)]
    year = request.args.get("year", "").strip()
    if year and not year.isdigit():
        form.year.errors = [_("Enter a year like 2022.")]
        year = ""
    page = uc.search(db.session, request.args.get("q", ""), kind=form.kind.data or None,
                     year=int(year) if year else None, issuer=form.issuer.data or None,
                     topic=form.topic.data or None, status=form.status.data or None,
                     drafts=is_platform_admin(), page=page_arg(), locale=loc)
    return render_template("library/index.html", form=form, page=page,
                           kinds=uc.KIND_LABELS, statuses=uc.STATUS_LABELS)


@bp.get("/documents/<int:doc_id>")
@allow(PUBLIC)
def document(doc_id: int):
    """One document: text, status and its links, attachments, sectors and services."""
    doc = uc.get_document(db.session, doc_id, drafts=is_platform_admin())
    changed = uc.referencing(db.session, doc, drafts=is_platform_admin())
    service_links = {t.code: _directory_url(need=t.code) for t in doc.service_types}
    return render_template("library/document.html", doc=doc, changed=changed,
                           service_links=service_links, is_admin=is_platform_admin(),
                           kinds=uc.KIND_LABELS, statuses=uc.STATUS_LABELS,
                           topics=uc.TOPIC_LABELS)


def _prepare(form: DocumentForm) -> None:
    loc = current_locale()
    form.kind.choices = kind_choices(loc)
    form.status.choices = status_choices(loc)
    form.topics.choices = topic_choices(loc)
    form.sectors.choices = _sector_choices(loc)
    form.service_types.choices = [
        (t.code, t.name(loc)) for t in reference.service_types(db.session)]


_FIELD_MESSAGES = {
    "title_ar": lambda: _("The Arabic title must not be empty."),
    "status_by_id": lambda: _("Name an existing document that amended or repealed this one."),
    "kind": lambda: _("Choose a kind of document."),
}


def _save(form: DocumentForm, doc: LibraryDocument | None):
    """Validate, write through the use case, attach the file; errors go next to fields."""
    uploads = read_uploads([request.files.get("attachment")])
    checked = []
    try:
        for name, data in uploads:
            checked.append(attachments.check(name, data, max_bytes=max_bytes(),
                                             field="attachment"))
    except BadInput as exc:
        form.attachment.errors = [file_error_message(exc)]
        return None
    data = form.data_for_use_case()
    try:
        if doc is None:
            claimed = claim("library_document", form.submission.data, content_of(form, uploads))
            if claimed.repeat is not None:  # the same form again: its document
                return db.session.get(LibraryDocument, claimed.repeat[0])
            doc = uc.create_document(db.session, caller(), data)
            keep(claimed, doc.id)
        else:
            doc = uc.update_document(db.session, caller(), doc.id, data)
        for c in checked:
            uc.add_attachment(db.session, caller(), doc.id, c, upload_folder())
    except BadInput as exc:
        db.session.rollback()
        field = exc.details.get("field") if isinstance(exc.details, dict) else None
        target = getattr(form, field, None) if field else None
        fallback = exc.message
        message = _FIELD_MESSAGES[field]() if field in _FIELD_MESSAGES else fallback
        if target is not None:
            target.errors = list(target.errors) + [message]
        else:
            flash(message, "error")
        return None
    db.session.commit()
    return doc


@bp.route("/documents/new", methods=["GET", "POST"])
@allow("platform_admin")
def new():
    """Add a document (a draft until published)."""
    form = DocumentForm()
    _prepare(form)
    if request.method == "GET":
        form.status.data = "in_force"
    if form.validate_on_submit():
        doc = _save(form, None)
        if doc is not None:
            flash(_("The document is saved."))
            return redirect(url_for("library.document", doc_id=doc.id))
    status = 400 if request.method == "POST" else 200
    return render_template("library/edit.html", form=form, doc=None), status


@bp.route("/documents/<int:doc_id>/edit", methods=["GET", "POST"])
@allow("platform_admin")
def edit(doc_id: int):
    """Edit a document; every change is written to the audit log."""
    doc = uc.get_document(db.session, doc_id, drafts=True)
    form = DocumentForm(obj=doc if request.method == "GET" else None)
    _prepare(form)
    if request.method == "GET":
        form.sectors.data = [s.code for s in doc.sectors]
        form.service_types.data = [t.code for t in doc.service_types]
    if form.validate_on_submit():
        saved = _save(form, doc)
        if saved is not None:
            flash(_("The document is saved."))
            return redirect(url_for("library.document", doc_id=doc_id))
    status = 400 if request.method == "POST" else 200
    return render_template("library/edit.html", form=form, doc=doc), status


@bp.get("/attachments/<file_id>")
@allow(PUBLIC)
def attachment(file_id: str):
    """A document's attached file (drafts' files for platform admins only)."""
    return attachment_response(
        file_id, lambda key: uc.document_attachment(db.session, key, drafts=is_platform_admin()),
        private=lambda att: not att.document.published)  # drafts: platform admins only


@bp.route("/follow", methods=["GET", "POST"])
@allow(AUTHENTICATED)
def follow():
    """Choose the topics and sectors whose new documents notify me."""
    loc = current_locale()
    form = FollowForm()
    form.topics.choices = _topic_and_sector_choices(loc)
    if form.validate_on_submit():
        uc.follow_topics(db.session, caller(), form.topics.data or [])
        db.session.commit()
        flash(_("Your topics are saved."))
        return redirect(url_for("library.follow"))
    if request.method == "GET":
        form.topics.data = uc.followed_topics(db.session, caller())
    return render_template("library/follow.html", form=form)
