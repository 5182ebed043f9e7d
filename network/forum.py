"""Forum use cases: categories, threads and replies by verified organisations, mentions,
follows with notifications, safe Markdown, and audited moderation.

Who moderates: platform admins only. Categories are shared by every organisation (a sector or
a governorate is nobody's property), so an organisation's admin moderating one would judge
competitors' posts; org admins report posts like every member instead.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import nh3
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from data import attachments, fields
from data.audit import record
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.members import org_admins
from data.models import (
    AdminArea,
    Attachment,
    ForumCategory,
    ForumFollow,
    ForumMention,
    ForumPost,
    ForumReport,
    ForumThread,
    Organization,
    Sector,
    User,
)
from network.directory import get_organization
from referral.notify import notify
from referral.search import Viewer

__all__ = [
    "THREADS_PER_PAGE", "WRITER_ROLES", "add_files", "can_write", "create_thread",
    "dismiss_report", "follow",
    "get_thread", "hide_post", "is_following", "list_categories", "list_threads",
    "lock_thread", "open_reports", "organization_threads", "render_markdown", "reply",
    "report_post", "seed_categories",
]

WRITER_ROLES = ("platform_admin", "org_admin", "supervisor", "caseworker", "planner")
MAX_TITLE = 200
MAX_BODY = 20_000
THREADS_PER_PAGE = 30  # a category's page
MENTION = re.compile(r"(?<![\w@/.`])@([A-Za-z][A-Za-z0-9_-]{1,39})\b")

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable("image")
_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3",
         "h4", "h5", "h6", "hr"}


def render_markdown(source: str, mentions: dict[str, int] | None = None) -> str:
    """Safe HTML from Markdown: raw HTML off, then an nh3 allow-list; links http(s)/mailto or
    relative only, with rel="nofollow noopener". ``mentions`` maps ACRONYM -> org id."""
    mentions = {k.upper(): v for k, v in (mentions or {}).items()}

    def link(m: re.Match) -> str:
        org_id = mentions.get(m.group(1).upper())
        return f"[@{m.group(1)}](/forum/organizations/{org_id})" if org_id else m.group(0)

    html = _md.render(MENTION.sub(link, source))
    # markdown-it renders h1/h2 too; fold them to h3 so posts never out-shout the page.
    html = re.sub(r"<(/?)h[12]>", r"<\1h3>", html)
    return nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener",
                     strip_comments=True)


def _mentioned(session: Session, source: str) -> dict[str, Organization]:
    acronyms = {m.group(1).upper() for m in MENTION.finditer(source)}
    if not acronyms:
        return {}
    orgs = session.scalars(select(Organization).where(
        func.upper(Organization.acronym).in_(acronyms),
        Organization.verification == "verified")).all()
    return {o.acronym.upper(): o for o in orgs}


# ---------------------------------------------------------------- categories

_TOPICAL = (
    ("partnership-requests", "partnership", "طلبات الشراكة", "Partnership requests",
     "ابحث عن شركاء يكملون خدماتك.", "Find partners whose services complement yours.", 1),
    ("experience-exchange", "experience", "تبادل الخبرات", "Experience exchange",
     "ما نجح وما لم ينجح.", "What worked and what did not.", 2),
    ("announcements", "announcements", "إعلانات", "Announcements",
     "إعلانات إدارة المنصة.", "Announcements from the platform team.", 0),
)


def seed_categories(session: Session) -> int:
    """Create the categories (topical, one per sector, one per governorate); idempotent."""
    have = set(session.scalars(select(ForumCategory.slug)))
    added = 0

    def add(**kw) -> None:
        nonlocal added
        if kw["slug"] not in have:
            session.add(ForumCategory(**kw))
            have.add(kw["slug"])
            added += 1

    for slug, kind, ar, en, dar, den, sort in _TOPICAL:
        add(slug=slug, kind=kind, name_ar=ar, name_en=en, description_ar=dar,
            description_en=den, sort=sort, admin_only=kind == "announcements")
    for s in session.scalars(select(Sector).order_by(Sector.sort)):
        add(slug=f"sector-{s.code}".replace("_", "-"), kind="sector", sector_code=s.code,
            name_ar=s.name_ar, name_en=s.name_en, sort=100 + s.sort)
    for a in session.scalars(select(AdminArea).where(AdminArea.level == 1)
                             .order_by(AdminArea.pcode)):
        add(slug=f"gov-{a.pcode.lower()}", kind="governorate", pcode=a.pcode,
            name_ar=f"محافظة {a.name_ar}", name_en=f"{a.name_en} governorate",
            sort=1000 + int(re.sub(r"\D", "", a.pcode) or 0))
    session.flush()
    return added


@dataclass
class CategoryRow:
    category: ForumCategory
    threads: int
    last_post_at: dt.datetime | None


def list_categories(session: Session) -> list[CategoryRow]:
    """Every category with its number of visible threads and latest activity."""
    counts = select(ForumThread.category_id, func.count().label("n"),
                    func.max(ForumThread.last_post_at).label("last")) \
        .where(~ForumThread.hidden).group_by(ForumThread.category_id).subquery()
    rows = session.execute(
        select(ForumCategory, counts.c.n, counts.c.last)
        .outerjoin(counts, counts.c.category_id == ForumCategory.id)
        .order_by(ForumCategory.sort, ForumCategory.id))
    return [CategoryRow(c, n or 0, last) for c, n, last in rows]


def get_category(session: Session, category_id: int) -> ForumCategory:
    """A category, or NotFound."""
    cat = session.get(ForumCategory, category_id)
    if cat is None:
        raise NotFound(_("Forum category %(id)s does not exist.", id=category_id))
    return cat


def list_threads(session: Session, category_id: int | None = None, *, page: int = 1,
                 per_page: int = THREADS_PER_PAGE,
                 moderator: bool = False) -> tuple[list[ForumThread], int]:
    """Threads, most recently active first, with the total count."""
    stmt = select(ForumThread)
    if category_id is not None:
        get_category(session, category_id)
        stmt = stmt.where(ForumThread.category_id == category_id)
    if not moderator:
        stmt = stmt.where(~ForumThread.hidden)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.options(selectinload(ForumThread.organization),
                                        selectinload(ForumThread.category))
                           .order_by(ForumThread.last_post_at.desc(), ForumThread.id.desc())
                           .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(rows), total


def organization_threads(session: Session, org_id: int, viewer: Viewer | None = None
                         ) -> tuple[Organization, list[ForumThread]]:
    """An organisation and the visible threads it started or was mentioned in; NotFound for
    one not shown to ``viewer`` (pending, rejected, suspended: its members and admins only)."""
    org = get_organization(session, org_id, viewer)
    mentioned = select(ForumPost.thread_id).join(
        ForumMention, ForumMention.post_id == ForumPost.id).where(
        ForumMention.organization_id == org_id, ~ForumPost.hidden)
    threads = session.scalars(select(ForumThread).where(
        ~ForumThread.hidden, or_(ForumThread.organization_id == org_id,
                                 ForumThread.id.in_(mentioned)))
        .order_by(ForumThread.last_post_at.desc()).limit(100)).all()
    return org, list(threads)


def get_thread(session: Session, thread_id: int, *, moderator: bool = False) -> ForumThread:
    """A thread with its posts; hidden threads are NotFound except for moderators."""
    thread = session.scalars(select(ForumThread).where(ForumThread.id == thread_id).options(
        selectinload(ForumThread.posts).selectinload(ForumPost.attachments),
        selectinload(ForumThread.posts).selectinload(ForumPost.organization))).first()
    if thread is None or (thread.hidden and not moderator):
        raise NotFound(_("Thread %(id)s does not exist.", id=thread_id))
    return thread


# ---------------------------------------------------------------- writing

def can_write(user: User | None) -> bool:
    """Platform admins, and members (not viewers) of a verified organisation."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role == "platform_admin":
        return True
    org = user.organization
    return user.role in WRITER_ROLES and org is not None and org.verification == "verified"


