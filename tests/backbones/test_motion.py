"""The weight-free motion backbone tells rest, slow automatisms and fast large movements apart."""

from __future__ import annotations

import math

import pytest
import torch

from ictal.backbones import default_registry
from ictal.backbones.motion import FEATURES, feature_names, motion_features, motion_timesteps

NAMES = feature_names()


def blob_clip(freq_hz: float, amplitude_px: float, *, frames: int = 60, size: int = 112,
              fps: float = 30.0, seed: int = 0) -> torch.Tensor:
    """``(1, 3, T, S, S)`` in [-1, 1]: a bright blob oscillating sideways, plus sensor noise."""
    g = torch.Generator().manual_seed(seed)
    axis = torch.arange(size, dtype=torch.float32)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    t = torch.arange(frames) / fps
    cx = size / 2 + amplitude_px * torch.sin(2 * math.pi * freq_hz * t + 0.3)
    clip = torch.exp(-((xx - cx[:, None, None]) ** 2 + (yy - size / 2) ** 2) / (2 * 10.0**2))
    clip = clip * 1.6 - 0.8 + 0.01 * torch.randn(frames, size, size, generator=g)
    return clip[None, None].repeat(1, 3, 1, 1, 1)


def _summary(clip: torch.Tensor) -> dict[str, float]:
    features = motion_features(clip)[0].mean(0)
    return dict(zip(NAMES, features.tolist(), strict=True))


def test_layout_matches_the_registry() -> None:
    spec = default_registry().get("motion")
    assert len(NAMES) == FEATURES == spec.features
    assert motion_timesteps(spec.input.frames) == spec.timesteps == 8
    assert [motion_timesteps(t) for t in (2, 9, 10, 17, 30, 59, 60)] == [1, 1, 2, 3, 4, 8, 8]
    out = motion_features(torch.zeros(2, 3, 10, 32, 48))
    assert out.shape == (2, 2, FEATURES) and out.dtype == torch.float32


def test_rate_and_amplitude_are_separated() -> None:
    rest = _summary(blob_clip(0.0, 0.0))
    tle = _summary(blob_clip(1.0, 6.0))  # automatisms: ~1 Hz, moderate amplitude
    fle = _summary(blob_clip(3.0, 15.0))  # hyperkinetic: faster and larger
    for key in ("energy_mean", "speed_mean", "moving_gt_0.05"):
        assert rest[key] < tle[key] < fle[key], key
    assert rest["moving_gt_0.05"] < 1e-3  # sensor noise alone moves (almost) no pixel
    # dominant frequency: cycles / frame x 4, i.e. Hz x 4 / 30 at 30 fps
    assert tle["flow_dominant_freq"] == pytest.approx(4 / 30, abs=0.04)
    assert fle["flow_dominant_freq"] == pytest.approx(12 / 30, abs=0.04)
    assert tle["flow_band_0.5_1.0"] + tle["flow_band_1.0_1.5"] > 0.5
    assert fle["flow_band_2.0_3.0"] + fle["flow_band_3.0_4.0"] > 0.5


def test_direction_follows_the_movement() -> None:
    frames = 12
    axis = torch.arange(64, dtype=torch.float32)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    cx = 20 + torch.arange(frames, dtype=torch.float32)  # 1 px / frame to the right
    clip = torch.exp(-((xx - cx[:, None, None]) ** 2 + (yy - 32) ** 2) / (2 * 6.0**2)) * 2 - 1
    s = _summary(clip[None, None].repeat(1, 3, 1, 1, 1))
    assert s["flow_x"] > 10 * abs(s["flow_y"]) > 0
    # +x is the middle of the histogram's [-pi, pi) range: bins 3 / 4 hold most weight
    assert s["direction_3"] + s["direction_4"] > 0.8


def test_short_samples_and_batches_are_consistent() -> None:
    clip = blob_clip(1.5, 8.0, frames=20, size=64)
    one = motion_features(clip)
    both = motion_features(torch.cat([clip, blob_clip(0.0, 0.0, frames=20, size=64)]))
    assert one.shape == (1, motion_timesteps(20), FEATURES)
    torch.testing.assert_close(both[:1], one)


def test_energies_are_per_visible_pixel() -> None:
    """The same movement framed with a border of zeroed pixels (-1: depth-cropped or padding)
    gives the same energy figures: they do not depend on how much of the crop the bed fills."""
    clip = blob_clip(1.0, 6.0, size=64)
    framed = torch.full((1, 3, 60, 128, 128), -1.0)
    framed[..., 32:96, 32:96] = clip
    near, far = _summary(clip), _summary(framed)
    for key in ("energy_mean", "moving_gt_0.05", "moving_gt_0.1"):
        assert far[key] == pytest.approx(near[key], rel=0.05), key
    raw_share = (framed[0, 0, 1:] - framed[0, 0, :-1]).abs().mean() / (
        clip[0, 0, 1:] - clip[0, 0, :-1]).abs().mean()
    assert raw_share < 0.3  # without the normalisation the framed clip would look still


def _spectral(clip: torch.Tensor, fps: float | None) -> dict[str, float]:
    features = motion_features(clip, fps)[0, 0]  # the spectrum is on every timestep
    return dict(zip(NAMES, features.tolist(), strict=True))


