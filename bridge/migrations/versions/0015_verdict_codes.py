"""verdict codes: autoreply verdicts stored as English sentences become codes with arguments

Sentences of a known form become their code; any other stays as a `legacy` reason with its text.
Downgrade writes English sentences back.

Revision ID: 0015_verdict_codes
Revises: 0009_search_index
"""

from collections.abc import Callable, Sequence
from gettext import NullTranslations

import sqlalchemy as sa
from alembic import op

from chatcore.autoreply.legacy import reason_from_sentence
from chatcore.autoreply.words import reason_text

revision: str = "0015_verdict_codes"
down_revision: str | None = "0012_settings_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ("autoreply", "autoreply_check")
BATCH = 500
MESSAGE = sa.table("message", sa.column("id", sa.Integer), sa.column("verdicts", sa.JSON))


def upgrade() -> None:
    _rewrite(lambda item: reason_from_sentence(item).to_json() if isinstance(item, str) else item)


def downgrade() -> None:
    english = NullTranslations()
    _rewrite(lambda item: item if isinstance(item, str) else reason_text(item, english))


def _rewrite(convert: Callable[[object], object]) -> None:
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(MESSAGE.c.id, MESSAGE.c.verdicts)
            .where(MESSAGE.c.id > last)
            .order_by(MESSAGE.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row_id, verdicts in rows:
            changed = _converted(verdicts, convert)
            if changed is not None:
                connection.execute(sa.update(MESSAGE).where(MESSAGE.c.id == row_id).values(verdicts=changed))
        last = rows[-1][0]


def _converted(verdicts: object, convert: Callable[[object], object]) -> dict[str, object] | None:
    if not isinstance(verdicts, dict) or not any(isinstance(verdicts.get(key), list) for key in KEYS):
        return None
    changed = dict(verdicts)
    for key in KEYS:
        if isinstance(changed.get(key), list):
            changed[key] = [convert(item) for item in changed[key]]
    return changed
