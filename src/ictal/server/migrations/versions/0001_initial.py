"""Initial schema and the ILAE semiology vocabulary (MOI terms, body regions)

Revision ID: 0001
Revises:
Create Date: 2026-11-21 17:31:53.304966
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: ILAE semiology terms (Beniczky et al. 2022 glossary, motor and other manifestations) that an
#: MOI may carry; admins extend the list with POST /api/vocabulary/terms.
MOI_TERMS = [
    ("automatism", "Automatism", "automatism"),
    ("oral-automatism", "Oral (oroalimentary) automatism", "automatism"),
    ("manual-automatism", "Manual automatism", "automatism"),
    ("pedal-automatism", "Pedal automatism", "automatism"),
    ("gestural-automatism", "Gestural automatism", "automatism"),
    ("hyperkinetic", "Hyperkinetic", "motor"),
    ("tonic", "Tonic", "motor"),
    ("clonic", "Clonic", "motor"),
    ("tonic-clonic", "Tonic-clonic", "motor"),
    ("dystonic", "Dystonic posturing", "motor"),
    ("versive", "Versive", "motor"),
    ("myoclonic", "Myoclonic", "motor"),
    ("atonic", "Atonic", "motor"),
    ("epileptic-spasm", "Epileptic spasm", "motor"),
    ("head-version", "Head version", "motor"),
    ("eye-deviation", "Eye deviation", "motor"),
    ("fencing-posture", "Fencing posture", "motor"),
    ("figure-4", "Figure-4 sign", "motor"),
    ("asymmetric-tonic", "Asymmetric tonic posturing", "motor"),
    ("bipedal-pedaling", "Bipedal pedaling", "motor"),
    ("pelvic-thrusting", "Pelvic thrusting", "motor"),
    ("behavioral-arrest", "Behavioral arrest", "non-motor"),
    ("vocalisation", "Vocalisation", "other"),
    ("ictal-grimace", "Ictal grimace / facial expression", "other"),
    ("blinking", "Blinking", "other"),
    ("postictal-nose-wiping", "Postictal nose wiping", "other"),
]

BODY_REGIONS = [
    ("head", "Head"),
    ("face", "Face"),
    ("mouth", "Mouth"),
    ("eyes", "Eyes"),
    ("trunk", "Trunk"),
    ("left-arm", "Left arm"),
    ("right-arm", "Right arm"),
    ("left-hand", "Left hand"),
    ("right-hand", "Right hand"),
    ("left-leg", "Left leg"),
    ("right-leg", "Right leg"),
    ("left-foot", "Left foot"),
    ("right-foot", "Right foot"),
    ("arms", "Both arms"),
    ("legs", "Both legs"),
    ("whole-body", "Whole body"),
]


def _seed_vocabulary() -> None:
    terms = sa.table(
        "moi_terms",
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("category", sa.String),
        sa.column("active", sa.Boolean),
    )
    regions = sa.table(
        "body_regions",
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        terms,
        [{"code": c, "label": lbl, "category": cat, "active": True} for c, lbl, cat in MOI_TERMS],
    )
    op.bulk_insert(regions, [{"code": c, "label": lbl, "active": True} for c, lbl in BODY_REGIONS])


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_clinic_at", "audit_log", ["clinic_id", "at"])

    op.create_table(
        "body_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "clinics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "moi_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "clinic_members",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "clinic_id"),
    )
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])

    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("syndrome", sa.String(length=200), nullable=True),
        sa.Column("etiology", sa.String(length=200), nullable=True),
        sa.Column("invasive", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_patients_clinic_id", "patients", ["clinic_id"])

    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("fps", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("n_frames", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("pix_fmt", sa.String(length=32), nullable=False),
        sa.Column("window_lo", sa.Integer(), nullable=True),
        sa.Column("window_hi", sa.Integer(), nullable=True),
        sa.Column("preview_status", sa.String(length=16), nullable=False),
        sa.Column("preview_progress", sa.Float(), nullable=False),
        sa.Column("preview_path", sa.Text(), nullable=True),
        sa.Column("preview_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recordings_clinic_id", "recordings", ["clinic_id"])
    op.create_index("ix_recordings_patient_id", "recordings", ["patient_id"])

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("t0", sa.Float(), nullable=False),
        sa.Column("t1", sa.Float(), nullable=False),
        sa.Column("tG", sa.Float(), nullable=True),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("seizure_types", sa.String(length=500), nullable=False),
        sa.Column("semiology", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_events_clinic_id", "events", ["clinic_id"])
    op.create_index("ix_events_recording_id", "events", ["recording_id"])

    op.create_table(
        "model_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("source_recording", sa.Text(), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("bundle_sha256", sa.String(length=64), nullable=False),
        sa.Column("model_info", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("decision_label", sa.String(length=64), nullable=False),
        sa.Column("decision_probs", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_model_runs_clinic_id", "model_runs", ["clinic_id"])
    op.create_index("ix_model_runs_recording_id", "model_runs", ["recording_id"])

    op.create_table(
        "moi_annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["annotator_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["body_regions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["moi_terms.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_moi_annotations_clinic_id", "moi_annotations", ["clinic_id"])
    op.create_index("ix_moi_annotations_event_id", "moi_annotations", ["event_id"])

    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("start_frame", sa.Integer(), nullable=False),
        sa.Column("stop_frame", sa.Integer(), nullable=False),
        sa.Column("t_start", sa.Float(), nullable=False),
        sa.Column("t_stop", sa.Float(), nullable=False),
        sa.Column("probs", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["model_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "index"),
    )
    _seed_vocabulary()


def downgrade() -> None:
    op.drop_table("predictions")
    op.drop_table("moi_annotations")
    op.drop_table("model_runs")
    op.drop_table("events")
    op.drop_table("recordings")
    op.drop_table("patients")
    op.drop_table("login_sessions")
    op.drop_table("clinic_members")
    op.drop_table("users")
    op.drop_table("moi_terms")
    op.drop_table("clinics")
    op.drop_table("body_regions")
    op.drop_table("audit_log")
