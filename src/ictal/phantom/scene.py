"""Geometry of the phantom's EMU room: the world frame, the bed, the room and the camera.

World frame (metres): the origin is on the floor under the centre of the bed; ``X`` runs along
the bed's length (towards the head end when ``head_sign = +1``), ``Y`` across it, ``Z`` up. The
mattress top is the plane ``Z = bed.top``.

Camera (seed 000's EMU geometry): mounted on a wall at 2.1-2.6 m, tilted about 45 degrees down
and aimed at the bed. It is a pinhole with the Kinect v2 infrared intrinsics ``fx = fy ~ 365``,
``cx ~ 256``, ``cy ~ 212`` for 512x424 frames (all scaled by ``PhantomConfig.scale``), in
OpenCV's convention: camera ``x`` right, ``y`` down, ``z`` forward; a world point ``X`` has
camera coordinates ``R @ X + t`` and projects to ``u = fx x / z + cx``, ``v = fy y / z + cy``
(pixel ``(u, v)`` = column, row; integer values are pixel centres). Kinect depth is that ``z``
in millimetres (not the distance along the ray).

Two layouts give the bed's length axis along either image axis (Algorithm 1 of seed 000 must
find it): ``"x"`` -- the camera looks across the bed from its side, so the bed's length runs
along image ``x``; ``"y"`` -- the camera looks along the bed from its foot or head end, so the
bed's length runs along image ``y``.

Static solids are oriented boxes (bed frame, mattress, headboard, bedside table, monitor
trolley), an ellipsoid (pillow) and planes (floor, walls); they are rendered once per recording.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ictal.phantom.config import KINECT_CX, KINECT_CY, KINECT_FX, PhantomConfig

# Material ids of the rendered label buffer (also index the reflectance / colour tables).
MAT_NONE, MAT_FLOOR, MAT_WALL, MAT_BED, MAT_MATTRESS, MAT_PILLOW = 0, 1, 2, 3, 4, 5
MAT_FURNITURE, MAT_SKIN, MAT_CLOTHES, MAT_BLANKET, MAT_STAFF, MAT_STAFF_SKIN = 6, 7, 8, 9, 10, 11
# only in the clinic camera's rooms (ictal.phantom.clinic): the EEG head bandage, and a second
# bed's frame and linen (not the patient's bed: its ground-truth box leaves them out)
MAT_BANDAGE, MAT_OTHER_BED, MAT_OTHER_LINEN = 12, 13, 14
N_MATERIALS = 15

#: Infrared reflectance per material (the patient's skin / blanket are overridden per patient).
BASE_REFLECTANCE = np.array(
    [0.0, 0.35, 0.5, 0.3, 0.55, 0.8, 0.4, 0.6, 0.5, 0.7, 0.65, 0.6, 0.85, 0.3, 0.75],
    dtype=np.float32)
#: Visible colour per material (RGB in [0, 1]).
BASE_COLOUR = np.array(
    [[0, 0, 0], [0.45, 0.42, 0.38], [0.85, 0.85, 0.8], [0.6, 0.6, 0.65], [0.9, 0.9, 0.92],
     [0.95, 0.95, 0.95], [0.55, 0.45, 0.35], [0.85, 0.65, 0.55], [0.45, 0.6, 0.8],
     [0.7, 0.8, 0.9], [0.3, 0.55, 0.5], [0.8, 0.62, 0.5], [0.95, 0.95, 0.93],
     [0.6, 0.6, 0.65], [0.9, 0.9, 0.92]], dtype=np.float32)


@dataclass(frozen=True)
class Camera:
    """Pinhole camera. ``R`` (3, 3) and ``t`` (3,) map world to camera coordinates (metres)."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    R: np.ndarray
    t: np.ndarray

    @property
    def K(self) -> np.ndarray:  # noqa: N802 (the usual name of the intrinsic matrix)
        """Intrinsic matrix (3, 3) float64."""
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], float)

    def to_camera(self, X: np.ndarray) -> np.ndarray:
        """World points ``(..., 3)`` -> camera coordinates ``(..., 3)``."""
        return X @ self.R.T + self.t

    def project_camera(self, Xc: np.ndarray) -> np.ndarray:
        """Camera-coordinate points ``(..., 3)`` -> pixel coordinates ``(..., 2)`` (u, v)."""
        z = np.maximum(Xc[..., 2], 1e-6)
        return np.stack([self.fx * Xc[..., 0] / z + self.cx,
                         self.fy * Xc[..., 1] / z + self.cy], axis=-1)

    def rays(self) -> np.ndarray:
        """Ray directions ``(H, W, 3)`` float32 with ``z = 1``, so a hit's ray parameter is its
        depth."""
        u = (np.arange(self.width, dtype=np.float32) - self.cx) / self.fx
        v = (np.arange(self.height, dtype=np.float32) - self.cy) / self.fy
        rays = np.empty((self.height, self.width, 3), np.float32)
        rays[..., 0] = u[None, :]
        rays[..., 1] = v[:, None]
        rays[..., 2] = 1.0
        return rays

    def resized(self, width: int, height: int, fx: float | None = None) -> Camera:
        """Same pose, another image size (e.g. the RGB stream); principal point centred."""
        f = fx if fx is not None else self.fx * width / self.width
        return Camera(f, f, (width - 1) / 2, (height - 1) / 2, width, height, self.R, self.t)


