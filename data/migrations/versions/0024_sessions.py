"""sessions: server-side sign-in sessions that logout and revocations end, and per
account-and-client login throttling instead of an account lock

Revision ID: 0024_sessions
Revises: 0023_verified_receivers
Create Date: 2026-12-06 04:30:00

Why (issue 17, finding 4 and the lock-out): a copied session cookie kept working after
``POST /auth/logout`` (the signed cookie was the whole session), and five wrong passwords
from anyone locked a named person out for 15 minutes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0024_sessions'
down_revision = '0023_verified_receivers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="CASCADE", name="fk_user_session_user_id_app_user"),
            nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("client_hint", sa.String(200), server_default="", nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.String(40)),
        sa.PrimaryKeyConstraint("id", name="pk_user_session"),
        sa.UniqueConstraint("token_hash", name="uq_user_session_token_hash"),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"])


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_table("user_session")
