"""Hyperkinetic (HKN) seizure clips with and without limb dystonia and emotional expression.

Seed 004's cohort: 38 HKN seizure clips (the main phase, 30-90 s) of 19 patients, 1-6 per
patient; 9 / 19 patients with ictal limb dystonia, 9 / 19 with emotional signs, 2 with both.
:func:`plan_cohort` draws such a cohort (the patient-level counts exactly; the seizures of a
patient share its signs, as a patient repeats its semiology) and :func:`simulate_clip` one
clip of it, with ground truth:

* **HKN movement**: the phantom's FLE programme (:mod:`ictal.phantom.programmes`: proximal,
  irregular, ballistic pedalling, thrashing and rocking) over the whole clip, in the patient's
  own style (rate, amplitude, repertoire weights);
* **limb dystonia**: the programme's dystonic posture of one arm (abducted shoulder, flexed
  elbow and wrist, rotated hand with a fine tremor) held for 30-60 % of the clip, on the
  patient's dominant side (the lateralisation task's truth);
* **emotional expression** on the 23 facial landmarks (:func:`expression_offsets`): fear
  (eyebrows raised and drawn together, eyes wide, mouth open and stretched) or a smile (mouth
  corners up and out, eyes narrowed), for 40-80 % of the clip with smooth on/off ramps; every
  seizure also has small random brow and mouth movements and the jaw's own opening, so a
  moving face is not by itself an emotion.

Each patient has a body size and build, a camera (distance, height, azimuth, tilt, focal
length), a head-to-foot direction and a lighting / skin contrast of its own, so that
leave-one-subject-out testing meets patients it has never seen.

Pixels: :func:`render_face_crops` and :func:`render_body_crops` draw the face crop (brows,
eyes and mouth as dark strokes on a lit oval, following the landmarks) and the body crop
(limbs as capsules on a blanket) the appearance streams see, with per-patient contrast,
sensor noise and blur. These are crops drawn directly, not cut from the phantom's rendered
room (whose head carries no face): a deliberate simplification, named in the README.

The keypoint store written from a clip (:func:`ictal.features.semiology.write_hkn_dataset`)
holds 2D detections (ground truth with detector-like jitter) and the 3D that a 2D -> 3D
lifter would give from them (:func:`lifted_3d`, :class:`LifterError`): seed 004 lifted its 2D
body keypoints to 3D, and no real 3D keypoint is noise-free.

Nothing here knows the classifiers; the draws depend only on ``seed``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter, gaussian_filter1d

from ictal.phantom.body import BodyShape, J, forward_kinematics, rest_placement
from ictal.phantom.config import PhantomConfig
from ictal.phantom.face import FACE_NAMES, face_points, facing
from ictal.phantom.programmes import Timeline, recording_motion, sample_style, window
from ictal.phantom.scene import Camera, look_camera

#: Seed 004's cohort.
N_PATIENTS = 19
N_SEIZURES = 38
#: Kinect v2 joints giving seed 004's 11 (ictal.keypoints.layout order).
BODY_FROM_KINECT: tuple[str, ...] = (
    "Head", "SpineShoulder", "ShoulderLeft", "ShoulderRight", "ElbowLeft", "ElbowRight",
    "WristLeft", "WristRight", "HipLeft", "HipRight", "SpineBase",
)
SIGNS = ("dystonia", "emotion")
_FI = {n: i for i, n in enumerate(FACE_NAMES)}


@dataclass(frozen=True)
class HKNPatient:
    """One patient of the cohort: its signs and what makes its clips its own."""

    id: str
    index: int
    n_seizures: int
    dystonia: bool
    emotion: bool
    side: int  # +1 right, -1 left: the dystonic arm
    emotion_kind: str  # "fear" or "smile" (seed 004: fear, rage, smiling)
    height: float
    build: float
    seed: int


@dataclass(frozen=True)
class HKNSeizure:
    """One clip: its patient, its number within the patient, and the signs it shows."""

    id: str
    patient: HKNPatient
    number: int
    signs: tuple[str, ...]  # e.g. ("dystonia", "dystonia-left", "emotion", "emotion-fear")


def plan_cohort(seed: int = 0, *, n_patients: int = N_PATIENTS,
                n_seizures: int = N_SEIZURES) -> list[HKNSeizure]:
    """Seed 004's cohort: 9 / 19 patients with dystonia, 9 / 19 with emotion, 2 with both,
    1-6 seizures per patient (38 in all); scaled down proportionally for fewer patients."""
    rng = np.random.default_rng([seed, 4004])
    both = max(1, round(2 * n_patients / N_PATIENTS))
    each = max(both + 1, round(9 * n_patients / N_PATIENTS))
    flags = ([(True, True)] * both + [(True, False)] * (each - both)
             + [(False, True)] * (each - both))
    flags += [(False, False)] * (n_patients - len(flags))
    if len(flags) != n_patients:
        raise ValueError(f"cannot plan {n_patients} patients with these proportions")
    flags = [flags[i] for i in rng.permutation(n_patients)]
    counts = _seizure_counts(rng, n_patients, n_seizures)
    out = []
    for k in range(n_patients):
        dys, emo = flags[k]
        pat = HKNPatient(id=f"H{k:02d}", index=k, n_seizures=int(counts[k]), dystonia=dys,
                         emotion=emo, side=int(rng.choice([-1, 1])),
                         emotion_kind=str(rng.choice(["fear", "fear", "smile"])),
                         height=float(rng.uniform(1.5, 1.95)), build=float(rng.uniform(0.85, 1.2)),
                         seed=int(rng.integers(2**31)))
        for e in range(pat.n_seizures):
            signs: list[str] = []
            if dys:
                signs += ["dystonia", f"dystonia-{'right' if pat.side > 0 else 'left'}"]
            if emo:
                signs += ["emotion", f"emotion-{pat.emotion_kind}"]
            out.append(HKNSeizure(f"{pat.id}_s{e}", pat, e, tuple(signs)))
    return out


def _seizure_counts(rng: np.random.Generator, n: int, total: int) -> np.ndarray:
    """1-6 seizures per patient summing to ``total`` (seed 004: mean 2, median 1)."""
    counts = np.ones(n, np.int64)
    while counts.sum() < total:
        k = int(rng.integers(n))
        if counts[k] < 6:
            counts[k] += 1 if counts[k] > 1 or rng.random() < 0.5 else 0
    return counts


@dataclass
class HKNClip:
    """Ground truth of one clip at ``fps``: ``T`` frames.

    Attributes:
        body_2d: ``(T, 11, 2)`` float32 px; body_3d: ``(T, 11, 3)`` float32 camera m.
        face_2d: ``(T, 23, 2)`` float32 px; face_3d: ``(T, 23, 3)``; face_visible ``(T, 23)``.
        dystonia: ``(T,)`` bool frames with the dystonic posture; emotion: ``(T,)`` float
            expression intensity in [0, 1].
        width, height: the camera's image size (px).
        contrast: the crops' lighting / skin contrast in (0, 1]; camera: the patient's camera.
    """

    seizure: HKNSeizure
    fps: int
    body_2d: np.ndarray
    body_3d: np.ndarray
    face_2d: np.ndarray
    face_3d: np.ndarray
    face_visible: np.ndarray
    dystonia: np.ndarray
    emotion: np.ndarray
    width: int
    height: int
    contrast: float
    camera: Camera


@dataclass(frozen=True)
class LifterError:
    """The error model of a monocular 2D -> 3D pose lifter, applied by :func:`lifted_3d`.

    Assumptions (from published figures, not measured here): a lifter fed detected 2D
    keypoints reaches a mean per-joint position error (MPJPE, root-relative) of 47-63 mm on
    Human3.6M (Martinez et al. 2017, "A simple yet effective baseline for 3d human pose
    estimation": 62.9 mm; Pavllo et al. 2019, VideoPose3D: 46.8 mm), more out of its training
    domain; most of it lies along the camera's depth axis, which one view cannot see; and the
    absolute depth of the root, when it is estimated at all, errs by ~0.1 m or more (Moon et
    al. 2019, RootNet: MRPE 120 mm). The defaults (``plane_m`` 25 mm per image axis,
    ``depth_m`` 60 mm along the depth axis, ~62 mm mean per joint, plus the carried 2D jitter)
    sit between those in-domain figures and a patient lying in bed under a blanket.

    Attributes:
        plane_m: standard deviation (m) of each joint's error along the camera's x and y axes.
        depth_m: standard deviation (m) of each joint's error along the camera's z (depth) axis.
        root_depth_m: standard deviation (m) of an error of the whole skeleton's depth (the
            back-projected x, y scale with it).
        smooth_s: Gaussian time constant (s) of the per-joint errors (a temporal lifter's
            errors are correlated over its receptive field).
        root_smooth_s: Gaussian time constant (s) of the root depth error.
    """

    plane_m: float = 0.025
    depth_m: float = 0.06
    root_depth_m: float = 0.10
    smooth_s: float = 0.2
    root_smooth_s: float = 2.0


#: The body lifter (the assumptions are :class:`LifterError`'s).
BODY_LIFTER = LifterError()
#: A 3D face-alignment model: normalised mean errors of ~3-4 % of the face box on
#: AFLW2000-3D (e.g. 3DDFA-V2, Guo et al. 2020), i.e. ~6 mm on a ~0.18 m box: 3 mm in the
#: image plane, 8 mm in depth (assumed).
FACE_LIFTER = LifterError(plane_m=0.003, depth_m=0.008)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma_frames: float,
                  ) -> np.ndarray:
    """Unit-variance Gaussian noise ``shape`` (time first), Gaussian-filtered over time with
    ``sigma_frames`` (no filter below 0.5 frame)."""
    x = rng.normal(size=shape)
    if sigma_frames < 0.5:
        return x
    radius = int(4.0 * sigma_frames + 0.5)  # gaussian_filter1d's kernel (truncate 4)
    w = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_frames) ** 2)
    w /= w.sum()
    return gaussian_filter1d(x, sigma_frames, axis=0) / np.sqrt(np.sum(w * w))


def lifted_3d(truth: np.ndarray, detected: np.ndarray, camera: Camera, fps: float,
              error: LifterError, rng: np.random.Generator) -> np.ndarray:
    """What a 2D -> 3D lifter fed the detected keypoints gives, ``(T, K, 3)`` float32 camera
    metres (x right, y down, z along the optical axis).

    Each joint's depth is the truth's plus the lifter's errors (the root depth error shared by
    all joints, a per-joint depth error); its x, y are the detected pixel ``(u, v)``
    back-projected at that depth (so the 2D detector's jitter is carried into 3D and scales
    with the depth error), plus a per-joint in-plane error. Frames where a joint was not
    detected (NaN in ``detected``) are NaN. The errors are random and smooth in time, not
    pose-dependent (:class:`LifterError`).

    Args:
        truth: ``(T, K, 3)`` ground truth, camera metres.
        detected: ``(T, K, 2)`` detected pixels ``(u, v)``, NaN where missed.
        camera: the pinhole camera of the pixels (``fx``, ``fy``, ``cx``, ``cy``).
        fps: frames per second (for the time constants).
        error: the error model.
        rng: the random draws.
    """
    T, K, _ = truth.shape
    root = _smooth_noise(rng, (T, 1), error.root_smooth_s * fps) * error.root_depth_m
    z = (truth[..., 2] + root
         + _smooth_noise(rng, (T, K), error.smooth_s * fps) * error.depth_m)
    z = np.maximum(z, 0.1)  # a lifter puts nothing behind the camera
    z = np.where(np.isfinite(detected).all(axis=-1), z, np.nan)  # nothing lifted, no input
    plane = _smooth_noise(rng, (T, K, 2), error.smooth_s * fps) * error.plane_m
    x = (detected[..., 0] - camera.cx) / camera.fx * z + plane[..., 0]
    y = (detected[..., 1] - camera.cy) / camera.fy * z + plane[..., 1]
    return np.stack([x, y, z], axis=-1).astype(np.float32)


def patient_camera(rng: np.random.Generator, hip: np.ndarray) -> Camera:
    """A wall camera 2.2-3.2 m from the bed's centre, 1.9-2.6 m high, at the foot or the side."""
    az = rng.uniform(-0.9, 0.9) + (np.pi if rng.random() < 0.5 else 0.0)
    dist = rng.uniform(2.2, 3.2)
    pos = np.array([hip[0] + dist * np.cos(az), hip[1] + dist * np.sin(az),
                    rng.uniform(1.9, 2.6)])
    d = hip + np.array([0.0, 0.0, 0.6]) - pos
    yaw = float(np.arctan2(d[1], d[0]))
    tilt = float(np.arctan2(-d[2], np.hypot(d[0], d[1])))
    fx = rng.uniform(420, 560)
    return look_camera(pos, yaw, tilt, fx=fx, cx=319.5, cy=239.5, width=640, height=480)