def look_camera(position: np.ndarray, yaw: float, tilt: float, *, fx: float, cx: float,
                cy: float, width: int, height: int) -> Camera:
    """A camera at world ``position`` looking along azimuth ``yaw`` and ``tilt`` rad downwards."""
    forward = np.array([np.cos(tilt) * np.cos(yaw), np.cos(tilt) * np.sin(yaw), -np.sin(tilt)])
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    R = np.stack([right, down, forward])
    return Camera(fx, fx, cx, cy, width, height, R, -R @ position)


@dataclass(frozen=True)
class Box:
    """An oriented box: ``centre`` (3,), ``half`` sizes (3,), ``yaw`` about world Z (rad)."""

    centre: np.ndarray
    half: np.ndarray
    yaw: float
    material: int

    @property
    def axes(self) -> np.ndarray:
        """Rows are the box's unit axes in world coordinates (3, 3)."""
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class Plane:
    """The plane ``normal . X = offset`` (world), seen from the side ``normal`` points to."""

    normal: np.ndarray
    offset: float
    material: int


@dataclass(frozen=True)
class Bed:
    """Hospital bed centred at the world origin, its length along world X."""

    length: float = 2.0
    width: float = 0.9
    top: float = 0.6  # mattress top height (m)
    head_sign: int = 1  # the head end is at X = head_sign * length / 2

    def corners(self) -> np.ndarray:
        """Corners of the mattress top (4, 3), world coordinates."""
        hx, hy = self.length / 2, self.width / 2
        return np.array([[-hx, -hy, self.top], [hx, -hy, self.top], [hx, hy, self.top],
                         [-hx, hy, self.top]])


@dataclass(frozen=True)
class Scene:
    """Everything static in one recording, plus the per-patient sensor and material factors."""

    camera: Camera
    bed: Bed
    layout: str  # "x" or "y": the image axis along which the bed's length runs
    boxes: list[Box]
    planes: list[Plane]
    pillow: tuple[np.ndarray, np.ndarray]  # centre (3,), semi-axes (3,), axis-aligned
    reflectance: np.ndarray  # (N_MATERIALS,) float32
    ir_gain: float
    staff_side: float  # +1 / -1: the side of the bed (world Y) where staff walk and stand
    extra: dict[str, float] = field(default_factory=dict)

    def bed_plane_camera(self) -> np.ndarray:
        """The mattress-top plane in camera coordinates: ``(a, b, c, d)`` float64 with unit
        normal ``(a, b, c)`` pointing up (towards the camera side) and ``a x + b y + c z + d = 0``.
        """
        n = self.camera.R @ np.array([0.0, 0.0, 1.0])
        p = self.camera.to_camera(np.array([0.0, 0.0, self.bed.top]))
        return np.array([*n, -float(n @ p)])


