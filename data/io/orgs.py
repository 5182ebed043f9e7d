"""Organisation matching for imports: by reviewed alias, normalised name, then acronym.

"Maram Foundation (MF)" and "MF" are one organisation; two different names that share a
parenthetical acronym ("Bahar Organization (BO)", "Bonyan Organization (BO)") are not merged
but reported. Decisions are stored as ``OrganizationAlias`` rows (``reviewed`` false until a
person confirms them), so a second import reuses them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from data.errors import NotFound
from data.models import (
    Activity,
    Organization,
    OrganizationAlias,
    Service,
    ServiceType,
    service_coverage,
)
from data.searchtext import organization_search_text, refresh_organization, service_search_text
from textmatch.arabic import normalize

from .fingerprints import content_digest, fingerprint

__all__ = ["Match", "OrgMatcher", "split_name"]

_PAREN = re.compile(r"^(.*?)\s*\(([^()]{1,40})\)\s*$")
_ARABIC = re.compile("[\u0600-\u06ff]")
ORG_TYPES = {"nngo": "local_ngo", "ngo": "local_ngo", "local ngo": "local_ngo",
             "ingo": "international_ngo", "international ngo": "international_ngo",
             "un": "un_agency", "un agency": "un_agency", "government": "government",
             "cbo": "cbo", "charity": "charity", "private": "private"}


def split_name(cell: str | None) -> tuple[str | None, str | None]:
    """``"Maram Foundation (MF)"`` -> ``("Maram Foundation", "MF")``; ``"MF"`` -> (None, "MF")."""
    text = " ".join((cell or "").split())
    if not text:
        return None, None
    if m := _PAREN.match(text):
        name, acronym = m.group(1).strip(), m.group(2).strip()
        return (name or None), acronym
    if " " not in text and len(text) <= 20 and not _ARABIC.search(text) and \
            (text.upper() == text or any(c.isdigit() for c in text)):
        return None, text
    return text, None


@dataclass
class Match:
    """The organisation for a cell, or why there is none; ``note`` is a doubtful finding."""

    org: Organization | None
    problem: str = ""
    note: str = ""
    created: bool = False


class OrgMatcher:
    """Index of organisations and aliases, built once per import; creates what is new."""

    def __init__(self, session: Session, source: str = "import"):
        self.s = session
        self.source = source[:40]
        self.by_id: dict[int, Organization] = {}
        self.by_name: dict[str, int] = {}
        self.by_acronym: dict[str, set[int]] = defaultdict(set)
        self.aliases: dict[str, int] = {}
        self.created: set[int] = set()
        self.updated: set[int] = set()
        self.new_aliases = 0
        self.may_create = True
        for org in session.scalars(select(Organization)):
            self._index(org)
        for al in session.scalars(select(OrganizationAlias)):
            self.aliases[al.alias_norm] = al.organization_id

    def _index(self, org: Organization) -> None:
        self.by_id[org.id] = org
        for name in (org.name_en, org.name_ar):
            key = normalize(split_name(name)[0] or name)
            if key and not (org.acronym and key == normalize(org.acronym)):
                self.by_name.setdefault(key, org.id)
        if org.acronym:
            self.by_acronym[normalize(org.acronym)].add(org.id)

    def _named(self, org: Organization) -> bool:
        """True when the organisation has a real name (not only its acronym)."""
        return bool(org.acronym is None or normalize(org.name_en) != normalize(org.acronym))

    def _alias(self, text: str, org: Organization) -> None:
        key = normalize(text)
        if not key or key in self.aliases or self.by_name.get(key) == org.id:
            return
        if self.by_acronym.get(key, set()) - {org.id}:  # another organisation's acronym
            return
        self.s.add(OrganizationAlias(organization_id=org.id, alias=text[:300], alias_norm=key,
                                     source=self.source, reviewed=False))
        self.aliases[key] = org.id
        self.new_aliases += 1

    def _create(self, name: str | None, acronym: str | None, org_type: str | None) -> Match:
        if not self.may_create:
            return Match(None, _("organisation %(name)s is not registered here",
                                  name=repr(name or acronym)))
        label = name or acronym or ""
        ar = label if _ARABIC.search(label) else label
        en = label
        if "/" in label and _ARABIC.search(label):
            parts = [p.strip() for p in label.split("/", 1)]
            en, ar = (parts[0], parts[1]) if _ARABIC.search(parts[1]) else (parts[1], parts[0])
        org = Organization(name_en=en, name_ar=ar, acronym=(acronym or None) and acronym[:40],
                           org_type=ORG_TYPES.get((org_type or "").strip().lower(), "local_ngo"),
                           verification="pending")
        org.search_text = organization_search_text(org)
        self.s.add(org)
        self.s.flush()
        self._index(org)
        self.created.add(org.id)
        return Match(org, created=True)

    def match(self, cell: str | None, acronym_cell: str | None = None,
              org_type: str | None = None, *, create: bool = True) -> Match:
        """The organisation written as ``cell`` (and an explicit acronym column), created when
        new; ``Match.problem`` when it cannot be decided."""
        self.may_create = create
        name, acronym = split_name(cell)
        strong = (acronym_cell or "").strip() or None
        if strong and (strong.lower() in ("na", "n/a")):
            strong = None
        if name is None and acronym is None and strong is None:
            return Match(None, _("no organisation given"))
        # 1. a recorded decision or a known name
        for text in filter(None, (cell, name)):
            key = normalize(text)
            oid = self.aliases.get(key) or self.by_name.get(key)
            if oid:
                org = self.by_id[oid]
                for other in {acronym, strong} - {None, org.acronym}:
                    self._alias(other, org)
                if name and not self._named(org) and normalize(name) != normalize(
                        org.acronym or ""):
                    org.name_en = org.name_ar = name
                    self.by_name.setdefault(normalize(name), org.id)
                    self.updated.add(org.id)
                return Match(org)
        # 2. by acronym: the explicit acronym column first, then the parenthetical one
        for acr, explicit in ((strong, True), (acronym, False)):
            if not acr:
                continue
            key = normalize(acr)
            ids = set(self.by_acronym.get(key, set()))
            if key in self.aliases:
                ids.add(self.aliases[key])
            if not ids:
                continue
            orgs = [self.by_id[i] for i in sorted(ids)]
            if name is None:
                if len(orgs) == 1:
                    return Match(orgs[0])
                return Match(None, _("acronym %(acr)s is used by %(n)s organisations: "
                                     "%(names)s", acr=repr(acr), n=len(orgs),
                                     names="; ".join(o.name_en for o in orgs)))
            unnamed = [o for o in orgs if not self._named(o)]
            if len(unnamed) == 1:
                org = unnamed[0]
                org.name_en = org.name_ar = name
                refresh_organization(self.s, org)  # its services carry its name too
                self.by_name.setdefault(normalize(name), org.id)
                self.updated.add(org.id)
                return Match(org)
            if explicit and len(orgs) == 1:
                org = orgs[0]
                self._alias(name, org)
                return Match(org, note=_("name %(name)s differs from %(other)s; matched by "
                                         "the acronym column (%(acr)s); review the alias",
                                         name=repr(name), other=repr(org.name_en), acr=acr))
            clash = "; ".join(o.name_en for o in orgs)
            made = self._create(name, acronym or strong, org_type)
            made.note = _("acronym %(acr)s is also used by %(names)s; kept as a separate "
                          "organisation", acr=repr(acr), names=clash)
            return made
        made = self._create(name, acronym or strong, org_type)
        if strong and acronym and normalize(strong) != normalize(acronym):
            self._alias(strong, made.org)  # type: ignore[arg-type]
        return made


def review_alias(session: Session, alias_id: int, *, same: bool) -> OrganizationAlias:
    """Record a person's decision on an alias an import made.

    ``same``: the spelling is that organisation (``reviewed`` becomes true). Otherwise the
    spelling is a different organisation: one is created under that name, the alias moves to
    it (reviewed, so later imports follow the decision), and so do the activities written with
    that spelling, with a service per service type covering their areas.
    """
    alias = session.get(OrganizationAlias, alias_id)
    if alias is None:
        raise NotFound(_("alias %(id)s doesn't exist.", id=alias_id), field="alias")
    if same:
        alias.reviewed = True
        session.flush()
        return alias
    old = alias.organization_id
    moved = [a for a in session.scalars(select(Activity).where(Activity.organization_id == old))
             if normalize(split_name(a.implementing_org)[0] or a.implementing_org)
             == alias.alias_norm or normalize(a.implementing_org) == alias.alias_norm]
    name, acronym = split_name(alias.alias)
    for act in moved[:1]:  # "Name (ACR)" as the file wrote it gives the acronym
        name, acronym = split_name(act.implementing_org)
    org = Organization(name_en=name or alias.alias, name_ar=name or alias.alias,
                       acronym=acronym, verification="pending")
    org.search_text = organization_search_text(org)
    session.add(org)
    session.flush()
    alias.organization_id, alias.reviewed = org.id, True
    services: dict[str, int] = {}
    seen: Counter = Counter()
    for act in sorted(moved, key=lambda a: (a.source_file, a.source_row or 0)):
        act.organization_id = org.id
        digest = content_digest(org.uuid, act)
        seen[digest] += 1  # same fingerprints as an import under the new organisation
        act.fingerprint = fingerprint(digest, seen[digest])
        code = act.service_type_code
        if code and code not in services:
            st = session.get(ServiceType, code)
            svc = Service(organization_id=org.id, service_type_code=code, name_en=st.name_en,
                          name_ar=st.name_ar, sensitive=st.sensitive)
            svc.search_text = service_search_text(svc, org, st)
            session.add(svc)
            session.flush()
            services[code] = svc.id
        if code and act.pcode:
            session.execute(insert(service_coverage).values(
                service_id=services[code], pcode=act.pcode).on_conflict_do_nothing())
    session.flush()
    return alias


def unreviewed_aliases(session: Session) -> list[tuple[OrganizationAlias, Organization]]:
    """Aliases that imports created and nobody has confirmed yet, with their organisation."""
    rows = session.execute(
        select(OrganizationAlias, Organization).join(Organization)
        .where(OrganizationAlias.reviewed.is_(False)).order_by(OrganizationAlias.id)).all()
    return [(alias, org) for alias, org in rows]