def _require_writer(user: User) -> None:
    if not can_write(user):
        raise Forbidden(_("Only members of verified organisations may write in the forum."))


def _body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise fields.empty("body")
    if len(body) > MAX_BODY:
        raise fields.too_long("body", MAX_BODY)
    return body


def _link(link: str | None) -> str:
    link = (link or "").strip()
    if not link:
        return ""
    if (link.startswith("/") and not link.startswith("//")) or \
            re.match(r"^https?://[^\s/]+", link, re.I):
        if len(link) > 1000 or re.search(r"\s", link):
            raise BadInput(_("link is too long or contains spaces."), field="link")
        return link
    raise BadInput(_("link must be a page of this site (/...) or an http(s) address."),
                   field="link")


def _check_files(files: Iterable[tuple[str, bytes]], max_bytes: int
                 ) -> list[attachments.CheckedFile]:
    return [attachments.check(name, data, max_bytes=max_bytes, field="attachment")
            for name, data in files if name or data]


def add_files(session: Session, user: User, post: ForumPost,
              checked: list[attachments.CheckedFile], folder: str) -> list[Attachment]:
    """Store checked files and attach them to ``post``."""
    out = []
    for c in checked:
        att = Attachment(post_id=post.id, filename=c.filename, content_type=c.content_type,
                         size=c.size, sha256=c.sha256, storage_key=c.storage_key,
                         uploaded_by_id=user.id)
        session.add(att)
        out.append(att)
    session.flush()
    for c in checked:
        attachments.save(folder, c)
    return out


