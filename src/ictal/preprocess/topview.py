"""The bed seen from above: an orthographic height map of the bed volume, from the depth stream.

A camera's view of a patient depends on where it hangs: from the foot of the bed the body is
foreshortened, from the side it lies across the picture, and the part of the crop the patient
fills changes from room to room. Motion features of such pictures mix the movement with the
viewpoint, which is what a patient-grouped split punishes. The depth stream allows a
view-independent picture: every depth pixel is a 3D point, and the points over the bed can be
drawn in the bed's own frame, seen from straight above.

For each depth frame, every valid pixel inside the bed volume
(:class:`~ictal.preprocess.bed_volume.BedVolume`) is placed by its coordinates along the
footprint's length (rows) and across its width (columns), and the cell keeps the highest point
(its height above the mattress top). The map covers the volume's footprint, margins
included, at ``size x size`` cells (about 2 cm along the bed and 1 cm across for a 2 m x 1 m
footprint at 112 cells); a cell that no ray reaches (behind the body, seen from the camera) is
empty. Values: ``height_mm = (lo, hi)`` maps linearly to ``1 .. 255``, ``0`` is empty, so the
backbone's normalisation turns empty cells into the bottom of its input range (``-1`` for the
``motion`` backbone, which then leaves them out).

Which end of the bed is the head is not known from the geometry alone (nor which side is the
patient's left), so the map's orientation is the footprint's arbitrary one;
:func:`mirror_average` makes features independent of it by averaging them over the bed's four
mirror images.

Units: depth and heights in mm; points in the camera frame (``x`` right, ``y`` down, ``z``
forward).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ictal.preprocess.bed_volume import BedVolume


class TopView:
    """Projects depth frames of one recording to height maps of its bed volume.

    Args:
        volume: the bed volume of the recording's plan (it gives the floor, the mattress
            height, the footprint and the intrinsics of the depth frames).
        size: cells per side of the map.
        height_mm: heights above the mattress top mapped to ``1`` and ``255``.
    """

    def __init__(self, volume: BedVolume, size: int,
                 height_mm: tuple[float, float] = (-200.0, 800.0)) -> None:
        if size < 2:
            raise ValueError(f"a top view needs at least 2 cells per side, got {size}")
        lo, hi = height_mm
        if hi <= lo:
            raise ValueError(f"height_mm must be increasing, got {height_mm}")
        self.size = size
        self.height_mm = (float(lo), float(hi))
        # per pixel g . X = z * slope for the prism's three directions; centre each on the
        # mattress top (height) and on the footprint's centre (length, width)
        spaces = volume.half_spaces()
        self._slope = volume.ray_slopes().astype(np.float32)  # (3, H, W)
        self._offset = np.asarray([volume.floor_offset + volume.mattress_mm]
                                  + [(a + b) / 2 for _, a, b in spaces[1:]], np.float32)
        self._low = np.float32(volume.low_mm - volume.mattress_mm)
        self._high = np.float32(volume.high_mm - volume.mattress_mm)
        self._half = np.asarray([(b - a) / 2 for _, a, b in spaces[1:]], np.float32)

    def project(self, depth: np.ndarray) -> np.ndarray:
        """Height maps of depth frames.

        Args:
            depth: ``(N, H, W)`` (or ``(H, W)``) depth in mm, ``0`` = invalid; ``H, W`` must
                be the size the volume was fitted on.

        Returns:
            ``(N, size, size)`` ``float32`` in ``[0, 255]``: rows along the footprint's
            length, columns across it; ``0`` where no point was seen.
        """
        import torch

        frames = np.asarray(depth)
        single = frames.ndim == 2
        if single:
            frames = frames[None]
        if frames.shape[1:] != self._slope.shape[1:]:
            raise ValueError(f"depth frames are {frames.shape[1:]}, the bed volume was fitted "
                             f"on {self._slope.shape[1:]}")
        s = self.size
        z = torch.from_numpy(frames.astype(np.float32, copy=False))  # (N, H, W)
        slope = torch.from_numpy(self._slope)
        off = torch.from_numpy(self._offset)
        height = z * slope[0] - off[0]
        along = z * slope[1] - off[1]
        across = z * slope[2] - off[2]
        half = torch.from_numpy(self._half)
        keep = ((z > 0) & (height >= float(self._low)) & (height <= float(self._high))
                & (along.abs() < half[0]) & (across.abs() < half[1]))
        row = ((along / half[0] + 1.0) * (s / 2)).long().clamp_(0, s - 1)
        col = ((across / half[1] + 1.0) * (s / 2)).long().clamp_(0, s - 1)
        lo, hi = self.height_mm
        value = ((height - lo) * (254.0 / (hi - lo)) + 1.0).clamp_(1.0, 255.0)
        value = torch.where(keep, value, torch.zeros(()))
        n = z.shape[0]
        maps = torch.zeros(n, s * s).scatter_reduce_(
            1, (row * s + col).reshape(n, -1), value.reshape(n, -1), "amax")
        out = maps.reshape(n, s, s).numpy()
        return out[0] if single else out

    def describe(self) -> dict[str, Any]:
        """What sample provenance records about the map."""
        return {"size": self.size, "height_mm": list(self.height_mm),
                "cell_mm": [2 * float(self._half[0]) / self.size,
                            2 * float(self._half[1]) / self.size]}


def mirror_average(extract: Any, clips: Any) -> tuple[Any, Any]:
    """Features of top-view clips averaged over the bed's four mirror images.

    Args:
        extract: a backbone call ``(N, C, T, H, W) -> (features (N, t, F), mask (N, t))``.
        clips: ``(N, C, T, H, W)`` torch tensor of top-view clips.

    Returns:
        ``(features, mask)`` as ``extract`` gives them, the features averaged over the clip,
        its flips along the bed's length and width, and both; they do not depend on which
        end of the map is the head or which side the camera stands on.
    """
    import torch

    total, mask = None, None
    for dims in ((), (-2,), (-1,), (-2, -1)):
        feats, mask = extract(clips.flip(dims) if dims else clips)
        feats = torch.as_tensor(feats)
        total = feats.clone() if total is None else total + feats
    assert total is not None
    return total / 4.0, mask
