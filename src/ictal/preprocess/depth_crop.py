"""Depth cropping: Algorithm 1 of seed 000 (two planes +/- 2 sigma around the patient's line).

Axes: ``x`` runs along the columns (width ``w``), ``y`` along the rows (height ``h``); pixel
coordinates are 0-based (the paper's are 1-based, which only shifts every fit by one pixel).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from ictal.errors import ShapeError

log = logging.getLogger(__name__)

Axis = Literal["x", "y"]


@dataclass(frozen=True)
class DepthPlanes:
    """The crop volume found by :func:`fit_depth_planes`, with every intermediate value.

    Attributes:
        length_axis: ``"x"`` when the bed's length runs along the image columns (the paper's
            first branch), ``"y"`` when it runs along the rows ("the other orientation").
        quad_max_x, quad_max_y: quadratic coefficients ``a`` of the fits of the column-wise
            (``p_x^max``) and row-wise (``p_y^2max``) maxima; the smaller picks ``length_axis``.
        fits: the four quadratic fits ``(a, b, c)`` keyed ``"max_x"``, ``"min_x"``,
            ``"max_y"``, ``"min_y"`` (``None`` when a profile had fewer than 3 valid points).
        stationary: the two stationary points across the length axis ``(from min, from max)``
            (``None`` when the fit is flat or missing).
        loc_rule: which branch of the fallback chain chose ``loc``: ``"mean"``, ``"min"``,
            ``"max"`` or ``"centre"``.
        loc: row (``length_axis="x"``) or column (``"y"``) of the patient's line.
        slope, intercept: linear fit ``refline(t) = slope * t + intercept`` of the depth (mm)
            along the line, ``t`` the pixel coordinate along the length axis.
        sigma: population standard deviation (mm) of the depth along the line.
        n_sigma: half-width of the volume in sigmas (2 in the paper).
        width, height: frame size the planes were fitted on.
    """

    length_axis: Axis
    quad_max_x: float
    quad_max_y: float
    fits: dict[str, tuple[float, float, float] | None]
    stationary: tuple[float | None, float | None]
    loc_rule: str
    loc: int
    slope: float
    intercept: float
    sigma: float
    n_sigma: float
    width: int
    height: int

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The two crop planes as ``(lo, hi)``, each ``(H, W)`` ``float32`` depth in mm
        (lines 30-32 of Algorithm 1: constant across the length axis' perpendicular)."""
        t = np.arange(self.width if self.length_axis == "x" else self.height, dtype=np.float64)
        line = self.slope * t + self.intercept
        lo = (line - self.n_sigma * self.sigma).astype(np.float32)
        hi = (line + self.n_sigma * self.sigma).astype(np.float32)
        shape = (self.height, self.width)
        if self.length_axis == "x":
            return np.broadcast_to(lo[None, :], shape), np.broadcast_to(hi[None, :], shape)
        return np.broadcast_to(lo[:, None], shape), np.broadcast_to(hi[:, None], shape)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (the plan stores them)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DepthPlanes:
        fits = {k: (None if v is None else tuple(v)) for k, v in data["fits"].items()}
        return cls(**{**data, "fits": fits, "stationary": tuple(data["stationary"])})


def _quadratic_fit(values: np.ndarray) -> tuple[float, float, float] | None:
    """Least-squares ``a t^2 + b t + c`` on the non-zero entries of a 1-D profile."""
    t = np.flatnonzero(values)
    if t.size < 3:
        return None
    a, b, c = np.polyfit(t.astype(np.float64), values[t].astype(np.float64), 2)
    return float(a), float(b), float(c)


def _nonzero_min(frame: np.ndarray, axis: int) -> np.ndarray:
    """Min over ``axis`` ignoring zeros (0 where a whole line is zero)."""
    big = np.iinfo(np.uint32).max
    masked = np.where(frame > 0, frame.astype(np.uint32), big)
    out = masked.min(axis=axis)
    out[out == big] = 0
    return out


def _stationary(fit: tuple[float, float, float] | None) -> float | None:
    """Where the derivative ``2 a t + b`` of a quadratic fit vanishes; ``None`` if flat."""
    if fit is None or fit[0] == 0.0:
        return None
    return -fit[1] / (2.0 * fit[0])


def choose_loc(s_min: float | None, s_max: float | None, extent: int) -> tuple[int, str]:
    """The patient's line from the two stationary points (Algorithm 1, lines 17-25).

    Both inside ``(0, extent)``: ``int`` of their mean; one inside: it; none: ``extent // 2``.
    Returns ``(loc, rule)`` with ``rule`` in ``{"mean", "min", "max", "centre"}``.
    """
    inside_min = s_min is not None and 0 < s_min < extent
    inside_max = s_max is not None and 0 < s_max < extent
    if inside_min and inside_max:
        return int((s_min + s_max) / 2), "mean"  # type: ignore[operator]
    if inside_min:
        return int(s_min), "min"  # type: ignore[arg-type]
    if inside_max:
        return int(s_max), "max"  # type: ignore[arg-type]
    return int(extent / 2), "centre"


