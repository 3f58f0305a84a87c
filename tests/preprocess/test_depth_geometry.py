"""The depth-geometry detector on small ray-cast rooms: floor, wall, bed, capsule patient."""

from __future__ import annotations

import numpy as np
import pytest

from ictal.preprocess.boxes import box_area, contains, expand_box, mask_box, merge_boxes
from ictal.preprocess.config import DetectionConfig, PreprocessConfig
from ictal.preprocess.depth_geometry import (
    DepthGeometryDetector,
    Intrinsics,
    back_project,
    fit_floor_plane,
)
from ictal.preprocess.detection import BED, PERSON, DepthMaskDetector, detection_crop_box
from ictal.preprocess.detector_factory import make_detector

W, H = 128, 106  # a quarter of Kinect v2's 512 x 424
INTR = Intrinsics().scaled(W)
FLOOR, WALL, BEDBOX, PATIENT, STAFF, BEDTOP = 1, 2, 3, 4, 5, 6
BED_HALF = np.array([1.0, 0.45, 0.3])  # m: bed 2.0 x 0.9, top at 0.6 m
BED_CENTRE = np.array([0.0, 0.0, 0.3])


def camera(height: float = 2.3, tilt_deg: float = 45.0, back: float = 2.0,
           yaw_deg: float = 90.0) -> tuple[np.ndarray, np.ndarray]:
    """World -> camera rotation ``R`` and camera centre ``C`` (m): the camera stands ``back``
    metres from the bed centre (opposite to its viewing direction) looking down ``tilt_deg``."""
    tilt, yaw = np.deg2rad(tilt_deg), np.deg2rad(yaw_deg)
    fwd = np.array([np.cos(tilt) * np.cos(yaw), np.cos(tilt) * np.sin(yaw), -np.sin(tilt)])
    right = np.cross(fwd, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    centre = np.array([-back * np.cos(yaw), -back * np.sin(yaw), height])
    return np.stack([right, down, fwd]), centre


def _box_hit(o: np.ndarray, d: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - o) / d, (hi - o) / d
    tmin = np.nanmax(np.minimum(t1, t2), axis=-1)
    tmax = np.nanmin(np.maximum(t1, t2), axis=-1)
    return np.where((tmax >= tmin) & (tmin > 0), tmin, np.inf)


def _capsule_hit(o: np.ndarray, d: np.ndarray, a: np.ndarray, b: np.ndarray,
                 radius: float) -> np.ndarray:
    """Union of spheres along segment ``a``-``b`` (close enough to a capsule)."""
    best = np.full(d.shape[:-1], np.inf)
    for s in np.linspace(0, 1, 15):
        c = a + s * (b - a)
        oc = o - c
        bq = (d * oc).sum(-1)
        cq = (oc ** 2).sum() - radius ** 2
        aq = (d * d).sum(-1)
        disc = bq ** 2 - aq * cq
        t = (-bq - np.sqrt(np.maximum(disc, 0))) / aq
        best = np.where((disc >= 0) & (t > 0) & (t < best), t, best)
    return best


def render(*, patient: bool = True, staff: bool = False, wall: bool = True,
           **cam: float) -> tuple[np.ndarray, np.ndarray]:
    """``(H, W)`` uint16 depth (mm, 0 beyond 4.5 m) and ``(H, W)`` labels (the bed's top face
    is ``BEDTOP``, its other faces ``BEDBOX``)."""
    R, C = camera(**cam)
    u = (np.arange(W) - INTR.cx) / INTR.fx
    v = (np.arange(H) - INTR.cy) / INTR.fy
    rays_c = np.stack(np.broadcast_arrays(u[None, :], v[:, None], 1.0), -1)  # z = 1
    d = rays_c @ R  # world directions; ray parameter = camera depth
    hits = {FLOOR: np.where(d[..., 2] < 0, -C[2] / np.where(d[..., 2] < 0, d[..., 2], -1),
                            np.inf),
            BEDBOX: _box_hit(C, d, BED_CENTRE - BED_HALF, BED_CENTRE + BED_HALF)}
    if wall:  # behind the bed, facing the camera
        hits[WALL] = np.where(d[..., 1] > 0, (1.4 - C[1]) / np.where(d[..., 1] > 0, d[..., 1],
                                                                     1), np.inf)
    if patient:
        hits[PATIENT] = _capsule_hit(C, d, np.array([-0.75, 0.0, 0.75]),
                                     np.array([0.75, 0.0, 0.75]), 0.15)
    if staff:  # standing on the floor 0.35 m in front of the bed's near edge
        hits[STAFF] = _capsule_hit(C, d, np.array([0.3, -0.95, 0.2]),
                                   np.array([0.3, -0.95, 1.6]), 0.18)
    names = list(hits)
    t = np.stack([hits[k] for k in names])
    labels = np.asarray(names)[t.argmin(0)]
    depth = t.min(0) * 1000
    top_z = C[2] + np.where(np.isfinite(t.min(0)), t.min(0), 0) * d[..., 2]
    labels[(labels == BEDBOX) & (top_z > 0.599)] = BEDTOP
    labels[~np.isfinite(depth) | (depth > 4500)] = 0
    depth = np.where(labels > 0, depth, 0)
    return np.rint(depth).astype(np.uint16), labels


def detect(depth: np.ndarray, **kw: object) -> dict[str, tuple[int, int, int, int]]:
    found = DepthGeometryDetector(**kw).detect(np.zeros((H, W, 3), np.uint8), depth=depth)
    return {name: found.best(name)[0] for name in (BED, PERSON)  # type: ignore[index]
            if found.best(name) is not None}


def test_back_project_and_floor_heights() -> None:
    depth, labels = render()
    pts = back_project(depth, INTR)
    assert pts.shape == (H, W, 3) and pts.dtype == np.float32
    v, u = 60, 70
    z = float(depth[v, u])
    np.testing.assert_allclose(INTR.fx * pts[v, u, 0] / z + INTR.cx, u, atol=1e-3)
    np.testing.assert_allclose(INTR.fy * pts[v, u, 1] / z + INTR.cy, v, atol=1e-3)
    floor = fit_floor_plane(pts[depth > 0], rng=np.random.default_rng(0))
    assert floor is not None
    h = floor.heights(pts)
    assert np.abs(h[labels == FLOOR]).max() < 25  # mm (depth is rounded to 1 mm)
    assert np.abs(h[labels == BEDTOP] - 600).max() < 25  # the mattress top is at 0.6 m
    assert h[labels == WALL].max() > 1000  # the wall rises far above the floor


@pytest.mark.parametrize("cam", [dict(), dict(tilt_deg=52.0, height=2.6, yaw_deg=0.0),
                                 dict(tilt_deg=38.0, height=2.1, yaw_deg=80.0)])
def test_finds_bed_and_patient_and_crops_tightly(cam: dict[str, float]) -> None:
    depth, labels = render(**cam)
    boxes = detect(depth)
    assert set(boxes) == {BED, PERSON}
    bed_truth = mask_box((labels == BEDTOP) | (labels == BEDBOX))
    patient_truth = mask_box(labels == PATIENT)
    assert bed_truth is not None and patient_truth is not None
    # the bed box is the whole visible bed (top, sides) and what lies on it, as COCO
    # detectors box a bed
    assert contains(expand_box(merge_boxes(bed_truth, patient_truth), 0.05), boxes[BED])
    assert box_area(boxes[BED]) > 0.8 * box_area(bed_truth)
    # the person box covers the capsule and stays on the bed
    inter = np.zeros((H, W), bool)
    x0, y0, x1, y1 = boxes[PERSON]
    inter[y0:y1, x0:x1] = True
    assert (inter & (labels == PATIENT)).sum() >= 0.8 * (labels == PATIENT).sum()
    # ... and does not climb the wall behind it
    assert boxes[PERSON][1] >= patient_truth[1] - 2
    found = DepthGeometryDetector().detect(np.zeros((H, W, 3), np.uint8), depth=depth)
    crop = detection_crop_box(found, W, H, margin=0.3).crop_box
    assert crop is not None and contains(crop, patient_truth)
    assert box_area(crop) < 0.75 * W * H  # the wall and most of the floor are cut away


def test_staff_beside_the_bed_is_not_the_patient() -> None:
    depth, labels = render(staff=True)
    boxes = detect(depth)
    staff_rows = np.flatnonzero((labels == STAFF).any(axis=1))
    # the staff member's head is well above the patient; the person box must not reach it
    assert boxes[PERSON][1] > staff_rows[0] + 5
    assert PERSON in boxes and BED in boxes


def test_no_floor_falls_back_to_the_depth_mask() -> None:
    y, x = np.mgrid[0:H, 0:W]
    depth = np.full((H, W), 2500, np.uint16)  # a wall facing the camera, no floor
    depth[(x - 60) ** 2 + (y - 50) ** 2 < 200] = 2300
    image = np.zeros((H, W, 3), np.uint8)
    found = DepthGeometryDetector().detect(image, depth=depth)
    expected = DepthMaskDetector().detect(image, depth=depth)
    np.testing.assert_array_equal(found.boxes, expected.boxes)
    assert found.classes == expected.classes
    assert DepthGeometryDetector(fallback=None).detect(image, depth=depth).classes == ()


def test_is_deterministic_and_is_the_default() -> None:
    depth, _ = render()
    assert detect(depth) == detect(depth)
    assert DetectionConfig().detector == "depth-geometry"
    det = make_detector(PreprocessConfig())
    assert isinstance(det, DepthGeometryDetector) and det.name == "depth-geometry"
    with pytest.raises(Exception, match="needs the depth"):
        det.detect(np.zeros((H, W, 3), np.uint8))
