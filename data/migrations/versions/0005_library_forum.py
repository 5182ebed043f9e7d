"""library and forum: documents, attachments, topic follows; forum categories, threads, posts

The search vector of library_document is a generated column using PostgreSQL's 'arabic' and
'english' text-search configurations (present in PostgreSQL 15's default catalog).

Revision ID: 0005_library_forum
Revises: 0001_foundation
Create Date: 2026-11-29 20:54:58.972809
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005_library_forum'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("""DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'arabic') THEN
        RAISE EXCEPTION 'text-search configuration arabic is missing (PostgreSQL >= 12 has it)';
      END IF; END $$""")
    op.create_table('forum_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=True),
    sa.Column('pcode', sa.String(length=20), nullable=True),
    sa.Column('name_ar', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('description_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('description_en', sa.Text(), server_default='', nullable=False),
    sa.Column('sort', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('admin_only', sa.Boolean(), server_default='false', nullable=False),
    sa.CheckConstraint("kind IN ('sector', 'governorate', 'partnership', 'experience', 'announcements')", name=op.f('ck_forum_category_kind')),
    sa.ForeignKeyConstraint(['pcode'], ['admin_area.pcode'], name=op.f('fk_forum_category_pcode_admin_area')),
    sa.ForeignKeyConstraint(['sector_code'], ['sector.code'], name=op.f('fk_forum_category_sector_code_sector')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_category')),
    sa.UniqueConstraint('slug', name=op.f('uq_forum_category_slug'))
    )
    op.create_table('forum_thread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('pcode', sa.String(length=20), nullable=True),
    sa.Column('sector_code', sa.String(length=40), nullable=True),
    sa.Column('link', sa.Text(), server_default='', nullable=False),
    sa.Column('locked', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('hidden', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('reply_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_post_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_forum_thread_author_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['forum_category.id'], name=op.f('fk_forum_thread_category_id_forum_category')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_forum_thread_organization_id_organization'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pcode'], ['admin_area.pcode'], name=op.f('fk_forum_thread_pcode_admin_area')),
    sa.ForeignKeyConstraint(['sector_code'], ['sector.code'], name=op.f('fk_forum_thread_sector_code_sector')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_thread'))
    )
    op.create_index('ix_forum_thread_category_last', 'forum_thread', ['category_id', 'last_post_at'], unique=False)
    op.create_index(op.f('ix_forum_thread_organization_id'), 'forum_thread', ['organization_id'], unique=False)
    op.create_table('library_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('number', sa.String(length=40), server_default='', nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('issuer_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('issuer_en', sa.Text(), server_default='', nullable=False),
    sa.Column('title_ar', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), server_default='', nullable=False),
    sa.Column('summary_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('summary_en', sa.Text(), server_default='', nullable=False),
    sa.Column('body_ar', sa.Text(), server_default='', nullable=False),
    sa.Column('body_en', sa.Text(), server_default='', nullable=False),
    sa.Column('topics', sa.ARRAY(sa.String(length=40)), server_default='{}', nullable=False),
    sa.Column('status', sa.String(length=12), server_default='in_force', nullable=False),
    sa.Column('status_by_id', sa.Integer(), nullable=True),
    sa.Column('published', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('search_title', sa.Text(), server_default='', nullable=False),
    sa.Column('search_body', sa.Text(), server_default='', nullable=False),
    sa.Column('search_tsv', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('simple', coalesce(search_title, '')), 'A') || setweight(to_tsvector('arabic', coalesce(title_ar, '')), 'A') || setweight(to_tsvector('english', coalesce(title_en, '')), 'A') || setweight(to_tsvector('simple', coalesce(search_body, '')), 'C') || setweight(to_tsvector('arabic', coalesce(summary_ar, '') || ' ' || coalesce(body_ar, '')), 'C') || setweight(to_tsvector('english', coalesce(summary_en, '') || ' ' || coalesce(body_en, '')), 'D')", persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'in_force') = (status_by_id IS NULL)", name=op.f('ck_library_document_status_by')),
    sa.CheckConstraint("kind IN ('law', 'legislative_decree', 'decree', 'ministerial_decision', 'circular', 'guideline', 'form')", name=op.f('ck_library_document_kind')),
    sa.CheckConstraint("status IN ('in_force', 'amended', 'repealed')", name=op.f('ck_library_document_status')),
    sa.CheckConstraint('status_by_id IS NULL OR status_by_id <> id', name=op.f('ck_library_document_not_self')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_library_document_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['status_by_id'], ['library_document.id'], name=op.f('fk_library_document_status_by_id_library_document'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_document'))
    )
    op.create_index(op.f('ix_library_document_issue_date'), 'library_document', ['issue_date'], unique=False)
    op.create_index(op.f('ix_library_document_number'), 'library_document', ['number'], unique=False)
    op.create_index(op.f('ix_library_document_status_by_id'), 'library_document', ['status_by_id'], unique=False)
    op.create_index('ix_library_document_title_trgm', 'library_document', ['search_title'], unique=False, postgresql_using='gin', postgresql_ops={'search_title': 'gin_trgm_ops'})
    op.create_index('ix_library_document_tsv', 'library_document', ['search_tsv'], unique=False, postgresql_using='gin')
    op.create_table('library_topic_follow',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_library_topic_follow_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'topic', name=op.f('pk_library_topic_follow'))
    )
    op.create_table('forum_follow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(thread_id IS NULL) <> (category_id IS NULL)', name=op.f('ck_forum_follow_one_target')),
    sa.ForeignKeyConstraint(['category_id'], ['forum_category.id'], name=op.f('fk_forum_follow_category_id_forum_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['forum_thread.id'], name=op.f('fk_forum_follow_thread_id_forum_thread'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_forum_follow_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_follow'))
    )
    op.create_index(op.f('ix_forum_follow_category_id'), 'forum_follow', ['category_id'], unique=False)
    op.create_index(op.f('ix_forum_follow_thread_id'), 'forum_follow', ['thread_id'], unique=False)
    op.create_index(op.f('ix_forum_follow_user_id'), 'forum_follow', ['user_id'], unique=False)
    op.create_index('uq_forum_follow', 'forum_follow', ['user_id', 'thread_id', 'category_id'], unique=True, postgresql_nulls_not_distinct=True)
    op.create_table('forum_post',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('hidden', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('hidden_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_forum_post_author_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_forum_post_organization_id_organization'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['forum_thread.id'], name=op.f('fk_forum_post_thread_id_forum_thread'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_post'))
    )
    op.create_index(op.f('ix_forum_post_organization_id'), 'forum_post', ['organization_id'], unique=False)
    op.create_index(op.f('ix_forum_post_thread_id'), 'forum_post', ['thread_id'], unique=False)
    op.create_table('library_document_sector',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['library_document.id'], name=op.f('fk_library_document_sector_document_id_library_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sector_code'], ['sector.code'], name=op.f('fk_library_document_sector_sector_code_sector')),
    sa.PrimaryKeyConstraint('document_id', 'sector_code', name=op.f('pk_library_document_sector'))
    )
    op.create_table('library_document_service_type',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('service_type_code', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['library_document.id'], name=op.f('fk_library_document_service_type_document_id_library_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_type_code'], ['service_type.code'], name=op.f('fk_library_document_service_type_service_type_code_service_type')),
    sa.PrimaryKeyConstraint('document_id', 'service_type_code', name=op.f('pk_library_document_service_type'))
    )
    op.create_table('attachment',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.BigInteger(), nullable=True),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.Text(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('(document_id IS NULL) <> (post_id IS NULL)', name=op.f('ck_attachment_one_owner')),
    sa.ForeignKeyConstraint(['document_id'], ['library_document.id'], name=op.f('fk_attachment_document_id_library_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['forum_post.id'], name=op.f('fk_attachment_post_id_forum_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['app_user.id'], name=op.f('fk_attachment_uploaded_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('uuid', name=op.f('uq_attachment_uuid'))
    )
    op.create_index(op.f('ix_attachment_document_id'), 'attachment', ['document_id'], unique=False)
    op.create_index(op.f('ix_attachment_post_id'), 'attachment', ['post_id'], unique=False)
    op.create_table('forum_mention',
    sa.Column('post_id', sa.BigInteger(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_forum_mention_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['forum_post.id'], name=op.f('fk_forum_mention_post_id_forum_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'organization_id', name=op.f('pk_forum_mention'))
    )
    op.create_index(op.f('ix_forum_mention_organization_id'), 'forum_mention', ['organization_id'], unique=False)
    op.create_table('forum_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.BigInteger(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=20), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['forum_post.id'], name=op.f('fk_forum_report_post_id_forum_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['app_user.id'], name=op.f('fk_forum_report_reporter_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['app_user.id'], name=op.f('fk_forum_report_resolved_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_report'))
    )
    op.create_index(op.f('ix_forum_report_post_id'), 'forum_report', ['post_id'], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index(op.f('ix_forum_report_post_id'), table_name='forum_report')
    op.drop_table('forum_report')
    op.drop_index(op.f('ix_forum_mention_organization_id'), table_name='forum_mention')
    op.drop_table('forum_mention')
    op.drop_index(op.f('ix_attachment_post_id'), table_name='attachment')
    op.drop_index(op.f('ix_attachment_document_id'), table_name='attachment')
    op.drop_table('attachment')
    op.drop_table('library_document_service_type')
    op.drop_table('library_document_sector')
    op.drop_index(op.f('ix_forum_post_thread_id'), table_name='forum_post')
    op.drop_index(op.f('ix_forum_post_organization_id'), table_name='forum_post')
    op.drop_table('forum_post')
    op.drop_index('uq_forum_follow', table_name='forum_follow', postgresql_nulls_not_distinct=True)
    op.drop_index(op.f('ix_forum_follow_user_id'), table_name='forum_follow')
    op.drop_index(op.f('ix_forum_follow_thread_id'), table_name='forum_follow')
    op.drop_index(op.f('ix_forum_follow_category_id'), table_name='forum_follow')
    op.drop_table('forum_follow')
    op.drop_table('library_topic_follow')
    op.drop_index('ix_library_document_tsv', table_name='library_document', postgresql_using='gin')
    op.drop_index('ix_library_document_title_trgm', table_name='library_document', postgresql_using='gin', postgresql_ops={'search_title': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_library_document_status_by_id'), table_name='library_document')
    op.drop_index(op.f('ix_library_document_number'), table_name='library_document')
    op.drop_index(op.f('ix_library_document_issue_date'), table_name='library_document')
    op.drop_table('library_document')
    op.drop_index(op.f('ix_forum_thread_organization_id'), table_name='forum_thread')
    op.drop_index('ix_forum_thread_category_last', table_name='forum_thread')
    op.drop_table('forum_thread')
    op.drop_table('forum_category')
    # ### end Alembic commands ###
