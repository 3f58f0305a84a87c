"""Keypoints of recordings: imported ``ictal keypoints`` shards (keypoint_sets) and their frames
in chunks (keypoint_chunks)

Revision ID: 0003_keypoints
Revises: 0002
Create Date: 2026-12-04 10:00:00

No data carried over: both tables start empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_keypoints"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "keypoint_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("source_recording", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("fps", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("first_frame", sa.Integer(), nullable=False),
        sa.Column("last_frame", sa.Integer(), nullable=False),
        sa.Column("body_frames", sa.Integer(), nullable=False),
        sa.Column("face_frames", sa.Integer(), nullable=False),
        sa.Column("has_3d", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("lanes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_keypoint_sets_recording_id", "keypoint_sets", ["recording_id"])
    op.create_index("ix_keypoint_sets_clinic_id", "keypoint_sets", ["clinic_id"])
    op.create_table(
        "keypoint_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("start_frame", sa.Integer(), nullable=False),
        sa.Column("stop_frame", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["set_id"], ["keypoint_sets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("set_id", "index"),
    )
    op.create_index("ix_keypoint_chunks_set_frames", "keypoint_chunks",
                    ["set_id", "start_frame"])


def downgrade() -> None:
    op.drop_index("ix_keypoint_chunks_set_frames", table_name="keypoint_chunks")
    op.drop_table("keypoint_chunks")
    op.drop_index("ix_keypoint_sets_clinic_id", table_name="keypoint_sets")
    op.drop_index("ix_keypoint_sets_recording_id", table_name="keypoint_sets")
    op.drop_table("keypoint_sets")
