"""sealed_trigger_when: the triggers refusing plain text in sealed columns skip the rows whose
plain columns are empty, without calling PL/pgSQL

Revision ID: 0039_sealed_trigger_when
Revises: 0038_feedback
Create Date: 2026-12-06 23:00:00

Why (issue 20): migration 0021's ``*_no_new_plain`` row triggers ran their PL/pgSQL function
(``to_jsonb(NEW)`` per checked column) on every row, ~16 us a row, ~70 % on top of a bare
insert of a referral event; yet every row the app writes has those columns empty. A ``WHEN``
clause (evaluated by the executor, no function call) lets those rows through and leaves the
function's check for the rest: an INSERT or UPDATE that puts a non-empty value in a plain
column still reaches it, and it still lets an old row waiting to be sealed change otherwise.
The function is unchanged; only the triggers are recreated.
"""
import sqlalchemy as sa
from alembic import op

revision = '0039_sealed_trigger_when'
down_revision = '0038_feedback'
branch_labels = None
depends_on = None


def _sealed() -> dict[str, list[str]]:
    """Each table with a ``<table>_no_new_plain`` trigger and its plain columns (the
    trigger's arguments, as 0021_sealed_notes created them)."""
    rows = op.get_bind().execute(sa.text(
        "SELECT c.relname, t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = c.relname || '_no_new_plain' ORDER BY 1")).all()
    return {table: [a.decode() for a in bytes(args).split(b"\0") if a] for table, args in rows}


def _create(table: str, columns: list[str], *, when: bool) -> None:
    args = ", ".join(f"'{c}'" for c in columns)
    # the function's own test of a value, ``coalesce(val, '') <> ''``, on NEW's columns
    cond = " OR ".join(f"coalesce(NEW.{c}, '') <> ''" for c in columns)
    clause = f"WHEN ({cond}) " if when else ""
    op.execute(f"DROP TRIGGER {table}_no_new_plain ON {table}")
    op.execute(f"CREATE TRIGGER {table}_no_new_plain BEFORE INSERT OR UPDATE ON {table} "
               f"FOR EACH ROW {clause}EXECUTE FUNCTION tasharuk_no_new_plain({args})")


def upgrade() -> None:
    for table, columns in _sealed().items():
        _create(table, columns, when=True)


def downgrade() -> None:
    for table, columns in _sealed().items():
        _create(table, columns, when=False)
