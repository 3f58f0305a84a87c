from __future__ import annotations

import numpy as np

from ictal.phantom import PhantomConfig
from ictal.phantom.body import BONES, JOINT_NAMES, body_solids, forward_kinematics
from ictal.phantom.generate import plan_patient, script_recording
from ictal.phantom.render import Rasteriser, transform_solids


def test_skeleton_is_kinect_v2_and_bones_keep_their_length() -> None:
    assert len(JOINT_NAMES) == 25 and JOINT_NAMES[3] == "Head" and JOINT_NAMES[24] == "ThumbRight"
    cfg = PhantomConfig.tiny(duration_scale=0.3)
    plan = script_recording(cfg, plan_patient(cfg, 0), 0)  # an FLE patient: large movements
    joints, _ = forward_kinematics(plan.patient.shape, plan.placement, plan.motion.dof)
    lengths = np.stack([np.linalg.norm(joints[:, a] - joints[:, b], axis=-1) for a, b in BONES])
    assert (lengths.std(axis=1) < 1e-6).all()
    assert np.linalg.norm(np.diff(joints, axis=0), axis=-1).max() > 0.01  # it does move
    # lying on the mattress along the bed
    bed = plan.patient.scene.bed
    assert np.all(np.abs(joints[..., 0]) < bed.length / 2 + 0.3)
    assert np.all(joints[:, :4, 2] > bed.top)


def _at(arrays: dict[str, np.ndarray], f: int) -> dict[str, np.ndarray]:
    return {k: v[f:f + 1] for k, v in arrays.items()}


def test_full_resolution_silhouette_box_contains_the_joints() -> None:
    cfg = PhantomConfig.demo()
    plan = script_recording(cfg, plan_patient(cfg, 1), 0)
    p = plan.patient
    joints, frames = forward_kinematics(p.shape, plan.placement, plan.motion.dof)
    f = len(joints) // 2
    solids = body_solids(p.shape, joints[f:f + 1], _at(frames, f), _at(plan.motion.dof, f),
                         blanket=p.blanket)[0]
    ras = Rasteriser(p.scene.camera)
    buf, bed_box = ras.static(p.scene)
    box = ras.frame(buf, transform_solids(solids, p.scene.camera))
    uv = p.scene.camera.project_camera(p.scene.camera.to_camera(joints[f]))
    assert box is not None and bed_box is not None
    assert (uv[:, 0] >= box[0] - 1).all() and (uv[:, 0] <= box[2]).all()
    assert (uv[:, 1] >= box[1] - 1).all() and (uv[:, 1] <= box[3]).all()
