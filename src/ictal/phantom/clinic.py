"""The ordinary 2D camera of an EMU room: placement, room, and day / night sensor models.

Most EMUs record 2D video, not depth (seeds 002 and 004): a colour camera by day that switches to
night-vision infrared in the dark, 25 fps (29.97 in NTSC countries), 352x288 to 1920x1080,
sometimes two cameras in one picture-in-picture montage (seed 002: the second camera shrunk to
800x450 in the top-left corner of a 1920x1080 frame). :class:`~ictal.phantom.config.ClinicConfig`
holds every range; this module draws them and models the sensors.

**Room** (:func:`sample_room`, once per patient): the patient's bed, bedside table and monitor
trolley of :mod:`ictal.phantom.scene`, inside four walls, floor and ceiling placed around the
bed and the camera; with some probability a second (empty, made) bed beside it, a chair and an
infusion pole; the patient wears an EEG head bandage in most rooms, and a blanket may cover the
trunk as well as the legs. Colours (walls, floor, gown, blanket, skin, staff scrubs) are drawn
from palettes of hospital rooms.

**Camera** (pinhole, no lens distortion): a mount drawn from ``wall-foot`` / ``wall-side`` /
``ceiling`` at the configured heights and distances, aimed at the bed's centre with jitter of
the aim point, tilt and yaw. The horizontal field of view is drawn (60-95 degrees by default)
and widened only where the whole bed would not fit in the frame (installers aim a room camera
at the bed; up to about 110 degrees for ceiling cameras close to it). A montage's second camera
has another mount and is rendered at the size of its inset (its picture shrunk, not a small
render enlarged).

**Day** (:class:`DayCamera`): material colour (per room) x white balance x
``exposure (ambient + (1 - ambient) cos) (1 - v r**2)`` + Gaussian noise, 8-bit RGB.

**Night** (:class:`NightCamera`): the camera's own infrared illuminator and no IR-cut filter:
``s = E rho cos(i) cos(a)**n / d**2`` (near-infrared reflectance ``rho`` of the Kinect model in
:mod:`ictal.phantom.scene`: cotton linen and bandages bright, the floor dark), Gaussian noise
``sigma**2 = read**2 + shot**2 s``, a per-frame gain jitter, then
``black + (255 - black) s**(1 / gamma)``: grey, dark away from the bed, grainy. See
:class:`~ictal.phantom.config.NightCameraConfig`.

Sensor noise comes from a bank of four Gaussian fields per recording, each frame taking one at a
random offset (drawing 2 million normal numbers per 1080p frame would cost more than the rest of
the frame).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TypeVar

import numpy as np

from ictal.phantom.body import BodyShape, J, Solids
from ictal.phantom.config import ClinicConfig, DayCameraConfig, NightCameraConfig
from ictal.phantom.render import Buffers
from ictal.phantom.scene import (
    BASE_COLOUR,
    MAT_BANDAGE,
    MAT_BED,
    MAT_BLANKET,
    MAT_CLOTHES,
    MAT_FLOOR,
    MAT_FURNITURE,
    MAT_MATTRESS,
    MAT_OTHER_BED,
    MAT_OTHER_LINEN,
    MAT_PILLOW,
    MAT_SKIN,
    MAT_STAFF,
    MAT_STAFF_SKIN,
    MAT_WALL,
    Box,
    Camera,
    Plane,
    Scene,
    look_camera,
)

Bbox = tuple[int, int, int, int]
T = TypeVar("T")

#: Names of the views of a montage, as the manifest's ``Montage`` declares them.
LARGE_VIEW, SMALL_VIEW = "large", "small"

# Palettes of visible colours (RGB in [0, 1]) of EMU rooms.
_WALLS = ((0.88, 0.87, 0.82), (0.87, 0.84, 0.75), (0.8, 0.86, 0.81), (0.82, 0.85, 0.9),
          (0.9, 0.9, 0.9))
_FLOORS = ((0.55, 0.55, 0.55), (0.62, 0.56, 0.46), (0.5, 0.4, 0.3), (0.45, 0.5, 0.53),
           (0.68, 0.66, 0.6))
_BED_FRAMES = ((0.75, 0.75, 0.78), (0.6, 0.62, 0.66), (0.85, 0.83, 0.8), (0.45, 0.55, 0.65))
_GOWNS = ((0.55, 0.7, 0.85), (0.86, 0.86, 0.86), (0.55, 0.75, 0.6), (0.75, 0.6, 0.75),
          (0.3, 0.35, 0.5), (0.7, 0.22, 0.22), (0.35, 0.35, 0.35))
_BLANKETS = ((0.92, 0.92, 0.9), (0.7, 0.8, 0.9), (0.85, 0.78, 0.6), (0.55, 0.7, 0.55),
             (0.9, 0.7, 0.6), (0.92, 0.92, 0.9))
_SCRUBS = ((0.2, 0.4, 0.65), (0.25, 0.5, 0.45), (0.15, 0.2, 0.35), (0.92, 0.92, 0.92),
           (0.55, 0.3, 0.5))
_FURNITURE = ((0.6, 0.5, 0.4), (0.7, 0.7, 0.72), (0.85, 0.85, 0.85), (0.35, 0.3, 0.28))
#: Skin tones from light to dark; a patient's tone is drawn between neighbours.
_SKIN = np.array([(0.96, 0.8, 0.69), (0.87, 0.68, 0.55), (0.72, 0.52, 0.4), (0.55, 0.38, 0.27),
                  (0.38, 0.26, 0.19)])


@dataclass(frozen=True)
class ClinicView:
    """One camera of the recorded frame.

    ``name`` is ``""`` for a single camera, :data:`LARGE_VIEW` / :data:`SMALL_VIEW` in a
    montage; ``box`` ``(x0, y0, x1, y1)`` is where its picture lies in the recorded frame (the
    whole frame, or the inset); ``camera`` renders at the box's size.
    """

    name: str
    mount: str
    camera: Camera
    box: Bbox
    hfov_deg: float
    height_m: float
    tilt_deg: float


@dataclass(frozen=True)
class ClinicRoom:
    """One patient's room under the clinic camera (drawn once per patient).

    ``scene``: the room (``scene.camera`` is the first view's camera); ``extras``: static solids
    beyond the scene's boxes (the second bed's pillow and blanket, the infusion pole), world
    coordinates, or ``None``; ``colours``: visible colour per material ``(N_MATERIALS, 3)``
    float32; ``bandage``: the patient's head is wrapped (EEG); ``blanket_to_chest``: a blanket
    (when the patient has one) also covers the trunk.
    """

    width: int
    height: int
    fps: Fraction
    views: tuple[ClinicView, ...]
    scene: Scene
    extras: Solids | None
    colours: np.ndarray
    bandage: bool
    furniture: tuple[str, ...]
    blanket_to_chest: bool = False

    @property
    def small_box(self) -> Bbox | None:
        """The inset of a montage in the recorded frame, ``None`` for one camera."""
        return self.views[1].box if len(self.views) > 1 else None


@dataclass(frozen=True)
class DaySettings:
    """Per-recording draws of :class:`~ictal.phantom.config.DayCameraConfig`."""

    ambient: float
    exposure: float
    white_balance: tuple[float, float, float]
    vignetting: float
    noise_dn: float


@dataclass(frozen=True)
class NightSettings:
    """Per-recording draws of :class:`~ictal.phantom.config.NightCameraConfig`."""

    hotspot: float
    beam_exponent: float
    gamma: float
    black_level: float
    read_noise: float
    shot_noise: float
    gain_flicker: float


Settings = DaySettings | NightSettings


def _pick(rng: np.random.Generator, items: Sequence[T],
          weights: Sequence[float] | None = None) -> T:
    """One of ``items``, with probabilities proportional to ``weights`` (uniform if none)."""
    p = None if weights is None else np.asarray(weights, float) / float(sum(weights))
    return items[int(rng.choice(len(items), p=p))]


def _even(x: float) -> int:
    return max(2, 2 * round(x / 2))


# ---- the room ---------------------------------------------------------------------------------
def _room_colours(rng: np.random.Generator) -> np.ndarray:
    c = BASE_COLOUR.copy()
    c[MAT_WALL] = np.array(_pick(rng, _WALLS)) * rng.uniform(0.92, 1.04)
    c[MAT_FLOOR] = np.array(_pick(rng, _FLOORS)) * rng.uniform(0.9, 1.05)
    c[MAT_BED] = c[MAT_OTHER_BED] = _pick(rng, _BED_FRAMES)
    c[MAT_MATTRESS] = c[MAT_OTHER_LINEN] = np.array((0.9, 0.9, 0.92)) * rng.uniform(0.93, 1.04)
    c[MAT_PILLOW] = _pick(rng, ((0.95, 0.95, 0.95), (0.85, 0.9, 0.96), (0.93, 0.92, 0.88)))
    c[MAT_CLOTHES] = _pick(rng, _GOWNS)
    c[MAT_BLANKET] = _pick(rng, _BLANKETS)
    c[MAT_FURNITURE] = _pick(rng, _FURNITURE)
    c[MAT_STAFF] = _pick(rng, _SCRUBS)
    for mat in (MAT_SKIN, MAT_STAFF_SKIN):
        x = rng.uniform(0, len(_SKIN) - 1)
        i = min(int(x), len(_SKIN) - 2)
        c[mat] = _SKIN[i] + (x - i) * (_SKIN[i + 1] - _SKIN[i])
    c[MAT_BANDAGE] = (0.95, 0.95, 0.93)
    return np.clip(c, 0.0, 1.0).astype(np.float32)


def _bed_points(scene: Scene) -> np.ndarray:
    """Points the camera must see (world, (N, 3)): the bed frame's corners at the floor and the
    mattress top, the headboard's top."""
    bed = scene.bed
    hl, hw = bed.length / 2 + 0.03, bed.width / 2 + 0.03
    pts = [(sx * hl, sy * hw, z) for sx in (-1, 1) for sy in (-1, 1) for z in (0.05, bed.top)]
    pts += [(bed.head_sign * (hl + 0.02), sy * hw, 1.0) for sy in (-1, 1)]
    return np.array(pts, float)


