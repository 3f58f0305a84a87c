from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ictal.models.base import left_align, padding_mask
from ictal.models.config import TrainConfig
from ictal.models.lstm import LSTMClassifier, LSTMNet


def _net(n_out: int = 1, rd: float = 0.3, units=(12, 6), fc=(8, 4), **coef: float) -> LSTMNet:
    kw = {"l2_kernel": 1e-3, "l2_recurrent": 1e-3, "l2_activity": 1e-3, "l2_bias": 1e-3}
    kw.update(coef)
    torch.manual_seed(0)
    return LSTMNet(5, n_out, lstm_units=units, fc_units=fc, dropout=0.5,
                   recurrent_dropout=rd, **kw)


def _data(n: int = 6, t: int = 4, f: int = 5, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, t, f, generator=g)
    mask = torch.ones(n, t, dtype=torch.bool)
    mask[0, :2] = False
    mask[1, :1] = False
    x[~mask] = -1.0
    return x, mask


@pytest.mark.parametrize("force_cell", [False, True])
def test_masked_timesteps_do_not_influence_the_output(force_cell: bool) -> None:
    net = _net().eval()
    for layer in (net.lstm1, net.lstm2):
        layer.force_cell = force_cell
    x, mask = _data()
    out = net(x, mask)
    x2 = x.clone()
    x2[~mask] = torch.randn(int((~mask).sum()), 5) * 50  # garbage in the padded slots
    assert torch.allclose(net(x2, mask), out, atol=1e-6)
    # the same real steps without padding at all give the same output
    short = net(x[0:1, 2:], mask[0:1, 2:])
    assert torch.allclose(short, out[0:1], atol=1e-5)
    # but changing a real step does change it
    x3 = x.clone()
    x3[0, 3] += 1.0
    assert not torch.allclose(net(x3, mask)[0], out[0])


def test_own_cell_and_fused_lstm_agree_with_the_same_weights() -> None:
    net = _net().eval()
    x, mask = _data()
    fused = net(x, mask)
    for layer in (net.lstm1, net.lstm2):
        layer.force_cell = True
    assert torch.allclose(net(x, mask), fused, atol=1e-5)


def test_recurrent_dropout_is_active_only_in_training() -> None:
    net = _net(rd=0.5)
    net.drop.p = 0.0
    x, mask = _data()
    net.train()
    torch.manual_seed(1)
    a = net.lstm1(*left_align(x, mask))[1]
    torch.manual_seed(2)
    b = net.lstm1(*left_align(x, mask))[1]
    assert not torch.allclose(a, b)
    net.eval()
    assert torch.allclose(net.lstm1(*left_align(x, mask))[1], net.lstm1(*left_align(x, mask))[1])


def test_architecture_matches_the_seeds() -> None:
    net = _net(n_out=3, units=(128, 64), fc=(64, 32))
    assert net.lstm1.lstm.hidden_size == 128 and net.lstm2.lstm.hidden_size == 64
    assert (net.fc1.out_features, net.fc2.out_features, net.out.out_features) == (64, 32, 3)
    bound = math.sqrt(6 / 64)  # He uniform on FC 64 -> ...
    assert net.fc1.weight.abs().max() <= bound
    assert net.fc1.weight.abs().max() > 0.8 * bound
    hs = 128
    assert torch.all(net.lstm1.lstm.bias_ih_l0[hs:2 * hs] == 1.0)  # Keras unit forget bias
    ext = LSTMClassifier(lstm_units=(128, 128), fc_units=(128, 64))._build_module(5, 1)
    assert ext.lstm2.lstm.hidden_size == 128 and ext.fc1.out_features == 128


def test_penalty_covers_kernels_recurrent_bias_and_activity() -> None:
    x, mask = _data()
    zero = _net(l2_kernel=0, l2_recurrent=0, l2_activity=0, l2_bias=0)
    zero(x, mask)
    assert float(zero.penalty().detach()) == 0.0
    for name in ("l2_kernel", "l2_recurrent", "l2_activity", "l2_bias"):
        coef = {"l2_kernel": 0.0, "l2_recurrent": 0.0, "l2_activity": 0.0, "l2_bias": 0.0}
        coef[name] = 1.0
        net = _net(**coef)
        with torch.no_grad():
            net.fc1.bias.fill_(0.1)
        net(x, mask)
        assert float(net.penalty().detach()) > 0, name


