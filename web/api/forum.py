"""Forum API: categories and threads for signed-in users; members of verified organisations
write threads and replies."""

from __future__ import annotations

from flask_babel import gettext as _

from data import fields
from data.db import db
from data.errors import BadInput, Forbidden
from data.models import ForumCategory, ForumPost, ForumThread, User
from network import forum as uc

from ..args import MAX_ID, MAX_PAGE, int_arg
from ..security import AUTHENTICATED, allow, caller, is_platform_admin
from . import bp
from .body import json_body
from .once import created_once, once_operations
from .openapi import error_responses


def _user() -> User:
    """The calling user (forum writes need a person, not an organisation's token)."""
    who = caller()
    if isinstance(who, User):
        return who
    user_id = getattr(who, "user_id", None)
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        raise Forbidden(_("Forum posts are written by a person: use a user's session or "
                          "token."))
    return user


def thread_json(t: ForumThread) -> dict:
    return {"id": t.id, "category_id": t.category_id, "title": t.title,
            "organization_id": t.organization_id, "pcode": t.pcode, "sector": t.sector_code,
            "link": t.link, "locked": t.locked, "reply_count": t.reply_count,
            "created_at": t.created_at.isoformat(), "last_post_at": t.last_post_at.isoformat(),
            "url": f"/forum/threads/{t.id}"}


def post_json(p: ForumPost, moderator: bool) -> dict:
    hidden = p.hidden and not moderator
    return {"id": p.id, "organization_id": p.organization_id, "hidden": p.hidden,
            "body": "" if hidden else p.body, "html": "" if hidden else p.body_html,
            "created_at": p.created_at.isoformat(),
            "attachments": [] if hidden else [
                {"id": str(a.uuid), "filename": a.filename, "content_type": a.content_type,
                 "size": a.size, "url": f"/forum/attachments/{a.uuid}"}
                for a in p.attachments]}


@bp.get("/forum/categories")
@allow(AUTHENTICATED)
def forum_categories():
    """Every category with its number of threads."""
    return {"items": [{"id": r.category.id, "slug": r.category.slug, "kind": r.category.kind,
                       "name_ar": r.category.name_ar, "name_en": r.category.name_en,
                       "sector": r.category.sector_code, "pcode": r.category.pcode,
                       "threads": r.threads} for r in uc.list_categories(db.session)]}


@bp.get("/forum/threads")
@allow(AUTHENTICATED)
def forum_threads():
    """Threads, most recently active first (``category_id`` filters)."""
    cat = int_arg("category_id", None, 1, MAX_ID)
    if cat is not None and db.session.get(ForumCategory, cat) is None:
        raise BadInput(_("category_id: unknown category %(id)s.", id=cat), field="category_id")
    threads, total = uc.list_threads(db.session, cat, page=int_arg("page", 1, 1, MAX_PAGE),
                                     moderator=is_platform_admin())
    return {"total": total, "items": [thread_json(t) for t in threads]}


@bp.get("/forum/threads/<int:thread_id>")
@allow(AUTHENTICATED)
def forum_thread(thread_id: int):
    """A thread with its posts (hidden posts without their content)."""
    moderator = is_platform_admin()
    t = uc.get_thread(db.session, thread_id, moderator=moderator)
    return {**thread_json(t), "posts": [post_json(p, moderator) for p in t.posts]}


@bp.post("/forum/threads")
@allow(*uc.WRITER_ROLES)
def forum_create_thread():
    """Start a thread (members of verified organisations)."""
    d = json_body()
    [thread_id] = created_once("forum_thread", d, lambda: [uc.create_thread(
        db.session, _user(), d.get("category_id"), d.get("title", ""), d.get("body", ""),
        pcode=d.get("pcode"), sector_code=d.get("sector"), link=d.get("link")).id])
    db.session.commit()
    t = uc.get_thread(db.session, thread_id)
    return {**thread_json(t), "posts": [post_json(p, False) for p in t.posts]}, 201


@bp.post("/forum/threads/<int:thread_id>/posts")
@allow(*uc.WRITER_ROLES)
def forum_reply(thread_id: int):
    """Reply to an open thread."""
    d = json_body()
    [post_id] = created_once("forum_reply", {"thread": thread_id, **d}, lambda: [
        uc.reply(db.session, _user(), thread_id, d.get("body", "")).id])
    db.session.commit()
    return post_json(uc.get_post(db.session, post_id), False), 201


