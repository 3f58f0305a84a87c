"""The appearance TCN of seed 004: causality, receptive field, masking, learning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.models.semiology_data import semiology_table

from ictal.features.streams import StreamSpec
from ictal.models.config import TrainConfig
from ictal.models.tcn import TCN, TCNClassifier, receptive_field

SPEC = StreamSpec("body_app", "appearance", 0, 5, 0, 5)


def _net(causal: bool) -> TCN:
    torch.manual_seed(0)
    return TCN(SPEC, 1, channels=(6, 6, 6), kernel=3, causal=causal, dropout=0.0).eval()


def _block_outputs(net: TCN, x: torch.Tensor) -> torch.Tensor:
    """The last block's feature map ``(N, C, T)``."""
    return net.blocks(x.transpose(1, 2))


def test_causal_convolutions_never_look_ahead() -> None:
    net = _net(causal=True)
    x = torch.randn(2, 40, 5)
    changed = x.clone()
    changed[:, 25:] += 10.0  # change the future from t = 25 on
    with torch.no_grad():
        a, b = _block_outputs(net, x), _block_outputs(net, changed)
    assert torch.allclose(a[..., :25], b[..., :25])
    assert not torch.allclose(a[..., 25:], b[..., 25:])


def test_non_causal_convolutions_see_both_sides_within_the_receptive_field() -> None:
    net = _net(causal=False)
    rf = receptive_field(3, 3)
    assert rf == 29  # 1 + 2 (k - 1) (2^L - 1)
    x = torch.randn(1, 80, 5)
    changed = x.clone()
    changed[:, 40] += 10.0
    with torch.no_grad():
        diff = (_block_outputs(net, x) - _block_outputs(net, changed)).abs().sum(1)[0]
    touched = torch.nonzero(diff > 1e-6).flatten()
    assert touched.min() < 40 < touched.max()  # the past sees it: not causal
    assert touched.max() - touched.min() + 1 <= rf


def test_clip_centring_removes_what_a_clip_holds_throughout_and_only_that() -> None:
    torch.manual_seed(0)
    centred = TCN(SPEC, 1, channels=(6, 6), kernel=3, clip_centre=True, dropout=0.0).eval()
    plain = TCN(SPEC, 1, channels=(6, 6), kernel=3, dropout=0.0).eval()
    plain.load_state_dict(centred.state_dict())  # the same weights
    x = torch.randn(3, 20, 5)
    mask = torch.ones(3, 20, dtype=torch.bool)
    mask[0, 15:] = False  # a shorter clip: its mean is over its real steps
    shifted = x + torch.randn(3, 1, 5) * 3.0  # a per-clip, per-feature constant
    shifted[0, 15:] = 99.0  # and anything under the mask
    with torch.no_grad():
        assert torch.allclose(centred(shifted, mask), centred(x, mask), atol=1e-5)
        assert not torch.allclose(plain(shifted, mask), plain(x, mask), atol=1e-3)
        # what changes within the clip still reaches the output
        moved = x.clone()
        moved[:, :8] += 2.0
        assert not torch.allclose(centred(moved, mask), centred(x, mask), atol=1e-3)


def test_the_seed004_presets_centre_their_appearance_clips() -> None:
    from ictal.models.distill import DistilledAGCNClassifier
    from ictal.models.presets import preset

    for name in ("tcn-body", "tcn-face"):
        cfg = preset(name)
        assert cfg.tcn_clip_centre and TCNClassifier.from_config(cfg).clip_centre
    for name in ("agcn-body-kd", "agcn-face-kd"):  # the distillation teacher too
        est = DistilledAGCNClassifier.from_config(preset(name))
        assert est.teacher_clip_centre and est._teacher().clip_centre


def test_masked_steps_do_not_count() -> None:
    net = _net(causal=False)
    x = torch.randn(1, 20, 5)
    mask = torch.ones(1, 20, dtype=torch.bool)
    mask[:, :5] = False
    other = x.clone()
    other[:, :5] = 99.0  # what lies under the mask
    with torch.no_grad():
        assert torch.allclose(net(x, mask), net(other, mask))


@pytest.mark.slow
def test_classifier_learns_the_face_appearance() -> None:
    table = semiology_table(patients=6, seizures=2, labels=("none", "emotion"), signal=1.0)
    est = TCNClassifier(stream="face_app", channels=(8, 8), loss="bce",
                        train=TrainConfig(epochs=30, batch_size=6, lr=3e-3), seed=0).fit(table)
    assert (est.predict(table) == table.label).mean() >= 0.9
    assert est.mean_.shape == (table.features.shape[2],)  # standardised on the training rows
    assert np.all(np.isfinite(est.predict_proba(table)))
