"""search index: stemmed terms of subjects, messages and contacts, indexed per database (issue 18)

SQLite: FTS5 tables searchtext_fts and searchperson_fts over searchtext/searchperson (external content).
PostgreSQL: a tsvector column `vector` on each, with a GIN index. Filled from the rows already there.

Revision ID: 0009_search_index
Revises: 0007_thread_references
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chatcore import search_index

revision: str = "0009_search_index"
down_revision: str | None = "0007_thread_references"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "searchtext",
        sa.Column("id", _ID, primary_key=True, autoincrement=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("terms", sa.String(), nullable=False),
    )
    op.create_table(
        "searchperson",
        sa.Column("id", _ID, sa.ForeignKey("contact.id"), primary_key=True, autoincrement=False),
        sa.Column("terms", sa.String(), nullable=False),
    )
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for table in ("searchtext", "searchperson"):
            op.execute(f"ALTER TABLE {table} ADD COLUMN vector tsvector NOT NULL")
            op.execute(f"CREATE INDEX ix_{table}_vector ON {table} USING gin (vector)")
    search_index.rebuild(connection)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS searchperson_fts")
        op.execute("DROP TABLE IF EXISTS searchtext_fts")
    op.drop_table("searchperson")
    op.drop_table("searchtext")
