"""The revisions; Alembic reads every file here but this one."""
