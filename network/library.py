"""Library use cases: validate, publish and edit documents (audited), search them, follow topics.

Search combines PostgreSQL's 'arabic'/'english' stemmers with our own keys: each word is
normalised (textmatch.arabic.normalize), lightly stemmed (prefixes و ف ب ك ل, suffixes
ات ون ين ه ...)
and reduced to a skeleton without inner long vowels, so broken plurals meet their singular
(تعاميم/تعميم -> تعمم, مراسيم/مرسوم -> مرسم). Trigram similarity on the title catches typos,
and a number in the query matches the document number exactly (Arabic-Indic digits too).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from data import attachments, fields
from data.audit import record
from data.errors import BadInput, NotFound
from data.models import (
    DOC_KINDS,
    DOC_STATUSES,
    TOPICS,
    Attachment,
    LibraryDocument,
    Sector,
    ServiceType,
    TopicFollow,
    User,
)
from referral.notify import notify
from textmatch.arabic import normalize_words

__all__ = [
    "KIND_LABELS", "STATUS_LABELS", "TOPIC_LABELS", "Hit", "SearchPage", "add_attachment",
    "create_document", "follow_topics", "followed_topics", "get_document",
    "import_folder", "issuers", "publish", "referencing", "search", "search_keys",
    "update_document", "word_keys",
]

KIND_LABELS = {
    "law": ("قانون", "Law"),
    "legislative_decree": ("مرسوم تشريعي", "Legislative decree"),
    "decree": ("مرسوم", "Decree"),
    "ministerial_decision": ("قرار وزاري", "Ministerial decision"),
    "circular": ("تعميم", "Circular"),
    "guideline": ("دليل إرشادي", "Guideline"),
    "form": ("نموذج", "Form / template"),
}
STATUS_LABELS = {
    "in_force": ("نافذ", "In force"),
    "amended": ("معدَّل", "Amended"),
    "repealed": ("ملغى", "Repealed"),
}
TOPIC_LABELS = {
    "registration": ("التسجيل والإشهار", "Registration"),
    "licensing": ("الترخيص", "Licensing"),
    "financing": ("التمويل والتبرعات", "Financing and donations"),
    "reporting": ("التقارير", "Reporting"),
    "taxation": ("الضرائب والرسوم", "Taxation"),
    "partnerships": ("الشراكات", "Partnerships"),
}
_TEXT_FIELDS = ("number", "issuer_ar", "issuer_en", "title_ar", "title_en", "summary_ar",
                "summary_en", "body_ar", "body_en")
_STOP = frozenset({"of", "the", "on", "and", "in", "for", "no", "a", "an", "to", "by", "about",
                   "في", "من", "على", "عن", "الى", "الي", "رقم", "لعام", "عام", "تاريخ", "و",
                   "او", "بشان", "حول"})
_AR_PREFIXES = ("و", "ف", "ب", "ك", "ل")
_AR_SUFFIXES = ("ات", "ون", "ين", "ان", "يه", "ها", "هم", "ه", "ي")
_EN_SUFFIX = re.compile(r"(?:ations?|ions?|ings?|ed|es|s|e)$")
_ARABIC = re.compile("[\u0600-\u06ff]")
MAX_TEXT = 200_000
# the longest text of each field (_validate checks, the API document states)
TEXT_LIMITS = {name: MAX_TEXT if name.startswith("body") else 5000
               if name.startswith("summary") else 40 if name == "number" else 500
               for name in _TEXT_FIELDS}
CANDIDATES = 200  # documents re-ranked by title similarity
MAX_QUERY_WORDS = 12


# ---------------------------------------------------------------- search keys

def _skeleton(word: str) -> str:
    return word[0] + re.sub("[اوي]", "", word[1:]) if word else word


def word_keys(word: str) -> set[str]:
    """Search keys of one normalised word: itself, light stems and an Arabic skeleton."""
    keys = {word}
    if word.isdigit():
        return keys
    if not _ARABIC.search(word):
        if len(word) > 4:
            keys.add(_EN_SUFFIX.sub("", word))
        return keys
    bases = {word}
    if word[0] in _AR_PREFIXES and len(word) >= 5:
        rest = word[1:]
        bases.add(rest[2:] if rest.startswith("ال") and len(rest) >= 5 else rest)
    for base in list(bases):
        for suffix in _AR_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= 3:
                bases.add(base[: -len(suffix)])
    keys |= bases
    for base in bases:
        sk = _skeleton(base)
        if len(sk) >= 3:
            keys.add(sk)
    return keys


@lru_cache(maxsize=65536)
def _token_keys(token: str) -> frozenset[str]:
    """Keys of every normalised word of one raw token (cached: snippets reuse them)."""
    return frozenset().union(*(word_keys(w) for w in normalize_words(token)))


def search_keys(*texts: str | None) -> str:
    """Space-joined keys of every word in ``texts`` (what the search vector indexes)."""
    out: list[str] = []
    for t in texts:
        for word in normalize_words(t):
            out.extend(sorted(word_keys(word)))
    return " ".join(out)


def _index(doc: LibraryDocument) -> None:
    doc.search_title = search_keys(doc.title_ar, doc.title_en, doc.number)
    kind_ar, kind_en = KIND_LABELS[doc.kind]
    doc.search_body = search_keys(kind_ar, kind_en, doc.issuer_ar, doc.issuer_en,
                                  doc.summary_ar, doc.summary_en, doc.body_ar, doc.body_en)


# ---------------------------------------------------------------- audit

def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 120:
        return value[:117] + "..."
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- validation

def _codes(session: Session, data: dict, name: str, model) -> list | None:
    if name not in data:
        return None
    values = data[name] or []
    if isinstance(values, str):
        values = [v.strip() for v in re.split(r"[|,]", values) if v.strip()]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise fields.not_codes(name)
    rows = []
    for code in dict.fromkeys(values):
        row = session.get(model, code)
        if row is None:
            raise BadInput(_("%(field)s: unknown code %(code)s.", field=name, code=code),
                           field=name)
        rows.append(row)
    return rows


def _validate(session: Session, data: dict[str, Any], doc: LibraryDocument | None) -> dict:
    """Checked values of ``data`` (only the keys present; all required ones on create)."""
    creating = doc is None
    out: dict[str, Any] = {}
    if "kind" in data or creating:
        kind = data.get("kind")
        if kind not in DOC_KINDS:
            raise fields.not_one_of("kind", DOC_KINDS)
        out["kind"] = kind
    title = fields.text(data, "title_ar", required=creating, max_len=TEXT_LIMITS["title_ar"])
    if title is not None:
        if not title:
            raise fields.empty("title_ar")
        out["title_ar"] = title
    for name in _TEXT_FIELDS:
        if name == "title_ar":
            continue
        value = fields.text(data, name, max_len=TEXT_LIMITS[name])
        if value is not None:
            out[name] = value
    if "number" in out:
        out["number"] = " ".join(normalize_words(out["number"])).replace(" ", "/") \
            if out["number"] else ""
    if "issue_date" in data:
        value = data["issue_date"]
        if value in (None, ""):
            out["issue_date"] = None
        elif isinstance(value, dt.date):
            out["issue_date"] = value
        else:
            try:
                out["issue_date"] = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                raise BadInput(_("issue_date must be a date like 2023-05-14."),
                               field="issue_date") from None
    if "topics" in data:
        topics = data["topics"] or []
        if isinstance(topics, str):
            topics = [t.strip() for t in re.split(r"[|,]", topics) if t.strip()]
        bad = [t for t in topics if t not in TOPICS]
        if not isinstance(topics, list) or bad:
            raise BadInput(_("topics: unknown topic %(topic)s; allowed: %(topics)s.",
                             topic=bad[0] if bad else topics, topics=", ".join(TOPICS)),
                           field="topics")
        out["topics"] = list(dict.fromkeys(topics))
    sectors = _codes(session, data, "sectors", Sector)
    if sectors is not None:
        out["sectors"] = sectors
    types = _codes(session, data, "service_types", ServiceType)
    if types is not None:
        out["service_types"] = types
    status = data.get("status", None if not creating else "in_force")
    if "status" in data or creating:
        status = status or "in_force"
        if status not in DOC_STATUSES:
            raise fields.not_one_of("status", DOC_STATUSES)
        out["status"] = status
    if "status_by_id" in data or "status" in out:
        final_status = out.get("status", doc.status if doc else "in_force")
        by = data.get("status_by_id", doc.status_by_id if doc else None)
        if final_status == "in_force":
            out["status_by_id"] = None
        else:
            if by in (None, ""):
                raise BadInput(_("status_by_id: a document that is %(status)s must name the "
                                 "document that amended or repealed it.", status=final_status),
                               field="status_by_id")
            try:
                by = int(by)
            except (TypeError, ValueError):
                raise BadInput(_("status_by_id must be a document id."),
                               field="status_by_id") from None
            if doc is not None and by == doc.id:
                raise BadInput(_("status_by_id: a document cannot amend or repeal itself."),
                               field="status_by_id")
            if session.get(LibraryDocument, by) is None:
                raise BadInput(_("status_by_id: document %(id)s does not exist.", id=by),
                               field="status_by_id")
            out["status_by_id"] = by
    if "published" in data:
        out["published"] = bool(data["published"]) and data["published"] not in ("0", "false")
    return out


# ---------------------------------------------------------------- writing

def create_document(session: Session, user: User | None, data: dict[str, Any]) -> LibraryDocument:
    """Create a document (a draft unless ``published``); audited; followers notified."""
    values = _validate(session, data, None)
    publish_now = values.pop("published", False)
    doc = LibraryDocument(created_by_id=getattr(user, "id", None), published=False)
    for key, value in values.items():
        setattr(doc, key, value)
    _index(doc)
    session.add(doc)
    session.flush()
    record(session, "library.create", user=user, object_type="library_document", object_id=doc.id,
           summary={k: _short(v) for k, v in data.items()
                    if k in _TEXT_FIELDS + ("kind", "status")})
    if publish_now:
        publish(session, user, doc)
    session.flush()
    return doc


def update_document(session: Session, user: User | None, doc_id: int,
                    data: dict[str, Any]) -> LibraryDocument:
    """Change the given fields; the audit row records each field's old and new value."""
    doc = session.get(LibraryDocument, doc_id)
    if doc is None:
        raise NotFound(_("Document %(id)s does not exist.", id=doc_id))
    values = _validate(session, data, doc)
    publish_now = values.pop("published", None)
    changes: dict[str, Any] = {}
    for key, value in values.items():
        old = getattr(doc, key)
        if key in ("sectors", "service_types"):
            old_codes = sorted(x.code for x in old)
            new_codes = sorted(x.code for x in value)
            if old_codes != new_codes:
                changes[key] = [old_codes, new_codes]
                setattr(doc, key, value)
        elif old != value:
            changes[key] = [_short(old), _short(value)]
            setattr(doc, key, value)
    _index(doc)
    if publish_now is False and doc.published:
        doc.published = False
        changes["published"] = [True, False]
    session.flush()
    if changes:
        record(session, "library.update", user=user, object_type="library_document",
               object_id=doc.id, summary=changes)
    if publish_now and not doc.published:
        publish(session, user, doc)
    session.flush()
    return doc


