"""The audit log: append-only, one entry per change, in the change's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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


def list_audit(db: Session, clinic_ids: Sequence[int], *, limit: int, before_id: int | None,
               username: str | None = None, action: str | None = None,
               entity: str | None = None, entity_id: int | None = None,
               since: datetime | None = None, until: datetime | None = None
               ) -> list[AuditEntry]:
    """Entries of ``clinic_ids``, newest first, ``limit`` of them older than ``before_id``;
    only those of ``username`` / ``action`` / ``entity`` (exact) / ``entity_id``, at or after
    ``since`` and before ``until`` when given."""
    q = select(AuditEntry).where(AuditEntry.clinic_id.in_(clinic_ids))
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    for column, value in ((AuditEntry.username, username), (AuditEntry.action, action),
                          (AuditEntry.entity, entity), (AuditEntry.entity_id, entity_id)):
        if value is not None:
            q = q.where(column == value)
    if since is not None:
        q = q.where(AuditEntry.at >= since)
    if until is not None:
        q = q.where(AuditEntry.at < until)
    return list(db.scalars(q.order_by(AuditEntry.id.desc()).limit(limit)))
