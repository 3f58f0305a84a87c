"""Labels out of the database as the manifest ictal trains from (the MLOps loop of seed 003).

Patient ids are the pseudonymous codes; recordings, events and MOIs get ids ``rec-<n>``,
``ev-<n>``, ``moi-<n>`` (``n`` = database id). Every stream of a recording is written (its main
stream and the depth / RGB / joints streams attached to it), with paths relative to the
server's storage root, which the manifest names in its ``root:`` key: saved anywhere on the
server, the manifest goes through ``ictal preprocess / extract / train / predict`` unchanged,
without ``--allow-outside-root``.

Which labels (``layers``): ``consensus`` (default) gives, per recording, the reviewer's
consensus events, else the events of its only annotator; a recording several annotators
labelled that no reviewer adjudicated is exported without events and listed in
``meta.not_adjudicated``. ``all`` gives every layer. Each event carries ``meta.annotator``
(username), ``meta.layer`` and ``meta.version``, and ``meta.signs`` when it was given signs
(:mod:`ictal.manifest.signs`, what the seed-004 tables read); each MOI its ``annotator``.

Alarms of ``ictal monitor`` (events of layer ``monitor``, :mod:`ictal.server.repositories.
monitor`) are labels once a clinician decided them, whichever ``layers``: a **confirmed**
alarm is a seizure event of its class, a **rejected** one a false-alarm interval of the
monitor's background label (``NE``: the windows training learns as no seizure), each with
``meta.review``, ``meta.alarm`` (``<bed>/<alarm id>``) and ``meta.alarm_label``. Drafts are no
labels yet (listed in ``meta.monitor_drafts``); a decided alarm overlapping an exported
event of the annotators' or the consensus layer is left to it (listed in
``meta.monitor_overlapping``); a recording left without events for want of adjudication
leaves its alarms out too.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from pathlib import Path

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
from ictal.server import models
from ictal.server.models import User
from ictal.server.presenters import storage_relative
from ictal.server.repositories.export import events_and_mois, recordings_for_export
from ictal.server.repositories.streams import list_streams
from ictal.server.schemas import ManifestExportRequest


def recording_manifest_id(recording_id: int) -> str:
    return f"rec-{recording_id}"


def chosen_events(events: list[models.Event], layers: str
                  ) -> tuple[list[models.Event], list[int]]:
    """The events an export with ``layers`` gives, and the recordings left without events
    because several annotators labelled them and no reviewer adjudicated (module docstring)."""
    if layers == "all":
        return events, []
    by_rec: dict[int, list[models.Event]] = defaultdict(list)
    for e in events:
        by_rec[e.recording_id].append(e)
    out: list[models.Event] = []
    pending: list[int] = []
    for rid, evs in by_rec.items():
        consensus = [e for e in evs if e.layer == "consensus"]
        authors = {e.created_by for e in evs if e.layer != "consensus"}
        if consensus:
            out += consensus
        elif len(authors) <= 1:
            out += evs
        else:
            pending.append(rid)
    keep = {e.id for e in out}
    return [e for e in events if e.id in keep], sorted(pending)


def monitor_label(e: models.Event) -> str:
    """The label a decided monitor event is exported with: its class when confirmed, the
    monitor's background label when rejected (a false alarm)."""
    if e.review == "rejected":
        background = ((e.origin or {}).get("monitor") or {}).get("background") or ["NE"]
        return str(background[0])
    return e.label


def chosen_monitor_events(monitor: list[models.Event], chosen: list[models.Event],
                          pending: list[int]) -> tuple[list[models.Event], list[int], list[int]]:
    """Of the events made from monitor alarms: those exported (decided, on a recording that
    exports, overlapping none of the ``chosen`` events of the other layers), the drafts, and
    those left to an overlapping chosen event (module docstring)."""
    by_rec: dict[int, list[models.Event]] = defaultdict(list)
    for e in chosen:
        by_rec[e.recording_id].append(e)
    out: list[models.Event] = []
    drafts: list[int] = []
    overlapping: list[int] = []
    for e in monitor:
        if e.review not in ("confirmed", "rejected"):
            drafts.append(e.id)
        elif e.recording_id in pending:
            continue
        elif any(o.t0 < e.t1 and e.t0 < o.t1 for o in by_rec[e.recording_id]):
            overlapping.append(e.id)
        else:
            out.append(e)
    return out, drafts, overlapping