def publish(session: Session, user: User | None, doc: LibraryDocument) -> int:
    """Publish a draft and notify the users following its topics or sectors; audited."""
    if doc.published:
        return 0
    doc.published = True
    doc.published_at = dt.datetime.now(dt.UTC)
    session.flush()
    record(session, "library.publish", user=user, object_type="library_document", object_id=doc.id,
           summary={"title_ar": _short(doc.title_ar)})
    topics = list(doc.topics) + [f"sector:{s.code}" for s in doc.sectors]
    if not topics:
        return 0
    followers = session.scalars(
        select(User).join(TopicFollow, TopicFollow.user_id == User.id)
        .where(TopicFollow.topic.in_(topics)).distinct().order_by(User.id)).all()
    followers = [u for u in followers if getattr(user, "id", None) != u.id]
    kind_ar, kind_en = KIND_LABELS[doc.kind]
    return notify(session, followers, "library_document",
                  f"نُشر في المكتبة: {kind_ar} — {doc.title_ar}",
                  f"New in the library: {kind_en} — {doc.title_en or doc.title_ar}",
                  f"/library/documents/{doc.id}")


def add_attachment(session: Session, user: User | None, doc_id: int,
                   checked: attachments.CheckedFile, folder: str) -> Attachment:
    """Attach a content-checked file to a document; audited."""
    doc = session.get(LibraryDocument, doc_id)
    if doc is None:
        raise NotFound(_("Document %(id)s does not exist.", id=doc_id))
    att = Attachment(document_id=doc.id, filename=checked.filename,
                     content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                     storage_key=checked.storage_key, uploaded_by_id=getattr(user, "id", None))
    session.add(att)
    session.flush()
    attachments.save(folder, checked)
    record(session, "library.attach", user=user, object_type="library_document", object_id=doc.id,
           summary={"filename": checked.filename, "content_type": checked.content_type,
                    "size": checked.size, "sha256": checked.sha256})
    return att


