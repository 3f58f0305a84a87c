"""Alembic migrations of the server database (packaged so `ictal serve` can upgrade it)."""