def _fit_fx(camera_pose: Camera, points: np.ndarray, width: int, height: int, fx: float,
            margin: float = 0.03) -> float:
    """``fx`` lowered (the field of view widened, never narrowed) so that ``points`` project
    inside the frame with ``margin`` of its size to spare."""
    Xc = camera_pose.to_camera(points)
    z = np.maximum(Xc[:, 2], 0.05)
    half_w = (width - 1) / 2 - margin * width
    half_h = (height - 1) / 2 - margin * height
    limit_x = half_w / np.maximum(np.abs(Xc[:, 0] / z), 1e-6)
    limit_y = half_h / np.maximum(np.abs(Xc[:, 1] / z), 1e-6)
    return float(min(fx, limit_x.min(), limit_y.min()))


def bed_axis(camera: Camera, scene: Scene) -> str:
    """The image axis along which the bed's length runs in ``camera``: ``"x"`` or ``"y"``."""
    bed = scene.bed
    ends = np.array([[bed.length / 2, 0.0, bed.top], [-bed.length / 2, 0.0, bed.top]])
    uv = camera.project_camera(camera.to_camera(ends))
    du, dv = np.abs(uv[0] - uv[1])
    return "x" if du >= dv else "y"


def _place_camera(cc: ClinicConfig, mount: str, scene: Scene, walls: dict[str, float],
                  width: int, height: int, rng: np.random.Generator) -> ClinicView:
    """Draw a camera on ``mount`` inside the room of ``walls`` (world X / Y of the foot, head
    and side walls, Z of the ceiling), aimed at the bed, its field of view fitted to it."""
    bed = scene.bed
    foot = -bed.head_sign  # the foot end is at X = foot * length / 2
    if mount == "wall-foot":
        pos = np.array([walls["foot"] - foot * 0.08, rng.uniform(-0.4, 0.4),
                        min(rng.uniform(*cc.wall_height_m), walls["ceiling"] - 0.1)])
    elif mount == "wall-side":
        side = float(rng.choice([-1.0, 1.0]))
        wall = walls["left"] if side < 0 else walls["right"]
        pos = np.array([rng.uniform(-0.6, 0.6), wall - side * 0.08,
                        min(rng.uniform(*cc.wall_height_m), walls["ceiling"] - 0.1)])
    else:  # ceiling: beyond the foot end or beside the bed, looking steeply down
        offset = rng.uniform(*cc.ceiling_offset_m)
        angle = rng.uniform(-0.5, 0.5) * np.pi / 2 + (0.0 if rng.random() < 0.5 else np.pi / 2)
        pos = np.array([foot * offset * np.cos(angle), offset * np.sin(angle) *
                        float(rng.choice([-1.0, 1.0])), walls["ceiling"] - 0.08])
        pos[0] = float(np.clip(pos[0], walls["x_min"] + 0.2, walls["x_max"] - 0.2))
        pos[1] = float(np.clip(pos[1], walls["left"] + 0.2, walls["right"] - 0.2))
    aim = np.array([rng.uniform(-1, 1) * cc.aim_jitter_m, rng.uniform(-1, 1) * cc.aim_jitter_m,
                    bed.top])
    ground = aim[:2] - pos[:2]
    yaw = math.atan2(ground[1], ground[0]) + math.radians(rng.uniform(-1, 1) * cc.yaw_jitter_deg)
    tilt = math.atan2(pos[2] - aim[2], float(np.hypot(*ground)))
    tilt += math.radians(rng.uniform(-1, 1) * cc.tilt_jitter_deg)
    tilt = float(np.clip(tilt, math.radians(15), math.radians(86)))
    hfov = rng.uniform(*cc.hfov_deg)
    fx = (width / 2) / math.tan(math.radians(hfov) / 2)
    cx = (width - 1) / 2 + rng.uniform(-0.01, 0.01) * width
    cy = (height - 1) / 2 + rng.uniform(-0.01, 0.01) * height
    pose = look_camera(pos, yaw, tilt, fx=fx, cx=(width - 1) / 2, cy=(height - 1) / 2,
                       width=width, height=height)
    fx = _fit_fx(pose, _bed_points(scene), width, height, fx)
    camera = Camera(fx, fx, cx, cy, width, height, pose.R, pose.t)
    return ClinicView(name="", mount=mount, camera=camera, box=(0, 0, width, height),
                      hfov_deg=math.degrees(2 * math.atan((width / 2) / fx)),
                      height_m=float(pos[2]), tilt_deg=math.degrees(tilt))


