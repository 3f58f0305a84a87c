"""Engine and session factory, built from :class:`ServerSettings` (never at import time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from ictal.server.errors import InvalidError


class Base(DeclarativeBase):
    """Declarative base of every table (schema changes go through Alembic only)."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def str_enum(enum: type[StrEnum], length: int) -> Enum:
    """A ``VARCHAR(length)`` column holding the *values* of ``enum`` (``'clinician'``, not
    ``'CLINICIAN'``); SQLAlchemy refuses other strings before they reach the database."""
    return Enum(enum, native_enum=False, length=length, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])


def commit(db: Session) -> None:
    """Commit; a uniqueness race (two requests creating the same name) becomes a 422."""
    try:
        db.commit()
    except IntegrityError as err:
        db.rollback()
        raise InvalidError(f"the change conflicts with existing data: {err.orig}") from err


#: Execution option marking an engine / connection whose transactions will write.
WRITE_OPTION = "ictal_write"


def _sqlite_pragmas(engine: Engine) -> None:
    """Foreign keys on, WAL, and ``BEGIN IMMEDIATE`` for transactions that write.

    pysqlite's own transaction handling is switched off (it breaks SAVEPOINTs). Read-only
    transactions use a plain (deferred) BEGIN and never block in WAL mode; transactions of the
    write engine (:data:`WRITE_OPTION`) take the write lock at BEGIN: a deferred transaction that
    reads then writes fails at once with "database is locked" when another writer committed in
    between, whereas an immediate one simply waits its turn (``busy_timeout``).
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: Connections the pool keeps open. A request holds one from its first query until the route
#: returns, and up to 40 run at once in the thread pool (anyio's default): a pool smaller than
#: that closes its surplus connections as soon as they are returned and opens new ones under
#: the next burst (on PostgreSQL a new server process each time, milliseconds of CPU).
POOL_SIZE = 40
#: Further connections allowed in a burst (closed again when returned to a full pool).
POOL_OVERFLOW = 20


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///FILE`` or ``postgresql+psycopg://...``)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                         pool_pre_ping=True)


@dataclass
class Database:
    """The engine (or one connection, in tests) and the session factories bound to it.

    ``sessions`` is for reading, ``writes`` for transactions that change data (on SQLite they
    take the write lock at BEGIN). On PostgreSQL the read sessions run in autocommit mode: each
    query is its own snapshot and a read request costs no ``BEGIN`` / ``ROLLBACK`` round trips
    (read requests need no multi-statement snapshot; what they read is scoped per query).
    Never write through ``sessions``: on PostgreSQL the change would commit at once.
    """

    bind: Engine | Connection
    sessions: sessionmaker[Session]
    writes: sessionmaker[Session]

    @classmethod
    def from_url(cls, url: str) -> Database:
        engine = make_engine(url)
        writer = engine.execution_options(**{WRITE_OPTION: True})
        reader: Engine = engine
        if engine.dialect.name == "postgresql":
            reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        return cls(engine, sessionmaker(reader, expire_on_commit=False),
                   sessionmaker(writer, expire_on_commit=False))

    @classmethod
    def on_connection(cls, connection: Connection) -> Database:
        """Sessions that join ``connection``'s open transaction via SAVEPOINTs (test isolation:
        the caller rolls the outer transaction back at the end)."""
        factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        return cls(connection, factory, factory)

    def dispose(self) -> None:
        if isinstance(self.bind, Engine):
            self.bind.dispose()
