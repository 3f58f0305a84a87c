"""``ictal keypoints``: every recording of a manifest through one source into a keypoint store.

One shard per recording, written atomically; a re-run skips shards made with the same source
key (:meth:`~ictal.keypoints.source.KeypointSource.key`) and 3D setting, so an interrupted run
resumes. A store holds one source: shards of another are refused before anything is written,
unless ``overwrite``. A failing recording is reported and the others go on; bad input
(:class:`~ictal.keypoints.source.KeypointInputError`) writes nothing for its recording.

3D: with ``lift`` (default), a recording whose ``depth`` stream has the keypoints' frame size
(Kinect v2: infrared and depth share the sensor) gets ``body_3d`` / ``face_3d`` by
:func:`~ictal.keypoints.depth.lift_track`, unless its source already gave 3D (phantom, Kinect
joints); otherwise the shard stays 2D and its provenance says why.

The provenance's ``recording_source`` says which files the keypoints were computed on (the
recording's id, duration and each stream's frame rate, length and
:func:`~ictal.fsutil.file_fingerprint`: :func:`ictal.manifest.files.recording_source`, which
``ictal predict`` writes too), so that the web platform can refuse a shard imported
onto another recording, as it refuses model runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ictal import __version__
from ictal.batch import BatchReport
from ictal.errors import ConfigError, IctalError
from ictal.executor import Executor, TaskSpec, Throughput, run_and_write
from ictal.fsutil import remove_temporaries
from ictal.keypoints.depth import LiftOptions, lift_track
from ictal.keypoints.layout import BODY_JOINTS, FACE_LANDMARKS
from ictal.keypoints.source import KeypointInputError, KeypointSource, video_of
from ictal.keypoints.store import (
    KeypointTrack,
    list_shards,
    read_provenance,
    shard_path,
    write_track,
)
from ictal.manifest import Manifest, Recording
from ictal.manifest.files import recording_source

log = logging.getLogger(__name__)


@dataclass
class KeypointReport(BatchReport):
    """The batch report, plus which failures were bad input (exit code 2)."""

    input_errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all done, 2 some input was malformed, 1 other failures."""
        if self.input_errors:
            return 2
        return 1 if self.failures else 0


def _setting(source: KeypointSource, lift: bool) -> dict[str, Any]:
    return {**source.key(), "lift": lift}


def _same(prov: dict[str, Any] | None, setting: dict[str, Any]) -> bool:
    return prov is not None and all(prov.get(k) == v for k, v in setting.items())


def maybe_lift(manifest: Manifest, rec: Recording, track: KeypointTrack,
               options: LiftOptions) -> KeypointTrack:
    """``track`` with 3D from the recording's depth where it is registered (see the module
    docstring); the provenance's ``three_d`` says what was done."""
    if track.has_3d:
        return track
    if not rec.has_stream("depth"):
        track.attrs["three_d"] = "none: the recording has no depth stream"
        return track
    depth = video_of(manifest, rec, "depth")
    if (depth.width, depth.height) != (track.width, track.height):
        track.attrs["three_d"] = (f"none: the depth ({depth.width}x{depth.height}) is not "
                                  f"registered to the keypoints' {track.width}x{track.height} "
                                  "frames")
        return track
    return lift_track(track, depth.path, options=options, depth_fps=depth.stream.fps)


@dataclass(frozen=True)
class BadInput:
    """A recording's malformed input (:class:`KeypointInputError`), as text: what
    :func:`recording_keypoints` returns for it, so that a cluster run tells it from other
    failures (exit code 2) as a local one does."""

    message: str


def recording_keypoints(manifest: Manifest, rec_id: str, source: KeypointSource,
                        setting: dict[str, Any], lift: bool,
                        lift_options: LiftOptions) -> tuple[KeypointTrack | BadInput, float]:
    """The keypoints of one recording with their provenance, ready to write, or its bad input;
    and the seconds it took. Writes nothing: on a cluster this is one task, whose track the
    driver writes (:func:`extract_keypoints`)."""
    started = time.perf_counter()
    rec = manifest.recording(rec_id)
    try:
        track = source(manifest, rec)
        if lift:
            track = maybe_lift(manifest, rec, track, lift_options)
    except KeypointInputError as err:
        return BadInput(str(err)), time.perf_counter() - started
    track.attrs.update({
        **setting, "recording": rec.id, "patient": rec.patient,
        "body_joints": list(BODY_JOINTS), "face_landmarks": list(FACE_LANDMARKS),
        "pixels": "integer coordinates at pixel centres",
        "ictal_version": __version__, "created": datetime.now(UTC).isoformat(),
        "recording_source": recording_source(manifest, rec)})
    return track, time.perf_counter() - started