@pytest.mark.parametrize("freq_hz", [0.8, 1.7, 3.5])
def test_the_rhythm_is_in_hz_at_any_frame_rate(freq_hz: float) -> None:
    """The same oscillation filmed for 2 s at 25 and at 30 fps (50 and 60 frames) gives the
    same dominant band and dominant frequency: bands are in Hz, not in cycles per frame."""
    at30 = _spectral(blob_clip(freq_hz, 8.0, frames=60, fps=30.0), 30.0)
    at25 = _spectral(blob_clip(freq_hz, 8.0, frames=50, fps=25.0), 25.0)
    for signal in ("energy", "flow"):
        bands = [f"{signal}_band_{lo}_{hi}" for lo, hi in zip(
            (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 9.0),
            (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 9.0, 15.0), strict=True)]
        assert max(bands, key=at25.get) == max(bands, key=at30.get), signal
    # Hz / 7.5 within the spectrum's resolution (25 / 256 Hz)
    assert at25["flow_dominant_freq"] == pytest.approx(freq_hz / 7.5, abs=0.03)
    assert at30["flow_dominant_freq"] == pytest.approx(freq_hz / 7.5, abs=0.03)
    # read as if it were 30 fps, the 25 fps clip's rhythm comes out 6/5 too fast
    assert _spectral(blob_clip(freq_hz, 8.0, frames=50, fps=25.0), None)[
        "flow_dominant_freq"] == pytest.approx(freq_hz * 1.2 / 7.5, abs=0.03)


def test_time_follows_the_stream() -> None:
    """2 s at 25 fps fill the 8 timesteps of 0.25 s; speeds are per 1/30 s; at 30 fps nothing
    changes (the Kinect demo's features are those of revision 2, bit for bit)."""
    assert [motion_timesteps(t, 25.0) for t in (2, 8, 9, 50)] == [1, 1, 2, 8]
    assert motion_timesteps(60, 30000 / 1001) == 8
    clip = blob_clip(1.2, 6.0, frames=60, fps=30.0)
    assert torch.equal(motion_features(clip), motion_features(clip, 30.0))
    at30 = _summary(clip)
    slow = motion_features(blob_clip(1.2, 6.0, frames=50, fps=25.0), 25.0)
    assert slow.shape == (1, 8, FEATURES)
    at25 = dict(zip(NAMES, slow[0].mean(0).tolist(), strict=True))
    # the blob moves 6/5 as far per 25 fps frame: per 1/30 s the speeds agree
    assert at25["speed_mean"] == pytest.approx(at30["speed_mean"], rel=0.1)
    assert at25["abs_flow_x"] == pytest.approx(at30["abs_flow_x"], rel=0.1)


def test_a_batch_in_several_passes_gives_the_same_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Samples go through a few at a time (memory); every figure is per sample, so the
    passes change no bit."""
    import ictal.backbones.motion as motion

    clips = torch.cat([blob_clip(f, 6.0, frames=30, size=48, seed=i)
                       for i, f in enumerate((0.5, 1.0, 2.0, 3.0, 4.0))])
    monkeypatch.setattr(motion, "PASS_PIXELS", 10**9)
    whole = motion.motion_features(clips, 25.0)
    monkeypatch.setattr(motion, "PASS_PIXELS", 2 * 30 * 48 * 48)  # passes of 2, 2 and 1
    assert torch.equal(motion.motion_features(clips, 25.0), whole)
    assert not torch.equal(whole[0], whole[1])


@pytest.mark.parametrize("threads", [1, 2])
def test_a_cache_over_overlapping_clips_gives_the_same_bits(threads: int) -> None:
    """One stream's windows every 15 / 30 frames (60-frame clips): the cache computes each
    frame pair once and gives :func:`motion_features` bit for bit; a changed frame (other
    preprocessing, a new crop) recomputes the pairs it is in, and only those."""
    from ictal.backbones.motion import MotionBackbone, MotionCache

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        stream = blob_clip(2.0, 6.0, frames=180, seed=4)
        stream[..., :10, :] = -1.0  # padding rows: the visible share is not 1
        for stride in (15, 30):
            cache = MotionCache()
            net = MotionBackbone(cache)
            starts = list(range(0, 180 - 60 + 1, stride))
            for start in starts:
                clip = stream[:, :, start:start + 60]
                assert torch.equal(net(clip, 25.0), motion_features(clip, 25.0)), start
            assert cache.pairs_computed == 59 + stride * (len(starts) - 1)
            assert cache.pairs_reused == (59 - stride) * (len(starts) - 1)
        # the last window again, but its frame 160 differs: its two pairs are computed again
        clip = stream[:, :, 120:180].clone()
        clip[:, :, 40] += 0.01
        done = cache.pairs_computed
        assert torch.equal(net(clip, 25.0), motion_features(clip, 25.0))
        assert cache.pairs_computed - done == 2
        # a batch of two clips: the second reuses the first's pairs
        two = torch.cat([stream[:, :, 0:60], stream[:, :, 15:75]])
        assert torch.equal(MotionCache()(two), motion_features(two))
    finally:
        torch.set_num_threads(before)
