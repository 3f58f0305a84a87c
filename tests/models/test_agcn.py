"""The AGCN of seed 004 after 2s-AGCN: parameter count, permutation equivariance, streams."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.models.semiology_data import semiology_table

from ictal.errors import ConfigError
from ictal.models.agcn import (
    AGCN,
    HEAD_INITS,
    PUBLISHED_CHANNELS,
    PUBLISHED_STRIDES,
    AdaptiveGraphConv,
    AGCNClassifier,
    bones,
    count_parameters,
)
from ictal.models.config import TrainConfig
from ictal.models.graph import BODY_GRAPH, FACE_GRAPH
from ictal.models.presets import preset
from ictal.models.streams import fuse_scores


def _published_count(v: int, c: int, persons: int, classes: int) -> int:
    """2s-AGCN's parameters, counted layer by layer from its description (not the code)."""
    total = 2 * persons * v * c  # input batch norm (scale, shift)
    c_in = c
    for i, (c_out, stride) in enumerate(zip(PUBLISHED_CHANNELS, PUBLISHED_STRIDES,
                                            strict=True)):
        inter = c_out // 4
        gcn = 3 * (2 * (c_in * inter + inter) + c_in * c_out + c_out)  # theta, phi, W_k
        gcn += 3 * v * v + 2 * c_out  # B_k, batch norm
        if c_in != c_out:
            gcn += c_in * c_out + c_out + 2 * c_out  # residual 1x1 conv + batch norm
        tcn = 9 * c_out * c_out + c_out + 2 * c_out
        res = 0
        if i > 0 and (c_in != c_out or stride != 1):
            res = c_in * c_out + c_out + 2 * c_out
        total += gcn + tcn + res
        c_in = c_out
    return total + c_in * classes + classes


def test_parameter_count_matches_the_published_configuration() -> None:
    # NTU RGB+D: 25 joints, (x, y, z), 2 persons, 60 classes -> 3.47 M parameters per stream
    ntu = AGCN(np.zeros((3, 25, 25), np.float32), in_channels=3, n_outputs=60, persons=2)
    n = count_parameters(ntu)
    assert n == _published_count(25, 3, 2, 60) == 3_469_510
    assert round(n / 1e6, 2) == 3.47
    # ours: 11 body joints or 23 face landmarks, one patient, one sigmoid unit
    body = AGCN(BODY_GRAPH.adjacency(), in_channels=3, n_outputs=1)
    face = AGCN(FACE_GRAPH.adjacency(), in_channels=3, n_outputs=1)
    assert count_parameters(body) == _published_count(11, 3, 1, 1)
    assert count_parameters(face) == _published_count(23, 3, 1, 1)


def test_a_zero_head_starts_every_clip_at_one_half_and_the_published_head_far_from_it(
) -> None:
    assert HEAD_INITS == ("published", "zero")
    x = torch.randn(16, 3, 12, 11)
    torch.manual_seed(0)
    zero = AGCN(BODY_GRAPH.adjacency(), channels=(8, 64), strides=(1, 1), head_init="zero")
    torch.manual_seed(0)
    published = AGCN(BODY_GRAPH.adjacency(), channels=(8, 64), strides=(1, 1))
    assert torch.count_nonzero(zero.fc.weight) == 0 and torch.count_nonzero(zero.fc.bias) == 0
    # 2s-AGCN's head: standard deviation sqrt(2 / n_outputs), 1.41 for one sigmoid unit
    assert 1.0 < float(published.fc.weight.detach().std()) < 1.8
    # the rest of the network is initialised alike (same seed, same draws before the head)
    same = {k: v for k, v in published.state_dict().items() if not k.startswith("fc.")}
    assert all(torch.equal(v, zero.state_dict()[k]) for k, v in same.items())
    with torch.no_grad():
        assert torch.equal(zero.train()(x), torch.zeros(16, 1))
        assert float(published.train()(x).abs().mean()) > 0.3
    with pytest.raises(ConfigError, match="head initialisation 'normal'"):
        AGCN(BODY_GRAPH.adjacency(), channels=(8,), strides=(1,), head_init="normal")
    # the seed-004 presets start from the zero head, plain and distilled
    for name in ("agcn-body", "agcn-face", "agcn-body-kd", "agcn-face-kd"):
        cfg = preset(name)
        assert cfg.agcn_head_init == "zero"
        est = AGCNClassifier.from_config(cfg)
        assert est.head_init == "zero"


def _perm_state(state: dict[str, torch.Tensor], order: np.ndarray, v: int,
                c: int) -> dict[str, torch.Tensor]:
    """The weights of the same network on nodes relabelled by ``order``."""
    out = {}
    idx = torch.as_tensor(order)
    for key, value in state.items():
        if key.endswith("gcn.B") or key.endswith("gcn.A"):
            value = value[:, idx][:, :, idx]
        elif key.startswith("data_bn.") and value.dim() == 1 and value.numel() == v * c:
            value = value.reshape(v, c)[idx].reshape(-1)
        out[key] = value
    return out


