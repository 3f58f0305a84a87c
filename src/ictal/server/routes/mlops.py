"""The MLOps loop: labels out as a training manifest, ``ictal predict`` output back in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from ictal.manifest import manifest_to_dict
from ictal.server.db import commit
from ictal.server.deps import CurrentUser, DataScientist, DbSession, State
from ictal.server.export import build_manifest
from ictal.server.presenters import run_public
from ictal.server.repositories import recordings, runs
from ictal.server.routes.responses import COMMON
from ictal.server.schemas import (
    DbId,
    ManifestExportRequest,
    ModelRunArchive,
    ModelRunDetail,
    ModelRunPublic,
    PredictionPublic,
    PredictionsImport,
)

router = APIRouter(tags=["mlops"], responses=COMMON)


@router.post("/exports/manifest", response_model=dict[str, Any])
def export_manifest(body: ManifestExportRequest, user: DataScientist,
                    db: DbSession, state: State) -> dict[str, Any]:
    """The labels of the chosen recordings / clinics as an ictal manifest (plain data, the
    form ``ictal.manifest.manifest_to_dict`` gives; save it as YAML to train from it): every
    stream of each recording, paths relative to the storage root that its ``root:`` names,
    the consensus layer by default (``layers``; see ``ictal.server.export``)."""
    return manifest_to_dict(build_manifest(db, user, body, state.settings.storage))


@router.post("/recordings/{recording_id}/model-runs", response_model=ModelRunPublic,
             status_code=status.HTTP_201_CREATED)
def import_model_run(recording_id: DbId, body: PredictionsImport, user: DataScientist,
                     db: DbSession) -> ModelRunPublic:
    """Import the JSON of ``ictal predict`` (``format: ictal-predictions/1``) as a model run."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    run = runs.create_model_run(db, user, rec, body)
    commit(db)
    return run_public(run, len(body.windows))


@router.get("/recordings/{recording_id}/model-runs", response_model=list[ModelRunPublic])
def list_model_runs(recording_id: DbId, user: CurrentUser, db: DbSession,
                    archived: bool = False) -> list[ModelRunPublic]:
    """The recording's model runs (the archived ones too with ``archived=true``)."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    found = runs.list_model_runs(db, rec, archived=archived)
    counts = runs.count_windows(db, [r.id for r in found])
    return [run_public(r, counts.get(r.id, 0)) for r in found]


@router.get("/model-runs/{run_id}", response_model=ModelRunDetail)
def get_model_run(run_id: DbId, user: CurrentUser, db: DbSession) -> ModelRunDetail:
    """A model run with all its windows (the probability timeline)."""
    run = runs.get_model_run(db, run_id, user.clinic_ids)
    windows = [PredictionPublic.model_validate(p) for p in runs.list_predictions(db, run)]
    summary = run_public(run, len(windows))
    return ModelRunDetail(**summary.model_dump(), windows=windows)


@router.post("/model-runs/{run_id}/archive", response_model=ModelRunPublic)
def archive_model_run(run_id: DbId, body: ModelRunArchive, user: DataScientist,
                      db: DbSession) -> ModelRunPublic:
    """Archive a run (hidden from the timeline, kept) or bring it back; audited."""
    run = runs.archive_model_run(db, user, runs.get_model_run(db, run_id, user.clinic_ids),
                                 body.archived)
    commit(db)
    return run_public(run, runs.count_windows(db, [run.id]).get(run.id, 0))


@router.delete("/model-runs/{run_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_model_run(run_id: DbId, user: DataScientist, db: DbSession) -> None:
    """Delete a run and its windows (e.g. imported onto the wrong recording); audited."""
    runs.delete_model_run(db, user, runs.get_model_run(db, run_id, user.clinic_ids))
    commit(db)
