"""The audit log: append-only, one entry per change, in the change's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ictal.server.models import AuditEntry, User


def add_audit(
    db: Session, actor: User | None, action: str, entity: str, entity_id: int | None,
    clinic_id: int | None, *, before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None, username: str | None = None,
) -> None:
    """Append one entry (the only write the app ever makes to ``audit_log``)."""
    db.add(AuditEntry(
        user_id=actor.id if actor else None,
        username=username if username is not None else (actor.username if actor else ""),
        clinic_id=clinic_id, action=action, entity=entity, entity_id=entity_id,
        before=before, after=after,
    ))


def list_audit(db: Session, clinic_ids: Sequence[int], *, limit: int, before_id: int | None
               ) -> list[AuditEntry]:
    """Entries of ``clinic_ids``, newest first, ``limit`` of them older than ``before_id``."""
    q = select(AuditEntry).where(AuditEntry.clinic_id.in_(clinic_ids))
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    return list(db.scalars(q.order_by(AuditEntry.id.desc()).limit(limit)))
