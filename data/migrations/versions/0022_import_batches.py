"""Import batches: every 4W import records its source and the activity rows it wrote, so a
corrected file replaces its earlier import instead of adding a second copy, and an import can
be rolled back.

Revision ID: 0022_import_batches
Revises: 0021_sealed_notes
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0022_import_batches"
down_revision = "0021_sealed_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sheet", sa.Text(), nullable=False, server_default=""),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("mapping", JSONB(), nullable=False, server_default="{}"),
        sa.Column("period", sa.String(7), nullable=False, server_default=""),
        sa.Column("imported_by", sa.Text(), nullable=False, server_default=""),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("rows", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("people", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("status", sa.String(12), nullable=False, server_default="active"),
        sa.Column("replaced_by", sa.Integer(), sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("coverage", JSONB(), nullable=False, server_default="[]"),
        sa.CheckConstraint("status IN ('active', 'replaced', 'rolled_back')",
                           name="ck_import_batch_status"),
    )
    op.create_index("ix_import_batch_source", "import_batch", ["source", "sheet"])
    op.add_column("activity", sa.Column("batch_id", sa.Integer(), nullable=True))
    op.create_foreign_key("fk_activity_batch_id_import_batch", "activity", "import_batch",
                          ["batch_id"], ["id"], ondelete="SET NULL")
    op.create_index("ix_activity_batch_id", "activity", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_activity_batch_id", table_name="activity")
    op.drop_constraint("fk_activity_batch_id_import_batch", "activity", type_="foreignkey")
    op.drop_column("activity", "batch_id")
    op.drop_index("ix_import_batch_source", table_name="import_batch")
    op.drop_table("import_batch")
