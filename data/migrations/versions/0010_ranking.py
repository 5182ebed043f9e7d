"""ranking: per-service referral-outcome terms precomputed for the provider search; the
planner told the true cost of pg_trgm's word similarity (see upgrade)

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


# pg_trgm declares ``<%`` / ``%>`` (word similarity) as cheap as ``=`` (COST 1); on long
# search_text it costs ~0.02 ms a row, so the planner chose a sequential scan (350 ms at
# 20,000 services) over the GIN BitmapOr (4 ms) for keyword searches. COST 100 is closer to
# the truth. Managed servers may refuse ALTER on an extension's function: then it is skipped
# (searches stay correct, only slower). pg_dump does not keep it: run `tasharuk db upgrade`
# history again or re-issue these two statements after restoring a dump.
_TRGM_COST = """
DO $$
BEGIN
    ALTER FUNCTION word_similarity_op(text, text) COST {cost};
    ALTER FUNCTION word_similarity_commutator_op(text, text) COST {cost};
EXCEPTION WHEN insufficient_privilege OR undefined_function THEN
    RAISE NOTICE 'word similarity cost left as it is: %', SQLERRM;
END $$;
"""


def upgrade() -> None:
    op.execute(_TRGM_COST.format(cost=100))
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
    op.execute(_TRGM_COST.format(cost=1))
    op.drop_index(op.f('ix_provider_ranking_organization_id'), table_name='provider_ranking')
    op.drop_table('provider_ranking')