def expression_offsets(kind: str | None, intensity: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """Landmark displacements ``(T, 23, 3)`` (metres at 1.75 m, axes of
    :func:`~ictal.phantom.face.face_points`) of an expression at ``intensity`` ``(T,)``, plus
    small random movements of brows and mouth on every clip."""
    T = len(intensity)
    off = np.zeros((T, 23, 3))
    a = np.asarray(intensity, float)[:, None]
    up, right = 0, 1

    def move(names: tuple[str, ...], axis: int, amount: float | np.ndarray) -> None:
        for n in names:
            off[:, _FI[n], axis] += np.squeeze(amount)

    brows = ("right_brow_outer", "right_brow_middle", "right_brow_inner", "left_brow_inner",
             "left_brow_middle", "left_brow_outer")
    if kind == "fear":
        move(brows, up, 0.009 * a)
        move(("right_brow_inner",), right, -0.006 * a)  # drawn together
        move(("left_brow_inner",), right, 0.006 * a)
        move(("right_eye_top", "left_eye_top"), up, 0.004 * a)  # eyes wide
        move(("right_eye_bottom", "left_eye_bottom"), up, -0.002 * a)
        move(("lip_bottom",), up, -0.016 * a)  # mouth open
        move(("mouth_right",), right, 0.008 * a)  # and stretched
        move(("mouth_left",), right, -0.008 * a)
        move(("mouth_right", "mouth_left"), up, -0.004 * a)
    elif kind == "smile":
        move(("mouth_right",), right, 0.009 * a)
        move(("mouth_left",), right, -0.009 * a)
        move(("mouth_right", "mouth_left"), up, 0.008 * a)
        move(("lip_bottom",), up, -0.004 * a)
        move(("right_eye_bottom", "left_eye_bottom"), up, 0.003 * a)  # cheeks raise
        move(("right_eye_top", "left_eye_top"), up, -0.0015 * a)
    # every face moves a little: frowns, effort, speech-like mouth movement
    for names, axis, scale in ((brows, up, 0.003), (("lip_bottom",), up, 0.005),
                               (("mouth_right",), right, 0.002), (("mouth_left",), right, 0.002)):
        wobble = gaussian_filter1d(rng.normal(size=T), 4.0)
        wobble /= max(np.abs(wobble).max(), 1e-9)
        move(names, axis, scale * wobble)
    return off


def simulate_clip(seizure: HKNSeizure, *, fps: int = 10,
                  duration_s: tuple[float, float] = (30.0, 90.0)) -> HKNClip:
    """The ground truth of one clip (see the module docstring)."""
    pat = seizure.patient
    prng = np.random.default_rng([pat.seed, 0])  # the patient's own: style, camera, body
    rng = np.random.default_rng([pat.seed, 1 + seizure.number])
    cfg = PhantomConfig()
    style = sample_style(cfg, "FLE", prng)
    while style.repertoire != "FLE":  # an HKN seizure follows the hyperkinetic programme
        style = sample_style(cfg, "FLE", prng)
    style = dataclasses.replace(style, side=pat.side)
    shape = BodyShape(pat.height, pat.build)
    head_sign = 1 if prng.random() < 0.5 else -1
    place = rest_placement(shape, 2.0, 0.6, head_sign, prng)
    camera = patient_camera(prng, place.hip)
    contrast = float(prng.uniform(0.5, 1.0))

    n = round(rng.uniform(*duration_s) * fps)
    dys = None
    if "dystonia" in seizure.signs:
        length = rng.uniform(0.3, 0.6) * n / fps
        start = rng.uniform(0.05, 0.95 - length * fps / n) * n / fps
        dys = (start, start + length, pat.side)
    # a short lead-in so the programme's onset ramp lies before the clip's first frame
    lead = round(1.0 * fps)
    tl = Timeline(fps=float(fps), n_frames=n + lead, t0=lead / fps, t1=(n + lead) / fps + 1.0,
                  tG=None, tonic_end=None,
                  dystonia=None if dys is None else (dys[0] + lead / fps, dys[1] + lead / fps,
                                                     dys[2]))
    motion = recording_motion(cfg, style, tl, rng)
    dof = {k: v[lead:] for k, v in motion.dof.items()}
    t = np.arange(n) / fps
    joints, frames = forward_kinematics(shape, place, dof)

    intensity = np.zeros(n)
    kind = None
    if "emotion" in seizure.signs:
        kind = pat.emotion_kind
        length = rng.uniform(0.4, 0.8) * n / fps
        start = rng.uniform(0.0, 1.0 - length * fps / n) * n / fps
        intensity = window(t, start, start + length, 2.0) * rng.uniform(0.8, 1.0)
    offsets = expression_offsets(kind, intensity, rng)
    world_face = face_points(shape, joints, frames["R_head"], dof.get("jaw"), offsets)

    body_w = joints[:, [J[k] for k in BODY_FROM_KINECT]]
    body_c = camera.to_camera(body_w)
    face_c = camera.to_camera(world_face)
    head_c = camera.to_camera(joints[:, J["Head"]])
    forward = np.einsum("ij,tj->ti", camera.R, frames["R_head"][:, :, 2])
    dyst = np.zeros(n, bool)
    if dys is not None:
        dyst = (t >= dys[0]) & (t < dys[1])
    return HKNClip(seizure, fps, camera.project_camera(body_c).astype(np.float32),
                   body_c.astype(np.float32), camera.project_camera(face_c).astype(np.float32),
                   face_c.astype(np.float32), facing(face_c, head_c, forward), dyst,
                   intensity.astype(np.float32), camera.width, camera.height, contrast, camera)


def _segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray,
                      b: np.ndarray) -> np.ndarray:
    """Distance ``(T, H, W)`` from pixel centres ``(H, W)`` to segments ``a``-``b`` ``(T, 2)``."""
    ax, ay = a[:, 0, None, None], a[:, 1, None, None]
    dx, dy = (b[:, 0] - a[:, 0])[:, None, None], (b[:, 1] - a[:, 1])[:, None, None]
    length2 = np.maximum(dx * dx + dy * dy, 1e-9)
    u = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0, 1)
    return np.hypot(px - ax - u * dx, py - ay - u * dy)