def _new_post(session: Session, user: User, thread: ForumThread, body: str,
              checked: list[attachments.CheckedFile], folder: str | None
              ) -> tuple[ForumPost, list[Organization]]:
    orgs = _mentioned(session, body)
    post = ForumPost(thread=thread, author_id=user.id,
                     organization_id=user.organization_id, body=body,
                     body_html=render_markdown(body, {k: o.id for k, o in orgs.items()}))
    session.add(post)
    session.flush()
    session.add_all(ForumMention(post_id=post.id, organization_id=o.id) for o in orgs.values())
    if checked:
        if not folder:
            raise BadInput(_("attachment: uploads are not configured."), field="attachment")
        add_files(session, user, post, checked, folder)
    _follow(session, user, thread_id=thread.id)
    session.flush()
    return post, list(orgs.values())


def create_thread(session: Session, user: User, category_id: int | str | None, title: str,
                  body: str, *, pcode: str | None = None, sector_code: str | None = None,
                  link: str | None = None, files: Iterable[tuple[str, bytes]] = (),
                  upload_folder: str | None = None,
                  max_bytes: int = attachments.DEFAULT_MAX_BYTES) -> ForumThread:
    """Start a thread with its first post; followers of the category and mentioned
    organisations' admins are notified. Everything is validated before anything is written."""
    _require_writer(user)
    try:
        cat = session.get(ForumCategory, int(category_id)) if category_id not in (None, "") \
            else None
    except (TypeError, ValueError):
        cat = None
    if cat is None:
        raise BadInput(_("category_id: unknown category %(id)s.",
                         id=category_id or _("(none)")), field="category_id")
    if cat.admin_only and user.role != "platform_admin":
        raise Forbidden(_("Only platform admins start threads in this category."))
    title = (title or "").strip()
    if not title:
        raise fields.empty("title")
    if len(title) > MAX_TITLE:
        raise fields.too_long("title", MAX_TITLE)
    body = _body(body)
    if pcode and session.get(AdminArea, pcode) is None:
        raise BadInput(_("pcode: unknown area %(pcode)s.", pcode=pcode), field="pcode")
    if sector_code and session.get(Sector, sector_code) is None:
        raise BadInput(_("sector: unknown sector %(sector)s.", sector=sector_code),
                       field="sector")
    link = _link(link)
    checked = _check_files(files, max_bytes)
    thread = ForumThread(category_id=cat.id, title=title, author_id=user.id,
                         organization_id=user.organization_id, pcode=pcode or None,
                         sector_code=sector_code or None, link=link)
    session.add(thread)
    session.flush()
    _post, orgs = _new_post(session, user, thread, body, checked, upload_folder)
    followers = session.scalars(select(User).join(ForumFollow, ForumFollow.user_id == User.id)
                                .where(ForumFollow.category_id == cat.id, User.id != user.id)
                                .order_by(User.id)).all()
    notify(session, followers, "forum_thread",
           f"موضوع جديد في {cat.name_ar}: {title}", f"New thread in {cat.name_en}: {title}",
           f"/forum/threads/{thread.id}")
    _notify_mentions(session, user, thread, orgs, {u.id for u in followers})
    return thread


