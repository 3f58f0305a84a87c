"""Alembic, driven from Python: ``upgrade head`` at start, the packaged ``alembic.ini``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

PACKAGE_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    """The packaged configuration (``ictal/server/alembic.ini``) pointing at ``url``."""
    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_head(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (no-op when it is there already)."""
    command.upgrade(alembic_config(url), "head")


def upgrade_connection(connection: Connection) -> None:
    """The same, on an open connection (tests: inside a schema of their own)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
