"""accounts: API tokens (hashed, scoped to an organisation and a role)

Revision ID: 0002_accounts
Revises: 0001_foundation
Create Date: 2026-11-29 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_accounts'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('name', sa.Text(), server_default='', nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'],
                                name=op.f('fk_api_token_created_by_id_app_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_api_token_organization_id_organization'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    )
    op.create_index(op.f('ix_api_token_organization_id'), 'api_token', ['organization_id'],
                    unique=False)
    op.create_index(op.f('ix_api_token_prefix'), 'api_token', ['prefix'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_token_prefix'), table_name='api_token')
    op.drop_index(op.f('ix_api_token_organization_id'), table_name='api_token')
    op.drop_table('api_token')
