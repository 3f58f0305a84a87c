"""Alembic: the migrations build exactly the models' schema and seed the vocabulary."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select

from ictal.server.db import Base
from ictal.server.models import BodyRegion, MoiTerm


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_vocabulary_is_seeded(engine: Engine) -> None:
    with engine.connect() as conn:
        n_terms = conn.scalar(select(func.count()).select_from(MoiTerm))
        n_regions = conn.scalar(select(func.count()).select_from(BodyRegion))
        codes = set(conn.scalars(select(MoiTerm.code)))
    assert n_terms >= 20 and n_regions == 16
    assert {"tonic", "clonic", "dystonic", "versive", "hyperkinetic", "oral-automatism"} <= codes
