"""Seizure-level semiology tables for seed 004: keypoints + appearance, one row per seizure.

**Signs and tasks.** A seizure's semiological signs are ``event.meta["signs"]``, a list of
sign codes (:mod:`ictal.manifest.signs`; the platform's label export writes them):
``dystonia`` (limb dystonia), ``dystonia-left`` / ``dystonia-right`` (its side, which implies
``dystonia``), ``emotion`` (emotional expression), ``emotion-fear`` / ``emotion-smile`` / ...;
the event's ``seizure_types`` (comma-separated) may carry the same names. Tasks (:data:`TASKS`):
``dystonia`` and ``emotion`` label every seizure ``<sign>`` or ``no-<sign>`` (independent: a
seizure may have both); ``lateralisation`` labels the seizures with a one-sided dystonia
``left`` or ``right`` and leaves the others out.

**Rows.** Each event of the manifest whose recording has a keypoint shard becomes one row: its
frames ``[t0, t1)`` resampled to ``frames`` timesteps (evenly spaced, nearest frame), with the
streams of :mod:`ictal.features.streams` side by side:

* ``body`` / ``face``: 11 / 23 keypoints x 3 channels, ``(x, y, confidence)`` from the 2D
  keypoints or ``(x, y, z)`` (camera axes) from the 3D ones, centred on the clip's mean neck
  (body) / nose bridge (face) and divided by the clip's median shoulder width / eye distance;
  gaps become 0 with confidence 0. ``coords`` (:data:`COORDS`) picks them: ``"2d"`` both 2D,
  ``"3d"`` both 3D, ``"body-3d"`` the body 3D and the face 2D (seed 004's inputs: 2D body
  keypoints lifted to 3D, 2D facial landmarks); ``axes`` (:data:`AXES`) keeps a 3D body in
  the camera's axes or turns it into its own frame (:func:`body_axes`), after centring and
  scaling;
* ``body_app`` / ``face_app``: the appearance store's per-frame features of the body / face
  crop (``<dir>/<recording>.npz``: ``frame (T,)``, ``body (T, F)``, ``face (T, F)``), when
  an appearance folder is given.

**Weight-free appearance backbone.** :func:`crop_descriptor` turns a crop into 81 numbers:
6 x 6 mean intensities, 3 x 3 cells of gradient energy in 4 orientations, and 3 x 3 cells of
the absolute change from the previous frame. Real checkpoints (seed 004: VGG-19 trained on
FER-2013 for faces) plug in by writing the same store.

:func:`write_hkn_dataset` writes the seed-004 phantom cohort (:mod:`ictal.phantom.hkn`) as a
manifest, a keypoint store and an appearance store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ictal.errors import ConfigError
from ictal.features.streams import LAYOUT_KEY, StreamSpec, coords_of_parts
from ictal.features.table import FeatureTable
from ictal.fsutil import atomic_path
from ictal.keypoints.layout import B as BODY_INDEX
from ictal.keypoints.layout import F as FACE_INDEX
from ictal.keypoints.store import KeypointTrack, read_track, shard_path, write_track
from ictal.manifest.io import save_manifest
from ictal.manifest.schema import Event, Manifest, Patient, Recording, Stream
from ictal.manifest.signs import with_implied
from ictal.phantom.hkn import (
    BODY_LIFTER,
    FACE_LIFTER,
    HKNClip,
    lifted_3d,
    plan_cohort,
    render_body_crops,
    render_face_crops,
    simulate_clip,
)
from ictal.progress import make_progress

log = logging.getLogger(__name__)

TASKS = ("dystonia", "emotion", "lateralisation")
#: Keypoint channels of a table: both parts 2D, both 3D, or the body 3D and the face 2D.
COORDS = ("2d", "3d", "body-3d")
#: Axes of a 3D body: the camera's, or the body's own (:func:`body_axes`).
AXES = ("camera", "body")
APPEARANCE_BACKBONE = "crop-descriptor/1"


def event_signs(event: Event) -> set[str]:
    """The signs of an event: ``meta["signs"]`` (:attr:`Event.signs
    <ictal.manifest.schema.Event.signs>`) and the names in ``seizure_types``, with the base of
    every refined sign (``dystonia-left`` is a ``dystonia``, :func:`~ictal.manifest.signs.
    with_implied`)."""
    signs = set(event.signs)
    signs |= {s.strip().lower() for s in event.seizure_types.split(",")}
    return with_implied({s for s in signs if s})


def task_label(signs: set[str], task: str) -> str | None:
    """The label of a seizure with ``signs`` for ``task`` (``None``: not part of the task)."""
    if task in ("dystonia", "emotion"):
        return task if task in signs else f"no-{task}"
    if task == "lateralisation":
        sides = {s for s in ("left", "right") if f"dystonia-{s}" in signs}
        return sides.pop() if len(sides) == 1 else None
    raise ConfigError(f"unknown semiology task {task!r}", hint=f"use one of {', '.join(TASKS)}")


def positive_label(task: str) -> str:
    """The class a task's F1 / sensitivity is about (``right`` for lateralisation)."""
    return "right" if task == "lateralisation" else task


