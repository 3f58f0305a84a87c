from __future__ import annotations

import pytest
from pydantic import ValidationError

from ictal.errors import ConfigError
from ictal.phantom import PhantomConfig, script_dataset
from ictal.phantom.config import SeizureProgramme


def test_demo_preset_is_large_enough_for_grouped_cv_but_modest() -> None:
    cfg = PhantomConfig.demo()
    assert (cfg.width, cfg.height, cfg.fps) == (512, 424, 30)
    plans = script_dataset(cfg)
    syndromes = {p.patient.id: p.patient.syndrome for p in plans}
    assert len(syndromes) >= 15
    assert sorted(syndromes.values()).count("FLE") == sorted(syndromes.values()).count("TLE")
    frames = sum(p.timeline.n_frames for p in plans)
    # the rest of the demo decodes every frame: keep the dataset small
    assert 4_000 < frames < 12_000
    assert len(plans) == len(syndromes)  # one seizure per patient: patients, not seizures
    # every class has typical patients, and both programmes appear
    assert {p.patient.style.repertoire for p in plans} == {"FLE", "TLE"}


def test_scale_changes_resolution_and_bad_ranges_are_refused() -> None:
    assert (PhantomConfig(scale=0.5).width, PhantomConfig(scale=0.5).height) == (256, 212)
    with pytest.raises(ValidationError, match="low <= high"):
        PhantomConfig(pre_s=(5.0, 1.0))
    with pytest.raises(ValidationError, match="slows down"):
        SeizureProgramme(duration_s=(1, 2), rate_hz=(1, 2), amplitude=(0.5, 1),
                         clonic_rate_hz=(1.0, 3.0))
    with pytest.raises(ValidationError):
        PhantomConfig(classes=("FLE", "FLE"))
    with pytest.raises(ConfigError, match="unknown seizure class"):
        PhantomConfig().programme("NE")
