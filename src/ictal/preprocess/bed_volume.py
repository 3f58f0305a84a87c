"""Depth cropping to the volume over the bed: an alternative to Algorithm 1 of seed 000.

Algorithm 1 keeps the depths within ``+/- 2 sigma`` of a line through the first frame; its
planes are constant along one image axis, so with a camera tilted 45 degrees down they keep
most of the room (floor, walls, staff in front of the bed) whenever the depth along the
patient's line spreads widely. This crop keeps instead the box of space a lying patient moves
in, found from the same first depth frame:

1. back-project the frame (pinhole intrinsics), fit the floor plane and find the mattress
   (the largest horizontal surface at bed height) with
   :meth:`~ictal.preprocess.depth_geometry.DepthGeometryDetector.find_bed`;
2. the volume is the footprint on the floor of the mattress and the person lying on it, grown
   by ``margin_mm``, from ``floor_gap_mm`` above the floor (under any mattress) to
   ``above_mm`` over the mattress top (a prism on the floor plane);
3. a pixel's ray meets this convex prism on one depth interval ``[lo, hi]``: the crop keeps
   depths inside it. The planes of Algorithm 1 are two such per-pixel bounds too, so both
   crops share :func:`~ictal.preprocess.depth_crop.apply_depth_crop`.

Staff standing beside or in front of the bed are removed above ``above_mm`` over the mattress;
the floor, walls and furniture outside the footprint are removed entirely.

Units: depth in mm; points in mm in the camera frame (``x`` right, ``y`` down, ``z`` forward).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ictal.preprocess.depth_geometry import DepthGeometryDetector, Intrinsics, floor_basis


@dataclass(frozen=True)
class BedVolume:
    """The prism kept by the bed-volume crop, in camera coordinates (mm).

    Attributes:
        floor_normal: ``(3,)`` unit normal of the floor (pointing up); ``floor_offset`` such
            that ``floor_normal . X - floor_offset`` is a point's height above the floor.
        mattress_mm: height of the mattress top above the floor (median over its surface).
        low_mm, high_mm: the heights above the floor kept.
        centre: ``(2,)`` footprint centre in the floor basis of
            :func:`~ictal.preprocess.depth_geometry.floor_basis`.
        axes: ``(2, 2)`` rows: the footprint's length and width directions in that basis.
        half_extent: ``(2,)`` half length and half width kept (mm, margin included).
        intrinsics: ``(fx, fy, cx, cy)`` of the frame the volume was fitted on (pixels).
        width, height: that frame's size.
    """

    floor_normal: tuple[float, float, float]
    floor_offset: float
    mattress_mm: float
    low_mm: float
    high_mm: float
    centre: tuple[float, float]
    axes: tuple[tuple[float, float], tuple[float, float]]
    half_extent: tuple[float, float]
    intrinsics: tuple[float, float, float, float]
    width: int
    height: int

    def half_spaces(self) -> list[tuple[np.ndarray, float, float]]:
        """The prism as ``(g, a, b)`` triples: ``a <= g . X <= b`` for camera points ``X``."""
        n = np.asarray(self.floor_normal, np.float64)
        e1, e2 = floor_basis(n)
        out = [(n, self.floor_offset + self.low_mm, self.floor_offset + self.high_mm)]
        for k in range(2):
            ax = np.asarray(self.axes[k], np.float64)
            g = ax[0] * e1 + ax[1] * e2
            c = float(ax @ np.asarray(self.centre, np.float64))
            out.append((g, c - self.half_extent[k], c + self.half_extent[k]))
        return out

    def ray_slopes(self) -> np.ndarray:
        """``(3, H, W)`` ``float64``: for each half-space ``g`` of :meth:`half_spaces` and each
        pixel, ``g . d`` for the pixel's ray ``d = (u, v, 1)``; a point seen at depth ``z``
        there has ``g . X = z * slope`` (height over the floor, position along the length,
        position across the width)."""
        fx, fy, cx, cy = self.intrinsics
        u = (np.arange(self.width, dtype=np.float64) - cx) / fx
        v = (np.arange(self.height, dtype=np.float64) - cy) / fy
        return np.stack([g[0] * u[None, :] + g[1] * v[:, None] + g[2]
                         for g, _, _ in self.half_spaces()])

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel depth interval ``(lo, hi)`` of the prism, each ``(H, W)`` ``float32`` mm;
        ``lo > hi`` where a pixel's ray misses it (nothing is kept there)."""
        lo = np.zeros((self.height, self.width))
        hi = np.full((self.height, self.width), np.inf)
        for s, (_, a, b) in zip(self.ray_slopes(), self.half_spaces(), strict=True):
            with np.errstate(divide="ignore", invalid="ignore"):
                za, zb = a / s, b / s
            flat = np.abs(s) < 1e-9
            inside_flat = a <= 0.0 <= b  # g . X = 0 for every point of such a ray
            z_lo = np.where(s > 0, za, zb)
            z_hi = np.where(s > 0, zb, za)
            z_lo = np.where(flat, np.where(inside_flat, 0.0, np.inf), z_lo)
            z_hi = np.where(flat, np.where(inside_flat, np.inf, -np.inf), z_hi)
            np.maximum(lo, z_lo, out=lo)
            np.minimum(hi, z_hi, out=hi)
        hi = np.minimum(hi, 65535.0)
        return lo.astype(np.float32), hi.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (the plan stores them)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BedVolume:
        d = dict(data)
        d["floor_normal"] = tuple(d["floor_normal"])
        d["centre"] = tuple(d["centre"])
        d["axes"] = tuple(tuple(a) for a in d["axes"])
        d["half_extent"] = tuple(d["half_extent"])
        d["intrinsics"] = tuple(d["intrinsics"])
        return cls(**d)


