"""Skeleton graphs of seed 004's keypoints and their 2s-AGCN adjacency ``A_k``.

A :class:`SkeletonGraph` is a tree over the ``V`` keypoints of a layout (the 11 body joints or
the 23 face landmarks of :mod:`ictal.keypoints.layout`) rooted at a centre keypoint: every
keypoint but the root has one parent, nearer the centre. The tree gives

* the fixed adjacency ``A`` ``(3, V, V)`` of 2s-AGCN's spatial partition (Shi et al.,
  "Two-Stream Adaptive Graph Convolutional Networks for Skeleton-Based Action Recognition",
  CVPR 2019, Eq. 1 and its ``graph/tools.py``): ``A[0]`` the self links (identity),
  ``A[1]`` the *inward* links (towards the centre) and ``A[2]`` the *outward* links, each
  directed matrix normalised by its column sums (``A D^-1`` with ``D_jj = sum_i A_ij``);
  entry ``A[k, v, w]`` is how much node ``w`` takes from node ``v`` (the network computes
  ``y[..., w] = sum_v x[..., v] A[k, v, w]``);
* the bones of the second stream: ``x_v - x_parent(v)``, zero at the root (2s-AGCN §3.4).

Body tree: the neck is the centre, the bones of :data:`ictal.keypoints.layout.BODY_BONES`.
Face tree (ours: seed 004 does not give its face graph): rooted at the nose bridge; each brow
and each eye hangs from the bridge by its inner point, the nose tip, base and wings below it,
the lips from the nose base (upper lip, then the corners and the lower lip from the upper).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ictal.keypoints.layout import BODY_BONES, BODY_JOINTS, FACE_LANDMARKS
from ictal.keypoints.layout import F as FACE_INDEX


@dataclass(frozen=True)
class SkeletonGraph:
    """A rooted tree over ``names``; ``parents[v]`` is ``v``'s parent (``-1`` at the root)."""

    name: str
    names: tuple[str, ...]
    parents: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.parents) != len(self.names):
            raise ValueError(f"{self.name}: {len(self.parents)} parents for "
                             f"{len(self.names)} nodes")
        roots = [v for v, p in enumerate(self.parents) if p < 0]
        if len(roots) != 1:
            raise ValueError(f"{self.name}: a skeleton tree has one root, got {roots}")
        for v in range(len(self.names)):  # every node reaches the root without a cycle
            seen, u = set(), v
            while self.parents[u] >= 0:
                if u in seen:
                    raise ValueError(f"{self.name}: cycle through {self.names[u]!r}")
                seen.add(u)
                u = self.parents[u]

    @property
    def num_nodes(self) -> int:
        return len(self.names)

    @property
    def root(self) -> int:
        return self.parents.index(-1)

    @property
    def inward(self) -> tuple[tuple[int, int], ...]:
        """``(child, parent)`` links pointing to the centre."""
        return tuple((v, p) for v, p in enumerate(self.parents) if p >= 0)

    @property
    def outward(self) -> tuple[tuple[int, int], ...]:
        """``(parent, child)`` links pointing away from the centre."""
        return tuple((p, v) for v, p in self.inward)

    def adjacency(self) -> np.ndarray:
        """2s-AGCN's spatial partition ``A`` ``(3, V, V)`` float32 (module docstring)."""
        v = self.num_nodes
        return np.stack([np.eye(v), normalize_digraph(edge_matrix(self.inward, v)),
                         normalize_digraph(edge_matrix(self.outward, v))]).astype(np.float32)

    def permuted(self, order: np.ndarray) -> SkeletonGraph:
        """The same tree with node ``order[i]`` of this graph as node ``i`` of the new one."""
        order = np.asarray(order, np.int64)
        new_of_old = np.empty_like(order)
        new_of_old[order] = np.arange(len(order))
        parents = tuple(-1 if self.parents[o] < 0 else int(new_of_old[self.parents[o]])
                        for o in order.tolist())
        return SkeletonGraph(self.name, tuple(self.names[o] for o in order.tolist()), parents)


def edge_matrix(links: tuple[tuple[int, int], ...], num_nodes: int) -> np.ndarray:
    """``(V, V)`` float64 with ``A[j, i] = 1`` for every link ``(i, j)`` (2s-AGCN
    ``edge2mat``)."""
    a = np.zeros((num_nodes, num_nodes))
    for i, j in links:
        a[j, i] = 1.0
    return a


def normalize_digraph(a: np.ndarray) -> np.ndarray:
    """``A D^-1``: each column divided by its sum (empty columns stay zero)."""
    col = a.sum(axis=0)
    inv = np.where(col > 0, 1.0 / np.where(col > 0, col, 1.0), 0.0)
    return a * inv[None, :]


def _body_parents() -> tuple[int, ...]:
    parents = [-1] * len(BODY_JOINTS)
    for parent, child in BODY_BONES:
        parents[child] = parent
    return tuple(parents)


_FACE_TREE = {  # child: parent
    "nose_tip": "nose_bridge", "nose_base": "nose_tip", "nose_right": "nose_base",
    "nose_left": "nose_base", "lip_top": "nose_base", "mouth_right": "lip_top",
    "mouth_left": "lip_top", "lip_bottom": "lip_top",
    "right_brow_inner": "nose_bridge", "right_brow_middle": "right_brow_inner",
    "right_brow_outer": "right_brow_middle",
    "left_brow_inner": "nose_bridge", "left_brow_middle": "left_brow_inner",
    "left_brow_outer": "left_brow_middle",
    "right_eye_inner": "nose_bridge", "right_eye_top": "right_eye_inner",
    "right_eye_outer": "right_eye_top", "right_eye_bottom": "right_eye_inner",
    "left_eye_inner": "nose_bridge", "left_eye_top": "left_eye_inner",
    "left_eye_outer": "left_eye_top", "left_eye_bottom": "left_eye_inner",
}


def _face_parents() -> tuple[int, ...]:
    return tuple(FACE_INDEX[_FACE_TREE[n]] if n in _FACE_TREE else -1 for n in FACE_LANDMARKS)


#: Seed 004's 11-joint upper body, centred on the neck.
BODY_GRAPH = SkeletonGraph("body", BODY_JOINTS, _body_parents())
#: Seed 004's 23 facial landmarks, centred on the nose bridge.
FACE_GRAPH = SkeletonGraph("face", FACE_LANDMARKS, _face_parents())
GRAPHS: dict[str, SkeletonGraph] = {"body": BODY_GRAPH, "face": FACE_GRAPH}