def follow_topics(session: Session, user: User, topics: Iterable[str]) -> list[str]:
    """Replace the topics ``user`` follows (topic codes or ``sector:<code>``)."""
    wanted = list(dict.fromkeys(topics))
    for t in wanted:
        if t in TOPICS:
            continue
        if t.startswith("sector:") and session.get(Sector, t[7:]) is not None:
            continue
        raise BadInput(_("topics: unknown topic %(topic)s.", topic=t), field="topics")
    session.execute(delete(TopicFollow).where(TopicFollow.user_id == user.id))
    session.add_all(TopicFollow(user_id=user.id, topic=t) for t in wanted)
    session.flush()
    return wanted


def followed_topics(session: Session, user: User) -> list[str]:
    """Topics ``user`` follows."""
    return list(session.scalars(select(TopicFollow.topic).where(TopicFollow.user_id == user.id)))


# ---------------------------------------------------------------- reading

def get_document(session: Session, doc_id: int, *, drafts: bool = False) -> LibraryDocument:
    """A document; drafts are NotFound unless ``drafts`` (platform admins)."""
    doc = session.get(LibraryDocument, doc_id)
    if doc is None or (not doc.published and not drafts):
        raise NotFound(_("Document %(id)s does not exist.", id=doc_id))
    return doc


