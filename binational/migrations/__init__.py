"""Alembic migrations; `binational init` applies them (see binational.schema)."""
