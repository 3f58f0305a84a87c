"""Typed FastAPI dependencies: ``DbSession``, ``CurrentUser``, ``require_role(...)``.

Every route but ``/api/health`` and ``/api/auth/login`` depends on :data:`CurrentUser` (or a
:func:`require_role` variant of it), so an unauthenticated request is always a 401. Requests
that change state (POST, PUT, PATCH, DELETE) must echo the ``ictal_csrf`` cookie in the
``X-CSRF-Token`` header, and the value must be the session's token (double-submit, bound to the
session); anything else is a 403.

SQLite allows one writer at a time. Write requests therefore pass an ``asyncio`` gate
(:meth:`AppState.write_gate`) *before* they take a worker thread, so threads never pile up
waiting for the database lock while the request holding it waits for a thread; reads run
concurrently (WAL). On PostgreSQL there is no gate.

Every trip to the thread pool costs a wake-up of a worker and, on the way back, a turn of the
event loop (milliseconds when the loop is busy with many clients), and a write request holds
the SQLite gate across all of them. So a request makes as few as possible: the session is
opened on the loop (no I/O), authentication is one query in one trip, the route one trip, and
the session is closed on the loop when the route committed (it then holds no connection). The
gate and the session are ``scope="function"`` dependencies: both are released as soon as the
route returns, before the answer is sent. Dependencies that do no I/O are ``async`` so FastAPI
runs them on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from argon2 import PasswordHasher
from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ictal.server.config import ServerSettings
from ictal.server.db import Database
from ictal.server.enums import Role
from ictal.server.jobs import TranscodeJobs
from ictal.server.models import LoginSession, User
from ictal.server.repositories.users import get_session
from ictal.server.security import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginRateLimiter,
    token_digest,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class AppState:
    """Everything :func:`create_app` builds, reachable from a request (``app.state.ictal``)."""

    settings: ServerSettings
    database: Database
    hasher: PasswordHasher
    dummy_hash: str  # verified for unknown usernames, so timing does not reveal them
    limiter: LoginRateLimiter
    jobs: TranscodeJobs
    write_lock: asyncio.Lock | None = None  # SQLite: one write request at a time
    #: concurrent argon2 checks (64 MiB each): a burst of logins queues instead of exhausting
    #: memory and the thread pool
    login_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))

    def write_gate(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """``async with state.write_gate():`` around a write transaction."""
        return self.write_lock if self.write_lock is not None else contextlib.nullcontext()


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.ictal  # set by create_app
    return state


State = Annotated[AppState, Depends(get_state)]


async def write_gate(request: Request, state: State) -> AsyncIterator[None]:
    if request.method in SAFE_METHODS:
        yield
        return
    async with state.write_gate():
        yield


WriteGate = Annotated[None, Depends(write_gate, scope="function")]


def _rollback_and_close(db: Session) -> None:
    db.rollback()
    db.close()


def _close_needs_io(db: Session) -> bool:
    """Whether closing ``db`` talks to the database: only when a transaction is open on a
    connection that is not in autocommit mode (PostgreSQL's read sessions are, see
    :meth:`Database.from_url`; a route that committed has no transaction open)."""
    if not db.in_transaction():
        return False
    options = db.get_bind().get_execution_options()
    return bool(options.get("isolation_level") != "AUTOCOMMIT")


async def _release(db: Session) -> None:
    """Close ``db``: on the loop when that needs no I/O, in a worker thread otherwise (the
    rollback talks to the database)."""
    if _close_needs_io(db):
        await run_in_threadpool(_rollback_and_close, db)
    else:
        db.close()


async def get_db(request: Request, state: State, _gate: WriteGate) -> AsyncIterator[Session]:
    """One session per request; routes commit explicitly, anything left is rolled back.

    GET / HEAD requests read through the read-only factory; the others write (gated). Creating
    a session opens no connection (that happens at its first query, in the route's thread)."""
    factory = (state.database.sessions if request.method in SAFE_METHODS
               else state.database.writes)
    db = factory()
    try:
        yield db
    finally:
        await _release(db)


DbSession = Annotated[Session, Depends(get_db, scope="function")]


async def get_read_db(state: State) -> AsyncIterator[Session]:
    """A read-only session without the write gate (for long requests such as uploads, which
    open their own short write transaction at the end)."""
    db = state.database.sessions()
    try:
        yield db
    finally:
        await _release(db)


ReadDbSession = Annotated[Session, Depends(get_read_db, scope="function")]


async def get_settings(state: State) -> ServerSettings:
    return state.settings


Settings = Annotated[ServerSettings, Depends(get_settings)]


def authenticate(request: Request, db: Session) -> LoginSession:
    """The request's live session (401 without one) after the CSRF check on writes (403)."""
    token = request.cookies.get(SESSION_COOKIE)
    row = get_session(db, token_digest(token)) if token else None
    if row is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "not logged in (or the session expired): log in again",
        )
    if request.method not in SAFE_METHODS:
        header = request.headers.get(CSRF_HEADER, "")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not (header and hmac.compare_digest(header, cookie)
                and hmac.compare_digest(header, row.csrf_token)):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"CSRF check failed: send the {CSRF_COOKIE} cookie's value in the {CSRF_HEADER} "
                "header",
            )
    return row


async def get_login_session(request: Request, db: DbSession) -> LoginSession:
    """:func:`authenticate` in one trip to the thread pool (it queries the database)."""
    return await run_in_threadpool(authenticate, request, db)


CurrentSession = Annotated[LoginSession, Depends(get_login_session)]


async def get_current_user(session: CurrentSession) -> User:
    return session.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_streaming_user(request: Request, db: ReadDbSession) -> User:
    return (await run_in_threadpool(authenticate, request, db)).user


StreamingUser = Annotated[User, Depends(get_streaming_user)]


def _check_role(user: User, allowed: frozenset[Role]) -> User:
    if user.role not in allowed:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role.value!r} may not do this "
            f"(allowed: {', '.join(sorted(r.value for r in allowed))})",
        )
    return user


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only ``roles`` through (403 for other authenticated users)."""
    allowed = frozenset(roles)

    async def check(user: CurrentUser) -> User:
        return _check_role(user, allowed)

    return check


def require_role_streaming(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """:func:`require_role` for routes that authenticate on a :data:`ReadDbSession`."""
    allowed = frozenset(roles)

    async def check(user: StreamingUser) -> User:
        return _check_role(user, allowed)

    return check


Annotator = Annotated[User, Depends(require_role(Role.CLINICIAN, Role.REVIEWER, Role.ADMIN))]
Uploader = Annotated[User, Depends(require_role_streaming(Role.CLINICIAN, Role.REVIEWER,
                                                          Role.ADMIN))]
Reviewer = Annotated[User, Depends(require_role(Role.REVIEWER, Role.ADMIN))]
DataScientist = Annotated[User, Depends(require_role(Role.DATA_SCIENTIST, Role.ADMIN))]
Admin = Annotated[User, Depends(require_role(Role.ADMIN))]