def reply(session: Session, user: User, thread_id: int, body: str, *,
          files: Iterable[tuple[str, bytes]] = (), upload_folder: str | None = None,
          max_bytes: int = attachments.DEFAULT_MAX_BYTES) -> ForumPost:
    """Reply to an open thread; followers of the thread and its category are notified."""
    _require_writer(user)
    thread = get_thread(session, thread_id, moderator=user.role == "platform_admin")
    if thread.locked:
        raise Conflict(_("This thread is locked; it takes no more replies."), field="thread")
    body = _body(body)
    checked = _check_files(files, max_bytes)
    post, orgs = _new_post(session, user, thread, body, checked, upload_folder)
    thread.reply_count += 1
    thread.last_post_at = func.now()
    followers = session.scalars(
        select(User).join(ForumFollow, ForumFollow.user_id == User.id)
        .where(or_(ForumFollow.thread_id == thread.id,
                   ForumFollow.category_id == thread.category_id), User.id != user.id)
        .distinct().order_by(User.id)).all()
    notify(session, followers, "forum_reply", f"رد جديد في: {thread.title}",
           f"New reply in: {thread.title}", f"/forum/threads/{thread.id}#post-{post.id}")
    _notify_mentions(session, user, thread, orgs, {u.id for u in followers})
    session.flush()
    return post


def _notify_mentions(session: Session, user: User, thread: ForumThread,
                     orgs: list[Organization], already: set[int]) -> None:
    if not orgs:
        return
    admins = [u for u in org_admins(session, *orgs) if u.id != user.id and u.id not in already]
    notify(session, admins, "forum_mention", f"ذُكرت منظمتك في: {thread.title}",
           f"Your organisation was mentioned in: {thread.title}",
           f"/forum/threads/{thread.id}")


def _follow(session: Session, user: User, *, thread_id: int | None = None,
            category_id: int | None = None) -> None:
    exists = session.scalar(select(ForumFollow.id).where(
        ForumFollow.user_id == user.id, ForumFollow.thread_id.is_(thread_id)
        if thread_id is None else ForumFollow.thread_id == thread_id,
        ForumFollow.category_id.is_(None) if category_id is None
        else ForumFollow.category_id == category_id))
    if exists is None:
        session.add(ForumFollow(user_id=user.id, thread_id=thread_id, category_id=category_id))
        session.flush()


def follow(session: Session, user: User, *, thread_id: int | None = None,
           category_id: int | None = None, on: bool = True) -> bool:
    """Follow (or stop following) a thread or a category; returns the new state."""
    if (thread_id is None) == (category_id is None):
        raise BadInput(_("Follow either a thread or a category."), field="target")
    if thread_id is not None:
        get_thread(session, thread_id, moderator=user.role == "platform_admin")
    else:
        get_category(session, category_id)
    if on:
        _follow(session, user, thread_id=thread_id, category_id=category_id)
    else:
        for row in session.scalars(select(ForumFollow).where(
                ForumFollow.user_id == user.id,
                ForumFollow.thread_id == thread_id if thread_id else
                ForumFollow.category_id == category_id)):
            session.delete(row)
        session.flush()
    return on


def is_following(session: Session, user: User, *, thread_id: int | None = None,
                 category_id: int | None = None) -> bool:
    """Whether ``user`` follows the thread or category."""
    cond = ForumFollow.thread_id == thread_id if thread_id else \
        ForumFollow.category_id == category_id
    return session.scalar(select(ForumFollow.id).where(
        ForumFollow.user_id == user.id, cond)) is not None


# ---------------------------------------------------------------- moderation

def get_post(session: Session, post_id: int) -> ForumPost:
    """One post by id (NotFound when it does not exist)."""
    post = session.get(ForumPost, post_id)
    if post is None:
        raise NotFound(_("Post %(id)s does not exist.", id=post_id))
    return post


def _require_moderator(user: User) -> None:
    if user.role != "platform_admin":
        raise Forbidden(_("Only platform admins moderate the forum."))


def report_post(session: Session, user: User, post_id: int, reason: str) -> ForumReport:
    """A member reports a post to the moderators; audited."""
    post = get_post(session, post_id)
    if post.hidden or post.thread.hidden:
        raise NotFound(_("Post %(id)s does not exist.", id=post_id))
    reason = (reason or "").strip()
    if not reason:
        raise fields.empty("reason")
    if len(reason) > 1000:
        raise fields.too_long("reason", 1000)
    report = ForumReport(post_id=post.id, reporter_id=user.id, reason=reason)
    session.add(report)
    session.flush()
    record(session, "forum.report", user=user, object_type="forum_post",
           object_id=post.id, summary={"report_id": report.id, "reason": reason[:200]})
    moderators = session.scalars(select(User).where(User.role == "platform_admin",
                                                    User.active).order_by(User.id)).all()
    notify(session, moderators, "forum_report", "بلاغ جديد عن مشاركة في المنتدى",
           "A forum post was reported", "/forum/moderation", email=False)
    return report


