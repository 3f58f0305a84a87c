"""Write a phantom dataset: videos, ``manifest.yaml`` and ground truth, in parallel, resumable.

Layout of ``DIR``::

    manifest.yaml                 ictal.manifest format; stream paths relative to DIR
    ir/<recording>.mkv            FFV1 gray16le, (H, W) uint16 infrared
    depth/<recording>.mkv         FFV1 gray16le, (H, W) uint16 depth in mm (0 = invalid)
    rgb/<recording>.mp4           H.264 preview, optional
    video/<recording>.mp4         the clinic camera instead (stream ``clinic``): H.264 yuv420p,
                                  colour by day (kind ``rgb``), grey infrared by night (``ir``)
    groundtruth/<recording>.npz   see ictal.manifest.groundtruth
    groundtruth/<recording>.face.npz  23 facial landmarks, see ictal.phantom.face

Determinism: every random draw comes from a ``numpy.random.Generator`` seeded with
``(seed, patient index, ...)`` -- patient ``k``'s scene, body and style from ``(seed, k, 0)``,
its ``e``-th recording's timeline and movement from ``(seed, k, e + 1, 1)`` and its sensor noise
from ``(seed, k, e + 1, 2)`` (RGB: ``3``); the clinic camera's room from ``(seed, k, 0, 4)``,
a recording's day / night and sensor settings from ``(seed, k, e + 1, 4)`` and its noise from
``(seed, k, e + 1, 5)`` (draws of their own, so the Kinect streams do not change) -- so a
recording's bytes depend neither on how many patients are generated, nor on the order, nor on
the number of worker processes. A recording whose
ground-truth file and streams all exist is complete (every file is written atomically, the
ground truth last) and is skipped when generation is resumed -- unless its ground truth was made
by another recipe (the file stores the recipe's hash), in which case it is rendered again.
A resume first removes the temporary files a killed run left behind (one ``ictal phantom`` at a
time per directory).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from ictal.batch import BatchReport
from ictal.fsutil import remove_temporaries
from ictal.manifest import (
    Event,
    Manifest,
    MoiAnnotation,
    Montage,
    Patient,
    Recording,
    Stream,
    save_manifest,
)
from ictal.manifest.groundtruth import GroundTruth, ViewTruth, recipe_of, save_ground_truth
from ictal.phantom.body import (
    JOINT_NAMES,
    BodyShape,
    Placement,
    Solids,
    body_solids,
    forward_kinematics,
    rest_placement,
)
from ictal.phantom.clinic import (
    LARGE_VIEW,
    SMALL_VIEW,
    ClinicRoom,
    ClinicView,
    DayCamera,
    NightCamera,
    NightSettings,
    NoiseBank,
    Settings,
    add_blanket,
    bed_axis,
    chest_blanket,
    sample_room,
    sample_settings,
    with_bandage,
)
from ictal.phantom.config import PhantomConfig
from ictal.phantom.face import face_truth, face_truth_path, save_face_truth
from ictal.phantom.programmes import (
    CLONIC,
    PHASES,
    POST,
    PRE,
    TONIC,
    Motion,
    PatientStyle,
    Timeline,
    recording_motion,
    sample_style,
    sample_timeline,
    sample_type_timeline,
)
from ictal.phantom.render import (
    Buffers,
    Rasteriser,
    default_colours,
    depth_frame,
    ir_frame,
    rgb_frame,
    transform_solids,
    valid_area,
)
from ictal.phantom.scene import MAT_BED, MAT_MATTRESS, MAT_PILLOW, Scene, sample_scene
from ictal.phantom.staff import Visit, sample_visits, staff_solids, staff_track

log = logging.getLogger(__name__)

STREAM_FILES = {"ir": ("ir", ".mkv"), "depth": ("depth", ".mkv"), "rgb": ("rgb", ".mp4"),
                "clinic": ("video", ".mp4")}
NO_BOX = (-1, -1, -1, -1)


@dataclass(frozen=True)
class PatientPlan:
    """Everything drawn once per patient (nuisance factors and movement style)."""

    index: int
    id: str
    syndrome: str
    n_events: int
    scene: Scene
    shape: BodyShape
    style: PatientStyle
    blanket: bool
    sex: str
    age: int
    room: ClinicRoom | None = None  # the clinic camera's room (stream ``clinic``)


@dataclass(frozen=True)
class RecordingScript:
    """One recording before rendering: its timeline, movement and staff visits; for the clinic
    camera, whether it is night (infrared) and the sensor's settings."""

    patient: PatientPlan
    event_index: int
    id: str
    placement: Placement
    timeline: Timeline
    motion: Motion
    visits: list[Visit]
    night: bool = False
    settings: Settings | None = None

    @property
    def fps(self) -> Fraction:
        """Frame rate of the recording's streams."""
        room = self.patient.room
        return Fraction(self.timeline.fps) if room is None else room.fps


