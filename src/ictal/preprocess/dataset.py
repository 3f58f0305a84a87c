"""Preprocess a whole manifest: per recording a plan JSON, a QC contact sheet and QC scores,
then a summary table. Resumable; a failing recording is reported and skipped.

Layout of the output directory ``OUT``::

    config.json                 the preprocessing config used (every parameter)
    <recording>/plan.json       RecordingPlan (crop geometry, IR window, config)
    <recording>/qc.png          contact sheet (seed 000 Fig. 2 style)
    <recording>/qc.json         QC verdicts (against ground truth when there is one)
    summary.csv                 one row per recording: what was applied, and the QC verdicts

``summary.csv`` says what was really done to each recording: ``variant`` is the configured
variant, marked ``(depth crop skipped)`` when it asks for a depth crop the recording cannot have
(no depth stream); ``depth_crop`` the crop applied (``bed-volume``, ``algorithm1``, or empty:
none); ``crop_box`` the first key frame's crop (of a montage cropped per view, each view's in
its own pixels); ``detection`` the detector that chose the crop box (``manifest``: a crop given
by hand in the manifest, ``Recording.crop``; per view when a montage's differ), ``off``
(detection disabled) or ``montage`` (the full frame of a picture-in-picture recording, with a
depth detector); ``detected`` whether it found a bed or a person on every key frame (empty when no
detector ran). The QC columns hold the
verdicts of :mod:`~ictal.preprocess.qc` (empty without ground truth): ``crop_contains``,
``crop_tight``, ``detection_qc`` (both) and ``depth_qc``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ictal.batch import BatchReport
from ictal.errors import ConfigError, IctalError
from ictal.executor import Executor, TaskSpec, Throughput, run_and_write
from ictal.fsutil import atomic_path, remove_temporaries, write_json_atomic, write_text_atomic
from ictal.manifest.groundtruth import find_ground_truth, load_ground_truth
from ictal.manifest.schema import Manifest, Recording
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.plan import RecordingPlan
from ictal.preprocess.planner import plan_is_current, plan_recording
from ictal.preprocess.qc import (
    contact_sheet,
    read_qc_frames,
    score_recording,
    success_rate,
)

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = ("recording", "patient", "status", "n_frames", "variant", "length_axis",
                   "loc_rule", "sigma_mm", "depth_crop", "crop_box", "detection", "detected",
                   "crop_contains", "crop_tight", "detection_qc", "depth_qc", "notes")
#: The summary column of each QC verdict (:data:`~ictal.preprocess.qc.VERDICTS`).
QC_COLUMNS = {"contains": "crop_contains", "tight": "crop_tight", "detection": "detection_qc",
              "depth": "depth_qc"}


@dataclass
class DatasetResult:
    """What :func:`preprocess_dataset` did.

    Attributes:
        report: done, resumed (skipped) and failed recordings.
        rows: the summary rows (:data:`SUMMARY_COLUMNS`).
        rates: per QC verdict (:data:`~ictal.preprocess.qc.VERDICTS`), ``(successes, judged,
            percentage)`` over the recordings with ground truth.
    """

    report: BatchReport
    rows: list[dict[str, Any]] = field(default_factory=list)
    rates: dict[str, tuple[int, int, float | None]] = field(default_factory=dict)


def _row(plan: RecordingPlan, scores: dict[str, Any] | None, status: str) -> dict[str, Any]:
    """The summary row of a planned recording (see the module docstring)."""
    planes = plan.depth_planes
    asked_depth = bool((plan.config.get("depth_crop") or {}).get("enabled"))
    detector = (plan.config.get("detection") or {}).get("detector", "")

    def verdict(name: str) -> bool | str:
        value = None if not scores else scores.get(name)
        return "" if value is None else bool(value)

    return {
        "recording": plan.recording, "patient": plan.patient, "status": status,
        "n_frames": plan.n_frames,
        "variant": (plan.variant if plan.apply_depth_crop or not asked_depth
                    else f"{plan.variant} (depth crop skipped)"),
        "length_axis": planes.length_axis if planes else "",
        "loc_rule": planes.loc_rule if planes else "",
        "sigma_mm": round(planes.sigma, 1) if planes else "",
        "depth_crop": plan.depth_crop_method or "",
        "crop_box": _crop_text(plan),
        "detection": _detection_text(plan, detector),
        "detected": plan.detection_ok if plan.detection_ran else "",
        **{column: verdict(name) for name, column in QC_COLUMNS.items()},
        "notes": "; ".join((*plan.notes, *_whole_frame(plan))),
    }


def _detection_text(plan: RecordingPlan, configured: str) -> str:
    """What chose the first key frame's crop: the detector's name, ``manifest`` for a crop
    given by hand, per view when a montage's views differ; ``montage`` / ``off`` when no
    detection crop was made."""
    if not plan.detection_ran:
        return "montage" if plan.montage is not None else "off"
    key = plan.keyframes[0]
    crops = key.views or (key,)
    names = [c.detector or configured for c in crops]
    if len(set(names)) == 1:
        return names[0]
    return "; ".join(f"{c.view}: {name}" for c, name in zip(crops, names, strict=True))


def _whole_frame(plan: RecordingPlan) -> list[str]:
    """A note for each key frame (or view) where the detector found the patient but the crop
    is still the whole picture: nothing was cropped away (the QC's tightness judges whether
    that was right, where there is ground truth)."""
    if not plan.detection_ran:
        return []
    out = []
    for key in plan.keyframes:
        for crop in key.views or (key,):
            if crop.ok and crop.detection_box is not None and crop.crop_box == _picture(
                    plan, crop.view):
                where = "" if crop.view is None else f" (view {crop.view})"
                out.append(f"frame {key.frame}{where}: the detection crop is the whole frame")
    return out


def _picture(plan: RecordingPlan, view: str | None) -> tuple[int, int, int, int]:
    """The whole picture of ``view`` in its own pixels."""
    size = (plan.width, plan.height)
    w, h = size if plan.montage is None else plan.montage.view_size(view, size)
    return (0, 0, w, h)


def _crop_text(plan: RecordingPlan) -> str:
    """The first key frame's crop box ``"x0 y0 x1 y1"``; of a montage cropped per view, each
    view's in its own pixels (``"large: ...; small: ..."``)."""
    key = plan.keyframes[0]
    if not key.views:
        return " ".join(str(v) for v in key.crop_box)
    return "; ".join(f"{v.view}: {' '.join(str(c) for c in v.crop_box)}" for v in key.views)


