"""thread references, joined conversations, deferred spool items, fenced outbox leases, one pending job
per key

Revision ID: 0007_thread_references
Revises: 0003_spool_due_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chatcore.models

revision: str = "0007_thread_references"
down_revision: str | None = "0006_contact_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "threadreference",
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", chatcore.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.PrimaryKeyConstraint("message_id", "conversation_id"),
    )
    op.create_index("ix_threadreference_conversation_id", "threadreference", ["conversation_id"])
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_conversation_merged_into", "conversation", ["merged_into_id"], ["id"])
    with op.batch_alter_table("spoolitem", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", chatcore.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("deferred_since", chatcore.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_spoolitem_pending", ["status", "id"], unique=False)
    with op.batch_alter_table("outboxmail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_token", sa.String(), nullable=False, server_default=""))
    # two transactions could leave two pending jobs with one key: keep the oldest of each
    op.execute(
        "UPDATE job SET status = 'cancelled' WHERE status = 'pending' AND id NOT IN "
        "(SELECT min(id) FROM job WHERE status = 'pending' GROUP BY key)"
    )
    op.create_index(
        "ux_job_pending_key",
        "job",
        ["key"],
        unique=True,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )


def downgrade() -> None:
    op.drop_index("ux_job_pending_key", table_name="job")
    with op.batch_alter_table("outboxmail", schema=None) as batch_op:
        batch_op.drop_column("lease_token")
    with op.batch_alter_table("spoolitem", schema=None) as batch_op:
        batch_op.drop_index("ix_spoolitem_pending")
        batch_op.drop_column("deferred_since")
        batch_op.drop_column("next_attempt_at")
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_conversation_merged_into", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
    op.drop_index("ix_threadreference_conversation_id", table_name="threadreference")
    op.drop_table("threadreference")
