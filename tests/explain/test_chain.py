"""The differentiable chain gives the estimator's own probabilities."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ictal.errors import ConfigError
from ictal.explain.chain import ClassifierHead, ClipChain


def test_the_chain_gives_the_bundle_probabilities(motion_trained) -> None:
    tr = motion_trained
    feats, mask = tr.extractor(torch.from_numpy(tr.clips), fps=30.0)
    expected = tr.estimator.predict_proba(feats.numpy(), mask.numpy())
    with torch.no_grad():
        got = tr.chain(torch.from_numpy(tr.clips)).double().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # the model learned the task, so maps have something to explain
    assert (expected.argmax(1) == (tr.labels == "NE")).all()


def test_short_clips_are_pre_padded_like_the_extractor(motion_trained) -> None:
    tr = motion_trained
    short = torch.from_numpy(tr.clips[:2, :, :12])
    feats, mask = tr.extractor(short, fps=30.0)
    x, m = tr.chain.features(short)
    assert torch.equal(m, mask) and torch.allclose(x, feats)


def test_fixed_extra_features_are_appended(network_trained) -> None:
    """Variant B+top: the top view's features are held fixed after the crop's."""
    tr = network_trained
    extra = torch.zeros(1, tr.extractor.timesteps, 3)
    chain = ClipChain(tr.extractor.network, tr.head, timesteps=tr.extractor.timesteps, fps=None,
                      extra=extra)
    x, _ = chain.features(torch.from_numpy(tr.clips[:2]))
    assert x.shape[-1] == tr.extractor.features + 3 and (x[..., -3:] == 0).all()


def test_a_seizure_level_model_has_no_pixel_chain() -> None:
    from ictal.models.gestures import SeizureClassifier

    with pytest.raises(ConfigError, match="whole seizures"):
        ClassifierHead(SeizureClassifier())
