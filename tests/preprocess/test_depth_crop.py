import numpy as np
import pytest

from ictal.errors import ShapeError
from ictal.preprocess.depth_crop import (
    DepthPlanes,
    apply_depth_crop,
    choose_loc,
    fit_depth_planes,
)

H, W = 53, 64


def bed_scene(row: float = 20.5) -> np.ndarray:
    """depth = 2000 + 5 x + 3 (y - row)^2: flat along x (the bed's length), curved across.

    The default ``row`` of 20.5 keeps the paper's ``int()`` away from a rounding edge.
    """
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    return np.rint(2000 + 5 * x + 3 * (y - row) ** 2).astype(np.uint16)


def test_known_answer_length_along_x() -> None:
    planes = fit_depth_planes(bed_scene())
    assert planes.length_axis == "x"
    assert planes.loc_rule == "mean" and planes.loc == 20
    assert planes.stationary[0] == pytest.approx(20.5, abs=1e-6)
    assert planes.slope == pytest.approx(5.0, abs=1e-9)
    assert planes.intercept == pytest.approx(2001.0, abs=1e-6)  # rint(2000.75)
    assert planes.sigma == pytest.approx(5 * np.arange(W).std(), rel=1e-9)
    lo, hi = planes.bounds()
    assert lo.shape == (H, W)
    np.testing.assert_allclose(hi[7] - lo[7], 4 * planes.sigma, rtol=1e-5)
    # rows whose depth differs from row 20's by more than 2 sigma (184.7 mm) are cut
    depth, ir = apply_depth_crop(bed_scene(), np.full((H, W), 500, np.uint16), lo, hi)
    kept_rows = np.flatnonzero(depth.any(axis=1))
    assert (kept_rows.min(), kept_rows.max()) == (13, 28)
    np.testing.assert_array_equal(ir > 0, depth > 0)


def test_other_orientation_is_the_transpose() -> None:
    depth = np.ascontiguousarray(bed_scene().T)  # (64, 53): length now along y
    planes = fit_depth_planes(depth)
    assert planes.length_axis == "y" and planes.loc == 20
    assert planes.slope == pytest.approx(5.0, abs=1e-9)
    lo, hi = planes.bounds()
    out, _ = apply_depth_crop(depth, None, lo, hi)
    kept_cols = np.flatnonzero(out.any(axis=0))
    assert (kept_cols.min(), kept_cols.max()) == (13, 28)


def test_line_falls_back_to_the_centre_when_stationary_points_are_outside() -> None:
    planes = fit_depth_planes(bed_scene(row=80.5))
    assert planes.length_axis == "x"
    assert planes.loc_rule == "centre" and planes.loc == H // 2


def test_zero_pixels_are_left_out_of_the_fits() -> None:
    depth = bed_scene()
    depth[:, ::7] = 0  # invalid columns
    depth[20, 30:34] = 0
    planes = fit_depth_planes(depth)
    assert planes.loc == 20
    assert planes.slope == pytest.approx(5.0, abs=1e-9)


@pytest.mark.parametrize(
    ("s_min", "s_max", "loc", "rule"),
    [(10.4, 20.9, 15, "mean"), (10.4, -3.0, 10, "min"), (None, 30.7, 30, "max"),
     (60.0, 53.0, 26, "centre"), (0.0, None, 26, "centre")],
)
def test_fallback_chain(s_min: float | None, s_max: float | None, loc: int, rule: str) -> None:
    assert choose_loc(s_min, s_max, H) == (loc, rule)


def test_orientation_follows_the_signed_rule_of_line_13() -> None:
    # a strongly concave profile along x has a *smaller* (negative) coefficient: x wins
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    depth = np.rint(3000 - 2 * (x - 32) ** 2 + 1 * (y - 25) ** 2).astype(np.uint16)
    planes = fit_depth_planes(depth)
    assert planes.quad_max_x < 0 < planes.quad_max_y
    assert planes.length_axis == "x"


def test_planes_round_trip_through_json_dict() -> None:
    planes = fit_depth_planes(bed_scene())
    again = DepthPlanes.from_dict(planes.to_dict())
    assert again == planes


def test_errors() -> None:
    with pytest.raises(ShapeError):
        fit_depth_planes(np.zeros((H, W), np.uint16))
    with pytest.raises(ShapeError):
        fit_depth_planes(np.zeros((2, H, W), np.uint16))
    planes = fit_depth_planes(bed_scene())
    with pytest.raises(ShapeError):
        apply_depth_crop(bed_scene(), np.zeros((H, W + 1), np.uint16), *planes.bounds())
