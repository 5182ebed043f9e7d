"""consent_record: consent has a purpose, the organisations it covers, an expiry and a
revocation; a parent or guardian may give it for a child; cases remember their erasure

Revision ID: 0027_consent_record
Revises: 0026_batch_services
Create Date: 2026-12-06 20:00:00

Why (issue 23): consent was who, how, when and which fields, forever. A person must be able to
agree for one purpose, with named organisations, until a date, and to take it back: revoked
consent withdraws the open referrals (reason ``consent_revoked``) and hides the shared fields
from the receiver at once. ``erased_at`` marks a closed case whose personal data the retention
job erased (its statistics stay).
"""
import sqlalchemy as sa
from alembic import op

revision = '0027_consent_record'
down_revision = '0026_batch_services'
branch_labels = None
depends_on = None

REASONS = ("no_capacity", "not_eligible", "outside_area", "no_contact", "person_declined",
           "duplicate", "other", "receiver_unverified")


def _reasons(reasons: tuple[str, ...]) -> None:
    op.execute("ALTER TABLE referral DROP CONSTRAINT ck_referral_reason")
    op.execute(f"ALTER TABLE referral ADD CONSTRAINT ck_referral_reason CHECK "
               f"(reason_code IS NULL OR reason_code IN {reasons})")


def _methods(methods: tuple[str, ...]) -> None:
    op.execute("ALTER TABLE referral_case DROP CONSTRAINT ck_referral_case_consent_method")
    op.execute(f"ALTER TABLE referral_case ADD CONSTRAINT ck_referral_case_consent_method "
               f"CHECK (consent_method IS NULL OR consent_method IN {methods})")


def upgrade() -> None:
    op.add_column("referral_case", sa.Column("consent_purpose", sa.Text(), nullable=True))
    op.add_column("referral_case", sa.Column("consent_org_ids", sa.ARRAY(sa.Integer()),
                                             server_default="{}", nullable=False))
    op.add_column("referral_case", sa.Column("consent_expires_at",
                                             sa.DateTime(timezone=True), nullable=True))
    op.add_column("referral_case", sa.Column("consent_revoked_at",
                                             sa.DateTime(timezone=True), nullable=True))
    op.add_column("referral_case", sa.Column(
        "consent_revoked_by_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="SET NULL",
            name="fk_referral_case_consent_revoked_by_id_app_user"), nullable=True))
    op.add_column("referral_case", sa.Column("erased_at", sa.DateTime(timezone=True),
                                             nullable=True))
    _methods(("verbal", "written", "guardian"))
    _reasons(REASONS + ("consent_revoked",))


def downgrade() -> None:
    op.execute("UPDATE referral SET reason_code = 'person_declined' "
               "WHERE reason_code = 'consent_revoked'")
    _reasons(REASONS)
    op.execute("UPDATE referral_case SET consent_method = 'verbal' "
               "WHERE consent_method = 'guardian'")
    _methods(("verbal", "written"))
    for column in ("erased_at", "consent_revoked_by_id", "consent_revoked_at",
                   "consent_expires_at", "consent_org_ids", "consent_purpose"):
        op.drop_column("referral_case", column)