def hide_post(session: Session, user: User, post_id: int, reason: str = "",
              hidden: bool = True) -> ForumPost:
    """Hide (or show again) a post; open reports on it are resolved; audited."""
    _require_moderator(user)
    post = get_post(session, post_id)
    post.hidden = hidden
    post.hidden_reason = (reason or "").strip()[:500] if hidden else ""
    now = dt.datetime.now(dt.UTC)
    resolved = []
    for rep in session.scalars(select(ForumReport).where(ForumReport.post_id == post.id,
                                                         ForumReport.resolved_at.is_(None))):
        rep.resolved_at, rep.resolved_by_id = now, user.id
        rep.resolution = "hidden" if hidden else "kept"
        resolved.append(rep.id)
    session.flush()
    record(session, "forum.hide" if hidden else "forum.unhide", user=user,
           object_type="forum_post", object_id=post.id,
           summary={"thread_id": post.thread_id, "reason": post.hidden_reason,
                    "reports": resolved})
    return post


def lock_thread(session: Session, user: User, thread_id: int, locked: bool = True
                ) -> ForumThread:
    """Lock (or reopen) a thread; audited."""
    _require_moderator(user)
    thread = get_thread(session, thread_id, moderator=True)
    thread.locked = locked
    session.flush()
    record(session, "forum.lock" if locked else "forum.unlock", user=user,
           object_type="forum_thread", object_id=thread.id, summary={"title": thread.title[:200]})
    return thread


def dismiss_report(session: Session, user: User, report_id: int) -> ForumReport:
    """Close a report without hiding the post; audited."""
    _require_moderator(user)
    rep = session.get(ForumReport, report_id)
    if rep is None:
        raise NotFound(_("Report %(id)s does not exist.", id=report_id))
    if rep.resolved_at is not None:
        raise Conflict(_("This report is already resolved."), field="report")
    rep.resolved_at, rep.resolved_by_id, rep.resolution = dt.datetime.now(dt.UTC), user.id, \
        "dismissed"
    session.flush()
    record(session, "forum.dismiss_report", user=user, object_type="forum_report",
           object_id=rep.id, summary={"post_id": rep.post_id})
    return rep


def open_reports(session: Session) -> list[ForumReport]:
    """Unresolved reports, oldest first."""
    return list(session.scalars(select(ForumReport).where(ForumReport.resolved_at.is_(None))
                                .options(selectinload(ForumReport.post))
                                .order_by(ForumReport.created_at, ForumReport.id)))


def post_attachment(session: Session, file_id: uuid.UUID, *, moderator: bool = False
                    ) -> Attachment:
    """A file attached to a post; hidden posts' files only for moderators (else NotFound)."""
    att = attachments.find_attachment(session, file_id, owner="post")
    post = session.get(ForumPost, att.post_id) if att is not None else None
    if post is None or ((post.hidden or post.thread.hidden) and not moderator):
        raise NotFound(_("This file does not exist."))
    return att


def categories(session: Session, user: User) -> list[ForumCategory]:
    """The categories this user may start a thread in, in display order."""
    cats = session.scalars(select(ForumCategory).order_by(ForumCategory.sort, ForumCategory.id))
    return [c for c in cats if not c.admin_only or user.role == "platform_admin"]


def thread_subject(session: Session, pcode: str, sector: str
                   ) -> tuple[AdminArea | None, Sector | None]:
    """The admin area and sector a new thread is about (None for an empty or unknown code)."""
    area = session.get(AdminArea, pcode) if pcode else None
    sec = session.get(Sector, sector) if sector else None
    return area, sec


def suggest_category(session: Session, category: str, sector: Sector | None,
                     area: AdminArea | None) -> ForumCategory | None:
    """The category for a new thread: by id or slug, else the sector's, else the governorate's."""
    cat = None
    if category.isdigit():
        cat = session.get(ForumCategory, int(category))
    elif category:  # a slug, e.g. "partnership-requests" from partner suggestions
        cat = session.scalar(select(ForumCategory).where(
            ForumCategory.slug == category.strip()))
    if cat is None and sector is not None:
        cat = session.scalar(select(ForumCategory).where(
            ForumCategory.sector_code.in_([sector.code, sector.parent_code or sector.code])
        ).order_by(ForumCategory.sector_code != sector.code))
    if cat is None and area is not None:
        gov = area.pcode[:4]
        cat = session.scalar(select(ForumCategory).where(ForumCategory.pcode == gov))
    return cat
