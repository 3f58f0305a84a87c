from __future__ import annotations

import numpy as np

from ictal.phantom import PhantomConfig
from ictal.phantom.generate import plan_patient
from ictal.phantom.scene import sample_scene


def test_camera_is_tilted_down_about_45_degrees_and_sees_the_bed() -> None:
    cfg = PhantomConfig()
    for k in range(12):
        scene = sample_scene(cfg, np.random.default_rng([1, k]))
        cam = scene.camera
        forward_world = cam.R[2]  # camera z axis in world coordinates
        tilt = np.degrees(np.arcsin(-forward_world[2]))
        assert 35 <= tilt <= 55
        centre = cam.to_camera(np.array([0.0, 0.0, scene.bed.top]))
        assert centre[2] > 1.0
        u, v = cam.project_camera(centre)
        assert 0 < u < cam.width and 0 < v < cam.height
        assert (cam.width, cam.height) == (512, 424) and 355 < cam.fx < 375
        assert abs(cam.cx - 256) < 3 and abs(cam.cy - 212) < 3


def test_bed_length_axis_runs_along_either_image_axis() -> None:
    cfg = PhantomConfig()
    seen = set()
    for k in range(12):
        scene = plan_patient(cfg, k).scene
        cam = scene.camera
        hl = scene.bed.length / 2
        ends = cam.project_camera(cam.to_camera(np.array([[-hl, 0, scene.bed.top],
                                                          [hl, 0, scene.bed.top]])))
        du, dv = np.abs(ends[1] - ends[0])
        assert (du > dv) == (scene.layout == "x")
        seen.add(scene.layout)
    assert seen == {"x", "y"}  # the bed's orientation varies across patients


def test_bed_plane_normal_points_to_the_camera() -> None:
    scene = plan_patient(PhantomConfig(), 0).scene
    plane = scene.bed_plane_camera()
    assert plane[3] > 0  # the camera centre (origin) is above the mattress
    np.testing.assert_allclose(np.linalg.norm(plane[:3]), 1.0)
