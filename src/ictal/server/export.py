"""Labels out of the database as the manifest ictal trains from (the MLOps loop of seed 003).

Patient ids are the pseudonymous codes; recordings, events and MOIs get ids ``rec-<n>``,
``ev-<n>``, ``moi-<n>`` (``n`` = database id); stream paths are absolute server paths, so the
manifest is used on the server where the raw files are.
"""

from __future__ import annotations

from fractions import Fraction

from sqlalchemy.orm import Session

from ictal.manifest import (
    Event,
    Manifest,
    MoiAnnotation,
    Patient,
    Recording,
    Stream,
    manifest_to_dict,
    parse_manifest,
)
from ictal.server.models import User
from ictal.server.repositories.export import events_and_mois, recordings_for_export
from ictal.server.schemas import ManifestExportRequest


def recording_manifest_id(recording_id: int) -> str:
    return f"rec-{recording_id}"


def build_manifest(db: Session, user: User, req: ManifestExportRequest) -> Manifest:
    """A validated :class:`~ictal.manifest.Manifest` of the requested recordings."""
    recordings = recordings_for_export(db, user.clinic_ids, req)
    events, mois = events_and_mois(db, [r.id for r in recordings])
    patients = {r.patient.id: r.patient for r in recordings}
    manifest = Manifest(
        name=req.name,
        labels=sorted({e.label for e in events}),
        patients=[
            Patient(id=p.code, sex=p.sex, age=p.age, syndrome=p.syndrome,
                    etiology=p.etiology, invasive=p.invasive)
            for p in sorted(patients.values(), key=lambda p: p.code)
        ],
        recordings=[
            Recording(
                id=recording_manifest_id(r.id), patient=r.patient.code,
                streams=[Stream(kind=r.kind, path=r.path, fps=Fraction(r.fps),
                                width=r.width, height=r.height, n_frames=r.n_frames)],
                meta={"server_recording_id": r.id, "clinic_id": r.clinic_id},
            )
            for r in recordings
        ],
        events=[
            Event(id=f"ev-{e.id}", recording=recording_manifest_id(e.recording_id), t0=e.t0,
                  t1=e.t1, tG=e.tG, label=e.label, seizure_types=e.seizure_types,
                  semiology=e.semiology, meta={"version": e.version})
            for e in events
        ],
        mois=[
            MoiAnnotation(id=f"moi-{m.id}", event=f"ev-{m.event_id}", region=m.region.code,
                          term=m.term.code, start=m.start, end=m.end,
                          annotator=m.annotator.username if m.annotator else "")
            for m in mois
        ],
        meta={"exported_by": user.username, "source": "ictal server"},
    )
    # the same checks as `ictal manifest check` (files are on this server, checked at register)
    return parse_manifest(manifest_to_dict(manifest), source="export", check_files=False)
