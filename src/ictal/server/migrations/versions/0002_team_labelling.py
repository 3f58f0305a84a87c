"""Team labelling: streams of a recording, stream fingerprints, annotator / consensus layers of
events, model runs tied to their source and archivable

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 10:00:00

Data carried over: every existing event is its author's (layer ``annotator``); existing
recordings get the fingerprint of their file when the file is there (else it is taken at the
next check); existing model runs stay active.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ictal.fsutil import file_fingerprint

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording_streams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("fps", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("n_frames", sa.Integer(), nullable=False),
        sa.Column("offset_frames", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recording_id", "kind"),
    )
    op.create_index("ix_recording_streams_recording_id", "recording_streams", ["recording_id"])
    op.add_column("recordings", sa.Column("fingerprint", sa.String(length=80), nullable=True))
    op.add_column("events", sa.Column("layer", sa.String(length=16), nullable=False,
                                      server_default="annotator"))
    op.add_column("events", sa.Column("origin", sa.JSON(), nullable=True))
    op.add_column("model_runs", sa.Column("source_info", sa.JSON(), nullable=True))
    op.add_column("model_runs", sa.Column("archived_at", sa.DateTime(timezone=True),
                                          nullable=True))

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, path FROM recordings")).all()
    for rid, path in rows:
        try:
            fingerprint = file_fingerprint(path)
        except OSError:
            continue  # moved or offline storage: taken at the next check
        conn.execute(sa.text("UPDATE recordings SET fingerprint = :f WHERE id = :i"),
                     {"f": fingerprint, "i": rid})


def downgrade() -> None:
    op.drop_column("model_runs", "archived_at")
    op.drop_column("model_runs", "source_info")
    op.drop_column("events", "origin")
    op.drop_column("events", "layer")
    op.drop_column("recordings", "fingerprint")
    op.drop_index("ix_recording_streams_recording_id", table_name="recording_streams")
    op.drop_table("recording_streams")
