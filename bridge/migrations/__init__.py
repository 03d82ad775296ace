"""Alembic's script folder (env.py, versions/), a package so that the wheel installs it."""