def sample_room(cc: ClinicConfig, scene: Scene, rng: np.random.Generator) -> ClinicRoom:
    """Draw one patient's room and clinic camera(s) around the bed of the Kinect ``scene``
    (its bed, table, trolley, staff side and reflectances are kept; walls and camera are new).
    """
    width, height = _pick(rng, cc.sizes, cc.size_weights)
    fps = Fraction(_pick(rng, cc.frame_rates, cc.frame_rate_weights))
    montage = bool(rng.random() < cc.p_montage)
    bed = scene.bed
    hl, hw = bed.length / 2, bed.width / 2
    foot = -bed.head_sign
    other_side = -scene.staff_side  # the table and trolley stand there (ictal.phantom.scene)
    boxes = list(scene.boxes)
    furniture: list[str] = []
    side_room = {s: hw + rng.uniform(*cc.side_distance_m) for s in (-1.0, 1.0)}
    if rng.random() < cc.p_second_bed:
        gap = rng.uniform(0.9, 1.5)
        y2 = other_side * (2 * hw + gap)
        x2 = rng.uniform(-0.3, 0.3)
        boxes += [
            Box(np.array([x2, y2, 0.25]), np.array([hl + 0.03, hw + 0.03, 0.2]), 0.0,
                MAT_OTHER_BED),
            Box(np.array([x2, y2, bed.top - 0.075]), np.array([hl, hw, 0.075]), 0.0,
                MAT_OTHER_LINEN),
            Box(np.array([x2 + bed.head_sign * (hl + 0.05), y2, 0.6]),
                np.array([0.03, hw + 0.03, 0.4]), 0.0, MAT_OTHER_BED),
        ]
        side_room[other_side] = max(side_room[other_side], abs(y2) + hw + 0.5)
        extras_e = [(np.array([x2 + bed.head_sign * (hl - 0.25), y2, bed.top + 0.04]),
                     np.array([0.2, 0.33, 0.07])),
                    (np.array([x2 - bed.head_sign * rng.uniform(0.2, 0.5), y2, bed.top + 0.03]),
                     np.array([0.55, hw - 0.02, 0.06]))]
        furniture.append("second bed")
    else:
        extras_e = []
    capsules: list[list[float]] = []
    if rng.random() < cc.p_chair:
        side = float(rng.choice([-1.0, 1.0]))
        cxw = bed.head_sign * rng.uniform(-0.2, 0.6)
        cyw = side * (hw + rng.uniform(0.5, 0.8))
        yaw = rng.uniform(-0.6, 0.6)
        boxes += [Box(np.array([cxw, cyw, 0.45]), np.array([0.23, 0.23, 0.04]), yaw,
                      MAT_FURNITURE),
                  Box(np.array([cxw, cyw, 0.22]), np.array([0.2, 0.2, 0.2]), yaw,
                      MAT_FURNITURE),
                  Box(np.array([cxw + 0.2 * np.cos(yaw), cyw + 0.2 * np.sin(yaw), 0.72]),
                      np.array([0.03, 0.23, 0.26]), yaw, MAT_FURNITURE)]
        furniture.append("chair")
    if rng.random() < cc.p_pole:
        px = bed.head_sign * rng.uniform(hl - 0.5, hl + 0.1)
        py = float(rng.choice([-1.0, 1.0])) * (hw + rng.uniform(0.15, 0.35))
        capsules.append([px, py, 0.1, px, py, 1.9, 0.015])
        boxes.append(Box(np.array([px, py, 0.05]), np.array([0.2, 0.2, 0.05]), rng.uniform(0, 1),
                         MAT_FURNITURE))
        furniture.append("infusion pole")
    walls = {"foot": foot * (hl + rng.uniform(*cc.foot_distance_m)),
             "head": bed.head_sign * (hl + rng.uniform(0.7, 1.0)),
             "left": -side_room[-1.0], "right": side_room[1.0],
             "ceiling": rng.uniform(*cc.ceiling_height_m)}
    walls["x_min"] = min(walls["foot"], walls["head"])
    walls["x_max"] = max(walls["foot"], walls["head"])
    planes = [
        Plane(np.array([0.0, 0.0, 1.0]), 0.0, MAT_FLOOR),
        Plane(np.array([0.0, 0.0, -1.0]), -walls["ceiling"], MAT_WALL),
        Plane(np.array([1.0, 0.0, 0.0]), walls["x_min"], MAT_WALL),
        Plane(np.array([-1.0, 0.0, 0.0]), -walls["x_max"], MAT_WALL),
        Plane(np.array([0.0, 1.0, 0.0]), walls["left"], MAT_WALL),
        Plane(np.array([0.0, -1.0, 0.0]), -walls["right"], MAT_WALL),
    ]
    mount = _pick(rng, cc.mounts, cc.mount_weights)
    views = [_place_camera(cc, mount, scene, walls, width, height, rng)]
    if montage:
        others = [(m, w) for m, w in zip(cc.mounts, cc.mount_weights, strict=True)
                  if m != mount and w > 0] or [(mount, 1.0)]
        second = _pick(rng, tuple(m for m, _ in others), tuple(w for _, w in others))
        sw = _even(width * cc.montage_width)
        sh = _even(sw * height / width)
        small = _place_camera(cc, second, scene, walls, sw, sh, rng)
        views = [replace(views[0], name=LARGE_VIEW),
                 replace(small, name=SMALL_VIEW, box=(0, 0, sw, sh))]
    bandage = bool(rng.random() < cc.p_eeg_bandage)
    colours = _room_colours(rng)
    to_chest = bool(rng.random() < cc.p_blanket_to_chest)
    extras = None
    if extras_e or capsules:
        extras = Solids(np.array(capsules, float).reshape(-1, 7),
                        np.full(len(capsules), MAT_FURNITURE, np.uint8),
                        np.array([c for c, _ in extras_e], float).reshape(-1, 3),
                        np.array([np.diag(s) for _, s in extras_e], float).reshape(-1, 3, 3),
                        np.full(len(extras_e), MAT_OTHER_LINEN, np.uint8))
    cam = views[0].camera
    room_scene = replace(scene, camera=cam, layout=bed_axis(cam, scene), boxes=boxes,
                         planes=planes,
                         extra={"camera_height": views[0].height_m,
                                "camera_tilt_deg": views[0].tilt_deg,
                                "camera_hfov_deg": views[0].hfov_deg})
    return ClinicRoom(width=width, height=height, fps=fps, views=tuple(views), scene=room_scene,
                      extras=extras, colours=colours, bandage=bandage,
                      furniture=tuple(furniture), blanket_to_chest=to_chest)