def patient_id(k: int) -> str:
    return f"P{k + 1:03d}"


def recording_id(k: int, e: int) -> str:
    return f"{patient_id(k)}-S{e + 1}"


def plan_patient(cfg: PhantomConfig, k: int) -> PatientPlan:
    """Draw patient ``k`` (independent of every other patient)."""
    rng = np.random.default_rng([cfg.seed, k, 0])
    # seizure types (seed 002): patients alternate between the two focal repertoires
    syndrome = ("FLE", "TLE")[k % 2] if cfg.is_seizure_types else cfg.classes[k % len(
        cfg.classes)]
    scene = sample_scene(cfg, rng)
    nz = cfg.nuisance
    shape = BodyShape(height=float(rng.uniform(*nz.body_height_m)),
                      build=float(rng.uniform(*nz.body_build)))
    style = sample_style(cfg, syndrome, rng)
    lo, hi = cfg.events_per_patient
    plan = PatientPlan(index=k, id=patient_id(k), syndrome=syndrome,
                       n_events=int(rng.integers(lo, hi + 1)), scene=scene, shape=shape,
                       style=style, blanket=bool(rng.random() < nz.p_blanket),
                       sex=str(rng.choice(["F", "M"])), age=int(rng.integers(18, 70)))
    if not cfg.is_clinic:
        return plan
    room = sample_room(cfg.clinic_camera, scene, np.random.default_rng([cfg.seed, k, 0, 4]))
    return replace(plan, scene=room.scene, room=room)


def script_recording(cfg: PhantomConfig, patient: PatientPlan, e: int) -> RecordingScript:
    """Draw the ``e``-th recording of ``patient`` (independent of the other recordings)."""
    rng = np.random.default_rng([cfg.seed, patient.index, e + 1, 1])
    prog = cfg.programme(patient.syndrome)
    room = patient.room
    sample = sample_type_timeline if cfg.is_seizure_types else sample_timeline
    tl = sample(cfg, prog, patient.style, rng, fps=None if room is None else float(room.fps))
    motion = recording_motion(cfg, patient.style, tl, rng)
    bed = patient.scene.bed
    placement = rest_placement(patient.shape, bed.length, bed.top, bed.head_sign, rng)
    visits = sample_visits(cfg.staff, patient.scene, tl, rng)
    script = RecordingScript(patient=patient, event_index=e, id=recording_id(patient.index, e),
                             placement=placement, timeline=tl, motion=motion, visits=visits)
    if room is None:
        return script
    cam_rng = np.random.default_rng([cfg.seed, patient.index, e + 1, 4])
    night = bool(cam_rng.random() < cfg.clinic_camera.p_night)
    return replace(script, night=night,
                   settings=sample_settings(cfg.clinic_camera, night, cam_rng))


def script_dataset(cfg: PhantomConfig) -> list[RecordingScript]:
    """Plans of every recording, patient by patient (cheap: no rendering)."""
    scripts = []
    for k in range(cfg.n_patients):
        patient = plan_patient(cfg, k)
        scripts += [script_recording(cfg, patient, e) for e in range(patient.n_events)]
    return scripts


