"""spool due index: claim pending mail oldest first without sorting the backlog

Revision ID: 0003_spool_due_index
Revises: 0002_undeliverable
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_spool_due_index"
down_revision: str | None = "0002_undeliverable"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spoolitem", schema=None) as batch_op:
        batch_op.drop_index("ix_spoolitem_status")
        batch_op.create_index("ix_spoolitem_due", ["status", "received_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("spoolitem", schema=None) as batch_op:
        batch_op.drop_index("ix_spoolitem_due")
        batch_op.create_index("ix_spoolitem_status", ["status"], unique=False)