def _normalised(points: np.ndarray, size: int, margin: float) -> np.ndarray:
    """Points ``(T, K, 2)`` mapped into a ``size`` crop around their per-frame bounding box
    (square, ``margin`` of its side added on each side)."""
    lo = np.nanmin(points, axis=1)
    hi = np.nanmax(points, axis=1)
    centre = (lo + hi) / 2
    side = np.maximum((hi - lo).max(axis=1), 1e-3) * (1 + 2 * margin)
    return (points - centre[:, None]) / side[:, None, None] * size + (size - 1) / 2


def _finish(img: np.ndarray, contrast: float, rng: np.random.Generator) -> np.ndarray:
    img = gaussian_filter(img, sigma=(0, 0.7, 0.7))
    img = 0.5 + (img - 0.5) * contrast + rng.normal(scale=0.04, size=img.shape)
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


_FACE_STROKES = (  # (from, to, half width px at 32 px, darkness)
    ("right_brow_outer", "right_brow_middle", 1.0, 0.55), ("right_brow_middle",
                                                           "right_brow_inner", 1.0, 0.55),
    ("left_brow_inner", "left_brow_middle", 1.0, 0.55), ("left_brow_middle",
                                                         "left_brow_outer", 1.0, 0.55),
    ("right_eye_outer", "right_eye_top", 0.8, 0.6), ("right_eye_top", "right_eye_inner", 0.8, 0.6),
    ("right_eye_inner", "right_eye_bottom", 0.8, 0.6),
    ("right_eye_bottom", "right_eye_outer", 0.8, 0.6),
    ("left_eye_inner", "left_eye_top", 0.8, 0.6), ("left_eye_top", "left_eye_outer", 0.8, 0.6),
    ("left_eye_outer", "left_eye_bottom", 0.8, 0.6),
    ("left_eye_bottom", "left_eye_inner", 0.8, 0.6),
    ("nose_tip", "nose_base", 0.6, 0.25),
    ("mouth_right", "lip_top", 0.9, 0.6), ("lip_top", "mouth_left", 0.9, 0.6),
    ("mouth_left", "lip_bottom", 0.9, 0.6), ("lip_bottom", "mouth_right", 0.9, 0.6),
)


