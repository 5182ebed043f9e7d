"""Forum pages: categories, threads, writing, following, reporting and moderation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from data.db import db
from data.errors import BadInput, Forbidden
from network import forum as uc

from ..api.services import viewer
from ..args import page_arg
from ..i18n import current_locale
from ..library.files import (
    attachment_response,
    file_error_message,
    max_bytes,
    read_uploads,
    upload_folder,
)
from ..security import AUTHENTICATED, allow, caller, is_platform_admin
from ..sent_once import claim, content_of, keep
from . import bp
from .forms import ActionForm, ReplyForm, ReportForm, ThreadForm

WRITERS = uc.WRITER_ROLES


@bp.get("/")
@allow(AUTHENTICATED)
def index():
    """The categories, with their number of threads."""
    return render_template("forum/index.html", rows=uc.list_categories(db.session),
                           can_write=uc.can_write(caller()))


@bp.get("/categories/<int:category_id>")
@allow(AUTHENTICATED)
def category(category_id: int):
    """The threads of one category, most recently active first."""
    cat = uc.get_category(db.session, category_id)
    page = page_arg()
    threads, total = uc.list_threads(db.session, cat.id, page=page, moderator=is_platform_admin())
    return render_template("forum/category.html", cat=cat, threads=threads, total=total,
                           page=page, per_page=uc.THREADS_PER_PAGE, form=ActionForm(),
                           following=uc.is_following(db.session, caller(), category_id=cat.id),
                           can_write=uc.can_write(caller()))


def _thread_page(thread_id: int, reply_form: ReplyForm | None = None, status: int = 200):
    thread = uc.get_thread(db.session, thread_id, moderator=is_platform_admin())
    return render_template(
        "forum/thread.html", thread=thread, reply_form=reply_form or ReplyForm(),
        report_form=ReportForm(), form=ActionForm(), moderator=is_platform_admin(),
        can_write=uc.can_write(caller()),
        following=uc.is_following(db.session, caller(), thread_id=thread.id)), status


@bp.get("/threads/<int:thread_id>")
@allow(AUTHENTICATED)
def thread(thread_id: int):
    """A thread and its posts (hidden posts are shown as hidden, except to moderators)."""
    return _thread_page(thread_id)


def _category_choices(user) -> list[tuple[str, str]]:
    loc = current_locale()
    return [(str(c.id), c.name(loc)) for c in uc.categories(db.session, user)]


def _prefill(form: ThreadForm) -> None:
    """``?category=(id or slug)&pcode=&sector=&link=&title=``: "start a discussion about this"."""
    args = request.args
    loc = current_locale()
    pcode, sector = args.get("pcode", "").strip(), args.get("sector", "").strip()
    area, sec = uc.thread_subject(db.session, pcode, sector)
    form.pcode.data = area.pcode if area else ""
    form.sector.data = sec.code if sec else ""
    form.title.data = args.get("title", "")[:200]
    link = args.get("link", "").strip()
    form.link.data = link if link.startswith("/") and not link.startswith("//") else ""
    cat = uc.suggest_category(db.session, args.get("category", ""), sec, area)
    if cat is not None:
        form.category_id.data = str(cat.id)
    about = [x for x in ((area.name(loc) if area else ""), (sec.name(loc) if sec else "")) if x]
    if not form.title.data and about:
        form.title.data = " — ".join(about)
    lines = []
    if about:
        lines.append(_("About: %(what)s", what=" — ".join(about)))
    if form.link.data:
        lines.append(request.host_url.rstrip("/") + form.link.data)
    form.body.data = "\n\n".join(lines) + ("\n\n" if lines else "")


@bp.route("/threads/new", methods=["GET", "POST"])
@allow(*WRITERS)
def new_thread():
    """Start a thread; accepts ``?pcode=&sector=&link=&title=&category=`` to pre-fill."""
    user = caller()
    if not uc.can_write(user):
        raise Forbidden(_("Only members of verified organisations may write in the forum."))
    form = ThreadForm()
    form.category_id.choices = _category_choices(user)
    if request.method == "GET":
        _prefill(form)
    elif form.validate_on_submit():
        try:
            files = read_uploads([request.files.get("attachment")])
            claimed = claim("forum_thread", form.submission.data, content_of(form, files))
            if claimed.repeat is not None:  # the same form again: what it started
                return redirect(url_for("forum.thread", thread_id=claimed.repeat[0]))
            thread = uc.create_thread(
                db.session, user, form.category_id.data, form.title.data, form.body.data,
                pcode=form.pcode.data or None, sector_code=form.sector.data or None,
                link=form.link.data, files=files, upload_folder=upload_folder(),
                max_bytes=max_bytes())
            keep(claimed, thread.id)
        except BadInput as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            return redirect(url_for("forum.thread", thread_id=thread.id))
    status = 400 if request.method == "POST" else 200
    return render_template("forum/new_thread.html", form=form), status


def _field_error(form, exc: BadInput) -> None:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    messages = {
        "category_id": _("Choose one of the categories."),
        "title": _("The title must not be empty."),
        "body": _("The message must not be empty."),
        "link": _("The link must be a page of this site or an http(s) address."),
    }
    if field == "attachment":
        message = file_error_message(exc)
    else:
        message = messages.get(field, exc.message)
    target = getattr(form, field, None) if field else None
    if target is not None and field not in ("pcode", "sector"):
        target.errors = list(target.errors) + [message]
    else:
        flash(message, "error")


@bp.post("/threads/<int:thread_id>/reply")
@allow(*WRITERS)
def reply(thread_id: int):
    """Reply to a thread."""
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            files = read_uploads([request.files.get("attachment")])
            claimed = claim("forum_reply", form.submission.data,
                            {"thread": thread_id, **content_of(form, files)})
            if claimed.repeat is not None:  # the same reply again: the first
                return redirect(url_for("forum.thread", thread_id=thread_id)
                                + f"#post-{claimed.repeat[0]}")
            post = uc.reply(db.session, caller(), thread_id, form.body.data, files=files,
                            upload_folder=upload_folder(), max_bytes=max_bytes())
            keep(claimed, post.id)
        except BadInput as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            return redirect(url_for("forum.thread", thread_id=thread_id) + f"#post-{post.id}")
    return _thread_page(thread_id, form, 400)


@bp.post("/posts/<int:post_id>/report")
@allow(AUTHENTICATED)
def report(post_id: int):
    """Report a post to the moderators."""
    form = ReportForm()
    post = uc.get_post(db.session, post_id)
    if not form.validate_on_submit():
        flash(_("Say why the post should be looked at."), "error")
        return redirect(url_for("forum.thread", thread_id=post.thread_id))
    uc.report_post(db.session, caller(), post_id, form.reason.data)
    db.session.commit()
    flash(_("Thank you. The moderators will look at this post."))
    return redirect(url_for("forum.thread", thread_id=post.thread_id))


@bp.post("/posts/<int:post_id>/hide")
@allow("platform_admin")
def hide(post_id: int):
    """Hide a post (``hidden=0`` shows it again); audited."""
    ActionForm().validate_on_submit() or abort(400)
    post = uc.hide_post(db.session, caller(), post_id, request.form.get("reason", ""),
                        hidden=request.form.get("hidden", "1") != "0")
    db.session.commit()
    return redirect(url_for("forum.thread", thread_id=post.thread_id) + f"#post-{post.id}")


@bp.post("/threads/<int:thread_id>/lock")
@allow("platform_admin")
def lock(thread_id: int):
    """Lock a thread (``locked=0`` reopens it); audited."""
    ActionForm().validate_on_submit() or abort(400)
    uc.lock_thread(db.session, caller(), thread_id, request.form.get("locked", "1") != "0")
    db.session.commit()
    return redirect(url_for("forum.thread", thread_id=thread_id))


@bp.post("/reports/<int:report_id>/dismiss")
@allow("platform_admin")
def dismiss(report_id: int):
    """Close a report without hiding the post; audited."""
    ActionForm().validate_on_submit() or abort(400)
    uc.dismiss_report(db.session, caller(), report_id)
    db.session.commit()
    return redirect(url_for("forum.moderation"))


@bp.get("/moderation")
@allow("platform_admin")
def moderation():
    """Open reports, oldest first."""
    return render_template("forum/moderation.html", reports=uc.open_reports(db.session),
                           form=ActionForm())


@bp.post("/follow")
@allow(AUTHENTICATED)
def follow():
    """Follow or stop following a thread (``thread_id``) or a category (``category_id``)."""
    ActionForm().validate_on_submit() or abort(400)
    tid, cid = request.form.get("thread_id", ""), request.form.get("category_id", "")
    on = request.form.get("on", "1") != "0"
    uc.follow(db.session, caller(), thread_id=int(tid) if tid.isdigit() else None,
              category_id=int(cid) if cid.isdigit() else None, on=on)
    db.session.commit()
    flash(_("You follow it now.") if on else _("You no longer follow it."))
    if tid.isdigit():
        return redirect(url_for("forum.thread", thread_id=int(tid)))
    return redirect(url_for("forum.category", category_id=int(cid)))


@bp.get("/organizations/<int:org_id>")
@allow(AUTHENTICATED)
def organization(org_id: int):
    """An organisation's threads in the forum: started by it or mentioning it."""
    org, threads = uc.organization_threads(db.session, org_id, viewer())
    return render_template("forum/organization.html", org=org, threads=threads)


@bp.get("/attachments/<file_id>")
@allow(AUTHENTICATED)
def attachment(file_id: str):
    """A file attached to a visible post."""
    return attachment_response(
        file_id, lambda key: uc.post_attachment(db.session, key, moderator=is_platform_admin()),
        private=lambda att: True)  # the forum needs a sign-in
