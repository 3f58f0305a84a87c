"""The seed-004 HKN cohort of the phantom: counts, signs in the ground truth, crops."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ictal.phantom.body import BodyShape, forward_kinematics, rest_placement
from ictal.phantom.face import FACE_NAMES, face_points
from ictal.phantom.hkn import (
    BODY_LIFTER,
    LifterError,
    expression_offsets,
    lifted_3d,
    plan_cohort,
    render_body_crops,
    render_face_crops,
    simulate_clip,
)


def test_cohort_matches_seed_004() -> None:
    cohort = plan_cohort(0)
    patients = {s.patient.id: s.patient for s in cohort}
    assert len(cohort) == 38 and len(patients) == 19
    assert sum(p.dystonia for p in patients.values()) == 9
    assert sum(p.emotion for p in patients.values()) == 9
    assert sum(p.dystonia and p.emotion for p in patients.values()) == 2
    counts = Counter(s.patient.id for s in cohort)
    assert min(counts.values()) >= 1 and max(counts.values()) <= 6
    assert plan_cohort(0) == cohort and plan_cohort(1) != cohort


def test_signs_show_in_the_ground_truth() -> None:
    cohort = plan_cohort(0)
    with_d = next(s for s in cohort if "dystonia" in s.signs)
    without = next(s for s in cohort if not s.signs)
    emo = next(s for s in cohort if "emotion" in s.signs)
    a = simulate_clip(with_d, duration_s=(8.0, 8.0))
    b = simulate_clip(without, duration_s=(8.0, 8.0))
    c = simulate_clip(emo, duration_s=(8.0, 8.0))
    assert a.body_2d.shape == (80, 11, 2) and a.face_2d.shape == (80, 23, 2)
    assert a.dystonia.any() and not b.dystonia.any()
    assert c.emotion.max() > 0.5 and b.emotion.max() == 0
    side = "right" if with_d.patient.side > 0 else "left"
    assert f"dystonia-{side}" in with_d.signs
    face = render_face_crops(c)
    body = render_body_crops(a)
    assert face.shape == (80, 32, 32) and face.dtype == np.uint8
    assert body.shape == (80, 48, 48) and body.dtype == np.uint8


def test_fear_raises_the_brows_and_opens_the_mouth() -> None:
    rng = np.random.default_rng(0)
    full = expression_offsets("fear", np.ones(5), rng)
    none = expression_offsets(None, np.ones(5), np.random.default_rng(0))
    d = full - none
    i = {n: k for k, n in enumerate(FACE_NAMES)}
    assert np.all(d[:, i["right_brow_middle"], 0] > 0.005)
    assert np.all(d[:, i["lip_bottom"], 0] < -0.01)


def test_face_points_without_offsets_are_unchanged() -> None:
    rng = np.random.default_rng(0)
    shape = BodyShape(1.7, 1.0)
    place = rest_placement(shape, 2.0, 0.6, 1, rng)
    dof = {"head_turn": np.linspace(0, 0.5, 4)}
    joints, frames = forward_kinematics(shape, place, dof)
    a = face_points(shape, joints, frames["R_head"])
    b = face_points(shape, joints, frames["R_head"], offsets=np.zeros((4, 23, 3)))
    assert np.array_equal(a, b)


def test_lifted_3d_back_projects_the_detections_and_errs_most_in_depth() -> None:
    clip = simulate_clip(plan_cohort(0)[0], duration_s=(60.0, 60.0))
    truth = clip.body_3d.astype(np.float64)
    cam = clip.camera
    # no lifter error and exact detections: the truth again (perspective-consistent)
    exact = lifted_3d(truth, clip.body_2d.astype(np.float64), cam, clip.fps,
                      LifterError(0.0, 0.0, 0.0), np.random.default_rng(0))
    assert np.allclose(exact, truth, atol=1e-4)
    # a 10 px detection error moves the joint by 10 px at its depth, in the image plane
    shifted = clip.body_2d.astype(np.float64) + np.array([10.0, 0.0])
    moved = lifted_3d(truth, shifted, cam, clip.fps, LifterError(0.0, 0.0, 0.0),
                      np.random.default_rng(0))
    assert np.allclose(moved[..., 0] - truth[..., 0], 10.0 * truth[..., 2] / cam.fx, atol=1e-4)
    assert np.allclose(moved[..., 1:], truth[..., 1:], atol=1e-4)
    # the default body lifter: per-joint errors of centimetres, largest along the depth axis
    detected = clip.body_2d.astype(np.float64)
    detected[5] = np.nan  # a missed frame stays missing
    lifted = lifted_3d(truth, detected, cam, clip.fps, BODY_LIFTER, np.random.default_rng(1))
    assert np.isnan(lifted[5]).all() and np.isfinite(np.delete(lifted, 5, axis=0)).all()
    rel = lifted - lifted[:, 1:2] - (truth - truth[:, 1:2])  # neck-relative, as a lifter's
    err = np.nanstd(rel.reshape(-1, 3), axis=0)
    assert 0.02 < err[0] < 0.06 and 0.02 < err[1] < 0.06
    assert err[2] > 1.8 * max(err[0], err[1])
    mpjpe = np.nanmean(np.linalg.norm(rel, axis=-1))
    assert 0.05 < mpjpe < 0.12
    # smooth in time: neighbouring frames' errors are correlated
    e = (lifted - truth)[:, 6, 2]
    e = e[np.isfinite(e)]
    assert np.corrcoef(e[:-1], e[1:])[0, 1] > 0.5