def stream_paths(cfg: PhantomConfig, rec_id: str) -> dict[str, str]:
    """Stream kind -> path relative to the dataset directory."""
    out = {}
    for kind in cfg.streams:
        folder, suffix = STREAM_FILES[kind]
        out[kind] = f"{folder}/{rec_id}{suffix}"
    return out


def groundtruth_path(rec_id: str) -> str:
    return f"groundtruth/{rec_id}.npz"


#: Version of what the code makes of a recipe: bump it whenever the movement programmes, the
#: scene or the renderer change the content of a recording, so that resuming re-renders.
CONTENT_VERSION = 3
#: The same for what only the clinic camera's recordings hold (its room, camera and sensors).
CLINIC_CONTENT_VERSION = 1


def recipe_hash(cfg: PhantomConfig, content_version: int = CONTENT_VERSION) -> str:
    """sha256 of the parts of the recipe that shape a recording's content, and of
    :data:`CONTENT_VERSION` (stored in each ground-truth file, checked when resuming); the
    number of patients, the dataset's name and the list of the Kinect's streams do not change
    any recording. A clinic-camera recipe also hashes :data:`CLINIC_CONTENT_VERSION` and its
    ``clinic_camera`` block (a Kinect recipe's hash is what it was before they existed)."""
    fields = {k: v for k, v in cfg.recipe_fields().items()
              if k not in {"n_patients", "name", "streams"}}
    fields["content_version"] = content_version
    if cfg.is_clinic:
        fields["clinic_content_version"] = CLINIC_CONTENT_VERSION
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def is_complete(cfg: PhantomConfig, out: Path, rec_id: str) -> bool:
    """All files of a recording exist (each was written atomically) and its ground truth was
    made by this very recipe."""
    paths = [*stream_paths(cfg, rec_id).values(), face_truth_path(rec_id),
             groundtruth_path(rec_id)]
    if not all((out / p).is_file() for p in paths):
        return False
    return recipe_of(out / groundtruth_path(rec_id)) == recipe_hash(cfg)


# ---- manifest ---------------------------------------------------------------------------------
def seizure_label(cfg: PhantomConfig, syndrome: str, t_g: float | None) -> str:
    """A seizure event's label: the patient's syndrome (FLE / TLE), or with seizure types
    (seed 002) TCS when it generalises, else FOS."""
    if cfg.is_seizure_types:
        return "TCS" if t_g is not None else "FOS"
    return syndrome


def frame_labels(cfg: PhantomConfig, syndrome: str, phase: np.ndarray) -> np.ndarray:
    """``(T,)`` uint8 index into ``cfg.labels`` per frame: NE before and after the seizure;
    the syndrome during it, or with seizure types seed 002's ``y_k``: FOS before ``tG``,
    TCS from it (the tonic and clonic phases)."""
    labels = cfg.labels
    if cfg.is_seizure_types:
        ictal = np.where(np.isin(phase, (TONIC, CLONIC)), labels.index("TCS"),
                         labels.index("FOS"))
    else:
        ictal = np.full(phase.shape, labels.index(syndrome))
    return np.where(np.isin(phase, (PRE, POST)), labels.index("NE"), ictal).astype(np.uint8)


