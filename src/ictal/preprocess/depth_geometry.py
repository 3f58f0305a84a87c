"""Weight-free bed + person detector from the 3-D geometry of one depth frame.

Seed 000 ("Spatial cropping of videos") crops each recording to the Mask R-CNN boxes of the
bed and the patient, expanded by 30 %. Without detector weights, this module finds the same two
objects from depth alone:

1. back-project the depth frame with the pinhole intrinsics (Kinect v2 infrared camera:
   ``fx = fy ~ 365``, ``cx ~ 256``, ``cy ~ 212`` at 512 px wide, scaled with the width);
2. fit the floor plane by RANSAC (a plane whose normal points up in the image and with almost
   no point below it) and measure every pixel's height above it;
3. estimate surface normals from the point cloud; the mattress is the largest horizontal
   surface at mattress height (default 0.3-1.1 m above the floor; pieces split by the body on
   it are grouped) whose extent in metres on the floor plane is that of a bed; the **bed** box
   holds everything over that footprint from just above the floor up to 1.1 m (frame sides,
   headboard, what lies on it), as a COCO detector boxes a bed;
4. the **person** is what rises above the mattress over the bed's footprint (slightly
   enlarged, so limbs hanging over the edge stay in), split from the surroundings at depth
   discontinuities so that walls, furniture and staff standing beside the bed stay out.

Units: depth in millimetres (``uint16``, ``0`` = invalid, as after Algorithm 1), points in
millimetres in the camera frame (``x`` right, ``y`` down, ``z`` forward, OpenCV convention).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from ictal.errors import ShapeError
from ictal.preprocess.boxes import mask_box
from ictal.preprocess.detection import BED, PERSON, DepthMaskDetector, Detections

log = logging.getLogger(__name__)

#: Kinect v2 infrared / depth intrinsics at 512x424 (pixels).
KINECT_V2_FX, KINECT_V2_CX, KINECT_V2_CY, KINECT_V2_WIDTH = 365.0, 256.0, 212.0, 512


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels, given for frames ``width`` pixels wide; use
    :meth:`scaled` for other sizes (the sensor's aspect ratio is kept)."""

    fx: float = KINECT_V2_FX
    fy: float = KINECT_V2_FX
    cx: float = KINECT_V2_CX
    cy: float = KINECT_V2_CY
    width: int = KINECT_V2_WIDTH

    def scaled(self, width: int) -> Intrinsics:
        """The same camera for frames ``width`` pixels wide."""
        s = width / self.width
        return Intrinsics(self.fx * s, self.fy * s, self.cx * s, self.cy * s, width)


@dataclass(frozen=True)
class FloorPlane:
    """The floor in camera coordinates: ``normal . X = offset`` (mm), ``normal`` (3,) unit,
    pointing up (towards the room), so ``normal . X - offset`` is the height above the floor."""

    normal: np.ndarray
    offset: float
    inliers: int

    def heights(self, points: np.ndarray) -> np.ndarray:
        """Height above the floor (mm) of ``(..., 3)`` points, ``(...)`` float32."""
        return (points @ self.normal - self.offset).astype(np.float32)


def back_project(depth: np.ndarray, intrinsics: Intrinsics) -> np.ndarray:
    """``(H, W)`` depth (mm) -> ``(H, W, 3)`` ``float32`` camera points (mm); invalid pixels
    (depth 0) map to the origin. ``intrinsics`` must be given for this frame's width."""
    if depth.ndim != 2:
        raise ShapeError(f"back_project needs one (H, W) depth frame, got {depth.shape}")
    h, w = depth.shape
    z = depth.astype(np.float32)
    u = (np.arange(w, dtype=np.float32) - intrinsics.cx) / intrinsics.fx
    v = (np.arange(h, dtype=np.float32) - intrinsics.cy) / intrinsics.fy
    return np.stack([u[None, :] * z, v[:, None] * z, z], axis=-1)