def test_padding_mask_finds_all_minus_one_steps() -> None:
    x = np.zeros((2, 3, 4), np.float32)
    x[0, 0] = -1
    x[1, 1, :2] = -1  # only partly -1: a real step
    assert padding_mask(x).tolist() == [[False, True, True], [True, True, True]]


def _separable(n: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.asarray(["FLE", "TLE"])[np.arange(n) % 2]
    x = rng.normal(size=(n, 4, 6)).astype(np.float32)
    x[y == "TLE", :, 0] += 3.0
    x[::5, 0] = -1.0
    return x, y


def test_fit_learns_is_seeded_and_round_trips() -> None:
    x, y = _separable()
    cfg = TrainConfig(epochs=25, batch_size=32)
    kw = {"lstm_units": (16, 8), "fc_units": (8, 8), "train": cfg, "seed": 3}
    a = LSTMClassifier(**kw)
    assert a.fit(x, y) is a
    assert (a.predict(x) == y).mean() > 0.9
    p = a.predict_proba(x)
    assert p.shape == (80, 2) and np.allclose(p.sum(axis=1), 1)
    b = LSTMClassifier(**kw).fit(x, y)
    assert np.allclose(b.predict_proba(x), p, atol=1e-6)
    c = LSTMClassifier(**kw).load_state(a.state())
    assert np.allclose(c.predict_proba(x), p, atol=1e-6)


def test_three_classes_use_softmax_and_cross_entropy() -> None:
    rng = np.random.default_rng(1)
    y = np.asarray(["A", "B", "C"])[np.arange(90) % 3]
    x = rng.normal(size=(90, 3, 4)).astype(np.float32)
    for i, c in enumerate("ABC"):
        x[y == c, :, i] += 3
    est = LSTMClassifier(lstm_units=(8, 8), fc_units=(8, 8),
                         train=TrainConfig(epochs=50, batch_size=30)).fit(x, y)
    assert est.loss_ == "cce" and est.module_.out.out_features == 3
    assert (est.predict(x) == y).mean() > 0.8


def test_validation_selects_the_best_epoch() -> None:
    x, y = _separable()
    est = LSTMClassifier(lstm_units=(8, 4), fc_units=(4, 4),
                         train=TrainConfig(epochs=8, batch_size=40, select_on="f1"))
    est.fit(x[:60], y[:60], validation=(x[60:], y[60:], None))
    h = est.history_
    assert h.best_epoch == int(np.argmax(h.val_f1))
    assert len(h.val_f1) == 8


def test_estimator_parameters_follow_scikit_learn() -> None:
    from sklearn.base import clone

    est = LSTMClassifier(lstm_units=(8, 4), dropout=0.1, device="cpu", seed=7)
    params = clone(est).get_params()
    assert params["lstm_units"] == (8, 4) and params["dropout"] == 0.1 and params["seed"] == 7
    assert not hasattr(est, "module_")  # nothing learned before fit


def test_standardize_learns_training_statistics_and_ignores_padding() -> None:
    x, y = _separable()
    mask = padding_mask(x)
    # features of wildly different scales and offsets, as the motion backbone gives
    scale = np.asarray([1e-3, 1.0, 50.0, 1e-2, 3.0, 1e3], np.float32)
    offset = np.asarray([0.0, 2.0, -40.0, 5.0, 0.0, 1e3], np.float32)
    scaled = np.where(mask[..., None], x * scale + offset, -1.0).astype(np.float32)
    kw = {"lstm_units": (16, 8), "fc_units": (8, 8), "seed": 3,
          "train": TrainConfig(epochs=25, batch_size=32)}
    est = LSTMClassifier(standardize=True, **kw).fit(scaled, y, mask=mask)
    real = scaled[mask].astype(np.float64)
    np.testing.assert_allclose(est.mean_, real.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(est.scale_, real.std(axis=0), rtol=1e-4)
    # an affine change of units does not change what a standardising model learns
    plain = LSTMClassifier(standardize=True, **kw).fit(x, y, mask=mask)
    np.testing.assert_allclose(est.predict_proba(scaled, mask), plain.predict_proba(x, mask),
                               atol=1e-4)
    again = LSTMClassifier(standardize=True, **kw).load_state(est.state())
    np.testing.assert_allclose(again.predict_proba(scaled, mask),
                               est.predict_proba(scaled, mask), atol=1e-6)
    assert (est.predict(scaled, mask) == y).mean() > 0.9