def build_manifest(cfg: PhantomConfig, scripts: list[RecordingScript]) -> Manifest:
    """The manifest of the dataset (seed 000's structure: pre-ictal NE, seizure, post-ictal NE)."""
    patients: dict[str, Patient] = {}
    recordings, events, mois = [], [], []
    fps = Fraction(cfg.fps)
    for script in scripts:
        p = script.patient
        room_meta = {} if p.room is None else _room_meta(p.room)
        patients.setdefault(p.id, Patient(
            id=p.id, sex=p.sex, age=p.age, syndrome=p.syndrome,
            meta={"phantom": {"bed_axis": p.scene.layout, "blanket": p.blanket,
                              "body_height_m": round(p.shape.height, 3),
                              "style_rate_hz": [round(x, 3) for x in p.style.rate_hz],
                              **{k: round(v, 2) for k, v in p.scene.extra.items()},
                              **room_meta}}))
        tl = script.timeline
        meta = {"groundtruth": groundtruth_path(script.id), "generator": "ictal.phantom",
                "seed": cfg.seed}
        if p.room is not None:
            room = p.room
            # the night camera's grey picture is stored in a colour container, like recorders do
            streams = [Stream(kind="ir" if script.night else "rgb",
                              path=stream_paths(cfg, script.id)["clinic"], fps=room.fps,
                              width=room.width, height=room.height, n_frames=tl.n_frames)]
            montage = None if room.small_box is None else Montage(
                small_box=room.small_box, large_view=LARGE_VIEW, small_view=SMALL_VIEW)
            recordings.append(Recording(
                id=script.id, patient=p.id, streams=streams,
                camera=f"clinic-{room.views[0].mount}", bed=f"bed-{p.id}", montage=montage,
                meta={**meta, "illumination": "night" if script.night else "day"}))
        else:
            streams = []
            for kind, path in stream_paths(cfg, script.id).items():
                w, h = cfg.rgb_size if kind == "rgb" else (cfg.width, cfg.height)
                streams.append(Stream(kind=kind, path=path, fps=fps, width=w, height=h,
                                      n_frames=tl.n_frames))
            recordings.append(Recording(
                id=script.id, patient=p.id, streams=streams, camera="kinect-v2",
                bed=f"bed-{p.id}", meta=meta))
        semiology = " -> ".join(dict.fromkeys(m.term for m in script.motion.mois))
        sz = Event(id=f"{script.id}-sz", recording=script.id, t0=tl.t0, t1=tl.t1, tG=tl.tG,
                   label=seizure_label(cfg, p.syndrome, tl.tG),
                   seizure_types="focal to bilateral tonic-clonic" if tl.tG is not None
                   else "focal", semiology=semiology,
                   meta={"dystonia": tl.dystonia is not None})
        events.append(Event(id=f"{script.id}-pre", recording=script.id, t0=0.0, t1=tl.t0,
                            label="NE", semiology="pre-ictal"))
        events.append(sz)
        events.append(Event(id=f"{script.id}-post", recording=script.id, t0=tl.t1, t1=tl.duration,
                            label="NE", semiology="post-ictal"))
        for j, m in enumerate(script.motion.mois):
            mois.append(MoiAnnotation(id=f"{script.id}-m{j + 1}", event=sz.id, region=m.region,
                                      term=m.term, start=round(m.start, 6), end=round(m.end, 6),
                                      annotator="phantom"))
    return Manifest(name=cfg.name, labels=list(cfg.labels), patients=list(patients.values()),
                    recordings=recordings, events=events, mois=mois,
                    meta={"generator": "ictal.phantom", "config": cfg.recipe_fields()})


def _room_meta(room: ClinicRoom) -> dict[str, object]:
    """What a patient's manifest row tells about the clinic camera (views in montage order)."""
    return {"frame_size": [room.width, room.height], "fps": str(room.fps),
            "eeg_bandage": room.bandage, "furniture": list(room.furniture),
            "views": [{"name": v.name, "mount": v.mount, "box": list(v.box),
                       "hfov_deg": round(v.hfov_deg, 1), "height_m": round(v.height_m, 2),
                       "tilt_deg": round(v.tilt_deg, 1)} for v in room.views]}


# ---- rendering --------------------------------------------------------------------------------
def _box(b: tuple[int, int, int, int] | None) -> tuple[int, int, int, int]:
    return NO_BOX if b is None else b


