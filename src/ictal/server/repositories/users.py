"""Users and their login sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from ictal.server import schemas
from ictal.server.db import utcnow
from ictal.server.enums import Role
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.models import Clinic, LoginSession, User
from ictal.server.repositories.audit import add_audit


def count_users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


def get_user(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def get_user_by_username(db: Session, username: str) -> User | None:
    """Usernames are unique whatever their case."""
    return db.scalar(select(User).where(func.lower(User.username) == username.lower()))


def first_admin(db: Session) -> User | None:
    return db.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id).limit(1))


def create_user(db: Session, actor: User | None, data: schemas.UserCreate, password_hash: str,
                *, allowed_clinics: Sequence[int] | None) -> User:
    """A user in ``data.clinic_ids``; each must be one of ``allowed_clinics`` (None = any)."""
    if get_user_by_username(db, data.username) is not None:
        raise InvalidError(f"username {data.username!r} is taken")
    ids = sorted(set(data.clinic_ids))
    if allowed_clinics is not None and not set(ids) <= set(allowed_clinics):
        raise NotFoundError(f"clinic(s) {sorted(set(ids) - set(allowed_clinics))} not found")
    clinics = list(db.scalars(select(Clinic).where(Clinic.id.in_(ids))))
    if len(clinics) != len(ids):
        raise NotFoundError(f"clinic(s) {sorted(set(ids) - {c.id for c in clinics})} not found")
    user = User(username=data.username, password_hash=password_hash, role=data.role,
                clinics=clinics)
    db.add(user)
    db.flush()
    for cid in ids:
        add_audit(db, actor, "create", "user", user.id, cid,
                  after={"username": user.username, "role": user.role.value, "clinic_ids": ids})
    return user


def list_users(db: Session, clinic_ids: Sequence[int]) -> list[User]:
    """Users sharing at least one of ``clinic_ids``."""
    q = (select(User).join(User.clinics).where(Clinic.id.in_(clinic_ids)).distinct()
         .order_by(User.id))
    return list(db.scalars(q))


def update_user(db: Session, actor: User, user: User, *, role: Role | None,
                active: bool | None) -> User:
    """Change ``user``'s role and / or active flag (audited per clinic, before / after);
    deactivating ends their sessions. An admin cannot demote or deactivate themselves (the
    platform would be left without the admin who did it)."""
    if user.id == actor.id and ((role is not None and role != user.role) or active is False):
        raise InvalidError("an admin cannot change their own role or deactivate themselves: "
                           "ask another admin")
    before = {"role": user.role.value, "active": user.active}
    if role is not None:
        user.role = role
    if active is not None:
        user.active = active
    if not user.active:
        db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    after = {"role": user.role.value, "active": user.active}
    if after != before:
        for cid in [*user.clinic_ids] or [None]:
            add_audit(db, actor, "update", "user", user.id, cid, before=before, after=after)
    return user


def set_password(db: Session, user: User, password_hash: str) -> None:
    """A new password hash; every session of the user ends."""
    user.password_hash = password_hash
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    clinic_ids: list[int | None] = [*user.clinic_ids] or [None]
    for cid in clinic_ids:
        add_audit(db, user, "update", "password", user.id, cid)


# --- login sessions ------------------------------------------------------------------------------
def create_session(db: Session, user: User, token_hash: str, csrf_token: str,
                   hours: float) -> LoginSession:
    """A session of ``hours``; expired sessions of anyone are removed on the way."""
    now = utcnow()
    db.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    row = LoginSession(token_hash=token_hash, csrf_token=csrf_token, user_id=user.id,
                       created_at=now, expires_at=now + timedelta(hours=hours))
    db.add(row)
    db.flush()
    return row


#: Loader options of the session lookup: its user and the user's clinics, joined.
SESSION_LOADING = (joinedload(LoginSession.user).joinedload(User.clinics),)


def get_session(db: Session, token_hash: str) -> LoginSession | None:
    """The live session with this token hash, or ``None`` (unknown, expired, user inactive).

    One query on every authenticated request: the session, its user and the user's clinics
    (the scope of everything the request may read) are joined."""
    q = (select(LoginSession).where(LoginSession.token_hash == token_hash)
         .options(*SESSION_LOADING))
    row = db.scalars(q).unique().one_or_none()
    if row is None or row.expires_at <= datetime.now(UTC) or not row.user.active:
        return None
    return row


def delete_session(db: Session, token_hash: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))
