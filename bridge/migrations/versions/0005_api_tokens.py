"""personal API tokens (apitoken), and saved replies with an owner, a shared flag and times

Revision ID: 0005_api_tokens
Revises: 0004_inbox_read_model
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chatcore.models

revision: str = "0005_api_tokens"
down_revision: str | None = "0004_inbox_read_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apitoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("token_sha256", sa.String(), nullable=False),
        sa.Column("created_at", chatcore.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", chatcore.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", chatcore.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.create_index("ix_apitoken_operator_id", ["operator_id"], unique=False)
        batch_op.create_index("ix_apitoken_token_sha256", ["token_sha256"], unique=True)

    # Replies saved before there were owners stay shared; only admins edit them.
    now = sa.text("CURRENT_TIMESTAMP")
    with op.batch_alter_table("savedreply", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(
            sa.Column(
                "created_at", chatcore.models.UTCDateTime(timezone=True), nullable=False, server_default=now
            )
        )
        batch_op.add_column(
            sa.Column(
                "updated_at", chatcore.models.UTCDateTime(timezone=True), nullable=False, server_default=now
            )
        )
        batch_op.create_index("ix_savedreply_owner_id", ["owner_id"], unique=False)
        batch_op.create_foreign_key("fk_savedreply_owner_id_operator", "operator", ["owner_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("savedreply", schema=None) as batch_op:
        batch_op.drop_constraint("fk_savedreply_owner_id_operator", type_="foreignkey")
        batch_op.drop_index("ix_savedreply_owner_id")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_at")
        batch_op.drop_column("shared")
        batch_op.drop_column("owner_id")
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.drop_index("ix_apitoken_token_sha256")
        batch_op.drop_index("ix_apitoken_operator_id")
    op.drop_table("apitoken")