def crop_descriptor(crops: np.ndarray) -> np.ndarray:
    """Weight-free per-frame appearance features of crops ``(T, H, W)`` uint8 ->
    ``(T, 81)`` float32 (module docstring)."""
    x = np.asarray(crops, np.float32) / 255.0
    _, h, w = x.shape

    def cells(img: np.ndarray, n: int) -> np.ndarray:
        hs = np.linspace(0, h, n + 1).round().astype(int)
        ws = np.linspace(0, w, n + 1).round().astype(int)
        return np.stack([img[:, hs[i]:hs[i + 1], ws[j]:ws[j + 1]].mean(axis=(1, 2))
                         for i in range(n) for j in range(n)], axis=1)

    gy, gx = np.gradient(x, axis=(1, 2))
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    mag = np.hypot(gx, gy)
    orient = [cells(mag * (np.floor(angle / (np.pi / 4)) % 4 == k), 3) for k in range(4)]
    diff = np.abs(np.diff(x, axis=0, prepend=x[:1]))
    return np.concatenate([cells(x, 6), *orient, cells(diff, 3)], axis=1).astype(np.float32)


def body_axes(xyz: np.ndarray) -> np.ndarray:
    """The rotation ``(3, 3)`` (rows: the new x, y, z axes in the old coordinates) that puts a
    3D body clip ``(T, 11, 3)`` (NaN gaps allowed) in its own frame: z along the clip's mean
    spine (spine base -> neck), x along its mean shoulder line (right -> left shoulder) made
    orthogonal to z, y = z x x. 2s-AGCN's view normalisation of NTU skeletons does the same
    with the first frame's hip -> spine and shoulder bones (Shi et al. 2019, its
    ``data_gen/preprocess.py``); the clip's mean is used here because one frame of a lifted,
    jittered track is one noisy sample (a mean, unlike a per-axis median, turns with the
    camera, so the result does not depend on the view). The identity when either bone is
    never seen."""
    spine = xyz[:, BODY_INDEX["neck"]] - xyz[:, BODY_INDEX["spine_base"]]
    line = xyz[:, BODY_INDEX["left_shoulder"]] - xyz[:, BODY_INDEX["right_shoulder"]]
    if not (np.isfinite(spine).all(-1).any() and np.isfinite(line).all(-1).any()):
        return np.eye(3)
    z = np.mean(spine[np.isfinite(spine).all(-1)], axis=0)
    x = np.mean(line[np.isfinite(line).all(-1)], axis=0)
    z = z / max(float(np.linalg.norm(z)), 1e-12)
    x = x - (x @ z) * z
    if np.linalg.norm(x) < 1e-9:
        return np.eye(3)
    x = x / np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z])


