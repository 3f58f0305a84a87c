"""Login, logout, the current user, password change."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from ictal.server import repository
from ictal.server.deps import CurrentSession, CurrentUser, DbSession, State
from ictal.server.schemas import LoginRequest, PasswordChange, SessionPublic
from ictal.server.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)

router = APIRouter(prefix="/auth", tags=["auth"])


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _set_cookies(response: Response, state: State, token: str, csrf: str) -> None:
    secure = state.settings.cookie_secure
    max_age = int(state.settings.session_hours * 3600)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict",
                        secure=secure, path="/")


@router.post(
    "/login", response_model=SessionPublic,
    responses={401: {"description": "wrong username or password"},
               429: {"description": "too many failed logins; see Retry-After"}},
)
def login(body: LoginRequest, request: Request, response: Response, db: DbSession,
          state: State) -> SessionPublic:
    """Check the password; set the ``ictal_session`` (HttpOnly) and ``ictal_csrf`` cookies."""
    ip = _client_ip(request)
    wait = state.limiter.retry_after(body.username, ip)
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins for this user from this address; retry in {wait:.0f} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    user = repository.get_user_by_username(db, body.username)
    # verify against a real hash even for unknown users, so timing does not reveal usernames
    stored = user.password_hash if user is not None else state.hasher.hash("not-a-user")
    if not verify_password(state.hasher, stored, body.password) or user is None or not user.active:
        state.limiter.record_failure(body.username, ip)
        repository.add_audit(db, user, "login_failed", "user", user.id if user else None,
                             user.clinic_ids[0] if user and user.clinic_ids else None,
                             username=body.username[:64])
        repository.commit(db)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    state.limiter.reset(body.username, ip)
    if state.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(state.hasher, body.password)
    token, csrf = new_token(), new_token()
    repository.create_session(db, user, token_digest(token), csrf, state.settings.session_hours)
    repository.add_audit(db, user, "login", "user", user.id,
                         user.clinic_ids[0] if user.clinic_ids else None)
    repository.commit(db)
    _set_cookies(response, state, token, csrf)
    return SessionPublic(user=repository.user_public(user), csrf_token=csrf)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, session: CurrentSession,
           db: DbSession) -> None:
    """End the session (needs the CSRF header like every state change)."""
    repository.delete_session(db, session.token_hash)
    repository.commit(db)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me", response_model=SessionPublic)
def me(session: CurrentSession) -> SessionPublic:
    """The logged-in user and the session's CSRF token (e.g. after a page reload)."""
    return SessionPublic(user=repository.user_public(session.user), csrf_token=session.csrf_token)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, user: CurrentUser, db: DbSession,
                    state: State) -> None:
    """Change one's own password; every session of the user ends (log in again)."""
    if not verify_password(state.hasher, user.password_hash, body.current_password):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the current password is wrong")
    repository.set_password(db, user, hash_password(state.hasher, body.new_password))
    repository.commit(db)