@dataclass
class RecordingOutputs:
    """One recording's outputs, computed but not yet written (what a cluster task sends back
    to the driver, which alone writes them).

    Attributes:
        plan: its crop plan (``plan.json``).
        scores: its QC scores against ground truth (``qc.json``), ``None`` without it.
        sheet: its contact sheet, PNG bytes (``qc.png``).
        seconds: time spent planning and scoring it.
    """

    plan: RecordingPlan
    scores: dict[str, Any] | None
    sheet: bytes
    seconds: float = 0.0


def plan_and_score(
    manifest: Manifest, rec_id: str, out: Path, config: PreprocessConfig,
    ground_truth: Path | None = None,
) -> RecordingOutputs:
    """Plan the recording ``rec_id``, draw its contact sheet and score it against ground truth
    (when there is one); writes nothing (see :func:`write_outputs`)."""
    started = time.perf_counter()
    rec = manifest.recording(rec_id)
    plan = plan_recording(manifest, rec.id, config)
    frames = read_qc_frames(plan, config)
    gt_path = find_ground_truth(manifest, rec, out, ground_truth)
    scores = None
    if gt_path is not None:
        gt = load_ground_truth(gt_path)
        if (gt.width, gt.height) == (plan.width, plan.height):
            scores = score_recording(frames, plan, gt)
            scores["ground_truth"] = str(gt_path)
        else:  # e.g. the phantom's infrared camera against its RGB stream: not comparable
            log.warning("%s: ground truth %s is for a %dx%d camera, the %s stream is %dx%d: "
                        "not scored", rec.id, gt_path, gt.width, gt.height, plan.source,
                        plan.width, plan.height)
    sheet = io.BytesIO()
    contact_sheet(frames, plan, results=scores["frames"] if scores else None).save(
        sheet, format="PNG")
    return RecordingOutputs(plan, scores, sheet.getvalue(), time.perf_counter() - started)


