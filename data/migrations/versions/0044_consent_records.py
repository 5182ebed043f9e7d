"""consent_records: consent is a history of records per case (renewals, revocation on the
current record), moved exactly out of the case's columns

Revision ID: 0044_consent_records
Revises: 0043_supervisor_role
Create Date: 2026-12-06 22:50:00

Why (issue 23): one set of consent columns per case could not be renewed: expired consent left
a case unsendable for good, and a new agreement would have erased what the old receipt said.
Each case's consent becomes one record (who, how, when, scope, purpose, organisations, expiry,
revocation); a case revoked without consent (after an override) keeps its revocation as a
record without a method. The override stays on the case. Downgrade puts the newest record
back into the columns (older renewals are lost there, as the old schema cannot hold them).
"""
import sqlalchemy as sa
from alembic import op

revision = '0044_consent_records'
down_revision = '0043_supervisor_role'
branch_labels = None
depends_on = None

METHODS = ("verbal", "written", "guardian")
MOVED = ("consent_given_by", "consent_method", "consent_at", "consent_scope",
         "consent_purpose", "consent_org_ids", "consent_expires_at", "consent_revoked_at",
         "consent_revoked_by_id")


def upgrade() -> None:
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey(
            "referral_case.id", ondelete="CASCADE",
            name="fk_consent_record_case_id_referral_case"), nullable=False),
        sa.Column("given_by", sa.Text()),
        sa.Column("method", sa.String(20)),
        sa.Column("given_at", sa.DateTime(timezone=True)),
        sa.Column("scope", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("purpose", sa.Text()),
        sa.Column("organization_ids", sa.ARRAY(sa.Integer()), server_default="{}",
                  nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="SET NULL", name="fk_consent_record_revoked_by_id_app_user")),
        sa.Column("revoked_reason_enc", sa.LargeBinary()),
        sa.Column("supersedes_id", sa.Integer(), sa.ForeignKey(
            "consent_record.id", ondelete="SET NULL",
            name="fk_consent_record_supersedes_id_consent_record")),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="SET NULL", name="fk_consent_record_created_by_id_app_user")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint(f"method IS NULL OR method IN {METHODS}",
                           name="ck_consent_record_method"),
        sa.CheckConstraint("method IS NOT NULL OR revoked_at IS NOT NULL",
                           name="ck_consent_record_given_or_revoked"),
        sa.PrimaryKeyConstraint("id", name="pk_consent_record"),
        sa.UniqueConstraint("supersedes_id", name="uq_consent_record_supersedes_id"),
    )
    op.create_index("ix_consent_record_case_id", "consent_record", ["case_id"])
    # a case's consent as it was: given (method and date), or only a revocation after an
    # override; created by whoever created the case, when consent was recorded
    op.execute("""
        INSERT INTO consent_record (case_id, given_by, method, given_at, scope, purpose,
                                    organization_ids, expires_at, revoked_at, revoked_by_id,
                                    created_by_id, created_at)
        SELECT id, consent_given_by, consent_method, consent_at,
               CASE WHEN consent_method IS NULL THEN '{}' ELSE consent_scope END,
               consent_purpose, consent_org_ids, consent_expires_at, consent_revoked_at,
               consent_revoked_by_id, created_by_id, COALESCE(consent_at, created_at)
        FROM referral_case
        WHERE (consent_method IS NOT NULL AND consent_at IS NOT NULL)
           OR consent_revoked_at IS NOT NULL
        ORDER BY id""")
    # what an override had opened (every scope) stays on the case's override: the scope
    # column goes with the others, and an override shares everything (referral/consent.py)
    op.execute("ALTER TABLE referral_case DROP CONSTRAINT ck_referral_case_consent_method")
    for column in MOVED:
        op.drop_column("referral_case", column)


def downgrade() -> None:
    op.add_column("referral_case", sa.Column("consent_given_by", sa.Text()))
    op.add_column("referral_case", sa.Column("consent_method", sa.String(20)))
    op.add_column("referral_case", sa.Column("consent_at", sa.DateTime(timezone=True)))
    op.add_column("referral_case", sa.Column("consent_scope", sa.ARRAY(sa.Text()),
                                             server_default="{}", nullable=False))
    op.add_column("referral_case", sa.Column("consent_purpose", sa.Text()))
    op.add_column("referral_case", sa.Column("consent_org_ids", sa.ARRAY(sa.Integer()),
                                             server_default="{}", nullable=False))
    op.add_column("referral_case", sa.Column("consent_expires_at", sa.DateTime(timezone=True)))
    op.add_column("referral_case", sa.Column("consent_revoked_at", sa.DateTime(timezone=True)))
    op.add_column("referral_case", sa.Column("consent_revoked_by_id", sa.Integer(), sa.ForeignKey(
        "app_user.id", ondelete="SET NULL",
        name="fk_referral_case_consent_revoked_by_id_app_user")))
    op.execute(f"ALTER TABLE referral_case ADD CONSTRAINT ck_referral_case_consent_method "
               f"CHECK (consent_method IS NULL OR consent_method IN {METHODS})")
    op.execute("""
        UPDATE referral_case c SET consent_given_by = r.given_by, consent_method = r.method,
               consent_at = r.given_at, consent_purpose = r.purpose,
               consent_scope = CASE WHEN r.method IS NULL THEN c.consent_scope ELSE r.scope END,
               consent_org_ids = r.organization_ids, consent_expires_at = r.expires_at,
               consent_revoked_at = r.revoked_at, consent_revoked_by_id = r.revoked_by_id
        FROM (SELECT DISTINCT ON (case_id) * FROM consent_record
              ORDER BY case_id, id DESC) r
        WHERE r.case_id = c.id""")
    op.execute("""
        UPDATE referral_case SET consent_scope = ARRAY['name', 'phone', 'age_sex', 'location',
               'needs', 'target_groups', 'languages', 'note']
        WHERE consent_method IS NULL AND consent_override_reason_enc IS NOT NULL
           OR consent_method IS NULL AND consent_override_reason IS NOT NULL""")
    op.drop_index("ix_consent_record_case_id", table_name="consent_record")
    op.drop_table("consent_record")