def _streams(rec: models.Recording, extra: list[models.RecordingStream],
             storage: Path) -> list[Stream]:
    main = Stream(kind=rec.kind, path=storage_relative(rec.path, storage), fps=Fraction(rec.fps),
                  width=rec.width, height=rec.height, n_frames=rec.n_frames)
    return [main] + [
        Stream(kind=s.kind, path=storage_relative(s.path, storage), fps=Fraction(s.fps),
               width=s.width, height=s.height, n_frames=s.n_frames)
        for s in extra
    ]


def build_manifest(db: Session, user: User, req: ManifestExportRequest,
                   storage: Path) -> Manifest:
    """A validated :class:`~ictal.manifest.Manifest` of the requested recordings, its stream
    paths relative to ``storage`` (the server's storage root, its ``root:``)."""
    recordings = recordings_for_export(db, user.clinic_ids, req)
    all_events, all_mois = events_and_mois(db, [r.id for r in recordings])
    human = [e for e in all_events if e.layer != "monitor"]
    events, pending = chosen_events(human, req.layers)
    alarms, drafts, overlapping = chosen_monitor_events(
        [e for e in all_events if e.layer == "monitor"], events, pending)
    events = sorted(events + alarms, key=lambda e: (e.recording_id, e.t0, e.id))
    kept = {e.id for e in events}
    mois = [m for m in all_mois if m.event_id in kept]
    extra = list_streams(db, [r.id for r in recordings])
    patients = {r.patient.id: r.patient for r in recordings}
    offsets = {r.id: {s.kind: s.offset_frames for s in extra[r.id] if s.offset_frames}
               for r in recordings}
    labels = {e.id: monitor_label(e) if e.layer == "monitor" else e.label for e in events}
    manifest = Manifest(
        name=req.name,
        labels=sorted(set(labels.values())),
        patients=[
            Patient(id=p.code, sex=p.sex, age=p.age, syndrome=p.syndrome,
                    etiology=p.etiology, invasive=p.invasive)
            for p in sorted(patients.values(), key=lambda p: p.code)
        ],
        recordings=[
            Recording(
                id=recording_manifest_id(r.id), patient=r.patient.code,
                streams=_streams(r, extra[r.id], storage),
                meta={"server_recording_id": r.id, "clinic_id": r.clinic_id}
                | ({"stream_offsets": offsets[r.id]} if offsets[r.id] else {}),
            )
            for r in recordings
        ],
        events=[
            Event(id=f"ev-{e.id}", recording=recording_manifest_id(e.recording_id), t0=e.t0,
                  t1=e.t1, tG=e.tG, label=labels[e.id], seizure_types=e.seizure_types,
                  semiology=e.semiology,
                  meta={"version": e.version, "layer": e.layer,
                        "annotator": e.author or ""}
                  | ({"signs": list(e.signs)} if e.signs else {})
                  | ({"origin": e.origin} if e.origin else {})
                  | ({"review": e.review, "alarm": e.monitor_alarm, "alarm_label": e.label}
                     if e.layer == "monitor" else {}))
            for e in events
        ],
        mois=[
            MoiAnnotation(id=f"moi-{m.id}", event=f"ev-{m.event_id}", region=m.region.code,
                          term=m.term.code, start=m.start, end=m.end,
                          annotator=m.annotator.username if m.annotator else "")
            for m in mois
        ],
        meta={"exported_by": user.username, "source": "ictal server", "layers": req.layers}
        | ({"not_adjudicated": [recording_manifest_id(i) for i in pending]} if pending else {})
        | ({"monitor_drafts": [f"ev-{i}" for i in drafts]} if drafts else {})
        | ({"monitor_overlapping": [f"ev-{i}" for i in overlapping]} if overlapping else {}),
        root_dir=str(storage),
    )
    # the same checks as `ictal manifest check` (files are on this server, checked at register)
    return parse_manifest(manifest_to_dict(manifest), source="export", check_files=False)
