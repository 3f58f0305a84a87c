"""The audit log only grows: changes append entries, nothing rewrites or removes them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from serverkit import seed_event

from ictal.server import repositories, schemas
from ictal.server.db import Database
from ictal.server.models import AuditEntry, User
from ictal.server.repositories import events


def test_audit_log_is_append_only(database: Database, storage_root: Path) -> None:
    user_id, event_id = seed_event(database, storage_root)
    with database.sessions() as db:
        before = {(a.id, a.action, a.entity) for a in db.query(AuditEntry)}
        user = db.get(User, user_id)
        ev = events.get_event(db, event_id, user.clinic_ids)
        events.update_event(db, user, ev, schemas.EventUpdate(version=1, t1=0.9))
        events.delete_event(db, user, ev, 2)
        db.commit()
        after = {(a.id, a.action, a.entity) for a in db.query(AuditEntry)}
    assert before < after  # nothing removed or rewritten
    assert {(a, e) for _, a, e in after - before} == {("update", "event"), ("delete", "event")}
    # the data-access layer has no function that changes or removes audit rows
    names = []
    for info in pkgutil.iter_modules(repositories.__path__):
        module = importlib.import_module(f"{repositories.__name__}.{info.name}")
        names += [name for name, obj in inspect.getmembers(module, inspect.isfunction)
                  if obj.__module__ == module.__name__ and "audit" in name]
    assert sorted(names) == ["add_audit", "list_audit"]