def fit_floor_plane(
    points: np.ndarray, *, rng: np.random.Generator, iterations: int = 300,
    tolerance_mm: float = 30.0, max_below: float = 0.02, below_mm: float = 100.0,
    min_up: float = 0.5, sample: int = 6000,
) -> FloorPlane | None:
    """RANSAC floor plane of ``(N, 3)`` camera points (mm, valid points only).

    A candidate must face up in the image (normal's ``-y`` component >= ``min_up``, the camera
    looks down at the room) and have at most ``max_below`` of the points more than ``below_mm``
    under it (this rejects the mattress and table tops); the one with most points within
    ``tolerance_mm`` wins and is refined by least squares on its inliers. ``sample`` points are
    drawn (with ``rng``) for speed. ``None`` when no plane qualifies.
    """
    if len(points) < 3:
        return None
    pts = points if len(points) <= sample else points[rng.choice(len(points), sample,
                                                                 replace=False)]
    pts = pts.astype(np.float64)
    best: tuple[int, np.ndarray, float] | None = None
    triples = rng.integers(0, len(pts), size=(iterations, 3))
    for i, j, k in triples:
        a, b, c = pts[i], pts[j], pts[k]
        n = np.cross(b - a, c - a)
        norm = float(np.linalg.norm(n))
        if norm < 1e-6:
            continue
        n /= norm
        if n[1] > 0:  # camera y points down: make the normal point up
            n = -n
        if -n[1] < min_up:
            continue
        dist = pts @ n - float(n @ a)
        if (dist < -below_mm).mean() > max_below:
            continue
        count = int((np.abs(dist) < tolerance_mm).sum())
        if best is None or count > best[0]:
            best = (count, n, float(n @ a))
    if best is None:
        return None
    _, n, off = best
    inl = pts[np.abs(pts @ n - off) < tolerance_mm]
    centre = inl.mean(axis=0)
    _, _, vt = np.linalg.svd(inl - centre, full_matrices=False)
    refined = vt[2] if vt[2] @ n > 0 else -vt[2]
    return FloorPlane(refined, float(refined @ centre), len(inl))


def surface_normals(points: np.ndarray, valid: np.ndarray, smooth: int = 5) -> np.ndarray:
    """Unit normals ``(H, W, 3)`` ``float32`` of the ``(H, W, 3)`` point map, from the cross
    product of its image gradients after a ``smooth``-pixel box filter over valid points;
    invalid pixels get zero normals."""
    w = valid.astype(np.float32)
    wsum = ndi.uniform_filter(w, smooth)
    sm = np.stack([ndi.uniform_filter(points[..., i] * w, smooth) for i in range(3)], -1)
    sm /= np.maximum(wsum, 1e-6)[..., None]
    du = np.gradient(sm, axis=1)
    dv = np.gradient(sm, axis=0)
    n = np.cross(du, dv)
    n /= np.linalg.norm(n, axis=-1, keepdims=True) + 1e-9
    n[~valid] = 0
    return n.astype(np.float32)


def depth_edges(depth: np.ndarray, jump_mm: float) -> np.ndarray:
    """``(H, W)`` bool: pixels with a 4-neighbour whose depth differs by more than
    ``jump_mm + 2 %`` of the depth (object boundaries, where surfaces do not touch in 3-D)."""
    z = depth.astype(np.float32)
    edge = np.zeros(z.shape, bool)
    limit = jump_mm + 0.02 * z
    dy = np.abs(np.diff(z, axis=0)) > np.minimum(limit[1:], limit[:-1])
    dx = np.abs(np.diff(z, axis=1)) > np.minimum(limit[:, 1:], limit[:, :-1])
    edge[1:] |= dy
    edge[:-1] |= dy
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    return edge


