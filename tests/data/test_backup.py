"""Backups: a round trip into an empty database gives back every row, every attachment and
the referred person's name with the same key; a non-empty target is refused (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Factory

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35"
       b"\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def _app(url: str, uploads: Path, key: str):
    from app import create_app

    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "s",
                       "UPLOAD_FOLDER": str(uploads), "TASHARUK_DATA_KEYS": key,
                       "RATELIMIT_ENABLED": False})


@pytest.fixture(scope="module")
def source(scratch_db, tmp_path_factory):
    """A committed database with a referral (name encrypted) and an attachment on disk."""
    from data.attachments import check, save
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade
    from data.models import Attachment, LibraryDocument
    from referral.crypto import DataCipher, generate_key
    from tests.kits.referrals import World, new_referral, quick_user

    url = scratch_db("tasharuk_backup_src")
    upgrade(url)
    key = generate_key()
    uploads = tmp_path_factory.mktemp("uploads-src")
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        load_reference(s)
        make = Factory(s)
        sender, receiver = make.org(), make.org()
        service = make.service(organization=receiver, service_type_code="prot_pss",
                               coverage=["SY07"])
        users = {(side, role): quick_user(s, role, org)
                 for side, org in (("sender", sender), ("receiver", receiver))
                 for role in ("org_admin", "caseworker")}
        world = World(sender, receiver, make.org(), service, users)
        referral = new_referral(s, world, name="فاطمة الاختبار", data_cipher=DataCipher([key]))
        doc = LibraryDocument(kind="law", title_ar="قانون", published=True)
        s.add(doc)
        s.flush()
        checked = check("scan.png", PNG)
        s.add(Attachment(document_id=doc.id, filename="scan.png", content_type="image/png",
                         size=len(PNG), sha256=checked.sha256,
                         storage_key=save(uploads, checked)))
        s.commit()
        case_id = referral.case_id
    engine.dispose()
    return {"url": url, "key": key, "uploads": uploads, "case_id": case_id,
            "sha": checked.sha256}


def test_backup_and_restore_round_trip_every_row_attachment_and_encrypted_name(
        source, scratch_db, tmp_path):
    from data.backup import MANIFEST
    from data.db import make_engine
    from data.models import Case
    from referral.crypto import DataCipher

    folder = tmp_path / "backup"
    res = _app(source["url"], source["uploads"], source["key"]).test_cli_runner().invoke(
        args=["backup", str(folder)])
    assert res.exit_code == 0, res.output
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["migration_head"] and manifest["database"]["rows"]["referral"] == 1
    assert list(manifest["uploads"].values()) == [source["sha"]]
    assert source["key"] not in (folder / MANIFEST).read_text()  # never the keys
    assert manifest["keys"]["TASHARUK_DATA_KEYS_fingerprints"]
    assert "TASHARUK_DATA_KEYS" in res.output  # the reminder

    target = scratch_db("tasharuk_backup_dst")
    uploads = tmp_path / "uploads-dst"
    res = _app(target, uploads, source["key"]).test_cli_runner().invoke(
        args=["restore", str(folder)])
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output

    import psycopg

    from data.backup import USER_TABLES, _row_counts  # the same count, on both sides

    with psycopg.connect(source["url"]) as a, psycopg.connect(target) as b:
        assert _row_counts(a) == _row_counts(b) == manifest["database"]["rows"]
        assert [r[0] for r in a.execute(USER_TABLES)] == [r[0] for r in b.execute(USER_TABLES)]
    restored = next(p for p in uploads.rglob("*") if p.is_file())
    assert restored.read_bytes() == PNG
    engine = make_engine(target)
    with Session(engine) as s:
        case = s.scalar(select(Case).where(Case.id == source["case_id"]))
        assert DataCipher([source["key"]]).decrypt(case.name_enc) == "فاطمة الاختبار"
    engine.dispose()


def test_backup_into_a_non_empty_folder_is_refused(source, tmp_path):
    (tmp_path / "old.txt").write_text("x")
    res = _app(source["url"], source["uploads"], source["key"]).test_cli_runner().invoke(
        args=["backup", str(tmp_path)])
    assert res.exit_code == 2
    assert "is not empty" in res.output and "DIR" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]  # nothing written


def test_restore_into_a_non_empty_database_or_from_a_damaged_backup_is_refused(
        source, tmp_path):
    folder = tmp_path / "b"
    app = _app(source["url"], source["uploads"], source["key"])
    assert app.test_cli_runner().invoke(args=["backup", str(folder)]).exit_code == 0
    res = app.test_cli_runner().invoke(args=["restore", str(folder)])
    assert res.exit_code == 2 and "database is not empty" in res.output

    dump = folder / "database.dump"
    dump.write_bytes(dump.read_bytes()[:-10])
    res = app.test_cli_runner().invoke(args=["restore", str(folder)])
    assert res.exit_code == 2 and "damaged" in res.output and "database.dump" in res.output

    (folder / "manifest.json").unlink()
    res = app.test_cli_runner().invoke(args=["restore", str(folder)])
    assert res.exit_code == 2 and "not a complete Tasharuk backup" in res.output


@pytest.mark.parametrize("given", ["new", "empty"])
def test_a_backup_is_readable_by_its_owner_only(source, given):
    # a backup is the whole platform (accounts, messages, sealed cases): under the usual
    # umask 022 the dump, the manifest and the attachments were readable by every local user
    import os
    import shutil
    import stat
    import subprocess
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="tasharuk-backup-"))  # others may walk to it
    try:
        os.chmod(base, 0o755)
        folder = base / "nightly" / "b"
        if given == "empty":
            folder.mkdir(parents=True, mode=0o755)
        old = os.umask(0o022)
        try:
            res = _app(source["url"], source["uploads"], source["key"]).test_cli_runner(
                ).invoke(args=["backup", str(folder)])
        finally:
            os.umask(old)
        assert res.exit_code == 0, res.output
        entries = [folder, *folder.rglob("*")]
        assert {p.name for p in entries if p.is_file()} >= {"database.dump", "manifest.json",
                                                             source["sha"]}
        modes = {str(p.relative_to(base)): stat.S_IMODE(p.stat().st_mode) for p in entries}
        assert modes == {k: 0o700 if (base / k).is_dir() else 0o600 for k in modes}, modes
        runuser = shutil.which("runuser")
        if os.geteuid() == 0 and runuser:  # another local user, as an attacker would be
            (base / "nightly" / "note.txt").write_text("x")  # (umask 022: theirs to read)

            def read_as_nobody(path: Path) -> subprocess.CompletedProcess:
                return subprocess.run([runuser, "-u", "nobody", "--", "cat", str(path)],
                                      capture_output=True, timeout=30)

            assert read_as_nobody(base / "nightly" / "note.txt").returncode == 0
            seen = read_as_nobody(folder / "database.dump")
            assert seen.returncode != 0 and b"Permission denied" in seen.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)
