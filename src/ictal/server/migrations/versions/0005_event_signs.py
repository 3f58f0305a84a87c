"""Semiological signs of events (events.signs: a JSON list of sign codes, exported as the
manifest's meta.signs)

Revision ID: 0005_event_signs
Revises: 0004_monitor_drafts
Create Date: 2026-12-03 08:00:00

Existing events get no sign (``[]``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_event_signs"
down_revision = "0004_monitor_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("signs", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("signs")
