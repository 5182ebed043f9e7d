"""Library API: search and read published documents; platform admins create and edit."""

from __future__ import annotations

import datetime as dt

from flask import request

from data import fields
from data.db import db
from data.models import DOC_KINDS, DOC_STATUSES, TOPICS, LibraryDocument
from network import library as uc

from ..args import MAX_PAGE, MAX_PER_PAGE, int_arg
from ..security import PUBLIC, allow, caller, is_platform_admin
from . import bp
from .body import json_body
from .once import created_once, once_operations
from .openapi import error_responses


def document_json(doc: LibraryDocument, *, full: bool = False) -> dict:
    """A document as JSON (``full`` adds the texts, links and attachments)."""
    out = {
        "id": doc.id, "kind": doc.kind, "number": doc.number,
        "issue_date": doc.issue_date.isoformat() if doc.issue_date else None,
        "issuer_ar": doc.issuer_ar, "issuer_en": doc.issuer_en,
        "title_ar": doc.title_ar, "title_en": doc.title_en,
        "summary_ar": doc.summary_ar, "summary_en": doc.summary_en,
        "topics": list(doc.topics), "sectors": [s.code for s in doc.sectors],
        "status": doc.status, "status_by_id": doc.status_by_id, "published": doc.published,
        "url": f"/library/documents/{doc.id}",
    }
    if full:
        out.update({
            "body_ar": doc.body_ar, "body_en": doc.body_en,
            "service_types": [t.code for t in doc.service_types],
            "changed": [{"id": d.id, "status": d.status} for d in
                        uc.referencing(db.session, doc, drafts=is_platform_admin())],
            "attachments": [{"id": str(a.uuid), "filename": a.filename,
                             "content_type": a.content_type, "size": a.size,
                             "url": f"/library/attachments/{a.uuid}"}
                            for a in doc.attachments],
        })
    return out


@bp.get("/library/documents")
@allow(PUBLIC)
def library_documents():
    """Search published documents (drafts too for platform admins), ranked, highlighted."""
    page = uc.search(
        db.session, request.args.get("q", ""), kind=request.args.get("kind") or None,
        year=int_arg("year", None, dt.MINYEAR, dt.MAXYEAR),
        issuer=request.args.get("issuer") or None,
        topic=request.args.get("topic") or None, status=request.args.get("status") or None,
        drafts=is_platform_admin(), page=int_arg("page", 1, 1, MAX_PAGE),
        per_page=int_arg("per_page", 20, 1, MAX_PER_PAGE),
        locale="en" if request.args.get("lang") == "en" else "ar")
    return {"total": page.total, "page": page.page, "per_page": page.per_page,
            "items": [{**document_json(h.document), "rank": h.rank,
                       "highlight": str(h.snippet)} for h in page.hits]}


@bp.get("/library/documents/<int:doc_id>")
@allow(PUBLIC)
def library_document(doc_id: int):
    """One document with its text, status links and attachments."""
    doc = uc.get_document(db.session, doc_id, drafts=is_platform_admin())
    return document_json(doc, full=True)


@bp.post("/library/documents")
@allow("platform_admin")
def library_create():
    """Create a document (a draft unless ``published`` is true); audited."""
    body = json_body()
    [doc_id] = created_once("library_document", body, lambda: [
        uc.create_document(db.session, caller(), body).id])
    db.session.commit()
    return document_json(uc.get_document(db.session, doc_id, drafts=True), full=True), 201


@bp.patch("/library/documents/<int:doc_id>")
@allow("platform_admin")
def library_update(doc_id: int):
    """Change some fields of a document; audited field by field."""
    doc = uc.update_document(db.session, caller(), doc_id, json_body())
    db.session.commit()
    return document_json(doc, full=True)


_STR = {"type": "string"}
_DOC_PROPS = {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(uc.KIND_LABELS)},
    "number": _STR, "issue_date": {"type": ["string", "null"], "format": "date"},
    "issuer_ar": _STR, "issuer_en": _STR, "title_ar": _STR, "title_en": _STR,
    "summary_ar": _STR, "summary_en": _STR, "topics": {"type": "array", "items": _STR},
    "sectors": {"type": "array", "items": _STR},
    "status": {"type": "string", "enum": ["in_force", "amended", "repealed"]},
    "status_by_id": {"type": ["integer", "null"]}, "published": {"type": "boolean"},
    "url": _STR,
}
_REQUIRED = ["id", "kind", "number", "issue_date", "title_ar", "status", "status_by_id",
             "published", "topics", "sectors"]
