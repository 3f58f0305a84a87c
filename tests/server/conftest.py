"""Fixtures of the server tests: a migrated database per backend, one rolled-back transaction
per test, two clinics with users, tiny real videos in a storage root.

SQLite always runs; PostgreSQL runs for tests marked ``postgres`` when
``ICTAL_TEST_POSTGRES_URL`` is set (``scripts/pg-test-server.sh start`` prints one). Without it
those tests skip — unless ``CI`` is set, then they fail.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine, create_engine, text

from ictal.server import schemas
from ictal.server.app import create_app
from ictal.server.config import ServerSettings
from ictal.server.db import Database, make_engine
from ictal.server.migrate import upgrade_connection, upgrade_head
from ictal.server.repositories import clinics, users
from ictal.server.security import make_hasher


def _load_serverkit() -> ModuleType:
    """Register ``serverkit.py`` (helpers beside this file) as the module ``serverkit``: with
    ``--import-mode=importlib`` test modules cannot import their neighbours directly."""
    if "serverkit" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "serverkit", Path(__file__).with_name("serverkit.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["serverkit"] = module
        spec.loader.exec_module(module)
    return sys.modules["serverkit"]


_load_serverkit()
from serverkit import (  # noqa: E402
    CHEAP_ARGON2,
    PASSWORD,
    FakeJobs,
    World,
    postgres_url_or_skip,
    server_paths_in,
    write_ir_video,
)


@pytest.fixture(scope="session")
def storage_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A storage root with ``ir/clip.mkv`` (12 frames, 64x48, 10 fps, 16 bit) and an outside
    file ``../secret.txt`` (plus a symlink to it inside)."""
    base = tmp_path_factory.mktemp("server")
    root = base / "storage"
    (root / "ir").mkdir(parents=True)
    write_ir_video(root / "ir" / "clip.mkv")
    (base / "secret.txt").write_text("outside the root", encoding="utf-8")
    (root / "escape.txt").symlink_to(base / "secret.txt")
    (root / "escape-dir").symlink_to(base)
    return root


# --- databases ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade_head(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """A schema of its own in the test PostgreSQL, migrated once, dropped at the end."""
    url = postgres_url_or_skip()
    schema = f"ictal_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    with engine.connect() as conn:
        upgrade_connection(conn)
        conn.commit()
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    return request.getfixturevalue(name)


@pytest.fixture
def database(engine: Engine) -> Iterator[Database]:
    """Sessions inside one transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield Database.on_connection(connection)
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def password_hash() -> str:
    return make_hasher(**CHEAP_ARGON2).hash(PASSWORD)


@pytest.fixture
def settings(tmp_path: Path, storage_root: Path) -> ServerSettings:
    return ServerSettings(data_dir=tmp_path / "data", storage_root=storage_root,
                          max_upload_bytes=200_000, static_dir=tmp_path / "static",
                          argon2_time_cost=CHEAP_ARGON2["time_cost"],
                          argon2_memory_kib=CHEAP_ARGON2["memory_kib"])


# --- the world: two clinics, users, clients -------------------------------------------------------
@pytest.fixture
def world(database: Database, settings: ServerSettings, password_hash: str) -> Iterator[World]:
    app = create_app(settings, database=database)
    jobs = FakeJobs()
    app.state.ictal.jobs = jobs
    with database.sessions() as db:
        a = clinics.get_or_create_clinic(db, "Clinic A")
        b = clinics.get_or_create_clinic(db, "Clinic B")
        user_ids = {}
        for name, role, clinic in [("admin_a", "admin", a.id), ("clin_a", "clinician", a.id),
                                   ("ds_a", "data_scientist", a.id),
                                   ("clin_b", "clinician", b.id), ("admin_b", "admin", b.id)]:
            user = users.create_user(
                db, None, schemas.UserCreate(username=name, password=PASSWORD, role=role,
                                             clinic_ids=[clinic]),
                password_hash, allowed_clinics=None)
            user_ids[name] = user.id
        db.commit()
        world = World(app, database, jobs, a.id, b.id, user_ids)
    yield world
    # no answer of any route, in any test, may ever carry a password hash
    dump = json.dumps(world.responses)
    assert "$argon2" not in dump and "password_hash" not in dump
    # and no error answer shows where the server keeps its files
    assert server_paths_in(world.errors, settings) == []