def referencing(session: Session, doc: LibraryDocument, *, drafts: bool = False
                ) -> list[LibraryDocument]:
    """Documents that this one amended or repealed (the reverse of ``status_by``)."""
    stmt = select(LibraryDocument).where(LibraryDocument.status_by_id == doc.id)
    if not drafts:
        stmt = stmt.where(LibraryDocument.published)
    return list(session.scalars(stmt.order_by(LibraryDocument.issue_date)))


def issuers(session: Session) -> list[tuple[str, str]]:
    """Distinct issuers of published documents (Arabic, English), for the filter."""
    rows = session.execute(select(LibraryDocument.issuer_ar, LibraryDocument.issuer_en)
                           .where(LibraryDocument.published, LibraryDocument.issuer_ar != "")
                           .distinct().order_by(LibraryDocument.issuer_ar))
    return [(a, e) for a, e in rows]


@dataclass
class Hit:
    document: LibraryDocument
    rank: float
    snippet: Markup
    title: Markup | None = None  # the title in the reader's language, matches in <mark>


@dataclass
class SearchPage:
    hits: list[Hit]
    total: int
    page: int
    per_page: int


def _query_words(q: str) -> list[str]:
    """Normalised query words without stop words (at most MAX_QUERY_WORDS, no repeats)."""
    words = normalize_words(q[:1000])
    kept = [w for w in words if w not in _STOP] or words
    return list(dict.fromkeys(kept))[:MAX_QUERY_WORDS]


def _tsquery_sql(words: list[str], params: dict, joiner: str) -> str:
    parts = []
    for i, word in enumerate(words):
        keys = sorted(word_keys(word))
        alts = " | ".join(f"'{k}':*" if len(k) >= 4 and not k.isdigit() else f"'{k}'"
                          for k in keys)
        params[f"s{i}"] = alts
        params[f"w{i}"] = word
        parts.append(f"(to_tsquery('simple', :s{i}) || plainto_tsquery('arabic', :w{i})"
                     f" || plainto_tsquery('english', :w{i}))")
    return f" {joiner} ".join(parts)


