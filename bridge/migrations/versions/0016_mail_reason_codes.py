"""mail reason codes: why a spooled mail was set aside, as a code with arguments beside the sentence

Revision ID: 0016_mail_reason_codes
Revises: 0011_site_keys

Rows quarantined before keep their English sentence and no code; pages show that sentence as stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_mail_reason_codes"
down_revision: str | None = "0011_site_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spoolitem", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_detail", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spoolitem", schema=None) as batch_op:
        batch_op.drop_column("reason_detail")
