"""partners: partnership requests and partnerships (one pending request and one active
partnership per unordered pair of organisations, enforced by partial unique indexes)

Revision ID: 0009_partners
Revises: 0001_foundation
Create Date: 2026-11-29 21:07:06.750775
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_partners'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partnership_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_org_id', sa.Integer(), nullable=False),
    sa.Column('target_org_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='pending', nullable=False),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('response_note', sa.Text(), server_default='', nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'pending') = (responded_at IS NULL)", name=op.f('ck_partnership_request_responded')),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn')", name=op.f('ck_partnership_request_status')),
    sa.CheckConstraint('requester_org_id <> target_org_id', name=op.f('ck_partnership_request_distinct_orgs')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_partnership_request_requested_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_org_id'], ['organization.id'], name=op.f('fk_partnership_request_requester_org_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responded_by_id'], ['app_user.id'], name=op.f('fk_partnership_request_responded_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_org_id'], ['organization.id'], name=op.f('fk_partnership_request_target_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_request'))
    )
    op.create_index(op.f('ix_partnership_request_requester_org_id'), 'partnership_request', ['requester_org_id'], unique=False)
    op.create_index(op.f('ix_partnership_request_target_org_id'), 'partnership_request', ['target_org_id'], unique=False)
    op.create_index('uq_partnership_request_pending_pair', 'partnership_request', [sa.literal_column('least(requester_org_id, target_org_id)'), sa.literal_column('greatest(requester_org_id, target_org_id)')], unique=True, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('partnership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_low_id', sa.Integer(), nullable=False),
    sa.Column('org_high_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='active', nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'ended') = (ended_at IS NOT NULL)", name=op.f('ck_partnership_ended')),
    sa.CheckConstraint("status IN ('active', 'ended')", name=op.f('ck_partnership_status')),
    sa.CheckConstraint('org_low_id < org_high_id', name=op.f('ck_partnership_ordered_pair')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['app_user.id'], name=op.f('fk_partnership_ended_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_high_id'], ['organization.id'], name=op.f('fk_partnership_org_high_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_low_id'], ['organization.id'], name=op.f('fk_partnership_org_low_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['partnership_request.id'], name=op.f('fk_partnership_request_id_partnership_request'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership'))
    )
    op.create_index(op.f('ix_partnership_org_high_id'), 'partnership', ['org_high_id'], unique=False)
    op.create_index(op.f('ix_partnership_org_low_id'), 'partnership', ['org_low_id'], unique=False)
    op.create_index('uq_partnership_active_pair', 'partnership', ['org_low_id', 'org_high_id'], unique=True, postgresql_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_index('uq_partnership_active_pair', table_name='partnership', postgresql_where=sa.text("status = 'active'"))
    op.drop_index(op.f('ix_partnership_org_low_id'), table_name='partnership')
    op.drop_index(op.f('ix_partnership_org_high_id'), table_name='partnership')
    op.drop_table('partnership')
    op.drop_index('uq_partnership_request_pending_pair', table_name='partnership_request', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_partnership_request_target_org_id'), table_name='partnership_request')
    op.drop_index(op.f('ix_partnership_request_requester_org_id'), table_name='partnership_request')
    op.drop_table('partnership_request')