def search(session: Session, q: str = "", *, kind: str | None = None, year: int | None = None,
           issuer: str | None = None, topic: str | None = None, status: str | None = None,
           drafts: bool = False, page: int = 1, per_page: int = 20,
           locale: str = "ar") -> SearchPage:
    """Ranked documents matching ``q`` and the filters, each with a highlighted passage."""
    if kind and kind not in DOC_KINDS:
        raise fields.not_one_of("kind", DOC_KINDS)
    if status and status not in DOC_STATUSES:
        raise fields.not_one_of("status", DOC_STATUSES)
    if topic and topic not in TOPICS and not topic.startswith("sector:"):
        raise BadInput(_("topic must be one of: %(values)s, or sector:<code>.",
                         values=", ".join(TOPICS)), field="topic")
    page = max(1, page)
    per_page = min(max(1, per_page), 100)
    params: dict[str, Any] = {}
    where = ["TRUE"]
    if not drafts:
        where.append("d.published")
    if kind:
        where.append("d.kind = :kind")
        params["kind"] = kind
    if status:
        where.append("d.status = :status")
        params["status"] = status
    if year:
        where.append("extract(year FROM d.issue_date) = :year")
        params["year"] = int(year)
    if issuer:
        where.append("(d.issuer_ar ILIKE :issuer OR d.issuer_en ILIKE :issuer)")
        params["issuer"] = f"%{issuer.strip()}%"
    if topic:
        if topic.startswith("sector:"):
            where.append("EXISTS (SELECT 1 FROM library_document_sector s WHERE "
                         "s.document_id = d.id AND s.sector_code = :sector)")
            params["sector"] = topic[7:]
        else:
            where.append(":topic = ANY(d.topics)")
            params["topic"] = topic
    words = _query_words(q or "")
    order = "d.issue_date DESC NULLS LAST, d.id DESC"
    filters = " AND ".join(where)
    if words:
        params["qnorm"] = " ".join(words)
        params["numbers"] = [w for w in words if w.isdigit()] or ["-"]
        number_hit = ("string_to_array(regexp_replace(d.number, '[^0-9]+', ' ', 'g'), ' ')"
                      " && CAST(:numbers AS text[])")
        base = f"ts_rank_cd(d.search_tsv, q.tsq) + CASE WHEN {number_hit} THEN 10 ELSE 0 END"
        # `<%` is word_similarity >= pg_trgm.word_similarity_threshold (0.6), GIN-indexed;
        # document numbers are in the title keys, so the vector finds them.
        matches = "(d.search_tsv @@ q.tsq OR :qnorm <% d.search_title)"
        # Two stages: the cheap rank picks the best candidates, then title similarity (costly
        # on Arabic trigrams) refines their order.
        params["candidates"] = max(CANDIDATES, page * per_page)
        for joiner in ("&&", "||"):  # every word first; any word when nothing has all
            sql = (f"WITH q AS (SELECT {_tsquery_sql(words, params, joiner)} AS tsq), "
                   f"c AS (SELECT d.id, d.issue_date, d.search_title, {base} AS base, "
                   f"count(*) OVER () AS total FROM library_document d, q "
                   f"WHERE {filters} AND {matches} ORDER BY base DESC, d.id "
                   f"LIMIT :candidates) "
                   f"SELECT c.id, c.base + word_similarity(:qnorm, c.search_title) AS rank, "
                   f"c.total FROM c ORDER BY rank DESC, c.issue_date DESC NULLS LAST, c.id "
                   f"LIMIT :limit OFFSET :offset")
            rows = _run(session, sql, params, page, per_page)
            if rows or len(words) == 1:
                break
    else:
        sql = (f"SELECT d.id, 0.0 AS rank, count(*) OVER () AS total FROM library_document d "
               f"WHERE {filters} ORDER BY {order} LIMIT :limit OFFSET :offset")
        rows = _run(session, sql, params, page, per_page)
    docs = {d.id: d for d in session.scalars(
        select(LibraryDocument).where(LibraryDocument.id.in_([r[0] for r in rows])))}
    qkeys = set().union(*(word_keys(w) for w in words)) if words else set()
    hits = [Hit(docs[r[0]], float(r[1]), snippet(docs[r[0]], qkeys, locale),
                mark_words(docs[r[0]].name(locale), qkeys)) for r in rows]
    return SearchPage(hits, int(rows[0][2]) if rows else 0, page, per_page)


def _run(session: Session, sql: str, params: dict, page: int, per_page: int) -> list:
    return session.execute(text(sql), {**params, "limit": per_page,
                                       "offset": (page - 1) * per_page}).all()


_WORD = re.compile(r"[\w\u064b-\u065f\u0670\u0640]+")
SNIPPET_SOURCE_CHARS = 50_000


