"""audit_log.request_id: the request (or job) that wrote the entry, as in the JSON logs

Revision ID: 0019_audit_request_id
Revises: 0002_accounts
Create Date: 2026-12-06 04:50:00

Why: an operator who finds an audit entry can find the request's log line (and nginx's, which
logs the same ``X-Request-ID``), and the other way round. A column of its own, not a key of
``summary``: the summary is what the action recorded about its object.
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_audit_request_id'
down_revision = '0002_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("request_id", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "request_id")