def with_bandage(solids: Solids) -> Solids:
    """The patient's solids with the head (the first ellipsoid of
    :func:`ictal.phantom.body.body_solids`) wrapped in an EEG bandage."""
    mats = solids.ellipsoid_mat.copy()
    mats[0] = MAT_BANDAGE
    return replace(solids, ellipsoid_mat=mats)


def chest_blanket(joints: np.ndarray, shape: BodyShape) -> tuple[np.ndarray, np.ndarray]:
    """A blanket over the trunk, for joints ``(T, 25, 3)`` (world): ellipsoid centres
    ``(T, 3)`` and semi-axis rows ``(T, 3, 3)`` -- along the spine from the hips to the
    shoulders, wider than the body (it drapes over arms lying at the sides), a few centimetres
    above the chest."""
    base, top = joints[:, J["SpineBase"]], joints[:, J["SpineShoulder"]]
    along = top - base
    length = np.linalg.norm(along, axis=1, keepdims=True)
    along = along / np.maximum(length, 1e-6)
    across = joints[:, J["ShoulderRight"]] - joints[:, J["ShoulderLeft"]]
    across -= (across * along).sum(1, keepdims=True) * along
    across /= np.maximum(np.linalg.norm(across, axis=1, keepdims=True), 1e-6)
    up = np.cross(along, across)
    up *= np.where(up[:, 2:] < 0, -1.0, 1.0)  # the side facing away from the mattress
    centres = base + 0.45 * (top - base) + shape.rad(0.05) * up
    axes = np.stack([along * (0.6 * length + 0.05), across * shape.rad(0.3),
                     up * shape.rad(0.11)], axis=1)
    return centres, axes


