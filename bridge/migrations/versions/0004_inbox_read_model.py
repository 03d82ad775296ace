"""inbox read model: each conversation stores its last message, and the list has the indexes it needs

Conversation gains last_message_id, _preview, _author_kind, _is_note, last_activity_at and
awaiting_reply (filled in here from the messages already stored); the list walks (status,
last_activity_at, id, ...), (assignee_id, last_activity_at, id, status) or (last_activity_at, id, ...),
which replace the single-column status and assignee indexes; the tag filter goes from tag to
conversation; a conversation's messages are read in order from (conversation_id, id).

Revision ID: 0004_inbox_read_model
Revises: 0003_spool_due_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chatcore.models

revision: str = "0004_inbox_read_model"
down_revision: str | None = "0003_spool_due_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ALTER TABLE ADD COLUMN ... NOT NULL needs a default on SQLite; every row is filled in just below and
# every new row gets its value from the application, so the default is never what a row keeps.
_EPOCH = {"sqlite": "1970-01-01 00:00:00.000000", "postgresql": "1970-01-01 00:00:00+00"}

_conversation = sa.table(
    "conversation",
    sa.column("id", sa.Integer()),
    sa.column("created_at", chatcore.models.UTCDateTime()),
    sa.column("last_message_id", sa.Integer()),
    sa.column("last_message_preview", sa.String()),
    sa.column("last_message_author_kind", sa.String()),
    sa.column("last_message_is_note", sa.Boolean()),
    sa.column("last_activity_at", chatcore.models.UTCDateTime()),
    sa.column("awaiting_reply", sa.Boolean()),
)
_message = sa.table(
    "message",
    sa.column("id", sa.Integer()),
    sa.column("conversation_id", sa.Integer()),
    sa.column("author_kind", sa.String()),
    sa.column("is_note", sa.Boolean()),
    sa.column("text", sa.String()),
    sa.column("created_at", chatcore.models.UTCDateTime()),
)


def upgrade() -> None:
    # Plain ALTER TABLE (no batch): a batch would copy and drop the conversation table, which
    # SQLite refuses while messages refer to it.
    dialect = op.get_bind().dialect.name
    op.create_index("ix_message_conversation_order", "message", ["conversation_id", "id"], unique=False)
    op.drop_index("ix_message_conversation_id", table_name="message")
    op.add_column("conversation", sa.Column("last_message_id", sa.Integer(), nullable=True))
    op.add_column(
        "conversation", sa.Column("last_message_preview", sa.String(), nullable=False, server_default="")
    )
    op.add_column(
        "conversation", sa.Column("last_message_author_kind", sa.String(), nullable=False, server_default="")
    )
    op.add_column(
        "conversation",
        sa.Column("last_message_is_note", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "conversation",
        sa.Column(
            "last_activity_at",
            chatcore.models.UTCDateTime(timezone=True),
            nullable=False,
            server_default=_EPOCH.get(dialect, _EPOCH["postgresql"]),
        ),
    )
    op.add_column(
        "conversation", sa.Column("awaiting_reply", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    _backfill()
    op.drop_index("ix_conversation_status", table_name="conversation")
    op.drop_index("ix_conversation_assignee_id", table_name="conversation")
    covered = ["assignee_id", "awaiting_reply", "last_message_id"]
    op.create_index(
        "ix_conversation_status_activity",
        "conversation",
        ["status", "last_activity_at", "id", *covered],
        unique=False,
    )
    op.create_index(
        "ix_conversation_assignee_activity",
        "conversation",
        ["assignee_id", "last_activity_at", "id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_conversation_activity",
        "conversation",
        ["last_activity_at", "id", "status", *covered],
        unique=False,
    )
    op.create_index("ix_conversationtag_tag", "conversationtag", ["tag_id", "conversation_id"], unique=False)
    if dialect == "sqlite":
        _readmark_rowid(with_rowid=False)


def _readmark_rowid(*, with_rowid: bool) -> None:
    """SQLite: store read marks in their key's order (WITHOUT ROWID), or back. Nothing refers to
    the table, so copying it is safe with foreign keys on."""
    with op.batch_alter_table(
        "readmark", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ) as batch_op:
        batch_op.alter_column("last_read_message_id", existing_type=sa.Integer(), nullable=False)


def _backfill() -> None:
    """The newest message of each conversation (by id), its start and time; awaiting a reply when the
    contact's newest message is newer than the newest operator reply (notes are not replies)."""
    c, m = _conversation, _message
    newest = sa.select(sa.func.max(m.c.id)).where(m.c.conversation_id == c.c.id).scalar_subquery()
    op.execute(c.update().values(last_message_id=newest))
    of_last = m.c.id == c.c.last_message_id
    preview = sa.select(sa.func.substr(m.c.text, 1, 200)).where(of_last).scalar_subquery()
    author = sa.select(m.c.author_kind).where(of_last).scalar_subquery()
    note = sa.select(m.c.is_note).where(of_last).scalar_subquery()
    created = sa.select(m.c.created_at).where(of_last).scalar_subquery()
    by_visitor = (
        sa.select(sa.func.max(m.c.id))
        .where(m.c.conversation_id == c.c.id, m.c.author_kind == "visitor")
        .scalar_subquery()
    )
    by_operator = (
        sa.select(sa.func.max(m.c.id))
        .where(m.c.conversation_id == c.c.id, m.c.author_kind == "operator", m.c.is_note == sa.false())
        .scalar_subquery()
    )
    op.execute(
        c.update().values(
            last_message_preview=sa.func.coalesce(preview, ""),
            last_message_author_kind=sa.func.coalesce(author, ""),
            last_message_is_note=sa.func.coalesce(note, sa.false()),
            last_activity_at=sa.func.coalesce(created, c.c.created_at),
            awaiting_reply=sa.func.coalesce(by_visitor, 0) > sa.func.coalesce(by_operator, 0),
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _readmark_rowid(with_rowid=True)
    op.drop_index("ix_conversationtag_tag", table_name="conversationtag")
    op.drop_index("ix_conversation_activity", table_name="conversation")
    op.drop_index("ix_conversation_assignee_activity", table_name="conversation")
    op.drop_index("ix_conversation_status_activity", table_name="conversation")
    op.create_index("ix_conversation_status", "conversation", ["status"], unique=False)
    op.create_index("ix_conversation_assignee_id", "conversation", ["assignee_id"], unique=False)
    for column in (
        "awaiting_reply",
        "last_activity_at",
        "last_message_is_note",
        "last_message_author_kind",
        "last_message_preview",
        "last_message_id",
    ):
        op.drop_column("conversation", column)  # SQLite 3.35+ drops a column in place
    op.create_index("ix_message_conversation_id", "message", ["conversation_id"], unique=False)
    op.drop_index("ix_message_conversation_order", table_name="message")
