"""contact identity: an address typed into the chat is a claim; one contact per verified address

Revision ID: 0006_contact_identity
Revises: 0003_spool_due_index

Existing data: addresses are case-folded; contacts made from mail (no visitor id) count as verified
since their first mail; contacts made in the chat keep their address as an unverified claim. Where
several verified contacts share an address the oldest (lowest id) keeps it verified and the others keep
it as a claim ("keep first"): no conversation moves, and new mail from the address goes to the oldest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_contact_identity"
down_revision: str | None = "0008_event_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERIFIED = "email_verified_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE contact SET email = lower(trim(email)) WHERE email IS NOT NULL")
    op.execute("UPDATE contact SET email = NULL WHERE email = ''")
    op.execute(
        "UPDATE contact SET email_verified_at = first_seen WHERE email IS NOT NULL AND visitor_id IS NULL"
    )
    op.execute(
        "UPDATE contact SET email_verified_at = NULL WHERE email_verified_at IS NOT NULL AND id > "
        "(SELECT min(first.id) FROM contact AS first "
        "WHERE first.email = contact.email AND first.email_verified_at IS NOT NULL)"
    )
    op.create_index(
        "ux_contact_verified_email",
        "contact",
        ["email"],
        unique=True,
        sqlite_where=sa.text(_VERIFIED),
        postgresql_where=sa.text(_VERIFIED),
    )


def downgrade() -> None:
    op.drop_index("ux_contact_verified_email", table_name="contact")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("email_verified_at")
