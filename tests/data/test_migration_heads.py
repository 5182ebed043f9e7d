"""One Alembic head: the branches are merged, so a plain ``alembic upgrade head`` works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from data.migrate import alembic_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_migrations_have_exactly_one_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several Alembic heads: {sorted(heads)}; add a merge revision"


def test_a_plain_alembic_upgrade_head_migrates_an_empty_database(scratch_db):
    from data.db import make_engine

    url = scratch_db("tasharuk_test_plain_alembic")
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    engine = make_engine(url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert versions == ScriptDirectory.from_config(alembic_config()).get_heads()


def test_each_revision_names_its_parents_on_one_line():
    """Tools that read a migration line by line (review scripts, grep) saw 0020's parents
    split over two lines and counted three heads where Alembic has one: each file's
    ``down_revision`` stays on its own line, so both readings give the same head."""
    import re

    versions = ROOT / "data" / "migrations" / "versions"
    named, parents = set(), set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        named.add(re.search(r"^revision = [\"']([^\"']+)", source, re.M).group(1))
        line = re.search(r"^down_revision = (.*)$", source, re.M).group(1)
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", line))
    assert sorted(named - parents) == sorted(ScriptDirectory.from_config(alembic_config())
                                              .get_heads())
