"""The importer's activity rows written by a thread in blocks (data.io.activitywriter): with
blocks of a few rows, so that organisations are created while blocks are being written,
every row is stored once, fingerprinted as the alias review recomputes it, re-imports and
overlapping files merge, and a file failing after some blocks were written leaves nothing."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from data.errors import BadInput
from data.io import activitywriter
from data.io.fingerprints import content_digest, fingerprint
from data.io.fourw import import_4w
from data.models import Activity, ImportBatch, Organization
from tests.conftest import shared_path


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(activitywriter, "BATCH", 7)


def _lines(n: int | None = None) -> list[bytes]:
    lines = shared_path("4w", "prot.csv").read_bytes().splitlines(keepends=True)
    return lines if n is None else lines[:n + 1]


def test_rows_written_in_small_blocks_are_stored_once_and_fingerprinted(session, boundaries,
                                                                        small_blocks, tmp_path):
    threads = threading.active_count()
    report = import_4w(session, shared_path("4w", "prot.csv"), period="2023-01")
    assert report.created["activities"] == report.rows_imported == 4850
    assert session.scalar(select(func.count()).select_from(Activity)) == 4850
    assert threading.active_count() == threads  # the writer thread is gone
    # each fingerprint is the digest of the stored content and its occurrence, as the
    # alias review recomputes it (data.io.orgs.review_alias)
    uuids = dict(session.execute(select(Organization.id, Organization.uuid)).all())
    seen: Counter = Counter()
    mismatched = 0
    for act in session.scalars(select(Activity).order_by(Activity.source_row)):
        digest = content_digest(uuids[act.organization_id], act)
        seen[digest] += 1
        mismatched += act.fingerprint != fingerprint(digest, seen[digest])
    assert mismatched == 0
    # the same rows under another name: every block meets stored fingerprints
    again = import_4w(session, shared_path("4w", "prot.csv"), period="2023-01",
                      source_name="copy.csv")
    assert again.created["activities"] == 0 and again.unchanged == 4850
    # a file whose first rows are stored and whose later ones are new
    lines = _lines(40)
    total = lines[0].decode().split(",").index("total_reached")
    changed = []
    for i in range(21, 41):
        cells = lines[i].decode().split(",")
        cells[total] = str(int(cells[total]) + 1000)
        changed.append(",".join(cells).encode())
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"".join(lines[:21] + changed))
    third = import_4w(session, mixed, period="2023-01")
    assert (third.created["activities"], third.unchanged) == (20, 20)
    assert session.scalar(select(func.count()).select_from(Activity)) == 4870


def test_a_file_failing_after_blocks_were_written_leaves_nothing(session, boundaries,
                                                                 small_blocks, tmp_path):
    bad = tmp_path / "late_fault.csv"
    bad.write_bytes(b"".join(_lines(1500)) + b"NWS,\xff\xfe broken\n")
    assert bad.stat().st_size > 2 * 65536  # past what the reader checks on opening
    threads = threading.active_count()
    with pytest.raises(BadInput, match="not UTF-8"):
        import_4w(session, bad, period="2023-01")
    assert threading.active_count() == threads
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    # the session goes on: the same rows import in full
    good = tmp_path / "good.csv"
    good.write_bytes(b"".join(_lines(1500)))
    assert import_4w(session, good, period="2023-01").created["activities"] == 1500
