"""Import batches: the rows one import of one source wrote, replaced or rolled back as a whole.

A source is a file name and sheet. Importing it again with the same content changes nothing;
with other content (a corrected file, a changed mapping or period) the import is refused
unless asked to replace, and then the earlier batch's rows that the new import does not
carry are deleted in the same transaction, never left beside a second copy. Rows with the
same content from another source are one row (their fingerprint), owned by the batch that
wrote them first. Coverage an import created is taken back when no remaining row supports it,
and a service or organisation it created when nothing refers to it any more.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, select, text, tuple_, update
from sqlalchemy.orm import Session

from data.errors import BadInput, NotFound
from data.models import Activity, ImportBatch, Organization, Service, service_coverage

from .report import ImportReport

__all__ = ["RolledBack", "list_batches", "rollback_batch", "settle"]

# Tables that refer to what an import created but are its own parts or derived from it:
# they never keep such a service or organisation alive.
_OWN_PARTS = {"service": ("service_target_group", "provider_ranking"),
              "organization": ("organization_alias",)}
# What else keeps one: a service while a row with people reached supports it; an
# organisation once it was verified (or rejected) by an admin.
_KEEP = {
    "service": "AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.organization_id = "
               "x.organization_id AND a.service_type_code = x.service_type_code AND "
               "coalesce(a.reached_total, 1) > 0)",
    "organization": "AND x.verification = 'pending'",
}
_MODELS = {"service": Service, "organization": Organization}


def _totals(session: Session, batch: ImportBatch) -> None:
    rows, people = session.execute(
        select(func.count(), func.coalesce(func.sum(Activity.reached_total), 0))
        .where(Activity.batch_id == batch.id)).one()
    batch.rows, batch.people = rows, int(people)


def _take_back(session: Session, pairs: list) -> list[list]:
    """Delete the coverage ``pairs`` (service id, p-code) that no row with people reached
    supports any more; return the pairs that stay."""
    if not pairs:
        return []
    keys = [(int(s), str(p)) for s, p in pairs]
    sc = service_coverage
    supported = exists(
        select(1).select_from(Activity).join(
            Service, and_(Service.organization_id == Activity.organization_id,
                          Service.service_type_code == Activity.service_type_code))
        .where(Service.id == sc.c.service_id, Activity.pcode == sc.c.pcode,
               func.coalesce(Activity.reached_total, 1) > 0))
    session.execute(delete(sc).where(tuple_(sc.c.service_id, sc.c.pcode).in_(keys),
                                     ~supported))
    left = session.execute(select(sc.c.service_id, sc.c.pcode)
                           .where(tuple_(sc.c.service_id, sc.c.pcode).in_(keys))).all()
    return [[s, p] for s, p in left]


def _referrers(session: Session, table: str) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to ``table`` but its own parts, read from the
    catalog so that a table added later counts too."""
    rows = session.execute(text(
        "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND c.confrelid = CAST(:t AS regclass)"), {"t": table}).all()
    return [(t, c) for t, c in rows if t not in _OWN_PARTS[table]]


def _take_back_created(session: Session, table: str, ids: list) -> tuple[list[int], int]:
    """Delete the rows ``ids`` of ``table`` (services or organisations an import created)
    that no other row refers to (coverage, sites, referrals, members, remaining
    activities, ...), that nobody edited since and that nothing in ``_KEEP`` keeps;
    return the ids that stay and how many were deleted."""
    if not ids:
        return [], 0
    keys = sorted({int(i) for i in ids})
    used = " ".join(f"AND NOT EXISTS (SELECT 1 FROM {t} r WHERE r.{c} = x.id)"
                    for t, c in _referrers(session, table))
    gone = set(session.scalars(text(
        f"DELETE FROM {table} x WHERE x.id = ANY(:ids) AND x.updated_at = x.created_at "
        f"{_KEEP[table]} {used} RETURNING x.id"), {"ids": keys}))
    model = _MODELS[table]
    for obj in list(session.identity_map.values()):  # nothing stale to write back
        if isinstance(obj, model) and obj.id in gone:
            session.expunge(obj)
    return [i for i in keys if i not in gone], len(gone)


def _diff(gone: list, came: list, old: list, prior: ImportBatch) -> dict:
    """Rows added, removed and changed (same row number, other content), and people."""
    gone_rows = {row for _fp, row, _p in gone}
    came_rows = {row for _fp, row, _p in came}
    changed = gone_rows & came_rows
    before = sum(p or 0 for *_r, p in old)
    after = before - sum(p or 0 for *_r, p in gone) + sum(p or 0 for *_r, p in came)
    return {"batch": prior.id, "added": len(came_rows - changed),
            "removed": len(gone_rows - changed), "changed": len(changed), "before": before,
            "after": after}


