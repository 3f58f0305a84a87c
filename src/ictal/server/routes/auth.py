"""Login, logout, the current user, password change."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from starlette.concurrency import run_in_threadpool

from ictal.server.db import commit
from ictal.server.deps import CurrentSession, CurrentUser, DbSession, State
from ictal.server.models import User
from ictal.server.presenters import user_public
from ictal.server.repositories import users
from ictal.server.repositories.audit import add_audit
from ictal.server.routes.responses import COMMON, error
from ictal.server.schemas import LoginRequest, PasswordChange, SessionPublic
from ictal.server.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)

router = APIRouter(prefix="/auth", tags=["auth"], responses=COMMON)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _set_cookies(response: Response, state: State, token: str, csrf: str) -> None:
    secure = state.settings.cookie_secure
    max_age = int(state.settings.session_hours * 3600)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict",
                        secure=secure, path="/")


def _lookup(state: State, username: str) -> User | None:
    with state.database.sessions() as db:
        user = users.get_user_by_username(db, username)
        if user is not None:
            user.clinic_ids  # noqa: B018 (load the clinics before the session closes)
        return user


def _record_login(state: State, username: str, user_id: int | None, ok: bool,
                  new_hash: str | None) -> tuple[User, str, str] | None:
    """The write half of a login (audit entry; session row on success), in its own short
    transaction."""
    with state.database.writes() as db:
        user = users.get_user(db, user_id) if user_id is not None else None
        clinic = user.clinic_ids[0] if user and user.clinic_ids else None
        if not ok or user is None:
            add_audit(db, user, "login_failed", "user", user_id, clinic, username=username[:64])
            commit(db)
            return None
        if new_hash is not None:
            user.password_hash = new_hash
        token, csrf = new_token(), new_token()
        users.create_session(db, user, token_digest(token), csrf, state.settings.session_hours)
        add_audit(db, user, "login", "user", user.id, clinic)
        commit(db)
        return user, token, csrf


@router.post(
    "/login", response_model=SessionPublic,
    responses={401: error("wrong username or password"),
               429: error("too many failed logins; see Retry-After")},
)
async def login(body: LoginRequest, request: Request, response: Response,
                state: State) -> SessionPublic:
    """Check the password; set the ``ictal_session`` (HttpOnly) and ``ictal_csrf`` cookies.

    The argon2 check (slow on purpose) runs with no transaction open and outside the write
    gate; only the short write at the end is gated.
    """
    ip = _client_ip(request)
    wait = state.limiter.retry_after(body.username, ip)
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins for this user from this address; retry in {wait:.0f} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    user = await run_in_threadpool(_lookup, state, body.username)
    # verify against a real hash even for unknown users, so timing does not reveal usernames
    stored = user.password_hash if user is not None else state.dummy_hash
    async with state.login_slots:
        ok = await run_in_threadpool(verify_password, state.hasher, stored, body.password)
    ok = ok and user is not None and user.active
    new_hash = None
    if ok and user is not None and state.hasher.check_needs_rehash(user.password_hash):
        new_hash = await run_in_threadpool(hash_password, state.hasher, body.password)
    async with state.write_gate():
        result = await run_in_threadpool(_record_login, state, body.username,
                                         user.id if user else None, ok, new_hash)
    if result is None:
        state.limiter.record_failure(body.username, ip)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    state.limiter.reset(body.username, ip)
    logged_in, token, csrf = result
    _set_cookies(response, state, token, csrf)
    return SessionPublic(user=user_public(logged_in), csrf_token=csrf)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, session: CurrentSession,
           db: DbSession) -> None:
    """End the session (needs the CSRF header like every state change)."""
    users.delete_session(db, session.token_hash)
    commit(db)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me", response_model=SessionPublic)
def me(session: CurrentSession) -> SessionPublic:
    """The logged-in user and the session's CSRF token (e.g. after a page reload)."""
    return SessionPublic(user=user_public(session.user), csrf_token=session.csrf_token)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, user: CurrentUser, db: DbSession,
                    state: State) -> None:
    """Change one's own password; every session of the user ends (log in again)."""
    if not verify_password(state.hasher, user.password_hash, body.current_password):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the current password is wrong")
    users.set_password(db, user, hash_password(state.hasher, body.new_password))
    commit(db)