_S = {"type": "string"}
# the bounds network.forum checks: a title and a body with something in them, within limits;
# a link relative to the site or http(s), without spaces
_TITLE = {"type": "string", "maxLength": uc.MAX_TITLE, "pattern": fields.NOT_BLANK}
_BODY = {"type": "string", "maxLength": uc.MAX_BODY, "pattern": fields.NOT_BLANK}
# a page of this site or an http(s) address: no space, no control character (web/bounds.py)
_LINK = f"^(|/(?!/)[^\\s{fields.CONTROL}]*|[Hh][Tt][Tt][Pp][Ss]?://[^\\s/{fields.CONTROL}]+" \
        f"[^\\s{fields.CONTROL}]*)$"
_THREAD_PROPS = {"id": {"type": "integer"}, "category_id": {"type": "integer"}, "title": _S,
                 "organization_id": {"type": ["integer", "null"]},
                 "pcode": {"type": ["string", "null"]}, "sector": {"type": ["string", "null"]},
                 "link": _S, "locked": {"type": "boolean"}, "reply_count": {"type": "integer"},
                 "created_at": _S, "last_post_at": _S, "url": _S}
OPENAPI_SCHEMAS = {
    "ForumThread": {"type": "object", "required": list(_THREAD_PROPS),
                    "properties": _THREAD_PROPS},
    "ForumPost": {"type": "object",
                  "required": ["id", "organization_id", "hidden", "body", "html", "created_at",
                               "attachments"],
                  "properties": {"id": {"type": "integer"},
                                 "organization_id": {"type": ["integer", "null"]},
                                 "hidden": {"type": "boolean"}, "body": _S, "html": _S,
                                 "created_at": _S, "attachments": {"type": "array"}}},
}
_THREAD_FULL = {"allOf": [{"$ref": "#/components/schemas/ForumThread"}, {
    "type": "object", "required": ["posts"], "properties": {"posts": {
        "type": "array", "items": {"$ref": "#/components/schemas/ForumPost"}}}}]}
OPENAPI_PATHS = {
    "/forum/categories": {"get": {
        "summary": "Forum categories", "operationId": "forumCategories",
        "responses": {"200": {"description": "Categories", "content": {"application/json": {
            "schema": {"type": "object", "required": ["items"], "properties": {"items": {
                "type": "array", "items": {"type": "object", "required": [
                    "id", "slug", "kind", "name_ar", "name_en", "threads"]}}}}}}},
            **error_responses(401)}}},
    "/forum/threads": {
        "get": {
            "summary": "Threads, most recently active first", "operationId": "forumThreads",
            "parameters": [
                {"name": "category_id", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
                {"name": "page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}}],
            "responses": {"200": {"description": "Threads", "content": {"application/json": {
                "schema": {"type": "object", "required": ["total", "items"], "properties": {
                    "total": {"type": "integer"}, "items": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/ForumThread"}}}}}}},
                **error_responses(400, 401)}},
        "post": {
            "summary": "Start a thread (members of verified organisations)",
            "operationId": "createThread",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["category_id", "title", "body"], "properties": {
                    "category_id": {"$ref": "#/components/schemas/ForumCategoryId"},
                    "title": _TITLE, "body": _BODY,
                    "pcode": {"$ref": "#/components/schemas/PCode"},
                    "sector": {"$ref": "#/components/schemas/SectorCode"},
                    "link": {"type": "string", "maxLength": 1000, "pattern": _LINK}}}}}},
            "responses": {"201": {"description": "The new thread", "content": {
                "application/json": {"schema": _THREAD_FULL}}},
                **error_responses(400, 401, 403)}},
    },
    "/forum/threads/{id}": {
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "get": {"summary": "A thread with its posts", "operationId": "forumThread",
                "responses": {"200": {"description": "The thread", "content": {
                    "application/json": {"schema": _THREAD_FULL}}},
                    **error_responses(401, 404)}}},
    "/forum/threads/{id}/posts": {
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "post": {"summary": "Reply to a thread", "operationId": "forumReply",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"type": "object", "required": ["body"],
                                "properties": {"body": _BODY}}}}},
                 "responses": {"201": {"description": "The reply", "content": {
                     "application/json": {"schema": {
                         "$ref": "#/components/schemas/ForumPost"}}}},
                     **error_responses(400, 401, 403, 404, 409)}}},
}
once_operations(OPENAPI_PATHS, "/forum/threads", "/forum/threads/{id}/posts")