def _normalised_keypoints(kp: np.ndarray, kp3: np.ndarray | None, part: str,
                          coords: str, axes: str = "camera") -> np.ndarray:
    """``(T, K, 3)`` of a clip, centred and scaled (module docstring), a 3D body turned into
    its own frame with ``axes="body"`` (:func:`body_axes`); gaps are 0."""
    if part == "body":
        root, a, b = BODY_INDEX["neck"], BODY_INDEX["left_shoulder"], BODY_INDEX["right_shoulder"]
    else:
        root, a, b = (FACE_INDEX["nose_bridge"], FACE_INDEX["left_eye_outer"],
                      FACE_INDEX["right_eye_outer"])
    if coords == "3d":
        if kp3 is None:
            raise ConfigError("the keypoint store has no 3D keypoints",
                              hint="use --coords 2d, or a store made with depth")
        xyz = kp3.astype(np.float64)
        out = np.empty_like(xyz)
        value = xyz
    else:
        value = kp[..., :2].astype(np.float64)
        out = np.empty((*kp.shape[:2], 3))
    centre = np.nanmean(value[:, root], axis=0) if np.isfinite(value[:, root]).any() else 0.0
    width = np.linalg.norm(value[:, a] - value[:, b], axis=-1)
    scale = np.nanmedian(width) if np.isfinite(width).any() else 1.0
    scale = scale if scale > 1e-9 else 1.0
    rel = (value - centre) / scale
    if coords == "3d" and part == "body" and axes == "body":
        rel = rel @ body_axes(value).T
    if coords == "3d":
        out[:] = np.nan_to_num(rel)
    else:
        out[..., :2] = np.nan_to_num(rel)
        out[..., 2] = np.where(np.isfinite(kp[..., 0]), kp[..., 2], 0.0)
    return out.astype(np.float32)


@dataclass
class SemiologyInputs:
    """Where a semiology table comes from: a manifest, a keypoint store and (optionally) an
    appearance store folder."""

    manifest: Manifest
    keypoints: Path
    appearance: Path | None = None


def semiology_table(inputs: SemiologyInputs, task: str, *, frames: int = 64,
                    coords: str = "2d", axes: str = "camera") -> FeatureTable:
    """One row per seizure of ``inputs.manifest`` labelled for ``task`` (module docstring).

    Events without a keypoint shard, or outside the task, are left out (logged); a table with
    no row is refused.
    """
    if coords not in COORDS:
        raise ConfigError(f"coords must be one of {', '.join(COORDS)}, got {coords!r}")
    part_coords = coords_of_parts(coords)
    if axes not in AXES:
        raise ConfigError(f"axes must be one of {', '.join(AXES)}, got {axes!r}")
    if axes == "body" and part_coords["body"] != "3d":
        raise ConfigError("axes 'body' turns a 3D body into its own frame",
                          hint="use coords 3d or body-3d with it, or axes camera")
    rows: list[np.ndarray] = []
    meta: list[tuple[str, str, str, str, int, int, float]] = []
    app_width = 0
    skipped: dict[str, int] = {}
    for event in inputs.manifest.events:
        label = task_label(event_signs(event), task)
        if label is None:
            skipped["not part of the task"] = skipped.get("not part of the task", 0) + 1
            continue
        rec = inputs.manifest.recording(event.recording)
        path = shard_path(inputs.keypoints, rec.id)
        if not path.exists():
            skipped["no keypoint shard"] = skipped.get("no keypoint shard", 0) + 1
            continue
        track = read_track(path)
        fps = float(track.fps)
        inside = np.flatnonzero((track.frames >= round(event.t0 * fps))
                                & (track.frames < round(event.t1 * fps)))
        if len(inside) == 0:
            raise ConfigError(f"{path}: no keypoint frame inside event {event.id} "
                              f"[{event.t0}, {event.t1}) s")
        pick = inside[np.linspace(0, len(inside) - 1, frames).round().astype(int)]
        parts = []
        for part in ("body", "face"):
            kp = getattr(track, part)[pick]
            kp3 = None if getattr(track, f"{part}_3d") is None else getattr(
                track, f"{part}_3d")[pick]
            parts.append(_normalised_keypoints(kp, kp3, part, part_coords[part],
                                               axes).reshape(frames, -1))
        if inputs.appearance is not None:
            app = _appearance(inputs.appearance, rec.id, track.frames[pick])
            app_width = app.shape[1] // 2
            parts.append(app)
        rows.append(np.concatenate(parts, axis=1))
        meta.append((rec.patient, rec.id, event.id, label, int(track.frames[pick[0]]),
                     int(track.frames[pick[-1]]) + 1, fps))
    for why, n in skipped.items():
        log.info("%d events left out: %s", n, why)
    if not rows:
        raise ConfigError(f"no seizure of the manifest is labelled for task {task!r}",
                          hint="events need meta.signs (e.g. [dystonia, dystonia-left]) and "
                               "a keypoint shard of their recording")
    n = len(rows)
    layout = {"body": StreamSpec("body", "keypoints", 0, 33, 11, 3),
              "face": StreamSpec("face", "keypoints", 33, 102, 23, 3)}
    if app_width:
        layout["body_app"] = StreamSpec("body_app", "appearance", 102, 102 + app_width, 0,
                                        app_width)
        layout["face_app"] = StreamSpec("face_app", "appearance", 102 + app_width,
                                        102 + 2 * app_width, 0, app_width)
    variant = f"semiology-{coords}" + ("-body-axes" if axes == "body" else "")
    fps_arr = np.asarray([m[6] for m in meta])
    start = np.asarray([m[4] for m in meta], np.int64)
    stop = np.asarray([m[5] for m in meta], np.int64)
    return FeatureTable(
        features=np.stack(rows).astype(np.float32), mask=np.ones((n, frames), bool),
        patient=np.asarray([m[0] for m in meta]), recording=np.asarray([m[1] for m in meta]),
        event=np.asarray([m[2] for m in meta]), label=np.asarray([m[3] for m in meta]),
        view=np.full(n, ""), start_frame=start, stop_frame=stop, fps=fps_arr,
        t_start=start / fps_arr, t_stop=stop / fps_arr,
        attrs={LAYOUT_KEY: {k: s.to_json() for k, s in layout.items()},
               "backbone": APPEARANCE_BACKBONE if app_width else "keypoints",
               "dataset": inputs.manifest.name, "task": task, "coords": coords, "axes": axes,
               "frames": frames, "weights_sha256": None,
               "preprocess": {"variant": variant}})


