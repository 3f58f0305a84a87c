"""The skeleton graphs of seed 004's keypoints and 2s-AGCN's adjacency."""

from __future__ import annotations

import numpy as np
import pytest

from ictal.keypoints.layout import BODY_BONES, BODY_JOINTS, FACE_LANDMARKS
from ictal.models.graph import (
    BODY_GRAPH,
    FACE_GRAPH,
    SkeletonGraph,
    edge_matrix,
    normalize_digraph,
)


def test_body_graph_is_the_layouts_skeleton_centred_on_the_neck() -> None:
    assert BODY_GRAPH.names == BODY_JOINTS and BODY_GRAPH.num_nodes == 11
    assert BODY_GRAPH.names[BODY_GRAPH.root] == "neck"
    assert {(p, c) for c, p in BODY_GRAPH.inward} == set(BODY_BONES)
    assert len(BODY_GRAPH.inward) == 10  # a tree: V - 1 links


def test_face_graph_is_a_tree_over_the_23_landmarks() -> None:
    assert FACE_GRAPH.names == FACE_LANDMARKS and FACE_GRAPH.num_nodes == 23
    assert FACE_GRAPH.names[FACE_GRAPH.root] == "nose_bridge"
    assert len(FACE_GRAPH.inward) == 22
    name = dict(enumerate(FACE_LANDMARKS))
    links = {(name[c], name[p]) for c, p in FACE_GRAPH.inward}
    assert ("lip_bottom", "lip_top") in links  # the mouth's opening is a bone
    assert ("right_brow_inner", "nose_bridge") in links


@pytest.mark.parametrize("graph", [BODY_GRAPH, FACE_GRAPH], ids=["body", "face"])
def test_adjacency_is_2s_agcns_spatial_partition(graph: SkeletonGraph) -> None:
    A = graph.adjacency()
    v = graph.num_nodes
    assert A.shape == (3, v, v) and A.dtype == np.float32
    assert np.array_equal(A[0], np.eye(v))
    inward = (A[1] > 0).astype(int)
    outward = (A[2] > 0).astype(int)
    assert np.array_equal(inward, outward.T)  # the same links in the other direction
    for child, parent in graph.inward:  # node `child` takes from its parent (A[j, i], link i->j)
        assert A[1, parent, child] > 0 and A[2, child, parent] > 0
    assert inward.sum() == v - 1 and outward.sum() == v - 1
    # columns normalised: each non-empty column sums to one (A D^-1)
    for k in (1, 2):
        col = A[k].sum(axis=0)
        assert np.allclose(col[col > 0], 1.0)
    # inward (2s-AGCN's convention, y[w] = sum_v x[v] A[v, w]): each child takes its one
    # parent whole; outward: each parent takes the mean of its n children
    assert np.allclose(A[1][A[1] > 0], 1.0)
    for child, parent in graph.inward:
        n_children = sum(1 for _, p in graph.inward if p == parent)
        assert A[2, child, parent] == pytest.approx(1.0 / n_children)
    if graph is BODY_GRAPH:  # the neck has head, shoulders and spine base
        neck = graph.root
        kids = [c for c, p in graph.inward if p == neck]
        assert len(kids) == 4 and np.allclose(A[2][kids, neck], 0.25)


def test_normalize_digraph_divides_columns_and_leaves_empty_ones() -> None:
    a = edge_matrix(((0, 1), (2, 1)), 3)  # node 1 reached from 0 and 2
    assert np.array_equal(a, [[0, 0, 0], [1, 0, 1], [0, 0, 0]])
    n = normalize_digraph(a)
    assert np.allclose(n, [[0, 0, 0], [1, 0, 1], [0, 0, 0]])  # each column had one entry
    b = edge_matrix(((0, 1), (0, 2)), 3)  # column 0 has two entries: halves
    assert np.allclose(normalize_digraph(b), [[0, 0, 0], [0.5, 0, 0], [0.5, 0, 0]])


def test_permuted_graph_relabels_nodes() -> None:
    order = np.random.default_rng(0).permutation(11)
    p = BODY_GRAPH.permuted(order)
    A, Ap = BODY_GRAPH.adjacency(), p.adjacency()
    assert np.array_equal(Ap, A[:, order][:, :, order])
    assert p.names[p.root] == "neck"


def test_bad_trees_are_refused() -> None:
    with pytest.raises(ValueError, match="one root"):
        SkeletonGraph("x", ("a", "b"), (-1, -1))
    with pytest.raises(ValueError, match="cycle"):
        SkeletonGraph("x", ("a", "b", "c"), (-1, 2, 1))