def fit_depth_planes(depth: np.ndarray, *, n_sigma: float = 2.0) -> DepthPlanes:
    """Find the crop volume on one (denoised) depth frame (seed 000, Algorithm 1, lines 6-36).

    1. Fit ``a t^2 + b t + c`` to the non-zero column-wise max / min (``p_x^max``,
       ``p_x^min``, functions of ``x``) and row-wise max / min (``p_y^2max``, ``p_y^2min``,
       functions of ``y``).
    2. ``a(p_x^max) <= a(p_y^2max)`` (signed, as line 13 writes it): the bed's length runs
       along ``x``; otherwise along ``y``.
    3. The stationary points of the two fits *across* the length axis give ``loc`` through
       :func:`choose_loc`.
    4. ``refline`` is the depth along the line at ``loc``; ``sigma`` its standard deviation;
       a linear fit of it gives the planes ``refline(t) +/- n_sigma * sigma``.

    Zero (invalid) pixels are left out of every fit and of ``sigma``: they are missing
    measurements, not distances.

    Args:
        depth: ``(H, W)`` ``uint16`` depth in mm (``0`` = invalid), normally the first frame
            after :func:`~ictal.preprocess.denoise.denoise_depth`.
        n_sigma: half-width of the volume in standard deviations.

    Raises:
        ShapeError: ``depth`` is not 2-D or has fewer than 3 valid pixels on the patient's line.
    """
    if depth.ndim != 2:
        raise ShapeError(f"depth frame must be (H, W), got shape {depth.shape}")
    h, w = depth.shape
    fits = {
        "max_x": _quadratic_fit(depth.max(axis=0)),
        "min_x": _quadratic_fit(_nonzero_min(depth, axis=0)),
        "max_y": _quadratic_fit(depth.max(axis=1)),
        "min_y": _quadratic_fit(_nonzero_min(depth, axis=1)),
    }
    if fits["max_x"] is None or fits["max_y"] is None:
        raise ShapeError(
            f"depth frame {w}x{h} has too few valid (non-zero) pixels to fit Algorithm 1",
            hint="check that the depth stream is not empty or all zero on its first frame",
        )
    a_x, a_y = fits["max_x"][0], fits["max_y"][0]
    length_axis: Axis = "x" if a_x <= a_y else "y"
    if length_axis == "x":  # the line is a row: stationary points of the row-wise fits
        stationary = (_stationary(fits["min_y"]), _stationary(fits["max_y"]))
        loc, rule = choose_loc(*stationary, extent=h)
        refline = depth[loc, :]
    else:
        stationary = (_stationary(fits["min_x"]), _stationary(fits["max_x"]))
        loc, rule = choose_loc(*stationary, extent=w)
        refline = depth[:, loc]
    t = np.flatnonzero(refline)
    if t.size < 3:
        raise ShapeError(
            f"the patient's line ({'row' if length_axis == 'x' else 'column'} {loc}) has "
            f"{t.size} valid depth pixels; Algorithm 1 needs at least 3",
            hint="denoise the depth frame first, or crop this recording by detection only",
        )
    values = refline[t].astype(np.float64)
    sigma = float(values.std())
    slope, intercept = np.polyfit(t.astype(np.float64), values, 1)
    planes = DepthPlanes(
        length_axis=length_axis, quad_max_x=a_x, quad_max_y=a_y, fits=fits,
        stationary=stationary, loc_rule=rule, loc=loc, slope=float(slope),
        intercept=float(intercept), sigma=sigma, n_sigma=n_sigma, width=w, height=h,
    )
    log.debug("depth planes: %s", planes)
    return planes


def depth_keep_mask(depth: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``True`` where ``lo <= depth <= hi`` (Algorithm 1, line 38, negated).

    Args:
        depth: ``(H, W)`` or ``(T, H, W)`` ``uint16`` depth in mm.
        lo, hi: ``(H, W)`` ``float32`` planes from :meth:`DepthPlanes.bounds`.
    """
    return (depth >= lo) & (depth <= hi)


def apply_depth_crop(
    depth: np.ndarray, ir: np.ndarray | None, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Set every depth and IR pixel outside the planes to 0 (Algorithm 1, lines 37-42).

    Args:
        depth: ``(H, W)`` or ``(T, H, W)`` ``uint16`` depth in mm (denoised).
        ir: infrared of the same shape (any dtype) or ``None``.
        lo, hi: ``(H, W)`` ``float32`` planes.

    Returns:
        New ``(depth, ir)`` arrays; the inputs are not modified.
    """
    if ir is not None and ir.shape != depth.shape:
        raise ShapeError(f"IR {ir.shape} and depth {depth.shape} frames differ in shape")
    if depth.shape[-2:] != lo.shape:
        raise ShapeError(f"depth frames {depth.shape} do not match the planes {lo.shape}")
    keep = depth_keep_mask(depth, lo, hi)
    out_depth = np.where(keep, depth, 0).astype(depth.dtype, copy=False)
    out_ir = None if ir is None else np.where(keep, ir, 0).astype(ir.dtype, copy=False)
    return out_depth, out_ir