def write_outputs(out: Path, outputs: RecordingOutputs) -> dict[str, Any]:
    """Write a recording's contact sheet, QC scores and plan (last: its presence marks a
    finished recording), each atomically; return its summary row."""
    plan = outputs.plan
    folder = out / plan.recording
    with atomic_path(folder / "qc.png") as tmp:
        tmp.write_bytes(outputs.sheet)
    write_json_atomic(folder / "qc.json", {"recording": plan.recording,
                                           "scores": outputs.scores})
    plan.save(folder / "plan.json")
    return _row(plan, outputs.scores, "done")


def process_recording(
    manifest: Manifest, rec: Recording, out: Path, config: PreprocessConfig,
    ground_truth: Path | None = None,
) -> dict[str, Any]:
    """Plan one recording, write its plan, contact sheet and QC scores; return its summary row."""
    return write_outputs(out, plan_and_score(manifest, rec.id, out, config, ground_truth))


def _finished(folder: Path) -> bool:
    return all((folder / n).is_file() for n in ("plan.json", "qc.png", "qc.json"))


def _resumed_row(folder: Path, config: PreprocessConfig, rec: Recording,
                 overwrite: bool) -> dict[str, Any] | None:
    """The summary row of a recording whose outputs a previous run finished, ``None`` when it
    is to be (re)done: no finished outputs, ``overwrite``, or a crop given by hand in the
    manifest that the plan did not use (set, changed or cleared since)."""
    if overwrite or not _finished(folder):
        return None
    plan = RecordingPlan.load(folder / "plan.json")
    if plan.config != config.model_dump(mode="json"):
        raise ConfigError(
            f"{folder}: outputs were made with another preprocessing config",
            hint="use a new --out directory, or --overwrite to redo them",
        )
    if not plan_is_current(plan, rec):
        log.info("%s: the crop given in the manifest changed: planned again", rec.id)
        return None
    scores = json.loads((folder / "qc.json").read_text(encoding="utf-8")).get("scores")
    return _row(plan, scores, "resumed")


#: Per-recording errors that make a recording fail (reported) instead of stopping the run.
RECORDING_ERRORS = (IctalError, OSError, ValueError, KeyError)


