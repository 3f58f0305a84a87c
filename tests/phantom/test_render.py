from __future__ import annotations

import numpy as np

from ictal.phantom.body import Solids
from ictal.phantom.config import SensorConfig
from ictal.phantom.render import Buffers, Rasteriser, depth_frame, ir_frame, valid_area
from ictal.phantom.scene import MAT_SKIN, Camera


def _camera() -> Camera:
    return Camera(100.0, 100.0, 63.5, 47.5, 128, 96, np.eye(3), np.zeros(3))


def _empty(cam: Camera) -> Buffers:
    shape = (cam.height, cam.width)
    return Buffers(np.full(shape, np.inf, np.float32), np.zeros(shape, np.float32),
                   np.zeros(shape, np.uint8))


def test_sphere_and_capsule_depths_and_silhouettes() -> None:
    cam = _camera()
    ras = Rasteriser(cam)
    buf = _empty(cam)
    sphere = Solids(np.zeros((0, 7)), np.zeros(0, np.uint8), np.array([[0.0, 0.0, 2.0]]),
                    (np.eye(3) * 0.5)[None], np.array([MAT_SKIN], np.uint8))
    box = ras.frame(buf, sphere)
    # the nearest point of a sphere of radius 0.5 at 2 m is at depth 1.5 on the optical axis
    assert abs(buf.z[47:49, 63:65].min() - 1.5) < 1e-3
    assert buf.cos[47, 63] > 0.99 and buf.mat[47, 63] == MAT_SKIN
    # silhouette: tangent cone of half-angle asin(0.5/2) -> radius 100 * tan(asin(0.25)) px
    r_px = 100 * np.tan(np.arcsin(0.25))
    assert box is not None
    assert abs((box[2] - box[0]) - 2 * r_px) <= 2 and abs((box[3] - box[1]) - 2 * r_px) <= 2
    # a capsule in front of the sphere wins the z-test; one behind it does not show
    caps = Solids(np.array([[-0.3, 0.0, 1.2, 0.3, 0.0, 1.2, 0.05],
                            [-0.3, 0.3, 3.0, 0.3, 0.3, 3.0, 0.05]]),
                  np.array([7, 9], np.uint8), np.zeros((0, 3)), np.zeros((0, 3, 3)),
                  np.zeros(0, np.uint8))
    ras.frame(buf, caps)
    assert abs(buf.z[47:49, 63].min() - 1.15) < 2e-3 and buf.mat[48, 63] == 7
    assert not (buf.mat == 9).any() or (buf.z[buf.mat == 9] > 2.9).all()
    # cap of the capsule: beyond the segment end the depth follows the end sphere
    u_end = 63.5 + 100 * 0.3 / 1.2
    assert np.isfinite(buf.z[47, int(u_end) + 1])


def test_sensor_models_pepper_range_and_falloff() -> None:
    shape = (96, 128)
    z = np.full(shape, 2.0, np.float32)
    z[:, 64:] = 3.0
    buf = Buffers(z, np.ones(shape, np.float32), np.full(shape, MAT_SKIN, np.uint8))
    sensor = SensorConfig(pepper_fraction=0.02)
    area = valid_area(128, 96)
    assert not area[0, 0] and not area[:, 0].any() and area[48, 64]
    depth = depth_frame(buf, sensor, area, np.random.default_rng(0))
    inside = area.copy()
    inside[:, 63:65] = False  # the depth edge between 2 m and 3 m is invalid (flying pixels)
    zeros = (depth[inside] == 0).mean()
    assert 0.005 < zeros < 0.05  # zero-valued pepper noise
    assert (depth[:, 63:65] == 0).all()
    assert abs(np.median(depth[:, 10:60][depth[:, 10:60] > 0]) - 2000) <= 2
    refl = np.zeros(16, np.float32)
    refl[MAT_SKIN] = 0.6
    ir = ir_frame(buf, refl, 1.0, sensor, np.random.default_rng(0)).astype(float)
    ratio = np.median(ir[:, :60]) / np.median(ir[:, 70:])
    assert abs(ratio - (3.0 / 2.0) ** 2) < 0.1  # 1 / z**2 fall-off
    buf.cos[:] = 0.5
    ir_oblique = ir_frame(buf, refl, 1.0, sensor, np.random.default_rng(0)).astype(float)
    assert np.median(ir_oblique[:, :60]) < 0.6 * np.median(ir[:, :60])
