"""ranking: per-service referral-outcome terms precomputed for the provider search

Revision ID: 0010_ranking
Revises: 0001_foundation
Create Date: 2026-11-29 21:55:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_ranking'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('provider_ranking',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('logit_base', sa.Float(), nullable=False),
    sa.Column('distance_coef', sa.Float(), nullable=False),
    sa.Column('p_default', sa.Float(), nullable=False),
    sa.Column('history', sa.Integer(), nullable=False),
    sa.Column('acceptance_rate', sa.Float(), nullable=True),
    sa.Column('median_response_hours', sa.Float(), nullable=True),
    sa.Column('top_decline_reason', sa.String(length=20), nullable=True),
    sa.Column('top_decline_share', sa.Float(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_provider_ranking_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_provider_ranking'))
    )
    op.create_index(op.f('ix_provider_ranking_organization_id'), 'provider_ranking', ['organization_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_provider_ranking_organization_id'), table_name='provider_ranking')
    op.drop_table('provider_ranking')
