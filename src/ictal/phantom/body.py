"""The articulated patient: body shape, forward kinematics, Kinect v2 skeleton and solids.

Body frame (metres), for a patient lying supine: ``x`` from the feet towards the head, ``y``
towards the patient's right, ``z`` anterior (up, out of the mattress), origin at the hip centre
(Kinect's ``SpineBase``). Movement is a set of named degrees of freedom (:data:`DOFS`), each a
``(T,)`` float array of radians (or metres for ``shift_y``, ``lift_z``, ``breath``, and a
``[0, 1]`` opening for ``jaw``); :func:`forward_kinematics` turns them into the 25 joints of the
Kinect v2 skeleton (:data:`JOINT_NAMES`, Kinect's order) for all frames at once, in world
coordinates, and :func:`body_solids` into capsules and ellipsoids for the renderer.

Sides: ``_L`` / ``_R`` are the patient's left / right; ``s = -1`` / ``+1`` in body ``y``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ictal.phantom.scene import MAT_BLANKET, MAT_CLOTHES, MAT_SKIN

#: Kinect v2 body joints, in the SDK's ``JointType`` order.
JOINT_NAMES: tuple[str, ...] = (
    "SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft",
    "HandLeft", "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft",
    "AnkleLeft", "FootLeft", "HipRight", "KneeRight", "AnkleRight", "FootRight", "SpineShoulder",
    "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight",
)
J = {name: i for i, name in enumerate(JOINT_NAMES)}

#: Bones of the Kinect v2 skeleton as (parent, child) joint indices (for drawing / graphs).
BONES: tuple[tuple[int, int], ...] = tuple(
    (J[a], J[b]) for a, b in [
        ("SpineBase", "SpineMid"), ("SpineMid", "SpineShoulder"), ("SpineShoulder", "Neck"),
        ("Neck", "Head"), ("SpineShoulder", "ShoulderLeft"), ("ShoulderLeft", "ElbowLeft"),
        ("ElbowLeft", "WristLeft"), ("WristLeft", "HandLeft"), ("HandLeft", "HandTipLeft"),
        ("WristLeft", "ThumbLeft"), ("SpineShoulder", "ShoulderRight"),
        ("ShoulderRight", "ElbowRight"), ("ElbowRight", "WristRight"),
        ("WristRight", "HandRight"), ("HandRight", "HandTipRight"), ("WristRight", "ThumbRight"),
        ("SpineBase", "HipLeft"), ("HipLeft", "KneeLeft"), ("KneeLeft", "AnkleLeft"),
        ("AnkleLeft", "FootLeft"), ("SpineBase", "HipRight"), ("HipRight", "KneeRight"),
        ("KneeRight", "AnkleRight"), ("AnkleRight", "FootRight"),
    ]
)

#: Degrees of freedom of the body (see the module docstring for units).
DOFS: tuple[str, ...] = (
    "roll", "shift_y", "lift_z", "trunk_flex", "trunk_bend", "breath",
    "head_turn", "head_nod", "head_tilt", "jaw",
    "sh_abd_L", "sh_flex_L", "elbow_L", "wrist_L", "twist_L",
    "sh_abd_R", "sh_flex_R", "elbow_R", "wrist_R", "twist_R",
    "hip_flex_L", "hip_abd_L", "knee_L", "ankle_L",
    "hip_flex_R", "hip_abd_R", "knee_R", "ankle_R",
)


@dataclass(frozen=True)
class BodyShape:
    """Segment lengths and radii (metres) of one patient, from height and build."""

    height: float
    build: float

    def seg(self, frac: float) -> float:
        return frac * self.height

    def rad(self, metres_at_175: float) -> float:
        return metres_at_175 * self.height / 1.75 * self.build


@dataclass(frozen=True)
class Placement:
    """Where the body lies on the bed: hip centre (world, 3,), heading (rad about world Z)."""

    hip: np.ndarray
    heading: float  # body x axis direction in the world XY plane


def rest_placement(shape: BodyShape, bed_length: float, bed_top: float, head_sign: int,
                   rng: np.random.Generator) -> Placement:
    """Lay the body on the mattress, head near the head end, with small random offsets."""
    head_top_from_hip = 0.47 * shape.height
    x = head_sign * (bed_length / 2 - 0.12 - head_top_from_hip) + rng.uniform(-0.05, 0.05)
    hip = np.array([x, rng.uniform(-0.08, 0.08), bed_top + shape.rad(0.085)])
    heading = (0.0 if head_sign > 0 else np.pi) + rng.uniform(-0.06, 0.06)
    return Placement(hip=hip, heading=heading)


def _rot(axis: int, angle: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(T, 3, 3)`` about coordinate axis 0/1/2 by ``angle`` ``(T,)`` rad."""
    c, s = np.cos(angle), np.sin(angle)
    R = np.zeros((*np.shape(angle), 3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    R[..., axis, axis] = 1.0
    R[..., i, i] = c
    R[..., j, j] = c
    R[..., i, j] = -s
    R[..., j, i] = s
    return R


def _apply(R: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``R @ v`` for ``R`` (T, 3, 3) and ``v`` (3,) or (T, 3) -> (T, 3)."""
    if v.ndim == 1:
        return R @ v
    return np.einsum("tij,tj->ti", R, v)


def forward_kinematics(shape: BodyShape, place: Placement, dof: dict[str, np.ndarray]
                       ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Kinect v2 joints ``(T, 25, 3)`` float64 in world coordinates, and the frames needed for
    the solids (``R_trunk``, ``R_pelvis``, ``R_head`` as (T, 3, 3) world rotations).

    Missing DOFs are zero; the knee (elbow) angle is limited so the shank (forearm) does not
    dive into the mattress.
    """
    T = len(next(iter(dof.values())))
    g = {k: np.asarray(dof.get(k, np.zeros(T)), float) for k in DOFS}
    H = shape.height
    # world rotation of the pelvis: heading about Z, then roll about the body's long axis
    R_world = _rot(2, np.full(T, place.heading))
    R_pelvis = R_world @ _rot(0, g["roll"])
    # the body rolls about its back (contact with the mattress), not about the hip centre
    pivot = np.array([0.0, 0.0, -shape.rad(0.085)])
    root = (place.hip + _apply(R_world, np.stack([np.zeros(T), g["shift_y"], g["lift_z"]], 1))
            + _apply(R_world, np.tile(-pivot, (T, 1))) + _apply(R_pelvis, pivot))
    R_trunk = R_pelvis @ _rot(1, -g["trunk_flex"]) @ _rot(2, g["trunk_bend"])
    out = np.zeros((T, 25, 3))
    out[:, J["SpineBase"]] = root
    out[:, J["SpineMid"]] = root + _apply(R_trunk, np.array([0.13 * H, 0, 0.01 * H]))
    sh = out[:, J["SpineMid"]] + _apply(R_trunk, np.array([0.15 * H, 0, 0.0]))
    out[:, J["SpineShoulder"]] = sh
    neck = sh + _apply(R_trunk, np.array([0.05 * H, 0, 0.005 * H]))
    out[:, J["Neck"]] = neck
    R_head = R_trunk @ _rot(0, g["head_turn"]) @ _rot(1, -g["head_nod"]) @ _rot(2, g["head_tilt"])
    out[:, J["Head"]] = neck + _apply(R_head, np.array([0.075 * H, 0, 0.012 * H]))

    down = np.array([-1.0, 0.0, 0.0])
    for side, s in (("Left", -1.0), ("Right", 1.0)):
        k = "L" if side == "Left" else "R"
        shoulder = sh + _apply(R_trunk, np.array([-0.015 * H, s * 0.11 * H, -0.01 * H]))
        flex = np.maximum(g[f"sh_flex_{k}"], -0.05)
        R_sh = R_trunk @ _rot(2, -s * (0.12 + g[f"sh_abd_{k}"])) @ _rot(1, flex)
        elbow_angle = np.clip(g[f"elbow_{k}"], 0.0, 2.5)
        R_el = R_sh @ _rot(1, elbow_angle) @ _rot(2, s * 0.4 * elbow_angle)
        R_hand = R_el @ _rot(1, g[f"wrist_{k}"]) @ _rot(0, s * g[f"twist_{k}"])
        elbow = shoulder + 0.186 * H * _apply(R_sh, down)
        wrist = elbow + 0.146 * H * _apply(R_el, down)
        hand = wrist + 0.035 * H * _apply(R_hand, down)
        out[:, J[f"Shoulder{side}"]] = shoulder
        out[:, J[f"Elbow{side}"]] = elbow
        out[:, J[f"Wrist{side}"]] = wrist
        out[:, J[f"Hand{side}"]] = hand
        out[:, J[f"HandTip{side}"]] = hand + 0.045 * H * _apply(R_hand, down)
        thumb_dir = np.array([-0.55, -s * 0.7, 0.45])
        out[:, J[f"Thumb{side}"]] = wrist + 0.04 * H * _apply(R_hand, thumb_dir)

        hip = root + _apply(R_pelvis, np.array([-0.02 * H, s * 0.055 * H, 0.0]))
        hip_flex = np.maximum(g[f"hip_flex_{k}"], 0.0)
        R_hip = R_pelvis @ _rot(2, -s * (0.03 + g[f"hip_abd_{k}"])) @ _rot(1, hip_flex)
        knee_angle = np.clip(g[f"knee_{k}"], 0.0, 2.0 * hip_flex + 0.1)
        R_knee = R_hip @ _rot(1, -knee_angle)
        R_foot = R_knee @ _rot(1, np.pi / 2 - 0.15 - g[f"ankle_{k}"])
        knee = hip + 0.245 * H * _apply(R_hip, down)
        ankle = knee + 0.246 * H * _apply(R_knee, down)
        out[:, J[f"Hip{side}"]] = hip
        out[:, J[f"Knee{side}"]] = knee
        out[:, J[f"Ankle{side}"]] = ankle
        out[:, J[f"Foot{side}"]] = ankle + 0.085 * H * _apply(R_foot, down)
    return out, {"R_trunk": R_trunk, "R_pelvis": R_pelvis, "R_head": R_head}


@dataclass
class Solids:
    """Renderable solids of one frame, world coordinates.

    ``capsules``: ``(Nc, 7)`` rows ``(ax, ay, az, bx, by, bz, radius)``; ``capsule_mat``:
    ``(Nc,)`` material ids. ``ellipsoids``: centres ``(Ne, 3)``, ``axes`` ``(Ne, 3, 3)`` whose
    rows are the semi-axis vectors; ``ellipsoid_mat`` ``(Ne,)``.
    """

    capsules: np.ndarray
    capsule_mat: np.ndarray
    centres: np.ndarray
    axes: np.ndarray
    ellipsoid_mat: np.ndarray


_LIMB_CAPSULES = (  # (from joint, to joint, radius at 1.75 m, material)
    ("ShoulderLeft", "ShoulderRight", 0.055, MAT_CLOTHES),
    ("SpineShoulder", "Neck", 0.05, MAT_SKIN),
    ("ShoulderLeft", "ElbowLeft", 0.045, MAT_CLOTHES), ("ElbowLeft", "WristLeft", 0.035, MAT_SKIN),
    ("WristLeft", "HandTipLeft", 0.026, MAT_SKIN), ("WristLeft", "ThumbLeft", 0.016, MAT_SKIN),
    ("ShoulderRight", "ElbowRight", 0.045, MAT_CLOTHES),
    ("ElbowRight", "WristRight", 0.035, MAT_SKIN),
    ("WristRight", "HandTipRight", 0.026, MAT_SKIN), ("WristRight", "ThumbRight", 0.016, MAT_SKIN),
    ("HipLeft", "KneeLeft", 0.075, MAT_CLOTHES), ("KneeLeft", "AnkleLeft", 0.052, MAT_CLOTHES),
    ("AnkleLeft", "FootLeft", 0.035, MAT_SKIN),
    ("HipRight", "KneeRight", 0.075, MAT_CLOTHES), ("KneeRight", "AnkleRight", 0.052, MAT_CLOTHES),
    ("AnkleRight", "FootRight", 0.035, MAT_SKIN),
)
_LEG_CAPSULES = (10, 11, 13, 14)  # rows of _LIMB_CAPSULES covered by the blanket


def body_solids(shape: BodyShape, joints: np.ndarray, frames: dict[str, np.ndarray],
                dof: dict[str, np.ndarray], *, blanket: bool) -> list[Solids]:
    """Solids of every frame (list of length T) for joints ``(T, 25, 3)`` (world)."""
    T = joints.shape[0]
    r = shape.rad
    idx = np.array([[J[a], J[b]] for a, b, _, _ in _LIMB_CAPSULES])
    radii = np.array([r(rad) for _, _, rad, _ in _LIMB_CAPSULES])
    mats = np.array([m for _, _, _, m in _LIMB_CAPSULES], np.uint8)
    caps = np.concatenate([joints[:, idx[:, 0]], joints[:, idx[:, 1]],
                           np.broadcast_to(radii[None, :, None], (T, len(radii), 1))], axis=2)
    R_t, R_p, R_h = frames["R_trunk"], frames["R_pelvis"], frames["R_head"]
    breath = np.asarray(dof.get("breath", np.zeros(T)), float)
    head_c = joints[:, J["Head"]]
    jaw = np.clip(np.asarray(dof.get("jaw", np.zeros(T)), float), 0.0, 1.0)
    H = shape.height
    chest_c = (joints[:, J["SpineMid"]] + joints[:, J["SpineShoulder"]]) / 2
    belly_c = (joints[:, J["SpineBase"]] + joints[:, J["SpineMid"]]) / 2
    cen = [head_c,
           head_c + _apply(R_h, np.stack([-(0.045 * H + 0.025 * jaw), np.zeros(T),
                                          np.full(T, 0.02 * H)], 1)),
           chest_c + _apply(R_t, np.stack([np.zeros(T), np.zeros(T), breath], 1)),
           belly_c]
    semi = [np.array([0.105, 0.08, 0.09]) * H / 1.75,
            np.array([0.035, 0.045, 0.03]) * H / 1.75,
            np.array([0.14 * H / 1.75, r(0.16), r(0.1)]),
            np.array([0.13 * H / 1.75, r(0.15), r(0.095)])]
    rots = [R_h, R_h, R_t, R_p]
    emats = [MAT_SKIN, MAT_SKIN, MAT_CLOTHES, MAT_CLOTHES]
    if blanket:
        knees = (joints[:, J["KneeLeft"]] + joints[:, J["KneeRight"]]) / 2
        hips = (joints[:, J["HipLeft"]] + joints[:, J["HipRight"]]) / 2
        cen.append((knees * 0.6 + hips * 0.4) + _apply(R_p, np.array([0.0, 0.0, r(0.05)])))
        semi.append(np.array([0.3 * H, r(0.3), r(0.1)]))
        rots.append(R_p)
        emats.append(MAT_BLANKET)
        cover = caps[:, list(_LEG_CAPSULES)].copy()
        cover[:, :, 6] += 0.05
        caps = np.concatenate([caps, cover], axis=1)
        mats = np.concatenate([mats, np.full(len(_LEG_CAPSULES), MAT_BLANKET, np.uint8)])
    centres = np.stack(cen, 1)  # (T, Ne, 3)
    axes = np.stack([rot.transpose(0, 2, 1) * s[None, :, None] for rot, s in zip(rots, semi,
                                                                                 strict=True)], 1)
    emat = np.array(emats, np.uint8)
    return [Solids(caps[t], mats, centres[t], axes[t], emat) for t in range(T)]