OPENAPI_SCHEMAS = {
    "LibraryDocument": {"type": "object", "required": _REQUIRED, "properties": _DOC_PROPS},
    "LibraryDocumentFull": {"type": "object",
                            "required": _REQUIRED + ["body_ar", "attachments", "changed"],
                            "properties": {
                                **_DOC_PROPS, "body_ar": _STR, "body_en": _STR,
                                "service_types": {"type": "array", "items": _STR},
                                "changed": {"type": "array", "items": {"type": "object"}},
                                "attachments": {"type": "array", "items": {
                                    "type": "object",
                                    "required": ["id", "filename", "content_type", "size",
                                                 "url"]}}}},
    # the bounds network.library._validate checks, from its own constants
    "LibraryDocumentInput": {"type": "object", "additionalProperties": False, "properties": {
        "kind": {"enum": list(DOC_KINDS)},
        **{name: {"type": ["string", "null"], "maxLength": limit,
                  "pattern": fields.NOT_BLANK if name == "title_ar" else fields.PLAIN}
           for name, limit in uc.TEXT_LIMITS.items()},
        "issue_date": {"type": ["string", "null"], "format": "date"},
        "topics": {"type": "array", "items": {"enum": list(TOPICS)}},
        "sectors": {"type": "array", "items": {"$ref": "#/components/schemas/SectorCode"}},
        "service_types": {"type": "array",
                          "items": {"$ref": "#/components/schemas/ServiceTypeCode"}},
        "status": {"enum": list(DOC_STATUSES),
                   "description": "other than in_force, status_by_id names the document"},
        "status_by_id": {"type": ["integer", "null"], "minimum": 1},
        "published": {"type": "boolean"}}},
}
OPENAPI_SCHEMAS["NewLibraryDocument"] = {**OPENAPI_SCHEMAS["LibraryDocumentInput"],
                                         "required": ["kind", "title_ar"]}
_FULL = {"application/json": {"schema": {"$ref": "#/components/schemas/LibraryDocumentFull"}}}
_INPUT = {"required": True, "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/LibraryDocumentInput"}}}}
_NEW = {"required": True, "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/NewLibraryDocument"}}}}
OPENAPI_PATHS = {
    "/library/documents": {
        "get": {
            "summary": "Search the library (Arabic-aware; ranked; highlighted passage)",
            "operationId": "searchLibrary",
            "parameters": [{"name": n, "in": "query", "schema": s} for n, s in (
                ("q", _STR), ("kind", _DOC_PROPS["kind"]),
                ("year", {"type": "integer", "minimum": dt.MINYEAR, "maximum": dt.MAXYEAR}),
                ("issuer", _STR), ("topic", _STR), ("status", _DOC_PROPS["status"]),
                ("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
                ("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                              "default": 20}),
                ("lang", {"type": "string", "enum": ["ar", "en"]}))],
            "responses": {"200": {"description": "Matching documents", "content": {
                "application/json": {"schema": {
                    "type": "object", "required": ["total", "page", "per_page", "items"],
                    "properties": {
                        "total": {"type": "integer"}, "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "items": {"type": "array", "items": {"allOf": [
                            {"$ref": "#/components/schemas/LibraryDocument"},
                            {"type": "object", "required": ["rank", "highlight"],
                             "properties": {"rank": {"type": "number"},
                                            "highlight": {"type": "string"}}}]}}}}}}},
                **error_responses(400)}},
        "post": {
            "summary": "Create a document (platform admins)", "operationId": "createDocument",
            "requestBody": _NEW,
            "responses": {"201": {"description": "Created", "content": _FULL},
                          **error_responses(400, 401, 403)}},
    },
    "/library/documents/{id}": {
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "get": {"summary": "One document", "operationId": "getDocument",
                "responses": {"200": {"description": "The document", "content": _FULL},
                              **error_responses(404)}},
        "patch": {"summary": "Edit a document (platform admins)",
                  "operationId": "updateDocument", "requestBody": _INPUT,
                  "responses": {"200": {"description": "Updated", "content": _FULL},
                                **error_responses(400, 401, 403, 404)}},
    },
}
once_operations(OPENAPI_PATHS, "/library/documents")