#: Per-recording errors that make a recording fail (reported) instead of stopping the run.
RECORDING_ERRORS = (IctalError, OSError, ValueError)


def extract_keypoints(manifest: Manifest, out: Path | str, source: KeypointSource, *,
                      recordings: Sequence[str] | None = None, overwrite: bool = False,
                      lift: bool = True, lift_options: LiftOptions = LiftOptions(),
                      executor: Executor | None = None, show_progress: bool = False
                      ) -> KeypointReport:
    """Keypoints of every recording (or ``recordings``) of ``manifest`` into the store ``out``.

    ``executor``: where the work runs (default: here, one recording after the other). On a
    cluster (``--executor ray``) each recording still to do is one CPU task
    (:func:`recording_keypoints`, which reads its files and, for the ``model`` source, loads
    the models once per recording: seconds against minutes of frames) and this process alone
    writes each shard as it arrives: the store is the local run's, and a killed run resumes
    from the shards it wrote. Its report ends with per-stage throughput; ``show_progress``
    shows one bar over the cluster's recordings.

    Raises:
        ConfigError: unknown recording ids, or a store of another source without
            ``overwrite`` (before anything is written).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_temporaries(out)
    recs = manifest.recordings
    if recordings:
        known = {r.id for r in recs}
        unknown = [r for r in recordings if r not in known]
        if unknown:
            raise ConfigError(f"no recording {', '.join(unknown)} in the manifest",
                              hint="use ids from the manifest's recordings")
        recs = [r for r in recs if r.id in set(recordings)]
    setting = _setting(source, lift)
    others = [p for p in list_shards(out) if not _same(read_provenance(p), setting)]
    if others and not overwrite:
        raise ConfigError(
            f"{out}: the store holds {len(others)} shard(s) made by another source or setting "
            f"({', '.join(p.name for p in others[:3])}{', ...' if len(others) > 3 else ''})",
            hint="write to another folder, or pass --overwrite to replace them")
    report = KeypointReport(job="keypoints")
    todo = []
    for rec in recs:
        if _same(read_provenance(shard_path(out, rec.id)), setting):
            report.skipped(rec.id, "up to date")
        elif executor is not None and not executor.config.is_local:
            todo.append(rec.id)
        else:
            try:
                result, _ = recording_keypoints(manifest, rec.id, source, setting, lift,
                                                lift_options)
                _write(out, rec.id, result, report)
            except RECORDING_ERRORS as err:
                report.failed(rec.id, err)
    if todo and executor is not None:
        _on_cluster(manifest, todo, out, source, setting, lift, lift_options, executor,
                    report, show_progress)
    return report


def _write(out: Path, rec_id: str, result: KeypointTrack | BadInput,
           report: KeypointReport) -> None:
    """Write one recording's shard (or report its bad input)."""
    if isinstance(result, BadInput):
        report.input_errors.append(rec_id)
        report.failed(rec_id, result.message)
        return
    write_track(shard_path(out, rec_id), result)
    report.ok(rec_id)


def _on_cluster(manifest: Manifest, todo: list[str], out: Path, source: KeypointSource,
                setting: dict[str, Any], lift: bool, lift_options: LiftOptions,
                executor: Executor, report: KeypointReport, show_progress: bool) -> None:
    """:func:`extract_keypoints`'s recordings as tasks of ``executor``; shards written here,
    the report in the manifest's order."""
    throughput = Throughput()
    shared = [executor.put(x) for x in (manifest, source)]
    tasks = [TaskSpec(rid, recording_keypoints, (shared[0], rid, shared[1], setting, lift,
                                                 lift_options)) for rid in todo]

    def write(rid: str, value: tuple[KeypointTrack | BadInput, float]) -> None:
        result, seconds = value
        if isinstance(result, BadInput):
            report.input_errors.append(rid)
            raise KeypointInputError(result.message)
        throughput.add("keypoints (CPU tasks)", len(result), seconds, "frames")
        started = time.perf_counter()
        write_track(shard_path(out, rid), result)
        throughput.add("write (driver)", len(result), time.perf_counter() - started, "frames")

    run_and_write(executor, tasks, write, catch=RECORDING_ERRORS, report=report,
                  label=f"keypoints ({executor.kind})", show_progress=show_progress)
    order = {rid: i for i, rid in enumerate(todo)}
    report.input_errors.sort(key=order.__getitem__)
    report.notes.extend(throughput.lines())
