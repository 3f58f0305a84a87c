"""The seed-004 HKN cohort of the phantom: counts, signs in the ground truth, crops."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ictal.phantom.body import BodyShape, forward_kinematics, rest_placement
from ictal.phantom.face import FACE_NAMES, face_points
from ictal.phantom.hkn import (
    expression_offsets,
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
