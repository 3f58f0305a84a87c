"""Saliency maps point where the model looks; the motion-energy baseline is plain arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ictal.errors import ConfigError
from ictal.explain.attribute import attribute, motion_energy, occlusion_blocks, tied_peak


def _region_mass(values: np.ndarray, rows: slice, cols: slice) -> float:
    spatial = values.sum(0)
    return float(spatial[rows, cols].sum() / max(spatial.sum(), 1e-12))


def test_occlusion_finds_the_moving_block(motion_trained) -> None:
    """Holding the swinging block still lowers P(FLE); holding still parts still changes
    nothing: the map's mass lies on the block's path (the top-left quarter), not on the still
    block or the background - separable (the default) and block by block."""
    tr = motion_trained
    clip = tr.clips[0]  # moving, FLE
    wmap = attribute(tr.chain, clip, 0, method="occlusion")
    assert wmap.values.shape == clip.shape[1:] and wmap.values.dtype == np.float32
    assert (wmap.values >= 0).all() and wmap.prob > 0.5
    assert _region_mass(wmap.values, slice(0, 16), slice(0, 16)) > 0.8
    _, y, x = wmap.peak()
    assert y < 16 and x < 16
    assert wmap.signed_total > 0 and wmap.seconds > 0
    assert wmap.frame_mass().sum() == pytest.approx(1.0)
    blocks = attribute(tr.chain, clip, 0, method="occlusion", block=(10, 16))
    assert _region_mass(blocks.values, slice(0, 16), slice(0, 16)) > 0.9
    # freezing the moving quarter for half the window removes most of the evidence
    assert blocks.signed_total > 0.5


def test_a_still_clip_has_nothing_to_point_at(motion_trained) -> None:
    """Explaining P(FLE) of a still clip: no block's freezing lowers it much."""
    tr = motion_trained
    moving = attribute(tr.chain, tr.clips[0], 0, method="occlusion", block=(10, 16))
    still = attribute(tr.chain, tr.clips[1], 0, method="occlusion", block=(10, 16))
    assert still.values.sum() < 0.1 * moving.values.sum()


def test_occlusion_of_grey_video_equals_occlusion_of_its_channels(motion_trained) -> None:
    """Grey video is occluded on one channel and repeated: the same map as three channels
    occluded together (made different by a tiny offset in one channel)."""
    tr = motion_trained
    clip = tr.clips[0].copy()
    grey = attribute(tr.chain, clip, 0, method="occlusion", block=(10, 16))
    clip[1] += 1e-7  # no longer grey: every channel is occluded
    colour = attribute(tr.chain, clip, 0, method="occlusion", block=(10, 16))
    np.testing.assert_allclose(grey.values, colour.values, rtol=1e-3, atol=1e-6)


def test_gradient_methods_need_gradients(motion_trained) -> None:
    for method in ("gradcam", "ig"):
        with pytest.raises(ConfigError, match=r"needs gradients"):
            attribute(motion_trained.chain, motion_trained.clips[0], 0, method=method)
    with pytest.raises(ConfigError, match="unknown attribution method"):
        attribute(motion_trained.chain, motion_trained.clips[0], 0, method="lime")  # type: ignore[arg-type]


def test_integrated_gradients_are_complete(network_trained) -> None:
    """IG's attributions add up to f(clip) - f(baseline) (the still clip): the sum of the
    signed map is the probability gained over the still clip."""
    tr = network_trained
    clip = tr.clips[0]
    wmap = attribute(tr.chain, clip, 0, method="ig", steps=32)
    still = torch.from_numpy(clip).mean(1, keepdim=True).expand_as(torch.from_numpy(clip))
    with torch.no_grad():
        gain = float(tr.chain(torch.from_numpy(clip)[None])[0, 0] - tr.chain(still[None])[0, 0])
    assert wmap.signed_total == pytest.approx(gain, abs=0.02 + 0.05 * abs(gain))
    assert wmap.values.shape == clip.shape[1:]


def test_gradcam_is_upsampled_to_the_clip(network_trained) -> None:
    tr = network_trained
    wmap = attribute(tr.chain, tr.clips[0], 0, method="gradcam")
    assert wmap.values.shape == tr.clips[0].shape[1:] and np.isfinite(wmap.values).all()
    with pytest.raises(ConfigError, match="no layer"):
        attribute(tr.chain, tr.clips[0], 0, method="gradcam", layer="Mixed_9z")


def test_motion_energy_is_frame_differencing() -> None:
    clip = np.zeros((3, 4, 2, 2), np.float32)
    clip[:, 1, 0, 0] = 1.0  # one pixel flashes in frame 1
    wmap = motion_energy(clip)
    np.testing.assert_allclose(wmap.values[:, 0, 0], [1.0, 1.0, 0.5, 0.0])
    assert wmap.values[:, 1:, :].sum() == 0 and wmap.method == "motion-energy"


def test_blocks_and_tied_peaks() -> None:
    assert occlusion_blocks(60, 112) == (15, 16) and occlusion_blocks(60, 224) == (15, 32)
    values = np.zeros((1, 8, 8))
    values[0, 2:6, 4:8] = 1.0  # a block: its centre, not its corner
    assert tied_peak(values) == (0, 4, 6)
