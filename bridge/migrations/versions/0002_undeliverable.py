"""contact.undeliverable_at and undeliverable_reason: a visitor address that bounced for good

Revision ID: 0002_undeliverable
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chatcore.models

revision: str = "0002_undeliverable"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("undeliverable_at", chatcore.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("undeliverable_reason", sa.String(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("undeliverable_reason")
        batch_op.drop_column("undeliverable_at")