def _with_points(boxes: np.ndarray, points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Grow boxes ``(T, 4)`` (``-1`` = none) to hold the points ``(T, N, 2)`` inside the frame."""
    out = boxes.copy()
    for f in range(len(boxes)):
        uv = points[f]
        inside = (uv[:, 0] > -0.5) & (uv[:, 0] < width - 0.5) & (uv[:, 1] > -0.5) & (
            uv[:, 1] < height - 0.5)
        if not inside.any():
            continue
        px = np.rint(uv[inside]).astype(int)
        lo, hi = px.min(0), px.max(0) + 1
        if out[f, 0] < 0:
            out[f] = (lo[0], lo[1], hi[0], hi[1])
        else:
            out[f] = (min(out[f, 0], lo[0]), min(out[f, 1], lo[1]), max(out[f, 2], hi[0]),
                      max(out[f, 3], hi[1]))
    return out


def render_recording(cfg: PhantomConfig, script: RecordingScript, out: Path, *,
                     threads: int = 1) -> None:
    """Render and write one recording's streams, then its ground truth.

    ``threads``: encoder threads of the FFV1 writers (their output does not depend on it).
    """
    from ictal.io import Ffv1Writer, H264Writer

    if script.patient.room is not None:
        render_clinic_recording(cfg, script, out)
        return
    p = script.patient
    scene = p.scene
    tl = script.timeline
    T = tl.n_frames
    times = tl.times()
    joints, frames = forward_kinematics(p.shape, script.placement, script.motion.dof)
    body = body_solids(p.shape, joints, frames, script.motion.dof, blanket=p.blanket)
    tracks = [staff_track(v, times) for v in script.visits]

    ras = Rasteriser(scene.camera)
    static, bed_box = ras.static(scene)
    area = valid_area(cfg.width, cfg.height)
    ras_rgb = static_rgb = None
    if "rgb" in cfg.streams:
        ras_rgb = Rasteriser(scene.camera.resized(*cfg.rgb_size))
        static_rgb, _ = ras_rgb.static(scene)
    colours = default_colours()
    noise = np.random.default_rng([cfg.seed, p.index, script.event_index + 1, 2])
    rgb_noise = np.random.default_rng([cfg.seed, p.index, script.event_index + 1, 3])

    patient_box = np.empty((T, 4), np.int32)
    staff_boxes = np.full((len(script.visits), T, 4), -1, np.int32)
    paths = stream_paths(cfg, script.id)
    slices = 16 if cfg.width * cfg.height >= 64 * 64 * 16 else 4
    with contextlib.ExitStack() as stack:
        writers = {}
        for kind, rel in paths.items():
            if kind == "rgb":
                w, h = cfg.rgb_size
                # one x264 thread: its output depends on the thread count, and must not
                # depend on the number of workers
                writers[kind] = stack.enter_context(H264Writer(
                    out / rel, cfg.fps, w, h, gop=30, threads=1, bitexact=True))
            else:
                writers[kind] = stack.enter_context(Ffv1Writer(
                    out / rel, cfg.fps, cfg.width, cfg.height, pix_fmt="gray16le",
                    slices=slices, threads=threads, bitexact=True))
        for f in range(T):
            staff: list[tuple[int, Solids]] = []
            for s, (pos, heading, walking, present) in enumerate(tracks):
                if present[f]:
                    staff.append((s, staff_solids(script.visits[s], pos[f], float(heading[f]),
                                                  bool(walking[f]), float(times[f]))))
            buf = static.copy()
            patient_box[f] = _box(ras.frame(buf, transform_solids(body[f], scene.camera)))
            for s, solids in staff:
                staff_boxes[s, f] = _box(ras.frame(buf, transform_solids(solids, scene.camera)))
            # one Gaussian field serves both sensors (row-flipped for IR: uncorrelated pixels)
            field = noise.standard_normal((cfg.height, cfg.width), dtype=np.float32)
            if "depth" in writers:
                writers["depth"].write(depth_frame(buf, cfg.sensor, area, noise, field))
            if "ir" in writers:
                writers["ir"].write(ir_frame(buf, scene.reflectance, scene.ir_gain, cfg.sensor,
                                             noise, field[::-1]))
            if ras_rgb is not None and static_rgb is not None:
                rbuf = static_rgb.copy()
                ras_rgb.frame(rbuf, transform_solids(body[f], ras_rgb.camera))
                for _, solids in staff:
                    ras_rgb.frame(rbuf, transform_solids(solids, ras_rgb.camera))
                writers["rgb"].write(rgb_frame(rbuf, colours, rgb_noise))

    cam = scene.camera
    joints_c = cam.to_camera(joints)
    joints_2d = cam.project_camera(joints_c)
    # at low resolution thin solids (fingers) can fall between pixel rays: the box also holds
    # every joint inside the frame
    patient_box = _with_points(patient_box, joints_2d, cfg.width, cfg.height)
    label = frame_labels(cfg, p.syndrome, script.motion.phase)
    gt = GroundTruth(
        recording=script.id, fps=Fraction(cfg.fps), width=cfg.width, height=cfg.height,
        joint_names=JOINT_NAMES, joints_3d=joints_c.astype(np.float32),
        joints_2d=joints_2d.astype(np.float32), labels=cfg.labels, label=label,
        phase_names=PHASES, phase=script.motion.phase, patient_box=patient_box,
        bed_box=np.tile(np.array(_box(bed_box), np.int32), (T, 1)), staff_boxes=staff_boxes,
        staff_present=np.array([tr[3] for tr in tracks], bool).reshape(len(tracks), T),
        bed_plane=scene.bed_plane_camera(), bed_corners=cam.to_camera(scene.bed.corners()),
        bed_axis=scene.layout, K=cam.K, R=cam.R, t=cam.t, t0=tl.t0, t1=tl.t1, tG=tl.tG,
        jerks=script.motion.jerks, recipe=recipe_hash(cfg),
    )
    save_face_truth(out / face_truth_path(script.id),
                    [("", face_truth(p.shape, joints, frames, script.motion.dof, cam))])
    save_ground_truth(gt, out / groundtruth_path(script.id))


def _static_view(ras: Rasteriser, room: ClinicRoom, view: ClinicView
                 ) -> tuple[Buffers, tuple[int, int, int, int]]:
    """The room as ``view`` sees it (with the extra static solids) and the box of the patient's
    bed (frame, mattress, pillow; not a second bed)."""
    static, _ = ras.static(replace(room.scene, camera=view.camera), windowed=True)
    if room.extras is not None:
        ras.frame(static, transform_solids(room.extras, view.camera))
    bed = np.isin(static.mat, [MAT_BED, MAT_MATTRESS, MAT_PILLOW])
    rows, cols = np.flatnonzero(bed.any(1)), np.flatnonzero(bed.any(0))
    box = NO_BOX if not len(rows) else (int(cols[0]), int(rows[0]), int(cols[-1]) + 1,
                                        int(rows[-1]) + 1)
    return static, box


def render_clinic_recording(cfg: PhantomConfig, script: RecordingScript, out: Path) -> None:
    """Render and write one recording of the clinic camera (``video/<id>.mp4``, one H.264
    stream, a montage's views composed into one frame), then its ground truth (a montage's
    inset as a further view, see :mod:`ictal.manifest.groundtruth`)."""
    from ictal.io import H264Writer

    p = script.patient
    room = p.room
    settings = script.settings
    if room is None or settings is None:
        raise ValueError(f"{script.id}: not a clinic-camera recording")
    cc = cfg.clinic_camera
    tl = script.timeline
    T = tl.n_frames
    times = tl.times()
    joints, frames = forward_kinematics(p.shape, script.placement, script.motion.dof)
    body = body_solids(p.shape, joints, frames, script.motion.dof, blanket=p.blanket)
    if room.bandage:
        body = [with_bandage(b) for b in body]
    if p.blanket and room.blanket_to_chest:
        centres, axes = chest_blanket(joints, p.shape)
        body = [add_blanket(b, centres[f], axes[f]) for f, b in enumerate(body)]
    tracks = [staff_track(v, times) for v in script.visits]
    noise_rng = np.random.default_rng([cfg.seed, p.index, script.event_index + 1, 5])
    bank = NoiseBank(room.width, room.height, noise_rng)
    S = len(script.visits)
    rasters, statics, sensors, bed_boxes = [], [], [], []
    for view in room.views:
        ras = Rasteriser(view.camera)
        static, bed_box = _static_view(ras, room, view)
        rasters.append(ras)
        statics.append(static)
        bed_boxes.append(bed_box)
        if isinstance(settings, NightSettings):
            aim = view.camera.to_camera(np.array([0.0, 0.0, room.scene.bed.top]))
            sensors.append(NightCamera(view.camera, room.scene.reflectance,
                                       float(np.linalg.norm(aim)), settings, noise_rng))
        else:
            sensors.append(DayCamera(view.camera, room.colours, settings))
    V = len(room.views)
    patient_box = np.full((V, T, 4), -1, np.int32)
    staff_boxes = np.full((V, S, T, 4), -1, np.int32)
    night = isinstance(settings, NightSettings)
    shape = (room.height, room.width) if night else (room.height, room.width, 3)
    path = out / stream_paths(cfg, script.id)["clinic"]
    # one x264 thread: its output depends on the thread count, and must not depend on the
    # number of workers; a keyframe every second, as clinic recorders and ictal's previews
    with H264Writer(path, room.fps, room.width, room.height, gop=max(1, round(room.fps)),
                    qp=cc.qp, threads=1, bitexact=True) as writer:
        for f in range(T):
            staff = [(s, staff_solids(script.visits[s], pos[f], float(heading[f]),
                                      bool(walking[f]), float(times[f])))
                     for s, (pos, heading, walking, present) in enumerate(tracks) if present[f]]
            picture = np.empty(shape, np.uint8)
            for v, view in enumerate(room.views):
                cam = view.camera
                buf = statics[v].copy()
                patient_box[v, f] = _box(rasters[v].frame(buf, transform_solids(body[f], cam)))
                for s, solids in staff:
                    staff_boxes[v, s, f] = _box(rasters[v].frame(buf,
                                                                 transform_solids(solids, cam)))
                x0, y0, x1, y1 = view.box
                picture[y0:y1, x0:x1] = sensors[v].frame(buf, bank.field(x1 - x0, y1 - y0))
            writer.write(picture)

    truths = []
    for v, view in enumerate(room.views):
        cam = view.camera
        joints_c = cam.to_camera(joints)
        joints_2d = cam.project_camera(joints_c)
        # thin solids (fingers) can fall between pixel rays: the box also holds every joint
        # inside the view
        boxes = _with_points(patient_box[v], joints_2d, cam.width, cam.height)
        truths.append(ViewTruth(
            name=view.name, box=view.box, joints_3d=joints_c.astype(np.float32),
            joints_2d=joints_2d.astype(np.float32), patient_box=boxes,
            bed_box=np.tile(np.array(bed_boxes[v], np.int32), (T, 1)),
            staff_boxes=staff_boxes[v],
            bed_plane=replace(room.scene, camera=cam).bed_plane_camera(),
            bed_corners=cam.to_camera(room.scene.bed.corners()),
            bed_axis=bed_axis(cam, room.scene), K=cam.K, R=cam.R, t=cam.t))
    main = truths[0]
    label = frame_labels(cfg, p.syndrome, script.motion.phase)
    gt = GroundTruth(
        recording=script.id, fps=room.fps, width=room.width, height=room.height,
        joint_names=JOINT_NAMES, joints_3d=main.joints_3d, joints_2d=main.joints_2d,
        labels=cfg.labels, label=label, phase_names=PHASES, phase=script.motion.phase,
        patient_box=main.patient_box, bed_box=main.bed_box, staff_boxes=main.staff_boxes,
        staff_present=np.array([tr[3] for tr in tracks], bool).reshape(S, T),
        bed_plane=main.bed_plane, bed_corners=main.bed_corners, bed_axis=main.bed_axis,
        K=main.K, R=main.R, t=main.t, t0=tl.t0, t1=tl.t1, tG=tl.tG, jerks=script.motion.jerks,
        recipe=recipe_hash(cfg), view=main.name, views=tuple(truths[1:]),
    )
    save_face_truth(out / face_truth_path(script.id), [
        (view.name, face_truth(p.shape, joints, frames, script.motion.dof, view.camera))
        for view in room.views])
    save_ground_truth(gt, out / groundtruth_path(script.id))


def _render_job(cfg_json: str, out: str, k: int, e: int, threads: int) -> str:
    cfg = PhantomConfig.model_validate_json(cfg_json)
    script = script_recording(cfg, plan_patient(cfg, k), e)
    render_recording(cfg, script, Path(out), threads=threads)
    return script.id


@dataclass
class GenerateResult:
    """What :func:`generate_dataset` did: the manifest written and the batch report."""

    manifest: Manifest
    manifest_path: Path
    report: BatchReport
    n_frames: int


def generate_dataset(cfg: PhantomConfig, out: Path | str, *, workers: int = 2,
             progress: bool = True) -> GenerateResult:
    """Generate the dataset of ``cfg`` into ``out`` (see the module docstring).

    ``workers`` processes render recordings in parallel (``1`` renders in this process).
    Recordings already complete are skipped. The manifest is written last, listing only the
    recordings that are complete, then ``calibration.json`` / ``calibration.md``: the movement
    statistics of those recordings measured from their ground-truth skeletons beside the
    published ranges (:func:`ictal.phantom.calibration.write_calibration`). Temporary files
    left by a killed run are removed first.
    """
    from ictal.progress import make_progress

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    folders = {out, out / Path(groundtruth_path("x")).parent}
    folders |= {out / folder for folder, _ in STREAM_FILES.values()}
    for folder in sorted(folders):
        remove_temporaries(folder)
    scripts = script_dataset(cfg)
    report = BatchReport("phantom")
    todo = []
    for script in scripts:
        if is_complete(cfg, out, script.id):
            report.skipped(script.id, "already complete")
        else:
            todo.append(script)
    todo.sort(key=lambda p: -p.timeline.n_frames)  # longest first balances the workers
    cfg_json = cfg.model_dump_json()
    with make_progress(disable=not progress) as bar:
        task = bar.add_task("rendering phantom", total=sum(p.timeline.n_frames for p in todo))
        if workers <= 1 or len(todo) <= 1:
            for script in todo:
                try:
                    render_recording(cfg, script, out, threads=2)
                    report.ok(script.id)
                except Exception as err:  # one broken recording must not stop the batch
                    report.failed(script.id, err)
                bar.advance(task, script.timeline.n_frames)
        else:
            by_id = {p.id: p for p in todo}
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {pool.submit(_render_job, cfg_json, str(out), p.patient.index,
                                       p.event_index, 1): p.id for p in todo}
                for fut in as_completed(futures):
                    rid = futures[fut]
                    try:
                        fut.result()
                        report.ok(rid)
                    except Exception as err:  # recorded, the batch goes on
                        report.failed(rid, err)
                    bar.advance(task, by_id[rid].timeline.n_frames)
    failed = {rid for rid, _ in report.failures}
    manifest = build_manifest(cfg, [p for p in scripts if p.id not in failed])
    path = out / "manifest.yaml"
    save_manifest(manifest, path)
    # the phantom's movement statistics measured from these recordings' ground-truth skeletons,
    # beside their published ranges (issue 21; ictal.phantom.calibration)
    from ictal.phantom.calibration import write_calibration

    write_calibration(out, cfg, [p for p in scripts if p.id not in failed])
    return GenerateResult(manifest=manifest, manifest_path=path, report=report,
                          n_frames=sum(p.timeline.n_frames for p in scripts))