def add_blanket(solids: Solids, centre: np.ndarray, axes: np.ndarray) -> Solids:
    """``solids`` with one more ellipsoid of blanket."""
    return replace(solids, centres=np.concatenate([solids.centres, centre[None]]),
                   axes=np.concatenate([solids.axes, axes[None]]),
                   ellipsoid_mat=np.append(solids.ellipsoid_mat, np.uint8(MAT_BLANKET)))


# ---- sensors ----------------------------------------------------------------------------------
def sample_settings(cc: ClinicConfig, night: bool, rng: np.random.Generator) -> Settings:
    """One recording's sensor settings (day or night)."""
    if night:
        n: NightCameraConfig = cc.night
        return NightSettings(
            hotspot=rng.uniform(*n.hotspot), beam_exponent=rng.uniform(*n.beam_exponent),
            gamma=rng.uniform(*n.gamma), black_level=rng.uniform(*n.black_level),
            read_noise=rng.uniform(*n.read_noise), shot_noise=rng.uniform(*n.shot_noise),
            gain_flicker=n.gain_flicker)
    d: DayCameraConfig = cc.day
    return DaySettings(
        ambient=rng.uniform(*d.ambient), exposure=rng.uniform(*d.exposure),
        white_balance=(rng.uniform(*d.white_balance), 1.0, rng.uniform(*d.white_balance)),
        vignetting=rng.uniform(*d.vignetting), noise_dn=rng.uniform(*d.noise_dn))