def _appearance(folder: Path, rec_id: str, frames: np.ndarray) -> np.ndarray:
    path = folder / f"{rec_id}.npz"
    try:
        with np.load(path) as z:
            index = {int(f): i for i, f in enumerate(z["frame"].tolist())}
            rows = [index[int(f)] for f in frames.tolist()]
            return np.concatenate([z["body"][rows], z["face"][rows]], axis=1)
    except (OSError, KeyError) as err:
        raise ConfigError(f"{path}: no appearance features for the keypoint frames ({err})",
                          hint="write the appearance store for every recording") from err


def write_hkn_dataset(out: Path | str, *, seed: int = 0, fps: int = 10,
                      n_patients: int = 19, n_seizures: int = 38,
                      duration_s: tuple[float, float] = (30.0, 90.0),
                      progress: bool = True) -> Path:
    """Write seed 004's phantom cohort to ``out``: ``manifest.yaml``, ``keypoints/`` (the
    keypoint store: 2D with detector-like jitter of 1.5 % of the torso and 2 % missed
    frames, 3D lifted from those detections with a lifter's errors,
    :class:`~ictal.phantom.hkn.LifterError`) and ``appearance/`` (crop descriptors of the
    drawn body and face crops). Resumable: recordings whose shard and appearance file exist
    are skipped. Returns the manifest's path."""
    out = Path(out)
    (out / "keypoints").mkdir(parents=True, exist_ok=True)
    (out / "appearance").mkdir(parents=True, exist_ok=True)
    cohort = plan_cohort(seed, n_patients=n_patients, n_seizures=n_seizures)
    patients: dict[str, Patient] = {}
    recordings, events = [], []
    with make_progress(disable=not progress) as bar:
        task = bar.add_task("HKN phantom", total=len(cohort))
        for sz in cohort:
            clip = simulate_clip(sz, fps=fps, duration_s=duration_s)
            T = len(clip.body_2d)
            rec_id = sz.id
            shard = shard_path(out / "keypoints", rec_id)
            app_path = out / "appearance" / f"{rec_id}.npz"
            if not (shard.exists() and app_path.exists()):
                _write_clip(clip, shard, app_path, seed)
            pat = sz.patient
            patients.setdefault(pat.id, Patient(
                id=pat.id, syndrome="HKN", meta={"dystonia": pat.dystonia,
                                                 "emotion": pat.emotion}))
            recordings.append(Recording(id=rec_id, patient=pat.id, streams=[Stream(
                kind="joints", path=f"keypoints/{rec_id}.h5", fps=Fraction(fps),
                width=clip.width, height=clip.height, n_frames=T)]))
            events.append(Event(id=f"{rec_id}_e", recording=rec_id, t0=0.0, t1=T / fps,
                                label="HKN", seizure_types="hyperkinetic",
                                meta={"signs": list(sz.signs),
                                      "dystonia_frames": int(clip.dystonia.sum()),
                                      "emotion_peak": float(clip.emotion.max())}))
            bar.advance(task)
    manifest = Manifest(name=f"hkn-phantom-seed{seed}", labels=["HKN"],
                        patients=list(patients.values()), recordings=recordings, events=events,
                        meta={"generator": "ictal.phantom.hkn", "seed": seed, "fps": fps})
    path = out / "manifest.yaml"
    save_manifest(manifest, path)
    return path


