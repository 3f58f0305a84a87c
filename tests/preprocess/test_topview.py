"""The bed seen from above: heights land in the right cells, whatever the camera."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ictal.backbones.motion import motion_features
from ictal.preprocess.bed_volume import BedVolume
from ictal.preprocess.depth_geometry import floor_basis
from ictal.preprocess.topview import TopView, mirror_average

W, H = 512, 424
FX = FY = 365.0
CX, CY = 256.0, 212.0
CAMERA_MM = 2300.0  # camera height above the floor
MATTRESS_MM = 600.0
SIZE = 64


def _volume(tilt_deg: float, yaw: float) -> tuple[BedVolume, np.ndarray]:
    """A bed volume under a camera tilted ``tilt_deg`` down; the footprint's length axis is
    turned by ``yaw`` radians in the floor plane. Returns the volume and the floor normal."""
    th = math.radians(tilt_deg)
    n = np.array([0.0, -math.cos(th), -math.sin(th)])
    hit = np.array([0.0, 0.0, (CAMERA_MM - MATTRESS_MM) / math.sin(th)])  # optical axis
    e1, e2 = floor_basis(n)
    axes = ((math.cos(yaw), math.sin(yaw)), (-math.sin(yaw), math.cos(yaw)))
    volume = BedVolume(
        floor_normal=tuple(n), floor_offset=-CAMERA_MM, mattress_mm=MATTRESS_MM,
        low_mm=250.0, high_mm=MATTRESS_MM + 900.0, centre=(hit @ e1, hit @ e2),
        axes=axes, half_extent=(1100.0, 600.0), intrinsics=(FX, FY, CX, CY), width=W, height=H)
    return volume, n


def _bed_coordinates(volume: BedVolume, points: np.ndarray) -> np.ndarray:
    """``(..., 3)`` camera points (mm) -> ``(..., 3)`` (height over the mattress, along,
    across)."""
    n = np.asarray(volume.floor_normal)
    e1, e2 = floor_basis(n)
    centre = np.asarray(volume.centre)
    out = [points @ n - volume.floor_offset - volume.mattress_mm]
    for a in np.asarray(volume.axes):
        out.append(points @ (a[0] * e1 + a[1] * e2) - a @ centre)
    return np.stack(out, -1)


def _depth(volume: BedVolume, n: np.ndarray, patch: tuple[float, float, float, float, float]
           ) -> np.ndarray:
    """Depth (mm) of the mattress plane with a raised rectangular patch ``(height, along,
    across, half along, half across)`` on it; rays that miss both read 0."""
    u = (np.arange(W) - CX) / FX
    v = (np.arange(H) - CY) / FY
    rays = np.stack(np.broadcast_arrays(u[None, :], v[:, None], np.ones((H, W))), -1)
    s = rays @ n  # n . ray: negative for rays going down

    def plane(height: float) -> np.ndarray:
        with np.errstate(divide="ignore"):
            z = (MATTRESS_MM + height + volume.floor_offset) / s
        return np.where(s < -1e-6, z, 0.0)

    depth = plane(0.0)
    h, a0, b0, ha, hb = patch
    z_top = plane(h)
    top = _bed_coordinates(volume, rays * z_top[..., None])
    on_patch = (z_top > 0) & (np.abs(top[..., 1] - a0) < ha) & (np.abs(top[..., 2] - b0) < hb)
    depth = np.where(on_patch, z_top, depth)
    return np.clip(np.rint(depth), 0, 65535).astype(np.uint16)


def _value(height_mm: float) -> float:
    return (height_mm + 200.0) * 254.0 / 1000.0 + 1.0


@pytest.mark.parametrize(("tilt", "yaw"), [(45.0, 0.0), (60.0, math.pi / 2), (40.0, 0.4)])
def test_heights_land_in_their_cells(tilt: float, yaw: float) -> None:
    volume, n = _volume(tilt, yaw)
    patch = (300.0, 350.0, -150.0, 150.0, 100.0)  # 30 cm high, off centre
    view = TopView(volume, SIZE)
    m = view.project(_depth(volume, n, patch))
    assert m.shape == (SIZE, SIZE) and m.dtype == np.float32

    def cell(along: float, across: float) -> tuple[int, int]:
        return (int((along / 1100.0 + 1) * SIZE / 2), int((across / 600.0 + 1) * SIZE / 2))

    assert m[cell(350.0, -150.0)] == pytest.approx(_value(300.0), abs=0.5)
    for along, across in ((-600.0, 300.0), (0.0, 0.0), (900.0, 200.0)):
        assert m[cell(along, across)] == pytest.approx(_value(0.0), abs=0.5)
    # the patch covers its cells and only them (no smearing along the rays)
    raised = m > _value(150.0)
    rows, cols = np.nonzero(raised)
    lo, hi = cell(350.0 - 150.0, -150.0 - 100.0), cell(350.0 + 150.0, -150.0 + 100.0)
    assert rows.min() >= lo[0] - 1 and rows.max() <= hi[0] + 1
    assert cols.min() >= lo[1] - 1 and cols.max() <= hi[1] + 1
    assert raised.sum() >= 0.6 * (hi[0] - lo[0]) * (hi[1] - lo[1])


def test_invalid_and_out_of_volume_points_are_left_out() -> None:
    volume, n = _volume(50.0, 0.0)
    depth = _depth(volume, n, (300.0, 0.0, 0.0, 150.0, 100.0))
    view = TopView(volume, SIZE)
    full = view.project(depth)
    holed = depth.copy()
    holed[:, : W // 2] = 0  # the left half of the picture is invalid
    part = view.project(holed)
    assert 0 < (part > 0).sum() < (full > 0).sum()
    assert np.all(part[part > 0] == full[part > 0])  # what is seen does not change
    # a staff member 1.5 m over the mattress is above the volume: it draws nothing
    staff = depth.copy()
    staff[100:200, 200:300] = 900
    staffed = view.project(staff)
    assert staffed.max() < _value(900.0)
    assert ((staffed > 0) <= (full > 0)).all()  # only the cells it hides are lost
    assert (staffed > 0).sum() < (full > 0).sum()
    # batches give the maps of their frames
    both = view.project(np.stack([depth, holed]))
    np.testing.assert_array_equal(both[0], full)
    np.testing.assert_array_equal(both[1], part)


def test_frames_of_another_size_are_refused() -> None:
    volume, _ = _volume(45.0, 0.0)
    with pytest.raises(ValueError, match="fitted on"):
        TopView(volume, SIZE).project(np.zeros((10, 20), np.uint16))


def test_mirror_average_does_not_depend_on_the_map_orientation() -> None:
    g = torch.Generator().manual_seed(0)
    clip = torch.rand(2, 3, 20, 32, 32, generator=g) * 2 - 1

    def extract(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return motion_features(x), torch.ones(x.shape[0], 3, dtype=torch.bool)

    ref, mask = mirror_average(extract, clip)
    assert ref.shape == motion_features(clip).shape and mask.all()
    for dims in ((-2,), (-1,), (-2, -1)):
        feats, _ = mirror_average(extract, clip.flip(dims))
        torch.testing.assert_close(feats, ref, rtol=1e-4, atol=1e-5)
    # the plain features do change with the orientation (so the test can fail)
    assert not torch.allclose(motion_features(clip.flip((-2,))), motion_features(clip),
                              atol=1e-3)