def test_the_network_is_permutation_equivariant_when_the_graph_is_relabelled() -> None:
    torch.manual_seed(0)
    order = np.random.default_rng(1).permutation(11)
    A = BODY_GRAPH.adjacency()
    net = AGCN(A, channels=(8, 8, 16), strides=(1, 2, 1), n_outputs=2).eval()
    with torch.no_grad():  # a learned B_k that is not symmetric, and moved batch norms
        for block in net.blocks:
            block.gcn.B.normal_(0, 0.3)
        net.data_bn.running_mean.normal_()
        net.data_bn.weight.uniform_(0.5, 1.5)
    twin = AGCN(BODY_GRAPH.permuted(order).adjacency(), channels=(8, 8, 16), strides=(1, 2, 1),
                n_outputs=2).eval()
    twin.load_state_dict(_perm_state(net.state_dict(), order, 11, 3))
    x = torch.randn(5, 3, 12, 11)
    xp = x[..., torch.as_tensor(order)]
    with torch.no_grad():
        assert torch.allclose(twin(xp), net(x), atol=1e-5)
        # the fixed graph is what breaks the symmetry: relabelling the input alone changes
        # the answer
        assert not torch.allclose(net(xp), net(x), atol=1e-3)


def test_the_data_dependent_graph_alone_is_equivariant_to_any_permutation() -> None:
    torch.manual_seed(0)
    conv = AdaptiveGraphConv(4, 8, np.zeros((3, 11, 11), np.float32), adaptive=False).eval()
    x = torch.randn(3, 4, 10, 11)
    order = torch.as_tensor(np.random.default_rng(2).permutation(11))
    with torch.no_grad():
        assert torch.allclose(conv(x[..., order]), conv(x)[..., order], atol=1e-5)
        g = conv.graphs(x)
        # C_k is a softmax over the source nodes: every column sums to one
        assert torch.allclose(g.sum(dim=-2), torch.ones(3, 3, 11), atol=1e-5)
    assert not conv.B.requires_grad and torch.count_nonzero(conv.B) == 0


def test_ablations_remove_b_and_c() -> None:
    conv = AdaptiveGraphConv(3, 8, BODY_GRAPH.adjacency(), data_dependent=False)
    assert len(conv.theta) == 0 and len(conv.phi) == 0
    x = torch.randn(2, 3, 6, 11)
    g = conv.graphs(x)
    assert torch.allclose(g[0], conv.A + conv.B)


def test_bones_subtract_the_parent_and_vanish_at_the_root() -> None:
    x = torch.randn(2, 3, 4, 11)
    b = bones(x, BODY_GRAPH.parents)
    assert torch.count_nonzero(b[..., BODY_GRAPH.root]) == 0
    for child, parent in BODY_GRAPH.inward:
        assert torch.equal(b[..., child], x[..., child] - x[..., parent])


def test_scores_are_fused_by_mean_probability() -> None:
    logits = torch.tensor([[[0.0], [2.0]], [[2.0], [-2.0]]])  # (S=2, N=2, 1)
    fused = torch.sigmoid(fuse_scores(logits))[:, 0]
    expected = torch.sigmoid(logits).mean(0)[:, 0]
    assert torch.allclose(fused, expected, atol=1e-6)
    soft = torch.randn(2, 3, 4)
    assert torch.allclose(torch.softmax(fuse_scores(soft), 1), torch.softmax(soft, -1).mean(0),
                          atol=1e-6)


def _small(stream: str = "body", **kw: object) -> AGCNClassifier:
    return AGCNClassifier(stream=stream, channels=(8, 8, 16), strides=(1, 2, 1), loss="bce",
                          train=TrainConfig(epochs=25, batch_size=8, lr=3e-3), seed=0, **kw)


@pytest.mark.slow
@pytest.mark.parametrize(("stream", "head_init"),
                         [("body", "published"), ("face", "published"), ("body", "zero")])
def test_classifier_learns_its_keypoint_stream(stream: str, head_init: str) -> None:
    table = semiology_table(patients=8, seizures=2, labels=("none", "sign"), signal=1.5)
    est = _small(stream, head_init=head_init).fit(table)
    pred = est.predict(table)
    assert (pred == table.label).mean() >= 0.9
    graphs = est.learned_graphs()
    v = 11 if stream == "body" else 23
    assert set(graphs) == {"joint", "bone"} and graphs["joint"].shape == (3, 3, v, v)
    joints, moments = est.attribution(table.subset(np.arange(4)), windows=4)
    assert joints.shape == (4, v) and moments.shape == (4, 4)
    assert np.all(joints >= 0) and np.all(moments >= 0)
    if stream == "body":  # the signal is the left wrist's swing (node 6) on positive rows
        pos = table.subset(np.flatnonzero(table.label == "sign"))
        per_joint = est.attribution(pos)[0].mean(axis=0)
        assert per_joint.argmax() == 6


def test_joint_only_and_wrong_streams() -> None:
    table = semiology_table(patients=4, seizures=1, labels=("none", "sign"))
    est = _small(inputs=("joint",)).fit(table)
    assert list(est.module_.nets) == ["joint"]
    with pytest.raises(ConfigError, match="no keypoints stream 'body_app'"):
        _small("body_app").fit(table)
    no_layout = semiology_table(patients=4, seizures=1)
    no_layout.attrs.pop("streams")
    with pytest.raises(ConfigError, match="has no keypoints stream"):
        _small().fit(no_layout)
