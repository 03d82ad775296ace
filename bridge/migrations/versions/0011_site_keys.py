"""site keys, and what the desk learns of a contact: external id, visits, first source, public avatar

Revision ID: 0011_site_keys
Revises: 0009_search_index

Existing contacts get no external id, no visits and no avatar; their events get an index by time so the
timeline and the retention prune read only one contact's newest rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chatcore.models

revision: str = "0011_site_keys"
down_revision: str | None = "0015_verdict_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sitekey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("key_sha256", sa.String(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("created_at", chatcore.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", chatcore.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", chatcore.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sitekey", schema=None) as batch_op:
        batch_op.create_index("ix_sitekey_key_sha256", ["key_sha256"], unique=True)
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("visits", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("first_source", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("avatar_sha256", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("avatar_for", sa.String(), nullable=True))
        batch_op.create_index("ix_contact_external_id", ["external_id"], unique=True)
    op.create_index("ix_contactevent_contact_created", "contactevent", ["contact_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_contactevent_contact_created", table_name="contactevent")
    op.drop_index("ix_contact_external_id", table_name="contact")
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+): a batch copy of `contact` would trip the foreign keys
    # of its conversations.
    for column in ("avatar_for", "avatar_sha256", "first_source", "visits", "external_id"):
        op.drop_column("contact", column)
    op.drop_table("sitekey")