def preprocess_dataset(
    manifest: Manifest, out: Path | str, config: PreprocessConfig, *,
    recordings: list[str] | None = None, ground_truth: Path | None = None,
    overwrite: bool = False, on_progress: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> DatasetResult:
    """Run :func:`process_recording` on every recording (or those named), resumably.

    Recordings whose outputs exist are skipped (``overwrite`` redoes them; so is a
    recording whose crop given in the manifest changed since); one that fails is
    recorded in the report and the others go on. Writes ``config.json`` and ``summary.csv``.
    Temporary files a killed run left in ``out`` and in the folders of the recordings it
    processes are removed (one run at a time per ``out``).

    ``executor``: where the work runs (default: here, one recording after the other). On a
    cluster (``--executor ray``) each unfinished recording is one task
    (:func:`plan_and_score`: it must read the recording's files) returning its outputs; this
    process alone writes them (:func:`write_outputs`) as they arrive, so the files, the
    summary's rows and the report's order are those of the local run, and a killed run
    resumes from the recordings it finished. The report then ends with per-stage throughput.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_temporaries(out)
    write_json_atomic(out / "config.json", config.model_dump(mode="json"))
    result = DatasetResult(BatchReport("preprocess"))
    wanted = set(recordings) if recordings else None
    recs = [rec for rec in manifest.recordings if wanted is None or rec.id in wanted]
    if executor is not None and not executor.config.is_local:
        _on_cluster(manifest, recs, out, config, ground_truth, overwrite, on_progress,
                    executor, result)
    else:
        for rec in recs:
            folder = out / rec.id
            remove_temporaries(folder)
            try:
                if (row := _resumed_row(folder, config, rec, overwrite)) is not None:
                    result.rows.append(row)
                    result.report.skipped(rec.id, "outputs exist")
                else:
                    result.rows.append(process_recording(manifest, rec, out, config,
                                                         ground_truth))
                    result.report.ok(rec.id)
            except RECORDING_ERRORS as err:
                result.report.failed(rec.id, err)
                result.rows.append(_failed_row(rec, str(err)))
            if on_progress is not None:
                on_progress(rec.id)
    for name, column in QC_COLUMNS.items():
        verdicts = [r.get(column) for r in result.rows]
        result.rates[name] = success_rate([v if isinstance(v, bool) else None for v in verdicts])
    write_text_atomic(out / "summary.csv", summary_csv(result.rows))
    return result


def _failed_row(rec: Recording, message: str) -> dict[str, Any]:
    return {"recording": rec.id, "patient": rec.patient, "status": "failed",
            "notes": message.splitlines()[0] if message else ""}


def _on_cluster(manifest: Manifest, recs: list[Recording], out: Path, config: PreprocessConfig,
                ground_truth: Path | None, overwrite: bool,
                on_progress: Callable[[str], None] | None, executor: Executor,
                result: DatasetResult) -> None:
    """:func:`preprocess_dataset`'s loop on a cluster: finished recordings resumed here, the
    others one task each (:func:`~ictal.executor.run_and_write`); rows and failures put back in
    manifest order at the end."""
    report = result.report
    rows: dict[str, dict[str, Any]] = {}
    todo = []
    for rec in recs:
        folder = out / rec.id
        remove_temporaries(folder)
        try:
            if (row := _resumed_row(folder, config, rec, overwrite)) is None:
                todo.append(rec)
                continue
            rows[rec.id] = row
            report.skipped(rec.id, "outputs exist")
        except RECORDING_ERRORS as err:
            report.failed(rec.id, err)
        if on_progress is not None:
            on_progress(rec.id)
    throughput = Throughput()

    def write(rec_id: str, outputs: RecordingOutputs) -> None:
        throughput.add("plan + QC (CPU tasks)", 1, outputs.seconds, "recordings")
        started = time.perf_counter()
        rows[rec_id] = write_outputs(out, outputs)
        throughput.add("write (driver)", 1, time.perf_counter() - started, "recordings")

    if todo:
        shared = executor.put(manifest)
        tasks = [TaskSpec(rec.id, plan_and_score, (shared, rec.id, out, config, ground_truth))
                 for rec in todo]
        run_and_write(executor, tasks, write, catch=RECORDING_ERRORS, report=report,
                      on_item=on_progress)
        report.notes.extend(throughput.lines())
    order = {rec.id: i for i, rec in enumerate(recs)}  # the local run's order
    report.failures.sort(key=lambda f: order[f[0]])
    failed = dict(report.failures)
    result.rows.extend(rows[rec.id] if rec.id in rows else _failed_row(rec, failed[rec.id])
                       for rec in recs)


def summary_csv(rows: list[dict[str, Any]]) -> str:
    """The summary rows as CSV text (columns :data:`SUMMARY_COLUMNS`)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in SUMMARY_COLUMNS})
    return buf.getvalue()
