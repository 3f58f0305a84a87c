"""The bed-volume depth crop: its per-pixel bounds, and what it keeps in phantom rooms."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

from ictal.preprocess.bed_volume import BedVolume, fit_bed_volume
from ictal.preprocess.denoise import denoise_depth
from ictal.preprocess.depth_crop import apply_depth_crop
from ictal.preprocess.depth_geometry import Intrinsics


@functools.cache
def phantom_frame(patient: int) -> tuple[Any, np.ndarray, np.ndarray, BedVolume | None]:
    """First frame of a phantom recording at 256x212: ray-cast buffers (with the material of
    every pixel), raw depth (mm), depth after filling invalid pixels, and the fitted volume."""
    from ictal.phantom import PhantomConfig
    from ictal.phantom.body import body_solids, forward_kinematics
    from ictal.phantom.generate import plan_patient, script_recording
    from ictal.phantom.render import Rasteriser, depth_frame, transform_solids, valid_area

    cfg = PhantomConfig(scale=0.5, n_patients=4)
    plan = script_recording(cfg, plan_patient(cfg, patient), 0)
    p = plan.patient
    joints, frames = forward_kinematics(p.shape, plan.placement, plan.motion.dof)
    body = body_solids(p.shape, joints, frames, plan.motion.dof, blanket=p.blanket)
    ras = Rasteriser(p.scene.camera)
    buf, _ = ras.static(p.scene)
    ras.frame(buf, transform_solids(body[0], p.scene.camera))
    raw = depth_frame(buf, cfg.sensor, valid_area(cfg.width, cfg.height),
                      np.random.default_rng(patient))
    depth = denoise_depth(raw, zeros_only=True)
    return buf, raw, depth, fit_bed_volume(depth, intrinsics=Intrinsics())


def test_bounds_are_exactly_the_depths_inside_the_prism() -> None:
    volume = phantom_frame(0)[3]
    assert volume is not None
    lo, hi = volume.bounds()
    assert lo.shape == hi.shape == (volume.height, volume.width) and lo.dtype == np.float32
    fx, fy, cx, cy = volume.intrinsics
    rng = np.random.default_rng(0)
    n = 20000
    v, u = rng.integers(0, volume.height, n), rng.integers(0, volume.width, n)
    z = rng.uniform(500.0, 5000.0, n)
    points = np.stack([(u - cx) / fx * z, (v - cy) / fy * z, z], axis=1)
    inside = np.ones(n, bool)
    for g, a, b in volume.half_spaces():
        s = points @ g
        inside &= (s >= a) & (s <= b)
    by_bounds = (z >= lo[v, u]) & (z <= hi[v, u])
    assert inside.sum() > 100 and (~inside).sum() > 100  # both cases are exercised
    assert (by_bounds != inside).mean() < 1e-3  # float32 rounding at the faces only


def test_round_trips_through_a_dict() -> None:
    volume = phantom_frame(0)[3]
    assert volume is not None
    again = BedVolume.from_dict(volume.to_dict())
    assert again == volume
    np.testing.assert_array_equal(again.bounds()[0], volume.bounds()[0])


def test_no_floor_means_no_volume() -> None:
    flat = np.full((106, 128), 2000, np.uint16)  # a wall straight ahead: no floor, no bed
    assert fit_bed_volume(flat) is None


@pytest.mark.parametrize("patient", [0, 1, 2, 3])
def test_keeps_the_patient_and_bed_and_removes_the_room(patient: int) -> None:
    from ictal.phantom.scene import (
        MAT_BLANKET,
        MAT_CLOTHES,
        MAT_FLOOR,
        MAT_MATTRESS,
        MAT_SKIN,
        MAT_WALL,
    )

    buf, raw, depth, volume = phantom_frame(patient)
    assert volume is not None
    kept, _ = apply_depth_crop(depth, None, *volume.bounds())
    kept = kept > 0
    measured = raw > 0
    room = np.isin(buf.mat, [MAT_FLOOR, MAT_WALL]) & measured
    person = np.isin(buf.mat, [MAT_SKIN, MAT_CLOTHES, MAT_BLANKET]) & measured
    mattress = (buf.mat == MAT_MATTRESS) & measured
    assert room.sum() > 1000 and person.sum() > 200
    assert kept[room].mean() < 0.02
    assert kept[person].mean() > 0.97
    # the body hides part of the mattress, so its far end can fall outside the footprint
    assert kept[mattress].mean() > 0.9
