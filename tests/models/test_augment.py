"""Training-time keypoint augmentation of the AGCN streams (ictal.models.augment)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError
from tests.models.semiology_data import semiology_table

from ictal.models.agcn import AGCNClassifier, bones
from ictal.models.augment import augment_clip, spatial_matrix
from ictal.models.config import KeypointAugment, TrainConfig
from ictal.models.graph import BODY_GRAPH
from ictal.models.presets import preset
from ictal.models.registry import build_estimator
from ictal.models.streams import keypoint_clip

STRONG_3D = KeypointAugment(coords="3d", rotate_deg=30, yaw_deg=60, scale=0.2, aniso=0.2,
                            shift=0.3, jitter=0.05, stretch=0.4)


def _clip(n: int = 4, c: int = 3, t: int = 16, v: int = 11, seed: int = 0) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(size=(n, c, t, v))).float()


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_off_by_default_and_all_zero_is_the_identity() -> None:
    for name in ("agcn-body", "agcn-face", "agcn-body-kd", "agcn-face-kd"):
        assert preset(name).agcn_augment is None
    off = KeypointAugment()
    assert not off.active
    x, m = _clip(), torch.ones(4, 16, dtype=torch.bool)
    assert augment_clip(x, m, off, _gen(0)) is x


def test_yaw_needs_depth() -> None:
    with pytest.raises(ValidationError, match="yaw_deg"):
        KeypointAugment(coords="2d", yaw_deg=10)
    with pytest.raises(ValidationError):
        KeypointAugment(mirror=True)  # no left-right mirroring (laterality)


def test_rotations_preserve_bone_lengths_and_the_confidence() -> None:
    x, m = _clip(), torch.ones(4, 16, dtype=torch.bool)
    parents = BODY_GRAPH.parents
    rot3 = KeypointAugment(coords="3d", rotate_deg=90, yaw_deg=90)
    y = augment_clip(x, m, rot3, _gen(1))
    assert not torch.allclose(y, x, atol=1e-3)
    assert torch.allclose(bones(y, parents).norm(dim=1), bones(x, parents).norm(dim=1),
                          atol=1e-5)
    rot2 = KeypointAugment(coords="2d", rotate_deg=90)
    y = augment_clip(x, m, rot2, _gen(1))
    assert torch.allclose(bones(y[:, :2], parents).norm(dim=1),
                          bones(x[:, :2], parents).norm(dim=1), atol=1e-5)
    assert torch.equal(y[:, 2], x[:, 2])  # a 2D clip's confidence is not a coordinate
    mats = spatial_matrix(rot3, 50, _gen(2))
    eye = torch.eye(3, dtype=torch.float64).expand(50, 3, 3)
    assert torch.allclose(mats @ mats.transpose(1, 2), eye, atol=1e-12)
    assert torch.allclose(torch.linalg.det(mats), torch.ones(50, dtype=torch.float64))


def test_scale_shift_and_stretch_stay_in_their_ranges() -> None:
    x, m = _clip(n=64), torch.ones(64, 16, dtype=torch.bool)
    y = augment_clip(x, m, KeypointAugment(coords="3d", scale=0.2), _gen(0))
    ratio = (y.norm(dim=1) / x.norm(dim=1)).flatten(1)
    assert torch.allclose(ratio, ratio[:, :1].expand_as(ratio), atol=1e-4)  # one per clip
    assert ratio.min() >= 0.8 - 1e-4 and ratio.max() <= 1.2 + 1e-4 and ratio.std() > 0.05
    y = augment_clip(x, m, KeypointAugment(coords="2d", shift=0.3), _gen(0))
    d = (y - x)[:, :2]
    assert torch.allclose(d, d[:, :, :1, :1].expand_as(d), atol=1e-5)
    assert d.abs().max() <= 0.3 + 1e-5 and torch.equal(y[:, 2], x[:, 2])
    # time stretch of a ramp: a monotone resampling of a window of the clip
    ramp = torch.arange(16.0).view(1, 1, 16, 1).expand(64, 3, 16, 11).contiguous()
    y = augment_clip(ramp, m, KeypointAugment(coords="3d", stretch=0.5), _gen(0))
    steps = y[:, 0, 1:, 0] - y[:, 0, :-1, 0]
    assert torch.all(steps > 0) and torch.all(steps <= 1 + 1e-5)
    assert y.min() >= 0 and y.max() <= 15 and steps.min() < 0.6


def test_gaps_and_masked_steps_stay_zero() -> None:
    x = _clip()
    x[0, :, 3, 5] = 0.0  # a keypoint missing in one frame
    m = torch.ones(4, 16, dtype=torch.bool)
    m[1, 12:] = False
    x = x * m.view(4, 1, 16, 1)
    y = augment_clip(x, m, STRONG_3D.model_copy(update={"stretch": 0.0}), _gen(0))
    assert torch.all(y[0, :, 3, 5] == 0) and torch.all(y[1, :, 12:] == 0)
    assert torch.all(y[0, :, 4, 5] != 0)


def test_deterministic_under_a_seed() -> None:
    x, m = _clip(), torch.ones(4, 16, dtype=torch.bool)
    a = augment_clip(x, m, STRONG_3D, _gen(7))
    b = augment_clip(x, m, STRONG_3D, _gen(7))
    c = augment_clip(x, m, STRONG_3D, _gen(8))
    assert torch.equal(a, b) and not torch.allclose(a, c)


def _small(augment: KeypointAugment | None, seed: int = 0) -> AGCNClassifier:
    return AGCNClassifier(stream="body", channels=(8, 8), strides=(1, 2), loss="bce",
                          train=TrainConfig(epochs=3, batch_size=8, lr=3e-3), seed=seed,
                          augment=augment)


def test_only_training_batches_are_transformed() -> None:
    table = semiology_table(patients=4, seizures=2, labels=("none", "sign"))
    aug = KeypointAugment(coords="2d", rotate_deg=30, scale=0.2, shift=0.2, jitter=0.05,
                          stretch=0.3)
    plain, augmented = _small(None).fit(table), _small(aug).fit(table)
    # the augmentation changes what the network is trained on: remove it and this fails
    assert any(not torch.equal(a, b) for a, b in zip(plain.module_.state_dict().values(),
                                                     augmented.module_.state_dict().values(),
                                                     strict=True))
    # an all-zero augmentation trains exactly as none
    zero = _small(KeypointAugment()).fit(table)
    assert all(torch.equal(a, b) for a, b in zip(plain.module_.state_dict().values(),
                                                 zero.module_.state_dict().values(),
                                                 strict=True))
    # the same seed trains the same network; another seed draws other transforms
    again = _small(aug).fit(table)
    assert all(torch.equal(a, b) for a, b in zip(augmented.module_.state_dict().values(),
                                                 again.module_.state_dict().values(),
                                                 strict=True))
    # prediction (test and validation run in eval mode) reads the clips as they are and
    # draws nothing from the augmentation's generator
    module = augmented.module_
    state = module.augment_generator.get_state()
    x = torch.from_numpy(table.features)
    mt = torch.from_numpy(table.mask)
    module.eval()
    assert torch.equal(module.clip(x, mt), keypoint_clip(x, mt, module.spec))
    p1, p2 = augmented.predict_proba(table), augmented.predict_proba(table)
    assert np.array_equal(p1, p2)
    assert torch.equal(module.augment_generator.get_state(), state)
    module.train()
    assert not torch.allclose(module.clip(x, mt), keypoint_clip(x, mt, module.spec))
    module.eval()


def test_the_config_reaches_plain_and_distilled_agcn() -> None:
    for name in ("agcn-face", "agcn-face-kd"):
        cfg = preset(name).model_copy(update={"agcn_augment": KeypointAugment(rotate_deg=10)})
        est = build_estimator(cfg, seed=3, threads=1)
        assert est.augment == KeypointAugment(rotate_deg=10)


def test_an_augmentation_for_other_coordinates_than_the_tables_is_refused() -> None:
    from dataclasses import replace

    from ictal.errors import ConfigError

    table = semiology_table(patients=4, seizures=2, labels=("none", "sign"))
    lifted = replace(table, attrs={**table.attrs, "coords": "body-3d"})  # a 3D body stream
    with pytest.raises(ConfigError, match="body stream of this table is 3d"):
        _small(KeypointAugment(coords="2d", rotate_deg=10)).fit(lifted)
    _small(KeypointAugment(coords="3d", rotate_deg=10)).fit(lifted)
    # a table that does not say how it was made is trained as configured
    _small(KeypointAugment(coords="2d", rotate_deg=10)).fit(table)