_LIFT_NOTE = ("lifted from the 2D detections (ictal.phantom.hkn.lifted_3d): body 25 mm in "
              "plane / 60 mm in depth per joint, 0.1 m root depth; face 3 / 8 mm")


def _write_clip(clip: HKNClip, shard: Path, app_path: Path, seed: int) -> None:
    """One clip's keypoint shard (2D: ground truth with detector-like jitter and missed
    frames; 3D: what a 2D -> 3D lifter gives from those detections,
    :func:`~ictal.phantom.hkn.lifted_3d`) and appearance file (crop descriptors of the drawn
    crops)."""
    rng = np.random.default_rng([seed, clip.seizure.patient.seed, clip.seizure.number, 9])
    T = len(clip.body_2d)
    torso = np.nanmedian(np.linalg.norm(
        clip.body_2d[:, BODY_INDEX["neck"]] - clip.body_2d[:, BODY_INDEX["spine_base"]],
        axis=-1))
    body = np.concatenate([clip.body_2d + rng.normal(scale=0.015 * torso,
                                                     size=clip.body_2d.shape),
                           np.ones((T, 11, 1))], axis=2)
    face_scale = np.nanmedian(np.linalg.norm(
        clip.face_2d[:, FACE_INDEX["right_eye_outer"]]
        - clip.face_2d[:, FACE_INDEX["left_eye_outer"]], axis=-1))
    face = np.concatenate([clip.face_2d + rng.normal(scale=0.03 * face_scale,
                                                     size=clip.face_2d.shape),
                           clip.face_visible[..., None].astype(np.float64)], axis=2)
    for arr in (body, face):
        missed = rng.random(T) < 0.02
        arr[missed, :, :2] = np.nan
        arr[missed, :, 2] = 0.0
    lift = np.random.default_rng([seed, clip.seizure.patient.seed, clip.seizure.number, 10])
    body_3d = lifted_3d(clip.body_3d, body[..., :2], clip.camera, clip.fps, BODY_LIFTER, lift)
    face_3d = lifted_3d(clip.face_3d, face[..., :2], clip.camera, clip.fps, FACE_LIFTER, lift)
    track = KeypointTrack(recording=clip.seizure.id, fps=Fraction(clip.fps), width=clip.width,
                          height=clip.height, frames=np.arange(T), body=body, face=face,
                          body_3d=body_3d, face_3d=face_3d,
                          attrs={"source": "phantom-hkn", "signs": list(clip.seizure.signs),
                                 "jitter": "1.5% torso (body), 3% eye span (face); 2% missed",
                                 "lift_3d": _LIFT_NOTE})
    write_track(shard, track)
    with atomic_path(app_path) as tmp, tmp.open("wb") as fh:
        np.savez(fh, frame=np.arange(T),
                 body=crop_descriptor(render_body_crops(clip, seed=seed)),
                 face=crop_descriptor(render_face_crops(clip, seed=seed)),
                 backbone=np.asarray(APPEARANCE_BACKBONE))
