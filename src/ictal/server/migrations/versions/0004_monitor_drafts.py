"""Alarms of ``ictal monitor`` on the recordings' timelines: which recording a bed is seen in
(monitor_bed_recordings) and events made from alarms (events.review, events.monitor_alarm)

Revision ID: 0004_monitor_drafts
Revises: 0003_keypoints
Create Date: 2026-12-06 10:00:00

No data carried over: existing events are no alarm's (both new columns NULL), no bed is
assigned a recording.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_monitor_drafts"
down_revision = "0003_keypoints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_bed_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bed", sa.String(length=64), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("offset", sa.Float(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assigned_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bed", "recording_id"),
    )
    op.create_index("ix_monitor_bed_recordings_bed", "monitor_bed_recordings", ["bed"])
    op.create_index("ix_monitor_bed_recordings_recording_id", "monitor_bed_recordings",
                    ["recording_id"])
    op.create_index("ix_monitor_bed_recordings_clinic_id", "monitor_bed_recordings",
                    ["clinic_id"])
    op.add_column("events", sa.Column("review", sa.String(length=16), nullable=True))
    op.add_column("events", sa.Column("monitor_alarm", sa.String(length=160), nullable=True))
    op.create_index("ux_events_monitor_alarm", "events", ["recording_id", "monitor_alarm"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("ux_events_monitor_alarm", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("monitor_alarm")
        batch.drop_column("review")
    op.drop_index("ix_monitor_bed_recordings_clinic_id", table_name="monitor_bed_recordings")
    op.drop_index("ix_monitor_bed_recordings_recording_id", table_name="monitor_bed_recordings")
    op.drop_index("ix_monitor_bed_recordings_bed", table_name="monitor_bed_recordings")
    op.drop_table("monitor_bed_recordings")
