"""sealed_notes: free-text notes about people are stored encrypted (``*_enc``), like name and phone

Revision ID: 0021_sealed_notes
Revises: 0020_one_head
Create Date: 2026-12-06 04:10:00

Why (issue 17, finding 5): referral and event notes ("GBV disclosure ...") sat in plain text
while name and phone were encrypted. Every free-text column that can describe a person gets a
Fernet-sealed twin (``bytea``): ``referral.note``/``reason_text``, ``referral_event.note``/
``reason_text`` (decline, close and outcome notes), ``referral_case.consent_override_reason``.
(``consent_given_by`` is a relationship such as "mother", asked for as such, and stays plain.)

The plain columns stay, emptied, until a later migration drops them: a database migrated without
a data key keeps its old plain notes there (nothing to encrypt them with) until ``tasharuk
referrals rotate-keys`` seals them. With ``TASHARUK_DATA_KEYS`` set, this migration seals them
at once. A trigger on each table refuses every new plain value (the app never writes one),
while an old row waiting to be sealed can still change otherwise (its referral can be
answered); a CHECK would refuse those updates.

``referral_event`` is append-only; its trigger now lets exactly one kind of UPDATE through:
re-sealing (the sealed columns change, the plain ones are emptied, nothing else changes), which
is what sealing and key rotation do.
"""
import os

import sqlalchemy as sa
from alembic import op

revision = '0021_sealed_notes'
down_revision = '0020_one_head'
branch_labels = None
depends_on = None

# table -> plain columns sealed into <column>_enc
SEALED = {
    "referral_case": ("consent_override_reason",),
    "referral": ("note", "reason_text"),
    "referral_event": ("note", "reason_text"),
}
EMPTY = {"note": "''"}  # note is NOT NULL DEFAULT ''; the others are NULL when empty
NO_NEW_PLAIN = """
CREATE OR REPLACE FUNCTION tasharuk_no_new_plain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  col text;
  val text;
BEGIN
  FOREACH col IN ARRAY TG_ARGV LOOP
    val := to_jsonb(NEW) ->> col;
    IF coalesce(val, '') <> ''
       AND (TG_OP = 'INSERT' OR val IS DISTINCT FROM to_jsonb(OLD) ->> col) THEN
      RAISE EXCEPTION '%.%: plain text refused, it is stored encrypted (%_enc)',
        TG_TABLE_NAME, col, col USING ERRCODE = 'check_violation';
    END IF;
  END LOOP;
  RETURN NEW;
END $$;
"""
EVENT_GUARD = """
CREATE OR REPLACE FUNCTION tasharuk_referral_event_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  sealing text[] := ARRAY['note', 'reason_text', 'note_enc', 'reason_text_enc'];
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.note = '' AND NEW.reason_text IS NULL
     AND (to_jsonb(NEW) - sealing) = (to_jsonb(OLD) - sealing) THEN
    RETURN NEW;  -- re-sealing: only the encrypted copies change
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def _empty(column: str) -> str:
    return f"{column} = {EMPTY[column]}" if column in EMPTY else f"{column} IS NULL"


def _cipher():
    """The MultiFernet of TASHARUK_DATA_KEYS (newest first), or None when unset."""
    keys = [k.strip() for k in os.environ.get("TASHARUK_DATA_KEYS", "").split(",") if k.strip()]
    if not keys:
        return None
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(k.encode()) for k in keys])


def _seal_existing(conn, cipher) -> None:
    """Encrypt every plain value into its sealed column and empty the plain one."""
    for table, columns in SEALED.items():
        plain = " OR ".join(f"NOT ({_empty(c)})" for c in columns)
        rows = conn.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table} "
                                    f"WHERE {plain}")).all()
        for row in rows:
            values = {"id": row[0]}
            sets = []
            for i, column in enumerate(columns, start=1):
                text_value = row[i]
                values[f"{column}_enc"] = (cipher.encrypt(text_value.encode("utf-8"))
                                           if text_value else None)
                sets += [f"{column}_enc = :{column}_enc",
                         f"{column} = {EMPTY.get(column, 'NULL')}"]
            conn.execute(sa.text(f"UPDATE {table} SET {', '.join(sets)} WHERE id = :id"),
                         values)


def upgrade() -> None:
    conn = op.get_bind()
    for table, columns in SEALED.items():
        for column in columns:
            op.add_column(table, sa.Column(f"{column}_enc", sa.LargeBinary(), nullable=True))
    op.execute(EVENT_GUARD)
    op.execute("DROP TRIGGER referral_event_append_only ON referral_event")
    op.execute("CREATE TRIGGER referral_event_append_only BEFORE UPDATE OR DELETE ON "
               "referral_event FOR EACH ROW EXECUTE FUNCTION tasharuk_referral_event_guard()")
    cipher = _cipher()
    if cipher is not None:
        _seal_existing(conn, cipher)
    op.execute(NO_NEW_PLAIN)
    for table, columns in SEALED.items():
        args = ", ".join(f"'{c}'" for c in columns)
        op.execute(f"CREATE TRIGGER {table}_no_new_plain BEFORE INSERT OR UPDATE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION tasharuk_no_new_plain({args})")


def downgrade() -> None:
    conn = op.get_bind()
    cipher = _cipher()
    for table in SEALED:
        op.execute(f"DROP TRIGGER {table}_no_new_plain ON {table}")
    op.execute("DROP FUNCTION IF EXISTS tasharuk_no_new_plain()")
    op.execute("DROP TRIGGER referral_event_append_only ON referral_event")
    for table, columns in SEALED.items():
        where = " OR ".join(f"{c}_enc IS NOT NULL" for c in columns)
        rows = conn.execute(sa.text(f"SELECT id, {', '.join(c + '_enc' for c in columns)} "
                                    f"FROM {table} WHERE {where}")).all()
        if rows and cipher is None:
            raise RuntimeError(f"{table} holds {len(rows)} rows of encrypted notes: set "
                               "TASHARUK_DATA_KEYS to decrypt them before downgrading.")
        for row in rows:
            values = {"id": row[0]}
            for i, column in enumerate(columns, start=1):
                token = row[i]
                values[column] = cipher.decrypt(bytes(token)).decode("utf-8") if token else None
            sets = ", ".join(f"{c} = coalesce(:{c}, {EMPTY.get(c, 'NULL')})" for c in columns)
            conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), values)
        for column in columns:
            op.drop_column(table, f"{column}_enc")
    op.execute("CREATE TRIGGER referral_event_append_only BEFORE UPDATE OR DELETE ON "
               "referral_event FOR EACH ROW EXECUTE FUNCTION tasharuk_append_only()")
    op.execute("DROP FUNCTION IF EXISTS tasharuk_referral_event_guard()")
