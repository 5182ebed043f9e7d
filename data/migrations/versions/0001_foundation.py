"""foundation: areas, taxonomy, organisations, services, activities, needs, accounts, referrals

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-29 20:48:06.668504
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from data.pgext import REQUIRED, require_extensions

revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY = """
CREATE OR REPLACE FUNCTION tasharuk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def upgrade() -> None:
    require_extensions(op.get_bind())  # a clear message when e.g. PostGIS is not installed
    for ext in REQUIRED:
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    op.create_geospatial_table('admin_area',
    sa.Column('pcode', sa.String(length=20), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('parent_pcode', sa.String(length=20), nullable=True),
    sa.Column('name_ar', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('aliases', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('population', sa.BigInteger(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('centroid', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.CheckConstraint("pcode ~ '^[A-Z]{2}[0-9A-Z]*$'", name=op.f('ck_admin_area_pcode_format')),
    sa.CheckConstraint('level BETWEEN 0 AND 4', name=op.f('ck_admin_area_level_range')),
    sa.ForeignKeyConstraint(['parent_pcode'], ['admin_area.pcode'], name=op.f('fk_admin_area_parent_pcode_admin_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('pcode', name=op.f('pk_admin_area'))
    )
    op.create_geospatial_index('idx_admin_area_centroid', 'admin_area', ['centroid'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('idx_admin_area_geom', 'admin_area', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_admin_area_level'), 'admin_area', ['level'], unique=False)
    op.create_index(op.f('ix_admin_area_parent_pcode'), 'admin_area', ['parent_pcode'], unique=False)
    op.create_index('ix_admin_area_search_trgm', 'admin_area', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_table('sector',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('parent_code', sa.String(length=40), nullable=True),
    sa.Column('name_ar', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('sort', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['sector.code'], name=op.f('fk_sector_parent_code_sector')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_sector'))
    )
    op.create_table('target_group',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_ar', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('sort', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_target_group'))
    )
    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pcode', sa.String(length=20), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=True),
    sa.Column('target_group_code', sa.String(length=40), nullable=True),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('people_in_need', sa.Float(), nullable=True),
    sa.Column('severity', sa.Float(), nullable=True),
    sa.Column('source', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint('people_in_need IS NULL OR people_in_need >= 0', name=op.f('ck_need_pin')),
    sa.CheckConstraint('severity IS NULL OR severity BETWEEN 0 AND 6', name=op.f('ck_need_severity')),
    sa.ForeignKeyConstraint(['pcode'], ['admin_area.pcode'], name=op.f('fk_need_pcode_admin_area')),
    sa.ForeignKeyConstraint(['sector_code'], ['sector.code'], name=op.f('fk_need_sector_code_sector')),
    sa.ForeignKeyConstraint(['target_group_code'], ['target_group.code'], name=op.f('fk_need_target_group_code_target_group')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need'))
    )
    op.create_index(op.f('ix_need_pcode'), 'need', ['pcode'], unique=False)
    op.create_index(op.f('ix_need_sector_code'), 'need', ['sector_code'], unique=False)
    op.create_index('uq_need_key', 'need', ['pcode', 'sector_code', 'target_group_code', 'period'], unique=True, postgresql_nulls_not_distinct=True)
    op.create_table('organization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('name_ar', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('acronym', sa.String(length=40), nullable=True),
    sa.Column('registration_number', sa.String(length=60), nullable=True),
    sa.Column('org_type', sa.String(length=30), nullable=False),
    sa.Column('hq_pcode', sa.String(length=20), nullable=True),
    sa.Column('description_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('description_en', sa.Text(), server_default='', nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('verification', sa.String(length=20), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("org_type IN ('local_ngo', 'international_ngo', 'charity', 'cbo', 'un_agency', 'government', 'private', 'other')", name=op.f('ck_organization_org_type')),
    sa.CheckConstraint("verification IN ('pending', 'verified', 'rejected', 'suspended')", name=op.f('ck_organization_verification')),
    sa.ForeignKeyConstraint(['hq_pcode'], ['admin_area.pcode'], name=op.f('fk_organization_hq_pcode_admin_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization')),
    sa.UniqueConstraint('registration_number', name=op.f('uq_organization_registration_number')),
    sa.UniqueConstraint('uuid', name=op.f('uq_organization_uuid'))
    )
    op.create_index(op.f('ix_organization_acronym'), 'organization', ['acronym'], unique=False)
    op.create_index(op.f('ix_organization_hq_pcode'), 'organization', ['hq_pcode'], unique=False)
    op.create_index('ix_organization_search_trgm', 'organization', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_index(op.f('ix_organization_verification'), 'organization', ['verification'], unique=False)
    op.create_table('service_type',
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=False),
    sa.Column('name_ar', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('keywords_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('keywords_en', sa.Text(), server_default='', nullable=False),
    sa.Column('activity_codes', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('sensitive', sa.Boolean(), server_default='false', nullable=False),
    sa.ForeignKeyConstraint(['sector_code'], ['sector.code'], name=op.f('fk_service_type_sector_code_sector')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_service_type'))
    )
    op.create_index(op.f('ix_service_type_sector_code'), 'service_type', ['sector_code'], unique=False)
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('implementing_org', sa.Text(), server_default='', nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=True),
    sa.Column('service_type_code', sa.String(length=60), nullable=True),
    sa.Column('activity_code', sa.Text(), server_default='', nullable=False),
    sa.Column('activity_text', sa.Text(), server_default='', nullable=False),
    sa.Column('pcode', sa.String(length=20), nullable=True),
    sa.Column('community_pcode', sa.String(length=20), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('unit', sa.String(length=40), server_default='people', nullable=False),
    sa.Column('reached_total', sa.Integer(), nullable=True),
    sa.Column('reached_f_children', sa.Integer(), nullable=True),
    sa.Column('reached_m_children', sa.Integer(), nullable=True),
    sa.Column('reached_f_adults', sa.Integer(), nullable=True),
    sa.Column('reached_m_adults', sa.Integer(), nullable=True),
    sa.Column('reached_f_elderly', sa.Integer(), nullable=True),
    sa.Column('reached_m_elderly', sa.Integer(), nullable=True),
    sa.Column('target_groups', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('source_file', sa.Text(), server_default='', nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.CheckConstraint('reached_total IS NULL OR reached_total >= 0', name=op.f('ck_activity_reached')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_activity_organization_id_organization'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pcode'], ['admin_area.pcode'], name=op.f('fk_activity_pcode_admin_area')),
    sa.ForeignKeyConstraint(['sector_code'], ['sector.code'], name=op.f('fk_activity_sector_code_sector')),
    sa.ForeignKeyConstraint(['service_type_code'], ['service_type.code'], name=op.f('fk_activity_service_type_code_service_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_activity_fingerprint'))
    )
    op.create_index('ix_activity_area_period', 'activity', ['pcode', 'period_start'], unique=False)
    op.create_index(op.f('ix_activity_organization_id'), 'activity', ['organization_id'], unique=False)
    op.create_index(op.f('ix_activity_pcode'), 'activity', ['pcode'], unique=False)
    op.create_index(op.f('ix_activity_sector_code'), 'activity', ['sector_code'], unique=False)
    op.create_index(op.f('ix_activity_service_type_code'), 'activity', ['service_type_code'], unique=False)
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.Text(), server_default='', nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=5), server_default='ar', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('platform_admin', 'org_admin', 'caseworker', 'planner', 'viewer')", name=op.f('ck_app_user_role')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_app_user_organization_id_organization'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('email', name=op.f('uq_app_user_email'))
    )
    op.create_index(op.f('ix_app_user_organization_id'), 'app_user', ['organization_id'], unique=False)
    op.create_table('organization_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('alias_norm', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_organization_alias_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_alias')),
    sa.UniqueConstraint('alias_norm', name=op.f('uq_organization_alias_alias_norm'))
    )
    op.create_index(op.f('ix_organization_alias_organization_id'), 'organization_alias', ['organization_id'], unique=False)
    op.create_table('service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('service_type_code', sa.String(length=60), nullable=False),
    sa.Column('name_ar', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('description_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('description_en', sa.Text(), server_default='', nullable=False),
    sa.Column('min_age', sa.SmallInteger(), nullable=True),
    sa.Column('max_age', sa.SmallInteger(), nullable=True),
    sa.Column('sex', sa.String(length=10), server_default='any', nullable=False),
    sa.Column('documents_required', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('nationalities', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('capacity_per_month', sa.Integer(), nullable=True),
    sa.Column('availability', sa.String(length=10), server_default='open', nullable=False),
    sa.Column('languages', sa.ARRAY(sa.String(length=8)), server_default='{ar}', nullable=False),
    sa.Column('modality', sa.String(length=10), server_default='static', nullable=False),
    sa.Column('cost', sa.String(length=12), server_default='free', nullable=False),
    sa.Column('cost_note', sa.Text(), server_default='', nullable=False),
    sa.Column('referral_method', sa.String(length=12), server_default='platform', nullable=False),
    sa.Column('referral_contact', sa.Text(), server_default='', nullable=False),
    sa.Column('sensitive', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('response_days', sa.SmallInteger(), server_default='5', nullable=False),
    sa.Column('last_verified', sa.Date(), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("availability IN ('open', 'waitlist', 'full')", name=op.f('ck_service_availability')),
    sa.CheckConstraint("cost IN ('free', 'subsidised', 'paid')", name=op.f('ck_service_cost')),
    sa.CheckConstraint("modality IN ('static', 'mobile', 'remote')", name=op.f('ck_service_modality')),
    sa.CheckConstraint("referral_method IN ('platform', 'form', 'email', 'phone', 'walk_in', 'none')", name=op.f('ck_service_referral_method')),
    sa.CheckConstraint("sex IN ('any', 'female', 'male')", name=op.f('ck_service_sex')),
    sa.CheckConstraint("status IN ('active', 'inactive', 'defunct', 'temporarily closed')", name=op.f('ck_service_status')),
    sa.CheckConstraint('capacity_per_month IS NULL OR capacity_per_month >= 0', name=op.f('ck_service_capacity')),
    sa.CheckConstraint('max_age IS NULL OR max_age BETWEEN 0 AND 120', name=op.f('ck_service_max_age')),
    sa.CheckConstraint('min_age IS NULL OR max_age IS NULL OR min_age <= max_age', name=op.f('ck_service_age_order')),
    sa.CheckConstraint('min_age IS NULL OR min_age BETWEEN 0 AND 120', name=op.f('ck_service_min_age')),
    sa.CheckConstraint('response_days > 0', name=op.f('ck_service_response_days')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_service_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_type_code'], ['service_type.code'], name=op.f('fk_service_service_type_code_service_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service')),
    sa.UniqueConstraint('uuid', name=op.f('uq_service_uuid'))
    )
    op.create_index(op.f('ix_service_last_verified'), 'service', ['last_verified'], unique=False)
    op.create_index(op.f('ix_service_organization_id'), 'service', ['organization_id'], unique=False)
    op.create_index('ix_service_search_trgm', 'service', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_index(op.f('ix_service_service_type_code'), 'service', ['service_type_code'], unique=False)
    op.create_table('unmet_search',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('service_type_code', sa.String(length=60), nullable=True),
    sa.Column('sector_code', sa.String(length=40), nullable=True),
    sa.Column('pcode', sa.String(length=20), nullable=True),
    sa.Column('target_groups', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('age', sa.SmallInteger(), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['pcode'], ['admin_area.pcode'], name=op.f('fk_unmet_search_pcode_admin_area')),
    sa.ForeignKeyConstraint(['sector_code'], ['sector.code'], name=op.f('fk_unmet_search_sector_code_sector')),
    sa.ForeignKeyConstraint(['service_type_code'], ['service_type.code'], name=op.f('fk_unmet_search_service_type_code_service_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unmet_search'))
    )
    op.create_index(op.f('ix_unmet_search_at'), 'unmet_search', ['at'], unique=False)
    op.create_index(op.f('ix_unmet_search_pcode'), 'unmet_search', ['pcode'], unique=False)
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), server_default='', nullable=False),
    sa.Column('object_id', sa.String(length=60), server_default='', nullable=False),
    sa.Column('summary', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_audit_log_organization_id_organization'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_audit_log_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_action'), 'audit_log', ['action'], unique=False)
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_organization_id'), 'audit_log', ['organization_id'], unique=False)
    op.create_index(op.f('ix_audit_log_user_id'), 'audit_log', ['user_id'], unique=False)
    op.create_table('notification',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('text_ar', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('link', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    op.create_index(op.f('ix_notification_user_id'), 'notification', ['user_id'], unique=False)
    op.create_table('opening_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.CheckConstraint('opens < closes', name=op.f('ck_opening_period_order')),
    sa.CheckConstraint('weekday BETWEEN 1 AND 7', name=op.f('ck_opening_period_weekday')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_opening_period_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_period'))
    )
    op.create_index(op.f('ix_opening_period_service_id'), 'opening_period', ['service_id'], unique=False)
    op.create_table('referral_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('case_code', sa.String(length=40), nullable=False),
    sa.Column('age', sa.SmallInteger(), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('target_groups', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('pcode', sa.String(length=20), nullable=True),
    sa.Column('needs', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('languages', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('name_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('consent_given_by', sa.Text(), nullable=True),
    sa.Column('consent_method', sa.String(length=20), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_scope', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('consent_override_reason', sa.Text(), nullable=True),
    sa.Column('consent_override_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name=op.f('ck_referral_case_sex')),
    sa.CheckConstraint("urgency IN ('low', 'normal', 'high', 'emergency')", name=op.f('ck_referral_case_urgency')),
    sa.CheckConstraint('age IS NULL OR age BETWEEN 0 AND 120', name=op.f('ck_referral_case_age')),
    sa.ForeignKeyConstraint(['consent_override_by_id'], ['app_user.id'], name=op.f('fk_referral_case_consent_override_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_referral_case_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_referral_case_organization_id_organization')),
    sa.ForeignKeyConstraint(['pcode'], ['admin_area.pcode'], name=op.f('fk_referral_case_pcode_admin_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_case')),
    sa.UniqueConstraint('uuid', name=op.f('uq_referral_case_uuid'))
    )
    op.create_index(op.f('ix_referral_case_organization_id'), 'referral_case', ['organization_id'], unique=False)
    op.create_table('service_coverage',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('pcode', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['pcode'], ['admin_area.pcode'], name=op.f('fk_service_coverage_pcode_admin_area')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_coverage_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'pcode', name=op.f('pk_service_coverage'))
    )
    op.create_index(op.f('ix_service_coverage_pcode'), 'service_coverage', ['pcode'], unique=False)
    op.create_geospatial_table('service_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('name_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('name_en', sa.Text(), server_default='', nullable=False),
    sa.Column('address_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('address_en', sa.Text(), server_default='', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('admin3_pcode', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['admin3_pcode'], ['admin_area.pcode'], name=op.f('fk_service_site_admin3_pcode_admin_area')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_site_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_site'))
    )
    op.create_geospatial_index('idx_service_site_geom', 'service_site', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_service_site_admin3_pcode'), 'service_site', ['admin3_pcode'], unique=False)
    op.create_index(op.f('ix_service_site_service_id'), 'service_site', ['service_id'], unique=False)
    op.create_table('service_target_group',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('target_group_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_target_group_service_id_service'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_group_code'], ['target_group.code'], name=op.f('fk_service_target_group_target_group_code_target_group')),
    sa.PrimaryKeyConstraint('service_id', 'target_group_code', name=op.f('pk_service_target_group'))
    )
    op.create_index(op.f('ix_service_target_group_target_group_code'), 'service_target_group', ['target_group_code'], unique=False)
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('sender_org_id', sa.Integer(), nullable=False),
    sa.Column('sender_user_id', sa.Integer(), nullable=True),
    sa.Column('receiver_org_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('service_type_code', sa.String(length=60), nullable=True),
    sa.Column('assigned_user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('reason_code', sa.String(length=20), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("reason_code IS NULL OR reason_code IN ('no_capacity', 'not_eligible', 'outside_area', 'no_contact', 'person_declined', 'duplicate', 'other')", name=op.f('ck_referral_reason')),
    sa.CheckConstraint("status IN ('draft', 'sent', 'accepted', 'declined', 'in_progress', 'completed', 'closed_unmet', 'withdrawn', 'expired')", name=op.f('ck_referral_status')),
    sa.ForeignKeyConstraint(['assigned_user_id'], ['app_user.id'], name=op.f('fk_referral_assigned_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['referral_case.id'], name=op.f('fk_referral_case_id_referral_case')),
    sa.ForeignKeyConstraint(['receiver_org_id'], ['organization.id'], name=op.f('fk_referral_receiver_org_id_organization')),
    sa.ForeignKeyConstraint(['sender_org_id'], ['organization.id'], name=op.f('fk_referral_sender_org_id_organization')),
    sa.ForeignKeyConstraint(['sender_user_id'], ['app_user.id'], name=op.f('fk_referral_sender_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_referral_service_id_service'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_type_code'], ['service_type.code'], name=op.f('fk_referral_service_type_code_service_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral')),
    sa.UniqueConstraint('uuid', name=op.f('uq_referral_uuid'))
    )
    op.create_index(op.f('ix_referral_case_id'), 'referral', ['case_id'], unique=False)
    op.create_index('ix_referral_inbox', 'referral', ['receiver_org_id', 'status', 'sent_at'], unique=False)
    op.create_index('ix_referral_outbox', 'referral', ['sender_org_id', 'status', 'sent_at'], unique=False)
    op.create_index(op.f('ix_referral_service_id'), 'referral', ['service_id'], unique=False)
    op.create_table('referral_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason_code', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id'], name=op.f('fk_referral_event_actor_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_event_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_event'))
    )
    op.create_index(op.f('ix_referral_event_referral_id'), 'referral_event', ['referral_id'], unique=False)
    for table in ("organization", "service"):
        op.execute(f"CREATE INDEX ix_{table}_search_fts ON {table} "
                   "USING gin (to_tsvector('simple', search_text))")
    op.execute(APPEND_ONLY)
    for table in ("audit_log", "referral_event"):
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION tasharuk_append_only()")


def downgrade() -> None:
    op.drop_index(op.f('ix_referral_event_referral_id'), table_name='referral_event')
    op.drop_table('referral_event')
    op.drop_index(op.f('ix_referral_service_id'), table_name='referral')
    op.drop_index('ix_referral_outbox', table_name='referral')
    op.drop_index('ix_referral_inbox', table_name='referral')
    op.drop_index(op.f('ix_referral_case_id'), table_name='referral')
    op.drop_table('referral')
    op.drop_index(op.f('ix_service_target_group_target_group_code'), table_name='service_target_group')
    op.drop_table('service_target_group')
    op.drop_index(op.f('ix_service_site_service_id'), table_name='service_site')
    op.drop_index(op.f('ix_service_site_admin3_pcode'), table_name='service_site')
    op.drop_geospatial_index('idx_service_site_geom', table_name='service_site', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('service_site')
    op.drop_index(op.f('ix_service_coverage_pcode'), table_name='service_coverage')
    op.drop_table('service_coverage')
    op.drop_index(op.f('ix_referral_case_organization_id'), table_name='referral_case')
    op.drop_table('referral_case')
    op.drop_index(op.f('ix_opening_period_service_id'), table_name='opening_period')
    op.drop_table('opening_period')
    op.drop_index(op.f('ix_notification_user_id'), table_name='notification')
    op.drop_table('notification')
    op.drop_index(op.f('ix_audit_log_user_id'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_organization_id'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_action'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_unmet_search_pcode'), table_name='unmet_search')
    op.drop_index(op.f('ix_unmet_search_at'), table_name='unmet_search')
    op.drop_table('unmet_search')
    op.drop_index(op.f('ix_service_service_type_code'), table_name='service')
    op.drop_index('ix_service_search_trgm', table_name='service', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_service_organization_id'), table_name='service')
    op.drop_index(op.f('ix_service_last_verified'), table_name='service')
    op.drop_table('service')
    op.drop_index(op.f('ix_organization_alias_organization_id'), table_name='organization_alias')
    op.drop_table('organization_alias')
    op.drop_index(op.f('ix_app_user_organization_id'), table_name='app_user')
    op.drop_table('app_user')
    op.drop_index(op.f('ix_activity_service_type_code'), table_name='activity')
    op.drop_index(op.f('ix_activity_sector_code'), table_name='activity')
    op.drop_index(op.f('ix_activity_pcode'), table_name='activity')
    op.drop_index(op.f('ix_activity_organization_id'), table_name='activity')
    op.drop_index('ix_activity_area_period', table_name='activity')
    op.drop_table('activity')
    op.drop_index(op.f('ix_service_type_sector_code'), table_name='service_type')
    op.drop_table('service_type')
    op.drop_index(op.f('ix_organization_verification'), table_name='organization')
    op.drop_index('ix_organization_search_trgm', table_name='organization', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_organization_hq_pcode'), table_name='organization')
    op.drop_index(op.f('ix_organization_acronym'), table_name='organization')
    op.drop_table('organization')
    op.drop_index('uq_need_key', table_name='need', postgresql_nulls_not_distinct=True)
    op.drop_index(op.f('ix_need_sector_code'), table_name='need')
    op.drop_index(op.f('ix_need_pcode'), table_name='need')
    op.drop_table('need')
    op.drop_table('target_group')
    op.drop_table('sector')
    op.drop_index('ix_admin_area_search_trgm', table_name='admin_area', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_admin_area_parent_pcode'), table_name='admin_area')
    op.drop_index(op.f('ix_admin_area_level'), table_name='admin_area')
    op.drop_geospatial_index('idx_admin_area_geom', table_name='admin_area', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_index('idx_admin_area_centroid', table_name='admin_area', postgresql_using='gist', column_name='centroid')
    op.drop_geospatial_table('admin_area')
    op.execute("DROP FUNCTION IF EXISTS tasharuk_append_only()")
