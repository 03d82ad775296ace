"""settings: operators' last seen moment and a colour for each tag (issue 16)

Revision ID: 0012_settings_people
Revises: 0009_search_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chatcore.models

revision: str = "0012_settings_people"
down_revision: str | None = "0009_search_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_seen_at", chatcore.models.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("colour", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.drop_column("colour")
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