def floor_basis(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two orthonormal ``(3,)`` directions spanning the floor of unit ``normal`` (camera
    coordinates; the first is perpendicular to the camera's ``x`` axis)."""
    e1 = np.cross(normal, [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(normal, e1)


def _floor_coordinates(points: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """``(N, 3)`` points -> ``(N, 2)`` coordinates (mm) in the floor plane."""
    e1, e2 = floor_basis(normal)
    return np.stack([points @ e1, points @ e2], axis=-1)


@dataclass(frozen=True)
class Footprint:
    """An oriented rectangle on the floor plane: ``centre`` (2,), unit ``axes`` (2, 2) (rows:
    length, width directions), half ``extent`` (2,) in mm."""

    centre: np.ndarray
    axes: np.ndarray
    extent: np.ndarray

    @classmethod
    def of(cls, xy: np.ndarray, percentile: float = 2.0) -> Footprint:
        """Rectangle of ``(N, 2)`` floor coordinates along their principal axes, robust to
        ``percentile`` % outliers on each side."""
        centre = xy.mean(axis=0)
        _, _, vt = np.linalg.svd(xy - centre, full_matrices=False)
        proj = (xy - centre) @ vt.T
        lo = np.percentile(proj, percentile, axis=0)
        hi = np.percentile(proj, 100 - percentile, axis=0)
        mid = (lo + hi) / 2
        return cls(centre + mid @ vt, vt, (hi - lo) / 2)

    @property
    def size_mm(self) -> tuple[float, float]:
        """(length, width) in mm, length >= width."""
        return float(2 * self.extent[0]), float(2 * self.extent[1])

    def contains(self, xy: np.ndarray, margin: tuple[float, float]) -> np.ndarray:
        """``(N,)`` bool: ``(N, 2)`` points inside the rectangle grown by ``margin`` (mm along
        length, width)."""
        proj = np.abs((xy - self.centre) @ self.axes.T)
        return (proj[:, 0] <= self.extent[0] + margin[0]) & (proj[:, 1] <= self.extent[1]
                                                             + margin[1])


@dataclass
class DepthGeometryDetector:
    """Bed and person boxes from depth geometry (see the module docstring).

    Attributes:
        intrinsics: of the depth camera at ``intrinsics.width`` pixels (rescaled to the frame).
        bed_height_mm: heights (above the floor) searched for the mattress top.
        bed_length_mm, bed_width_mm: plausible extents of the bed's top surface on the floor.
        min_horizontal: ``|normal . up|`` above which a surface counts as horizontal.
        person_rise_mm: how far above the mattress top a point must be to be the person.
        person_max_mm: highest point of a person on the bed (a patient sitting up).
        person_margin_mm: growth of the bed footprint (along length, across width) where
            person points may lie (limbs over the edge; staff beside the bed stay out).
        jump_mm: depth step that separates objects (see :func:`depth_edges`).
        bed_margin_mm, bed_floor_gap_mm: the bed's box holds every point over its footprint
            grown by ``bed_margin_mm`` (length, width) from ``bed_floor_gap_mm`` above the
            floor up to ``bed_height_mm[1]``: the frame's sides and the headboard, as a
            detector trained on COCO "bed" would box it.
        min_inside, min_flat: a person component needs this share of its pixels over the
            (grown) bed footprint, and this share facing up (``|normal . up| >= 0.5``).
        merge_gap_mm, merge_height_mm: mattress pieces closer than this on the floor plane and
            at similar heights are one bed (see :func:`_group_surfaces`).
        seed: RANSAC seed (the detector is deterministic).
        fallback: answers instead when the scene has no floor plane or no elevated horizontal
            surface (e.g. a camera looking straight down); ``None`` = report nothing.
    """

    intrinsics: Intrinsics = Intrinsics()
    bed_height_mm: tuple[float, float] = (300.0, 1100.0)
    bed_length_mm: tuple[float, float] = (1000.0, 2900.0)
    bed_width_mm: tuple[float, float] = (500.0, 1600.0)
    min_horizontal: float = 0.8
    person_rise_mm: float = 60.0
    person_max_mm: float = 1700.0
    person_margin_mm: tuple[float, float] = (150.0, 150.0)
    bed_margin_mm: tuple[float, float] = (150.0, 100.0)
    bed_floor_gap_mm: float = 40.0
    min_inside: float = 0.3
    min_flat: float = 0.2
    merge_gap_mm: float = 150.0
    merge_height_mm: float = 120.0
    jump_mm: float = 50.0
    min_pixels: int = 50
    seed: int = 0
    fallback: DepthMaskDetector | None = field(default_factory=DepthMaskDetector)
    name: str = "depth-geometry"

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections:
        """Bed and person on one frame; ``image`` is unused, ``depth`` is ``(H, W)`` mm.

        Stands in for the Mask R-CNN bed / person detections of seed 000 ("Spatial cropping
        of videos"); :func:`~ictal.preprocess.detection.detection_crop_box` makes the crop.
        """
        if depth is None:
            raise ShapeError("the depth-geometry detector needs the depth frame",
                             hint="for video without depth use `--variant 2d` (detector: pose)")
        if depth.ndim != 2:
            raise ShapeError(f"the depth-geometry detector needs (H, W) depth, got {depth.shape}")
        if (depth > 0).sum() < self.min_pixels:
            return Detections.empty()
        scene = self._scene(depth)
        if scene is None:
            return self._fall_back(image, depth)
        points, valid, height, normals, edges, floor, (bed_mask, footprint, plausible) = scene
        # the bed object as a detector boxes it: mattress top, frame sides, headboard
        body = valid & (height >= self.bed_floor_gap_mm) & (height <= self.bed_height_mm[1])
        body[body] = footprint.contains(_floor_coordinates(points[body], floor.normal),
                                        self.bed_margin_mm)
        body = ndi.binary_opening(body, structure=np.ones((3, 3))) | bed_mask
        boxes, scores, classes = [mask_box(body)], [1.0 if plausible else 0.5], [BED]
        person = self._person(points, valid, height, normals, edges, floor, bed_mask,
                              footprint)
        if person is not None:
            boxes.append(mask_box(person[0]))
            scores.append(person[1])
            classes.append(PERSON)
        return Detections(np.asarray(boxes, np.float32), np.asarray(scores, np.float32),
                          tuple(classes))

    def find_bed(self, depth: np.ndarray) -> tuple[FloorPlane, float, Footprint, np.ndarray] | None:
        """The floor, the mattress top's height above it (mm, median over its surface), the
        footprint on the floor of the mattress and the person on it, and the mattress'
        ``(H, W)`` mask, on one depth frame; ``None`` when there is no floor or no horizontal
        surface at bed height. The person is part of the footprint because the body hides
        part of the mattress (often the whole head end)."""
        if depth.ndim != 2:
            raise ShapeError(f"find_bed needs (H, W) depth, got {depth.shape}")
        if (depth > 0).sum() < self.min_pixels:
            return None
        scene = self._scene(depth)
        if scene is None:
            return None
        points, valid, height, normals, edges, floor, (bed_mask, footprint, _) = scene
        person = self._person(points, valid, height, normals, edges, floor, bed_mask, footprint)
        if person is not None:
            both = bed_mask | person[0]
            footprint = Footprint.of(_floor_coordinates(points[both], floor.normal))
        return floor, float(np.median(height[bed_mask])), footprint, bed_mask

    def _scene(self, depth: np.ndarray) -> tuple[Any, ...] | None:
        """Points, validity, heights, normals, depth edges, floor and bed of one frame."""
        valid = depth > 0
        points = back_project(depth, self.intrinsics.scaled(depth.shape[1]))
        floor = fit_floor_plane(points[valid], rng=np.random.default_rng(self.seed))
        if floor is None:
            log.info("depth-geometry: no floor plane found")
            return None
        height = floor.heights(points)
        normals = surface_normals(points, valid)
        horizontal = np.abs(normals @ floor.normal) >= self.min_horizontal
        edges = depth_edges(depth, self.jump_mm)
        bed = self._bed(points, valid, height, horizontal, edges, floor)
        if bed is None:
            log.info("depth-geometry: no horizontal surface at bed height")
            return None
        return points, valid, height, normals, edges, floor, bed

    def _fall_back(self, image: np.ndarray, depth: np.ndarray) -> Detections:
        if self.fallback is None:
            return Detections.empty()
        return self.fallback.detect(image, depth=depth)

    def _bed(self, points: np.ndarray, valid: np.ndarray, height: np.ndarray,
             horizontal: np.ndarray, edges: np.ndarray, floor: FloorPlane,
             ) -> tuple[np.ndarray, Footprint, bool] | None:
        lo, hi = self.bed_height_mm
        mask = valid & horizontal & ~edges & (height >= lo) & (height <= hi)
        mask = ndi.binary_opening(mask, structure=np.ones((3, 3)))
        labels, n = ndi.label(mask)
        if n == 0:
            return None
        sizes = np.bincount(labels.ravel())[1:]
        comps = [int(i) for i in np.flatnonzero(sizes >= self.min_pixels)]
        if not comps:
            return None
        groups = _group_surfaces(labels, comps, points, height, floor.normal,
                                 gap_mm=self.merge_gap_mm, height_tol_mm=self.merge_height_mm)
        best: tuple[tuple[bool, float], np.ndarray, Footprint] | None = None
        for group in groups:
            member = np.isin(labels, np.asarray(group) + 1)
            fp = Footprint.of(_floor_coordinates(points[member], floor.normal))
            length, width = fp.size_mm
            plausible = (self.bed_length_mm[0] <= length <= self.bed_length_mm[1]
                         and self.bed_width_mm[0] <= width <= self.bed_width_mm[1])
            key = (plausible, length * width)
            if best is None or key > best[0]:
                best = (key, member, fp)
        assert best is not None  # groups is non-empty
        (plausible, _), member, fp = best
        log.debug("depth-geometry: bed %.0f x %.0f mm (plausible: %s)", *fp.size_mm, plausible)
        return member, fp, plausible

    def _person(self, points: np.ndarray, valid: np.ndarray, height: np.ndarray,
                normals: np.ndarray, edges: np.ndarray, floor: FloorPlane,
                bed_mask: np.ndarray, footprint: Footprint) -> tuple[np.ndarray, float] | None:
        top = float(np.percentile(height[bed_mask], 10))
        mask = valid & ~edges & (height >= top + self.person_rise_mm) & (
            height <= self.person_max_mm)
        mask = ndi.binary_opening(mask, structure=np.ones((3, 3)))
        labels, n = ndi.label(mask, structure=np.ones((3, 3)))
        if n == 0:
            return None
        inside = np.zeros(mask.shape, bool)
        inside[mask] = footprint.contains(_floor_coordinates(points[mask], floor.normal),
                                          self.person_margin_mm)
        sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
        n_inside = np.bincount(labels[inside], minlength=n + 1)[1:]
        flat = np.abs(normals @ floor.normal) >= 0.5
        n_flat = np.bincount(labels[flat & mask], minlength=n + 1)[1:]
        # mostly over the bed, and not a vertical slab (headboard, trolley side, wall)
        keep = ((sizes >= self.min_pixels) & (n_inside >= self.min_inside * sizes)
                & (n_flat >= self.min_flat * sizes))
        if not keep.any():
            return None
        person = np.isin(labels, np.flatnonzero(keep) + 1)
        score = float(n_inside[keep].sum() / max(1, inside.sum()))
        return person, min(1.0, score)


def _group_surfaces(labels: np.ndarray, comps: list[int], points: np.ndarray,
                    height: np.ndarray, normal: np.ndarray, *, gap_mm: float,
                    height_tol_mm: float, sample: int = 300) -> list[list[int]]:
    """Group labelled surface components (label ``i + 1`` for ``i`` in ``comps``) that are at
    similar heights (medians within ``height_tol_mm``) and within ``gap_mm`` of each other on
    the floor plane: the pieces of one mattress split by the body lying on it."""
    xy, med = [], []
    for i in comps:
        sel = labels == i + 1
        pts = _floor_coordinates(points[sel], normal)
        step = max(1, len(pts) // sample)
        xy.append(pts[::step])
        med.append(float(np.median(height[sel])))
    parent = list(range(len(comps)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a in range(len(comps)):
        for b in range(a + 1, len(comps)):
            if abs(med[a] - med[b]) > height_tol_mm:
                continue
            d2 = ((xy[a][:, None, :] - xy[b][None, :, :]) ** 2).sum(-1).min()
            if d2 <= gap_mm ** 2:
                parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for k, i in enumerate(comps):
        groups.setdefault(root(k), []).append(i)
    return list(groups.values())
