from __future__ import annotations

import numpy as np
import torch

from ictal.models.i3d_head import I3DHead
from ictal.models.presets import preset
from ictal.models.registry import build_estimator


def test_head_is_a_1x1x1_conv_averaged_over_real_timesteps() -> None:
    torch.manual_seed(0)
    head = I3DHead(6, 3, dropout=0.5).eval()
    assert tuple(head.logits.weight.shape) == (3, 6, 1, 1, 1)
    x = torch.randn(2, 4, 6)
    mask = torch.tensor([[False, True, True, True], [True, True, True, True]])
    out = head(x, mask)
    w = head.logits.weight[:, :, 0, 0, 0]
    expected0 = (x[0, 1:] @ w.T + head.logits.bias).mean(dim=0)
    assert torch.allclose(out[0], expected0, atol=1e-6)
    x2 = x.clone()
    x2[0, 0] = 99.0  # a padded step does not count
    assert torch.allclose(head(x2, mask), out)


def test_seed000_i3d_preset_trains_with_sgd_and_weighted_cross_entropy() -> None:
    cfg = preset("seed000-i3d")
    assert cfg.train.optimizer == "sgd" and cfg.train.momentum == 0.9
    cfg = cfg.model_copy(update={"train": cfg.train.model_copy(update={"epochs": 30,
                                                                         "batch_size": 32})})
    rng = np.random.default_rng(0)
    y = np.asarray(["FLE", "TLE", "TLE"] * 30)
    x = rng.normal(size=(90, 3, 8)).astype(np.float32)
    x[y == "FLE", :, 1] += 2.5
    est = build_estimator(cfg).fit(x, y)
    assert est.loss_ == "cce" and est.module_.logits.out_channels == 2
    assert np.allclose(est.class_weight_, [1.5, 0.75])
    assert (est.predict(x) == y).mean() > 0.9
