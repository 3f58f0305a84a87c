"""Incremental features on a bed: with a stride below the window, the motion backbone's
per-frame-pair work is kept from one window to the next and the probabilities are those of
every window computed whole, bit for bit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.monitor.conftest import FPS, pattern, scene

from ictal.errors import ConfigError
from ictal.models.bundle import load_bundle
from ictal.models.compat import prediction_config
from ictal.models.predict import load_bundle_backbone
from ictal.monitor.bed import Scorer, Windower, motion_cache
from ictal.monitor.sources import Frame


def _probs(bundle: Path, folder: Path, frames: list, stride: int, *, incremental: bool
           ) -> tuple[list, Scorer]:
    b = load_bundle(bundle)
    config, _ = prediction_config(b.meta)
    scorer = Scorer(b, load_bundle_backbone(b), config, FPS, folder, "bed", incremental=incremental)
    windower = Windower(scorer.window, stride)
    out = []
    for i, pixels in enumerate(frames):
        for win in windower.push(Frame(i, pixels, time.monotonic())):
            if not scorer.calibrated:
                scorer.offer(win.frames)
            scored = scorer.score(win)
            out.append((win.n, scored.state, scored.probs))
    return out, scorer


def test_overlapping_windows_reuse_pairs_and_give_the_same_bits(bundle: Path,
                                                                 tmp_path: Path) -> None:
    frames = scene(pattern([(6.0, False), (6.0, True), (6.0, False)]), seed=3)
    stride = 5  # 0.5 s: each 2 s window (20 frames) shares 15 frames with the one before
    whole, plain = _probs(bundle, tmp_path / "a", frames, stride, incremental=False)
    fast, scorer = _probs(bundle, tmp_path / "b", frames, stride, incremental=True)
    assert motion_cache(plain.features_extractor) is None
    assert [w[:2] for w in whole] == [w[:2] for w in fast] and len(whole) == 33
    scored = [w for w in whole if w[1] == "scored"]
    assert len(scored) >= 30 and fast == whole  # the same probabilities, bit for bit
    assert max(p[2][1] for p in scored) > 0.5 > min(p[2][1] for p in scored)  # not constant
    cache = motion_cache(scorer.features_extractor)
    # 19 pairs per window; after the first scored window each computes only its 5 new pairs
    n = len(scored)
    assert (cache.pairs_computed, cache.pairs_reused) == (19 + 5 * (n - 1), 14 * (n - 1))


def test_a_bundle_that_resamples_recordings_is_refused_at_another_rate(bundle: Path,
                                                                       tmp_path: Path) -> None:
    """A bundle trained on recordings resampled (``temporal.fps``, e.g. GESTURES' 15 fps)
    would see a bed's windows at the wrong rate: refused, naming both rates."""
    b = load_bundle(bundle)
    config, _ = prediction_config(b.meta)
    resampling = config.model_copy(
        update={"temporal": config.temporal.model_copy(update={"fps": 15.0})})
    with pytest.raises(ConfigError, match=r"10 fps, but the bundle's preprocessing resamples "
                                          r"recordings to 15.0 fps") as err:
        Scorer(b, load_bundle_backbone(b), resampling, FPS, tmp_path, "bed")
    assert "recorded at 15.0 fps" in str(err.value.hint)
    same = config.model_copy(
        update={"temporal": config.temporal.model_copy(update={"fps": 10.0})})
    assert Scorer(b, load_bundle_backbone(b), same, FPS, tmp_path, "bed").window == 20