class NoiseBank:
    """Four standard-normal fields ``(H + 32, W + 32)`` float32; :meth:`field` returns one of
    them at a random offset, ``(h, w)`` (a view, not a copy)."""

    PAD = 32

    def __init__(self, width: int, height: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.fields = rng.standard_normal((4, height + self.PAD, width + self.PAD),
                                          dtype=np.float32)

    def field(self, width: int, height: int) -> np.ndarray:
        k, dy, dx = (int(x) for x in self.rng.integers(0, (4, self.PAD, self.PAD)))
        return self.fields[k, dy:dy + height, dx:dx + width]


#: Shading levels of the day camera's lookup table (over shade values 0..2).
_DAY_LEVELS = 512
#: Linear levels of the night camera's lookup table (over signal values 0..1).
_NIGHT_LEVELS = 4096


class DayCamera:
    """The day sensor model of one view (see the module docstring); :meth:`frame` turns
    rendered buffers into ``(H, W, 3)`` ``uint8`` RGB."""

    def __init__(self, camera: Camera, colours: np.ndarray, s: DaySettings) -> None:
        self.s = s
        u = (np.arange(camera.width, dtype=np.float32) - camera.cx) / (camera.width / 2)
        v = (np.arange(camera.height, dtype=np.float32) - camera.cy) / (camera.height / 2)
        r2 = (u[None, :] ** 2 + v[:, None] ** 2) / 2  # 1 at the corners
        self.gain = (s.exposure * (1.0 - s.vignetting * r2)).astype(np.float32)
        shade = np.arange(_DAY_LEVELS, dtype=np.float32) * (2.0 / _DAY_LEVELS)
        colour = colours * np.asarray(s.white_balance, np.float32)  # (M, 3)
        lut = colour[:, None, :] * shade[None, :, None] * 255.0
        self.lut = np.clip(np.rint(lut), 0, 255).astype(np.uint8).reshape(-1, 3)
        self.sigma = np.float32(s.noise_dn / 255.0 / 0.8)  # noise of a typical colour (0.8)

    def frame(self, buf: Buffers, noise: np.ndarray) -> np.ndarray:
        s = buf.cos * np.float32(1.0 - self.s.ambient)
        s += np.float32(self.s.ambient)
        s *= self.gain
        s += noise * self.sigma
        s *= np.float32(_DAY_LEVELS / 2.0)
        np.clip(s, 0, _DAY_LEVELS - 1, out=s)
        index = buf.mat.astype(np.int32) * _DAY_LEVELS
        index += s.astype(np.int32)
        return np.take(self.lut, index, axis=0)


class NightCamera:
    """The night-vision sensor model of one view (see the module docstring); :meth:`frame`
    turns rendered buffers into ``(H, W)`` ``uint8`` grey."""

    def __init__(self, camera: Camera, reflectance: np.ndarray, aim_distance: float,
                 s: NightSettings, rng: np.random.Generator) -> None:
        self.s = s
        self.rng = rng
        rays = camera.rays()
        rdrd = (rays**2).sum(-1)
        off_axis = 1.0 / np.sqrt(rdrd)  # cos of the angle between the ray and the axis
        # 1 / d**2 = 1 / (z**2 |ray|**2): the |ray| part and the beam fall-off are static
        self.beam = (off_axis**s.beam_exponent / rdrd).astype(np.float32)
        self.exposure = s.hotspot * aim_distance**2
        self.reflectance = reflectance.astype(np.float32)
        level = np.arange(_NIGHT_LEVELS, dtype=np.float64) / (_NIGHT_LEVELS - 1)
        grey = s.black_level + (255.0 - s.black_level) * level ** (1.0 / s.gamma)
        self.lut = np.clip(np.rint(grey), 0, 255).astype(np.uint8)

    def frame(self, buf: Buffers, noise: np.ndarray) -> np.ndarray:
        s = self.s
        gain = self.exposure * (1.0 + s.gain_flicker * float(self.rng.standard_normal()))
        z = np.maximum(buf.z, np.float32(0.05))
        lin = self.reflectance[buf.mat]
        lin *= buf.cos
        lin *= self.beam
        lin /= z * z
        lin *= np.float32(gain)
        np.minimum(lin, np.float32(2.0), out=lin)
        sigma = lin * np.float32(s.shot_noise**2)
        sigma += np.float32(s.read_noise**2)
        np.sqrt(sigma, out=sigma)
        sigma *= noise
        lin += sigma
        lin *= np.float32(_NIGHT_LEVELS - 1)
        np.clip(lin, 0, _NIGHT_LEVELS - 1, out=lin)
        return self.lut[lin.astype(np.int32)]
