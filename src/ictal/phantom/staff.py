"""Clinical staff: people who walk to the bed, stand between the camera and the patient, leave.

Seed 000: in the pre- and especially the post-ictal periods "there is almost always clinical
staff present, taking care of the patient", and they occlude the bed; during the seizure itself
they are rarer. Each period of a recording gets at most one visit, with the probabilities of
:class:`~ictal.phantom.config.StaffConfig`. A visit walks in along the bed's side (world ``X``)
on the staff side (``Scene.staff_side``, the camera's side in the ``"x"`` layout), stands by the
bed moving the arms a little, and walks out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ictal.phantom.body import Solids
from ictal.phantom.config import StaffConfig
from ictal.phantom.programmes import Timeline
from ictal.phantom.scene import MAT_STAFF, MAT_STAFF_SKIN, Scene


@dataclass(frozen=True)
class Visit:
    """One staff member's visit: ``[start, end)`` seconds, standing spot and body height."""

    start: float
    end: float
    entry_x: float
    stand_x: float
    exit_x: float
    lane_y: float
    height: float
    speed: float


def sample_visits(cfg: StaffConfig, scene: Scene, tl: Timeline, rng: np.random.Generator
                  ) -> list[Visit]:
    """Visits of one recording (pre-ictal, ictal, post-ictal: at most one each)."""
    periods = ((0.0, tl.t0, cfg.p_visit_pre), (tl.t0, tl.t1, cfg.p_visit_ictal),
               (tl.t1, tl.duration, cfg.p_visit_post))
    visits = []
    hl, hw = scene.bed.length / 2, scene.bed.width / 2
    for a, b, p in periods:
        span = b - a
        if rng.random() >= p or span <= 0:
            continue
        length = span * rng.uniform(0.5, 0.95)
        start = a + rng.uniform(0, span - length)
        ends = rng.choice([-1.0, 1.0], size=2) * (hl + 1.5)
        visits.append(Visit(start=start, end=start + length, entry_x=float(ends[0]),
                            stand_x=float(rng.uniform(-0.5, 0.5)), exit_x=float(ends[1]),
                            lane_y=scene.staff_side * (hw + rng.uniform(0.3, 0.55)),
                            height=float(rng.uniform(*cfg.height_m)),
                            speed=float(rng.uniform(*cfg.walk_speed_mps))))
    return visits


def staff_track(visit: Visit, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """Position ``(T, 2)`` on the floor (world XY), heading ``(T,)`` rad, walking flag ``(T,)``
    and presence ``(T,)`` of a visit; walks take at most 40 % of the visit each way."""
    span = visit.end - visit.start
    t_in = min(abs(visit.stand_x - visit.entry_x) / visit.speed, 0.4 * span)
    t_out = min(abs(visit.exit_x - visit.stand_x) / visit.speed, 0.4 * span)
    s = t - visit.start
    x = np.full(len(t), visit.stand_x)
    walking = np.zeros(len(t), bool)
    arriving = s < t_in
    leaving = s > span - t_out
    x[arriving] = visit.entry_x + (visit.stand_x - visit.entry_x) * s[arriving] / t_in
    x[leaving] = visit.stand_x + (visit.exit_x - visit.stand_x) * (
        (s[leaving] - (span - t_out)) / t_out)
    walking |= arriving | leaving
    heading = np.where(arriving, 0.0 if visit.stand_x > visit.entry_x else np.pi, 0.0)
    heading = np.where(leaving, 0.0 if visit.exit_x > visit.stand_x else np.pi, heading)
    facing_bed = -np.pi / 2 if visit.lane_y > 0 else np.pi / 2
    heading = np.where(walking, heading, facing_bed)
    present = (t >= visit.start) & (t < visit.end)
    pos = np.stack([x, np.full(len(t), visit.lane_y)], 1)
    return pos, heading, walking, present


def staff_solids(visit: Visit, pos: np.ndarray, heading: float, walking: bool, time: float
                 ) -> Solids:
    """Capsules and ellipsoids of a standing / walking person at floor point ``pos`` (2,)."""
    H = visit.height
    c, s = np.cos(heading), np.sin(heading)
    fwd, left = np.array([c, s, 0.0]), np.array([-s, c, 0.0])
    base = np.array([pos[0], pos[1], 0.0])
    swing = 0.35 * np.sin(2 * np.pi * 0.9 * time) if walking else 0.0
    reach = 0.0 if walking else 0.5 + 0.15 * np.sin(2 * np.pi * 0.3 * time)
    up = np.array([0.0, 0.0, 1.0])
    hip_z, sh_z = 0.52 * H, 0.81 * H
    caps = []
    for side, sgn in ((1.0, 1.0), (-1.0, -1.0)):
        hip = base + hip_z * up + side * 0.09 * H / 1.75 * left
        a = sgn * swing
        foot = hip + 0.5 * H * (-np.cos(a) * up + np.sin(a) * fwd)
        caps.append([*hip, *foot, 0.065 * H / 1.75])
        sh = base + sh_z * up + side * 0.19 * H / 1.75 * left
        b = -sgn * swing * 0.8 + reach
        hand = sh + 0.42 * H * (-np.cos(b) * up + np.sin(b) * fwd) + 0.05 * side * left
        caps.append([*sh, *hand, 0.045 * H / 1.75])
    head = base + 0.93 * H * up
    caps.append([*(base + 0.84 * H * up), *(head - 0.04 * H * up), 0.05 * H / 1.75])
    centres = np.array([base + 0.68 * H * up, head])
    k = H / 1.75
    torso = np.stack([fwd * 0.11 * k, left * 0.19 * k, up * 0.2 * H])
    skull = np.stack([fwd * 0.1 * k, left * 0.085 * k, up * 0.115 * k])
    mats = np.array([MAT_STAFF, MAT_STAFF, MAT_STAFF, MAT_STAFF, MAT_STAFF_SKIN], np.uint8)
    return Solids(np.array(caps), mats, centres, np.stack([torso, skull]),
                  np.array([MAT_STAFF, MAT_STAFF_SKIN], np.uint8))