def mark_words(text_: str, qkeys: set[str]) -> Markup:
    """``text_`` HTML-escaped with the words matching the query keys in ``<mark>``: a title
    found by "التعاميم" or "٩٣" shows why it was found even when the summary does not."""
    out, pos = [], 0
    for m in _WORD.finditer(text_ or ""):
        out.append(escape(text_[pos:m.start()]))
        word = text_[m.start():m.end()]
        hit = bool(qkeys) and not qkeys.isdisjoint(_token_keys(word))
        out.append(Markup("<mark>%s</mark>") % word if hit else escape(word))
        pos = m.end()
    out.append(escape((text_ or "")[pos:]))
    return Markup("").join(out)


def snippet(doc: LibraryDocument, qkeys: set[str], locale: str = "ar", *,
            width: int = 28) -> Markup:
    """The passage of the summary/text with the most query matches, HTML-escaped, matches
    wrapped in ``<mark>``."""
    ar = " ".join(x for x in (doc.summary_ar, doc.body_ar) if x)[:SNIPPET_SOURCE_CHARS]
    en = " ".join(x for x in (doc.summary_en, doc.body_en) if x)[:SNIPPET_SOURCE_CHARS]
    own, other = (en, ar) if locale == "en" else (ar, en)

    def flags_of(text: str) -> tuple[list[tuple[int, int]], list[bool]]:
        spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        return spans, [bool(qkeys) and not qkeys.isdisjoint(_token_keys(text[a:b]))
                       for a, b in spans]

    # The reader's language, unless the words were found only in the other one (or the
    # document has no text in the reader's language): never a mix of both.
    source = own
    tokens, flags = flags_of(own)
    if not own or (qkeys and not any(flags)):
        other_tokens, other_flags = flags_of(other)
        if other_tokens and (not own or any(other_flags)):
            source, tokens, flags = other, other_tokens, other_flags
    if not tokens:
        return Markup("")

    best, best_score = 0, sum(flags[:width])
    score = best_score
    for start in range(1, max(1, len(tokens) - width + 1)):  # sliding window
        score += flags[start + width - 1] - flags[start - 1]
        if score > best_score:
            best, best_score = start, score
    window = tokens[best:best + width]
    out = [Markup("… ") if best > 0 else Markup("")]
    pos = window[0][0] if best > 0 else 0
    for (a, b), flag in zip(window, flags[best:best + width], strict=False):
        out.append(escape(source[pos:a]))
        out.append(Markup("<mark>%s</mark>") % source[a:b] if flag else escape(source[a:b]))
        pos = b
    if best + width < len(tokens):
        out.append(Markup(" …"))
    else:
        out.append(escape(source[pos:]))
    return Markup("").join(out)


# ---------------------------------------------------------------- import

_CSV_COLUMNS = ("kind", "number", "issue_date", "issuer_ar", "issuer_en", "title_ar",
                "title_en", "summary_ar", "summary_en", "topics", "sectors", "service_types",
                "status", "status_by", "published", "files", "text_file")


