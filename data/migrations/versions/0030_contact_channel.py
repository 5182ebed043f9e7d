"""contact channel: how the person agreed to be contacted by the receiving organisation, and
the number or address for it, encrypted

Revision ID: 0030_contact_channel
Revises: 0029_confidential_sites
Create Date: 2026-12-06 20:20:00

Why (issue 18, finding 2): the receiver could not reach the person: nothing said whether the
person agreed to a call, a WhatsApp message, a visit, or only contact through the caseworker.
``contact_channel`` is a code (not personal data); ``contact_handle_enc`` holds the number or
address as a Fernet token like ``name_enc`` and ``phone_enc`` (covered by ``rotate-keys``).
"""
import sqlalchemy as sa
from alembic import op

revision = "0030_contact_channel"
down_revision = "0029_confidential_sites"
branch_labels = None
depends_on = None

CHANNELS = ("phone", "whatsapp", "sms", "email", "in_person", "via_caseworker")


def upgrade() -> None:
    op.add_column("referral_case", sa.Column("contact_channel", sa.String(20), nullable=True))
    op.add_column("referral_case", sa.Column("contact_handle_enc", sa.LargeBinary(),
                                             nullable=True))
    op.create_check_constraint(op.f("ck_referral_case_contact_channel"), "referral_case",
                               f"contact_channel IS NULL OR contact_channel IN {CHANNELS}")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_referral_case_contact_channel"), "referral_case", type_="check")
    op.drop_column("referral_case", "contact_handle_enc")
    op.drop_column("referral_case", "contact_channel")
