"""submission: every kind of thing a form creates, not only referrals

Revision ID: 0053_submission_kinds
Revises: 0052_submission
Create Date: 2026-12-08 00:10:00

Why: a forum thread or reply, a note on a referral, a request to a focal point, a service, a
library document and a report on a listing were created twice when their form was pressed
twice or sent again after its answer was lost, as referrals were before 0052. The table now
says what kind of thing a key created (part of the key: a form's key never answers for
another form) and keeps the ids of whatever it was. Rows of 0052 are referrals.
"""
import sqlalchemy as sa
from alembic import op

revision = "0053_submission_kinds"
down_revision = "0052_submission"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submission", sa.Column("kind", sa.String(40), nullable=False,
                                          server_default="referral"))
    op.alter_column("submission", "kind", server_default=None)
    op.alter_column("submission", "referral_ids", new_column_name="created_ids")
    op.drop_constraint("pk_submission", "submission", type_="primary")
    op.create_primary_key("pk_submission", "submission", ["owner", "kind", "key_hash"])


def downgrade() -> None:
    op.execute("DELETE FROM submission WHERE kind <> 'referral'")
    op.drop_constraint("pk_submission", "submission", type_="primary")
    op.create_primary_key("pk_submission", "submission", ["owner", "key_hash"])
    op.alter_column("submission", "created_ids", new_column_name="referral_ids")
    op.drop_column("submission", "kind")
