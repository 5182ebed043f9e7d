"""jobs: procrastinate's queue schema and the errors of failed job attempts

Revision ID: 0018_jobs
Revises: 0017_search5
Create Date: 2026-12-06 04:30:00

Why: background work (mail, expiry, reminders, ranking, gaps, exports) runs on a queue in
our own PostgreSQL, so a job is written in the same transaction as the change that causes
it. The schema is procrastinate's own ``schema.sql`` of the pinned version (setup.cfg pins
procrastinate to one minor version: a newer one brings its ``sql/migrations`` files, which a
new migration of ours must apply). ``job_error`` keeps each failed attempt's error, which
procrastinate itself only logs.
"""
from importlib import resources

import sqlalchemy as sa
from alembic import op

revision = '0018_jobs'
down_revision = '0017_search5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = resources.files("procrastinate").joinpath("sql/schema.sql").read_text()
    # the driver's connection: the text is many statements with % and : of its own
    op.get_bind().connection.driver_connection.execute(schema)
    op.create_table(
        "job_error",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("job_id", sa.BigInteger(), sa.ForeignKey(
            "procrastinate_jobs.id", ondelete="CASCADE",
            name="fk_job_error_job_id_procrastinate_jobs"), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("error_type", sa.String(120), nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_job_error"),
    )
    op.create_index("ix_job_error_job_id", "job_error", ["job_id"])


def downgrade() -> None:
    op.drop_table("job_error")
    op.execute("""
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables
           WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%' LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.sig);
  END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
             AND t.typtype IN ('e', 'c') LOOP
    EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
  END LOOP;
END $$;
""")
