"""The patient among the people of a frame: the one in the bed, the same from frame to frame.

Staff walk between the camera and the bed; a keypoint tool reports them too. Each frame's
candidates ``(P, K, 3)`` ``(x px, y px, confidence)`` are scored by where they are, not by how
sure the tool is: a candidate whose keypoints' median lies in the bed box is preferred, then the
one closest to the patient of the previous frame (identity continuity, within
``max_jump`` of the frame's diagonal per frame), then the most confident. A candidate outside
the bed and far from the last patient is nobody we follow: the frame is a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def centre(points: np.ndarray) -> np.ndarray | None:
    """Median ``(2,)`` of a candidate's seen keypoints ``(K, 3)``; ``None`` when none is."""
    seen = (points[:, 2] > 0) & np.isfinite(points[:, :2]).all(1)
    return None if not seen.any() else np.median(points[seen, :2], axis=0)


def inside(point: np.ndarray, box: Sequence[float]) -> bool:
    x0, y0, x1, y1 = box
    return bool(x0 <= point[0] < x1 and y0 <= point[1] < y1)


@dataclass
class PatientTracker:
    """Picks the patient among each frame's candidates (see the module docstring).

    Args:
        width, height: frame size (px).
        bed: ``(x0, y0, x1, y1)`` px of the bed (or the patient's crop), ``None`` when unknown.
        max_jump: largest move of the patient's centre between consecutive frames, as a
            fraction of the frame's diagonal (larger jumps after a gap scale with its length).
    """

    width: int
    height: int
    bed: Sequence[float] | None = None
    max_jump: float = 0.08
    _last: np.ndarray | None = field(default=None, init=False)
    _since: int = field(default=0, init=False)

    def __call__(self, candidates: Sequence[np.ndarray]) -> int | None:
        """Index of the patient among ``candidates`` (each ``(K, 3)``), ``None`` for nobody."""
        self._since += 1
        diag = float(np.hypot(self.width, self.height))
        best: tuple[tuple[float, float, float], int] | None = None
        for i, cand in enumerate(candidates):
            c = centre(np.asarray(cand))
            if c is None:
                continue
            in_bed = self.bed is not None and inside(c, self.bed)
            near = None
            if self._last is not None:
                d = float(np.linalg.norm(c - self._last))
                if d <= self.max_jump * diag * self._since:
                    near = d
            if not in_bed and near is None and (self.bed is not None or self._last is not None):
                continue  # outside the bed and not the patient we follow: staff, a visitor
            conf = float(np.asarray(cand)[:, 2].mean())
            rank = (0.0 if in_bed else 1.0, near if near is not None else diag, -conf)
            if best is None or rank < best[0]:
                best = (rank, i)
        if best is None:
            return None
        self._last = centre(np.asarray(candidates[best[1]]))
        self._since = 0
        return best[1]