def render_face_crops(clip: HKNClip, size: int = 32, seed: int = 0) -> np.ndarray:
    """The face crop of every frame ``(T, size, size)`` uint8: a lit oval with the brows, eyes
    (their opening), nose and mouth (its opening and shape) drawn as dark strokes where the
    landmarks are, seen from the camera (the 2D landmarks, in-plane)."""
    rng = np.random.default_rng([seed, clip.seizure.patient.seed, clip.seizure.number, 7])
    pts = _normalised(clip.face_2d.astype(np.float64), size, 0.35)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    c = (size - 1) / 2
    oval = ((xx - c) / (0.48 * size)) ** 2 + ((yy - c) / (0.58 * size)) ** 2 < 1
    img = np.where(oval, 0.75, 0.3)[None].repeat(len(pts), 0)
    scale = size / 32
    for a, b, half, dark in _FACE_STROKES:
        d = _segment_distance(xx, yy, pts[:, _FI[a]], pts[:, _FI[b]])
        img -= dark * np.clip(1.0 - (d - half * scale), 0, 1)
    visible = clip.face_visible.mean(axis=1) > 0.5
    img[~visible] = np.where(oval, 0.6, 0.3)  # the back of the head
    return _finish(img, clip.contrast, rng)


_LIMBS = ((0, 1, 3.0), (1, 2, 3.0), (1, 3, 3.0), (2, 4, 2.0), (4, 6, 1.6), (3, 5, 2.0),
          (5, 7, 1.6), (1, 10, 4.0), (10, 8, 3.0), (10, 9, 3.0), (2, 8, 3.0), (3, 9, 3.0))


def render_body_crops(clip: HKNClip, size: int = 48, seed: int = 0) -> np.ndarray:
    """The body crop of every frame ``(T, size, size)`` uint8: head, trunk and arms as bright
    capsules (radius scaled with the crop) on a darker blanket texture."""
    rng = np.random.default_rng([seed, clip.seizure.patient.seed, clip.seizure.number, 8])
    pts = _normalised(clip.body_2d.astype(np.float64), size, 0.15)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    texture = gaussian_filter(rng.normal(size=(size, size)), 3) * 0.5
    img = (0.25 + texture)[None].repeat(len(pts), 0)
    scale = size / 48
    for a, b, r in _LIMBS:
        d = _segment_distance(xx, yy, pts[:, a], pts[:, b])
        img = np.maximum(img, 0.8 * np.clip(1.0 - (d - r * scale) / 1.0, 0, 1))
    d = np.hypot(xx - pts[:, 0, 0, None, None], yy - pts[:, 0, 1, None, None])
    img = np.maximum(img, 0.9 * np.clip(1.0 - (d - 4.0 * scale), 0, 1))
    return _finish(img, clip.contrast, rng)
