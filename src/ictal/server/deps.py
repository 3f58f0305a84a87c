"""Typed FastAPI dependencies: ``DbSession``, ``CurrentUser``, ``require_role(...)``.

Every route but ``/api/health`` and ``/api/auth/login`` depends on :data:`CurrentUser` (or a
:func:`require_role` variant of it), so an unauthenticated request is always a 401. Requests
that change state (POST, PUT, PATCH, DELETE) must echo the ``ictal_csrf`` cookie in the
``X-CSRF-Token`` header, and the value must be the session's token (double-submit, bound to the
session); anything else is a 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from argon2 import PasswordHasher
from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from ictal.server import repository
from ictal.server.config import ServerSettings
from ictal.server.db import Database
from ictal.server.jobs import TranscodeJobs
from ictal.server.models import LoginSession, User
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
    limiter: LoginRateLimiter
    jobs: TranscodeJobs


def get_state(request: Request) -> AppState:
    return request.app.state.ictal  # type: ignore[no-any-return]


State = Annotated[AppState, Depends(get_state)]


def get_db(state: State) -> Iterator[Session]:
    """One session per request; routes commit explicitly, anything left is rolled back."""
    with state.database.sessions() as db:
        try:
            yield db
        finally:
            db.rollback()


DbSession = Annotated[Session, Depends(get_db)]


def get_settings(state: State) -> ServerSettings:
    return state.settings


Settings = Annotated[ServerSettings, Depends(get_settings)]


def get_login_session(request: Request, db: DbSession) -> LoginSession:
    token = request.cookies.get(SESSION_COOKIE)
    row = repository.get_session(db, token_digest(token)) if token else None
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


CurrentSession = Annotated[LoginSession, Depends(get_login_session)]


def get_current_user(session: CurrentSession) -> User:
    return session.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: str) -> Callable[[User], User]:
    """A dependency that lets only ``roles`` through (403 for other authenticated users)."""
    allowed = frozenset(roles)

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {user.role!r} may not do this (allowed: {', '.join(sorted(allowed))})",
            )
        return user

    return check


AnyUser = CurrentUser
Annotator = Annotated[User, Depends(require_role("clinician", "admin"))]
DataScientist = Annotated[User, Depends(require_role("data_scientist", "admin"))]
Admin = Annotated[User, Depends(require_role("admin"))]