def settle(session: Session, batch: ImportBatch, written: list[tuple[str, int, int]],
           created_coverage: list[tuple[int, str]], created_services: set[int],
           created_orgs: set[int], report: ImportReport, *, replace: bool) -> str | None:
    """Finish ``batch`` after its rows were written: against the source's earlier batch,
    keep one copy. Returns a reason to refuse the import (the caller rolls back), or None."""
    batch.coverage = [[s, p] for s, p in created_coverage]
    batch.services = sorted(created_services)
    batch.organizations = sorted(created_orgs)
    prior = session.scalars(
        select(ImportBatch).where(ImportBatch.source == batch.source,
                                  ImportBatch.sheet == batch.sheet,
                                  ImportBatch.status == "active", ImportBatch.id != batch.id)
        .order_by(ImportBatch.id.desc())).first()
    if prior is None:
        _totals(session, batch)
        report.batch = {"id": batch.id}
        return None
    rows = (Activity.fingerprint, Activity.source_row, Activity.reached_total)
    old = session.execute(select(*rows).where(Activity.batch_id == prior.id)).all()
    carried = {w[0] for w in written}
    gone = [r for r in old if r[0] not in carried]
    came = session.execute(select(*rows).where(Activity.batch_id == batch.id)).all()
    if not gone and not came:
        session.delete(batch)  # the same rows: the earlier batch stays as it is
        session.flush()
        report.batch = {"id": prior.id, "unchanged": True}
        return None
    diff = _diff(gone, came, old, prior)
    report.batch = {"id": batch.id, "replaces": prior.id, "diff": diff}
    if not replace and old:  # an earlier batch that holds no rows cannot be doubled
        return _("%(source)s was imported before (batch %(batch)s, %(when)s) with other "
                 "content: %(added)s rows would be added, %(removed)s removed, %(changed)s "
                 "changed. Nothing was imported; re-run with --replace to replace that "
                 "import (--dry-run --replace shows the difference).", source=batch.source,
                 batch=prior.id, when=f"{prior.imported_at:%Y-%m-%d %H:%M}",
                 added=diff["added"], removed=diff["removed"], changed=diff["changed"])
    fps = [r[0] for r in gone]
    for i in range(0, len(fps), 5000):
        session.execute(delete(Activity).where(Activity.batch_id == prior.id,
                                               Activity.fingerprint.in_(fps[i:i + 5000])))
    session.execute(update(Activity).where(Activity.batch_id == prior.id)
                    .values(batch_id=batch.id))
    prior.status, prior.replaced_by = "replaced", batch.id
    batch.coverage = _take_back(session, prior.coverage) + batch.coverage
    kept, _n = _take_back_created(session, "service", prior.services)
    batch.services = sorted(set(kept) | set(batch.services))
    kept, _n = _take_back_created(session, "organization", prior.organizations)
    batch.organizations = sorted(set(kept) | set(batch.organizations))
    prior.coverage, prior.services, prior.organizations = [], [], []
    _totals(session, batch)
    session.flush()
    return None


def list_batches(session: Session, source: str | None = None) -> list[ImportBatch]:
    """Import batches, newest first (of one source when given)."""
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc())
    if source:
        stmt = stmt.where(ImportBatch.source == source)
    return list(session.scalars(stmt))


@dataclass
class RolledBack:
    """A rolled-back batch and what its rollback deleted."""

    batch: ImportBatch
    activities: int
    coverage: int
    services: int
    organizations: int


def rollback_batch(session: Session, batch_id: int) -> RolledBack:
    """Delete, in the caller's transaction, the rows an active batch wrote, the coverage
    only they supported and the services and organisations it created that nothing else
    refers to."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(_("import batch %(id)s doesn't exist.", id=batch_id), field="batch")
    if batch.status != "active":
        raise BadInput(_("import batch %(id)s is %(status)s; only an active batch can be "
                         "rolled back.", id=batch_id, status=batch.status), field="batch")
    rows = session.execute(delete(Activity).where(Activity.batch_id == batch.id)).rowcount
    coverage = len(batch.coverage) - len(_take_back(session, batch.coverage))
    _kept, services = _take_back_created(session, "service", batch.services)
    _kept, orgs = _take_back_created(session, "organization", batch.organizations)
    batch.status, batch.rows, batch.people = "rolled_back", 0, 0
    batch.coverage, batch.services, batch.organizations = [], [], []
    session.flush()
    return RolledBack(batch, rows, coverage, services, orgs)
