"""eventlog: committed events, read by the live streams of every process

Revision ID: 0008_event_log
Revises: 0003_spool_due_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatcore.models

revision: str = "0008_event_log"
down_revision: str | None = "0010_session_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eventlog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", chatcore.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("eventlog")