def sample_scene(cfg: PhantomConfig, rng: np.random.Generator) -> Scene:
    """Draw one patient's room, bed pose and camera from ``cfg.nuisance`` (per-patient factors)."""
    nz = cfg.nuisance
    bed = Bed(head_sign=int(rng.choice([-1, 1])))
    layout = "x" if rng.random() < nz.p_bed_along_x else "y"
    height = rng.uniform(*nz.camera_height_m)
    tilt = np.deg2rad(rng.uniform(*nz.camera_tilt_deg))
    yaw_jitter = np.deg2rad(rng.uniform(*nz.camera_yaw_deg))
    aim = np.array([rng.uniform(*nz.aim_offset_m), rng.uniform(*nz.aim_offset_m), bed.top + 0.1])
    aim[:2] += rng.uniform(*nz.bed_shift_m, size=2)
    dist = (height - aim[2]) / np.tan(tilt)
    if layout == "x":  # camera at the bed's side (world -Y or +Y), looking across it
        side = float(rng.choice([-1.0, 1.0]))
        yaw = (np.pi / 2 if side < 0 else -np.pi / 2) + yaw_jitter
        staff_side = side
    else:  # camera at an end of the bed, looking along it
        end = float(rng.choice([-1.0, 1.0]))
        yaw = (0.0 if end < 0 else np.pi) + yaw_jitter
        staff_side = float(rng.choice([-1.0, 1.0]))
    direction = np.array([np.cos(yaw), np.sin(yaw), 0.0])
    if layout == "y":  # aim at the near half so that the whole length of the bed is in view
        aim[:2] -= 0.35 * direction[:2]
    position = aim - dist * direction
    position[2] = height
    s = cfg.scale
    camera = look_camera(position, yaw, tilt, fx=KINECT_FX * s * rng.uniform(0.98, 1.02),
                         cx=KINECT_CX * s + rng.uniform(-2, 2) * s,
                         cy=KINECT_CY * s + rng.uniform(-2, 2) * s,
                         width=cfg.width, height=cfg.height)

    hl, hw = bed.length / 2, bed.width / 2
    boxes = [
        Box(np.array([0.0, 0.0, 0.25]), np.array([hl + 0.03, hw + 0.03, 0.2]), 0.0, MAT_BED),
        Box(np.array([0.0, 0.0, bed.top - 0.075]), np.array([hl, hw, 0.075]), 0.0, MAT_MATTRESS),
        Box(np.array([bed.head_sign * (hl + 0.05), 0.0, 0.6]), np.array([0.03, hw + 0.03, 0.4]),
            0.0, MAT_BED),
    ]
    # bedside table and monitor trolley at the head end, on the side away from the staff
    table_y = -staff_side * (hw + rng.uniform(0.35, 0.6))
    boxes.append(Box(np.array([bed.head_sign * rng.uniform(0.3, 0.8), table_y, 0.38]),
                     np.array([0.25, 0.22, 0.38]), rng.uniform(-0.2, 0.2), MAT_FURNITURE))
    if rng.random() < 0.7:
        boxes.append(Box(np.array([bed.head_sign * (hl + rng.uniform(0.1, 0.4)),
                                   -staff_side * (hw + rng.uniform(0.1, 0.5)), 0.7]),
                         np.array([0.18, 0.18, 0.7]), rng.uniform(-0.5, 0.5), MAT_FURNITURE))
    # floor and the walls facing the camera (behind and beside the bed)
    far = rng.uniform(0.8, 1.6)
    planes = [Plane(np.array([0.0, 0.0, 1.0]), 0.0, MAT_FLOOR)]
    span_far = (hw if layout == "x" else hl) + far
    planes.append(Plane(-direction, -float(direction[:2] @ aim[:2]) - span_far, MAT_WALL))
    lateral = np.array([-direction[1], direction[0], 0.0])
    for sgn in (-1.0, 1.0):
        planes.append(Plane(-sgn * lateral, -rng.uniform(2.2, 3.0), MAT_WALL))
    pillow = (np.array([bed.head_sign * (hl - 0.25), 0.0, bed.top + 0.04]),
              np.array([0.2, 0.33, 0.07]))

    refl = BASE_REFLECTANCE.copy()
    refl[MAT_SKIN] = rng.uniform(*nz.skin_reflectance)
    refl[MAT_CLOTHES] = refl[MAT_SKIN] * rng.uniform(0.7, 1.1)
    refl[MAT_BLANKET] = rng.uniform(*nz.blanket_reflectance)
    return Scene(camera=camera, bed=bed, layout=layout, boxes=boxes, planes=planes,
                 pillow=pillow, reflectance=refl.astype(np.float32),
                 ir_gain=float(rng.uniform(*nz.ir_gain)), staff_side=staff_side,
                 extra={"camera_height": float(height), "camera_tilt_deg": float(np.rad2deg(tilt)),
                        "camera_yaw_deg": float(np.rad2deg(yaw))})