def fit_bed_volume(
    depth: np.ndarray, *, intrinsics: Intrinsics | None = None, floor_gap_mm: float = 250.0,
    above_mm: float = 900.0, margin_mm: tuple[float, float] = (150.0, 250.0),
) -> BedVolume | None:
    """Find the volume over the bed on one (denoised) depth frame.

    Args:
        depth: ``(H, W)`` ``uint16`` depth in mm (``0`` = invalid).
        intrinsics: of the depth camera (default: Kinect v2), rescaled to the frame's width.
        floor_gap_mm: lowest height above the floor kept (mm): the floor and what lies on it
            go, the mattress stays even when its height is misjudged (a blanket over the
            patient can pass for it).
        above_mm: highest height over the mattress top kept (mm): a lying patient's raised
            arms stay in.
        margin_mm: growth of the mattress footprint along its length and across its width
            (limbs over the edge, a patient rolling towards the side).

    Returns:
        The volume, or ``None`` when the frame shows no floor or no bed-like surface (then
        crop with Algorithm 1 instead).
    """
    detector = DepthGeometryDetector(intrinsics=intrinsics or Intrinsics(), fallback=None)
    found = detector.find_bed(depth)
    if found is None:
        return None
    floor, mattress, footprint, _ = found
    k = detector.intrinsics.scaled(depth.shape[1])
    return BedVolume(
        floor_normal=tuple(float(x) for x in floor.normal),  # type: ignore[arg-type]
        floor_offset=float(floor.offset), mattress_mm=float(mattress),
        low_mm=float(floor_gap_mm), high_mm=float(mattress + above_mm),
        centre=tuple(float(x) for x in footprint.centre),  # type: ignore[arg-type]
        axes=tuple(tuple(float(x) for x in row) for row in footprint.axes),  # type: ignore[arg-type]
        half_extent=(float(footprint.extent[0] + margin_mm[0]),
                     float(footprint.extent[1] + margin_mm[1])),
        intrinsics=(k.fx, k.fy, k.cx, k.cy), width=int(depth.shape[1]),
        height=int(depth.shape[0]),
    )