def import_folder(session: Session, folder: Path, user: User | None = None,
                  max_bytes: int = attachments.DEFAULT_MAX_BYTES,
                  upload_folder: str | None = None) -> dict[str, int]:
    """Load ``folder/metadata.csv`` and the files it names; all rows or none.

    ``status_by`` names another document by ``kind:number`` (in the CSV or already stored).
    Every row is validated (and every file checked) before anything is written.
    """
    import csv

    meta = folder / "metadata.csv"
    if not meta.is_file():
        raise BadInput(_("%(folder)s: metadata.csv is missing.", folder=folder),
                       field="metadata.csv")
    with meta.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        unknown = [c for c in header if c not in _CSV_COLUMNS]
        if unknown:
            raise BadInput(_("metadata.csv: unknown column %(column)s; allowed: %(columns)s.",
                             column=unknown[0], columns=", ".join(_CSV_COLUMNS)),
                           field=unknown[0])
        for needed in ("kind", "title_ar"):
            if needed not in header:
                raise BadInput(_("metadata.csv: column %(column)s is missing.", column=needed),
                               field=needed)
        rows = list(reader)
    if not rows:
        raise BadInput(_("metadata.csv has no rows."), field="metadata.csv")
    prepared = []
    keys_in_csv: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):
        def fail(exc: BadInput, column: str | None = None, n: int = n) -> BadInput:
            col = column or (exc.details.get("field") if isinstance(exc.details, dict) else "")
            return BadInput(_("metadata.csv row %(row)s, column %(column)s: %(message)s",
                              row=n, column=col, message=exc.message),
                            details={"row": n, "column": col})
        data = {k: (v or "").strip() for k, v in row.items() if k in _CSV_COLUMNS}
        body_file = data.pop("text_file", "")
        files = [p for p in re.split(r"[|;]", data.pop("files", "")) if p.strip()]
        status_by = data.pop("status_by", "")
        data["published"] = data.get("published", "1").lower() in ("1", "yes", "true", "نعم")
        try:
            if body_file:
                path = folder / body_file
                if not path.is_file() or folder.resolve() not in path.resolve().parents:
                    raise BadInput(_("file %(name)s not found.", name=body_file),
                                   field="text_file")
                data["body_ar"] = path.read_text(encoding="utf-8")
            values = {k: v for k, v in data.items() if k != "status"}
            values["status"] = "in_force"
            _validate(session, values, None)
            if data.get("status") and data["status"] not in DOC_STATUSES:
                raise fields.not_one_of("status", DOC_STATUSES)
            checked = []
            for name in files:
                path = folder / name.strip()
                if not path.is_file() or folder.resolve() not in path.resolve().parents:
                    raise BadInput(_("file %(name)s not found.", name=name.strip()),
                                   field="files")
                checked.append(attachments.check(path.name, path.read_bytes(),
                                                 max_bytes=max_bytes, field="files"))
        except BadInput as exc:
            raise fail(exc) from None
        if data.get("number"):
            keys_in_csv[_norm_key(f"{data['kind']}:{data['number']}")] = n
        prepared.append((n, data, status_by, checked))
    # Resolve status links before writing anything.
    for n, data, status_by, _checked in prepared:
        status = data.get("status") or "in_force"
        if status != "in_force" and not status_by:
            raise BadInput(_("metadata.csv row %(row)s, column status_by: a %(status)s "
                             "document must name the document that changed it (kind:number).",
                             row=n, status=status),
                           details={"row": n, "column": "status_by"})
        if status_by and _norm_key(status_by) not in keys_in_csv \
                and _find(session, status_by) is None:
            raise BadInput(_("metadata.csv row %(row)s, column status_by: no document "
                             "%(document)s.", row=n, document=status_by),
                           details={"row": n, "column": "status_by"})
    created: dict[str, LibraryDocument] = {}
    count_files = 0
    for _n, data, _status_by, checked in prepared:
        values = {k: v for k, v in data.items() if k not in ("status", "published")}
        doc = create_document(session, user, values)
        created[f"{doc.kind}:{doc.number}"] = doc
        for c in checked:
            if upload_folder:
                add_attachment(session, user, doc.id, c, upload_folder)
                count_files += 1
    for _n, data, status_by, _checked in prepared:
        doc = created[f"{data['kind']}:{_norm_number(data.get('number', ''))}"]
        if status_by:
            target = created.get(_norm_key(status_by)) or _find(session, status_by)
            update_document(session, user, doc.id, {"status": data["status"],
                                                    "status_by_id": target.id})
        if data["published"]:
            publish(session, user, doc)
    session.flush()
    return {"documents": len(created), "files": count_files}


def _norm_number(number: str) -> str:
    return "/".join(normalize_words(number))


def _norm_key(key: str) -> str:
    kind, _sep, number = key.partition(":")
    return f"{kind}:{_norm_number(number)}"


def _find(session: Session, key: str) -> LibraryDocument | None:
    kind, _sep, number = _norm_key(key).partition(":")
    return session.scalars(select(LibraryDocument).where(
        LibraryDocument.kind == kind, LibraryDocument.number == number)).first()


def document_attachment(session: Session, file_id: uuid.UUID, *, drafts: bool = False
                        ) -> Attachment:
    """A document's attached file; drafts' files only when ``drafts`` (else NotFound)."""
    att = attachments.find_attachment(session, file_id, owner="document")
    if att is None or (not att.document.published and not drafts):
        raise NotFound(_("This file does not exist."))
    return att
