"""Which windows drove a decision; which timesteps drove a window; --windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ictal.errors import ConfigError
from ictal.explain.windows import (
    decision_probs,
    parse_windows,
    timestep_attribution,
    window_contributions,
)
from ictal.features.table import FeatureTable


def _table(feats: np.ndarray, mask: np.ndarray) -> FeatureTable:
    n = len(feats)
    s = np.full(n, "", dtype=str)
    return FeatureTable(features=feats, mask=mask, patient=np.full(n, "P"),
                        recording=np.full(n, "R"), event=s, label=s, view=s,
                        start_frame=np.arange(n) * 20, stop_frame=np.arange(1, n + 1) * 20,
                        fps=np.full(n, 30.0), t_start=np.arange(n) * 2 / 3,
                        t_stop=np.arange(1, n + 1) * 2 / 3)


def test_contributions_are_leave_one_window_out(motion_trained) -> None:
    tr = motion_trained
    feats, mask = tr.extractor(torch.from_numpy(tr.clips[:5]), fps=30.0)
    table = _table(feats.numpy(), mask.numpy())
    probs = tr.estimator.predict_proba(table)
    fast = window_contributions(tr.estimator, table, 0, probs)
    full = decision_probs(tr.estimator, table)[0]
    slow = [full - decision_probs(tr.estimator, table.subset(np.delete(np.arange(5), i)))[0]
            for i in range(5)]
    np.testing.assert_allclose(fast, slow, atol=1e-9)
    # the moving clips (0, 2, 4) raised P(FLE), the still ones lowered it
    assert (fast[[0, 2, 4]] > 0).all() and (fast[[1, 3]] < 0).all()
    one = window_contributions(tr.estimator, table.subset(np.array([0])), 0, probs[:1])
    assert one[0] == pytest.approx(probs[0, 0] - 0.5)


def test_timestep_attribution_is_complete(motion_trained) -> None:
    """IG over the features adds up to P(x) - P(training mean), padding gets nothing."""
    tr = motion_trained
    feats, mask = tr.extractor(torch.from_numpy(tr.clips[:1, :, :12]), fps=30.0)
    x, m = feats.numpy()[0], mask.numpy()[0]
    steps = timestep_attribution(tr.head, x, m, 0, steps=64)
    assert (steps[~m] == 0).all() and (~m).any()
    z = tr.head.scaled(torch.from_numpy(x)[None], torch.from_numpy(m)[None])
    base = torch.where(torch.from_numpy(m)[None, :, None], torch.zeros_like(z), z)
    with torch.no_grad():
        gain = float(tr.head.from_scaled(z, torch.from_numpy(m)[None])[0, 0]
                     - tr.head.from_scaled(base, torch.from_numpy(m)[None])[0, 0])
    assert steps.sum() == pytest.approx(gain, abs=0.01 + 0.05 * abs(gain))


def test_parse_windows() -> None:
    assert parse_windows("all", 4) == ("all", None)
    assert parse_windows("TOP:2", 4) == ("top", 2)
    assert parse_windows("0, 2-3", 4) == ("list", [0, 2, 3])
    with pytest.raises(ConfigError, match="window 7 is outside the recording: it has 4"):
        parse_windows("1,7", 4, recording="R1")
    for bad in ("top:0", "top:x", "3-1", "a"):
        with pytest.raises(ConfigError):
            parse_windows(bad, 4)
