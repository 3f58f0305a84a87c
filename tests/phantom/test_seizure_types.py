"""Seed 002's dataset in the phantom: FOS / TCS seizures with its durations and generalisation
ratios, two cameras per bed in a montage, partial recipe sections, the CLI's options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.manifest import load_manifest
from ictal.phantom import PhantomConfig, generate_dataset, load_ground_truth
from ictal.phantom.config import ClinicConfig
from ictal.phantom.generate import plan_patient, recipe_hash, script_dataset, script_recording
from ictal.phantom.programmes import CLONIC, TONIC


def test_classes_are_one_set_and_kinect_recipes_keep_their_hash() -> None:
    assert PhantomConfig.demo(classes=("FOS", "TCS")).labels == ("FOS", "TCS", "NE")
    assert PhantomConfig.demo().labels == ("FLE", "TLE", "NE")
    with pytest.raises(ValueError, match="mix syndromes and seizure types"):
        PhantomConfig.demo(classes=("FLE", "TCS"))
    with pytest.raises(ValueError, match="come together"):
        PhantomConfig.demo(classes=("TCS",))
    # the unused block stays out of a recipe of syndromes: hashes as before it existed
    assert "seizure_types" not in PhantomConfig.demo().recipe_fields()
    assert recipe_hash(PhantomConfig.demo()) == (
        "78929f721ec4f1a0000f9940a768a34ad5d15990555fd04270fc1abed0a5d367")
    assert "seizure_types" in PhantomConfig.gestures().recipe_fields()


def test_durations_share_and_ratios_follow_seed_002() -> None:
    # 400 patients x 1 seizure, real durations (scale 1), timelines only (no rendering)
    cfg = PhantomConfig.gestures(n_patients=400, events_per_patient=(1, 1), duration_scale=1.0)
    tls = [s.timeline for s in script_dataset(cfg)]
    tcs = np.array([tl.tG is not None for tl in tls])
    dur = np.array([tl.t1 - tl.t0 for tl in tls])
    r = np.array([(tl.tG - tl.t0) / (tl.t1 - tl.t0) for tl in tls if tl.tG is not None])
    assert abs(tcs.mean() - 77 / 183) < 0.07
    assert 40 < np.median(dur[~tcs]) < 68 and 78 < np.median(dur[tcs]) < 110  # 53 / 93 s
    assert dur[~tcs].min() >= 16 and dur[~tcs].max() <= 701
    assert dur[tcs].min() >= 51 and dur[tcs].max() <= 1098
    assert abs(r.mean() - 0.56) < 0.04 and abs(r.std() - 0.18) < 0.04 and r.max() <= 0.935
    # overlapping: a quarter of the FOS last longer than the shortest quarter of the TCS
    assert (dur[~tcs] > np.quantile(dur[tcs], 0.25)).mean() > 0.2
    # both repertoires hold both types (a patient's type is not its syndrome)
    patients = [plan_patient(cfg, k).syndrome for k in range(len(tls))]
    for syndrome in ("FLE", "TLE"):
        mine = np.array([p == syndrome for p in patients])
        assert 0.2 < tcs[mine].mean() < 0.65
    # the share is an option; the draws are reproducible
    none = PhantomConfig.gestures(n_patients=50, seizure_types={"p_tcs": 0.0})
    assert all(s.timeline.tG is None for s in script_dataset(none))
    p = plan_patient(cfg, 3)
    assert script_recording(cfg, p, 0).timeline == script_recording(cfg, p, 0).timeline


def _small(**overrides: object) -> PhantomConfig:
    camera = ClinicConfig(sizes=((160, 90),), size_weights=(1.0,), frame_rates=("30",),
                          frame_rate_weights=(1.0,), p_montage=1.0, p_night=0.5)
    fields: dict[str, object] = dict(n_patients=2, events_per_patient=(1, 1), seed=2,
                                     duration_scale=0.04, pre_s=(0.5, 0.7), post_s=(0.5, 0.7),
                                     clinic_camera=camera, seizure_types={"p_tcs": 0.5})
    fields.update(overrides)
    return PhantomConfig.gestures(**fields)


@pytest.mark.slow
def test_two_cameras_of_one_movement_in_a_montage_with_truth_for_both(tmp_path: Path) -> None:
    cfg = _small()
    result = generate_dataset(cfg, tmp_path, workers=1, progress=False)
    assert result.report.exit_code == 0
    m = load_manifest(tmp_path / "manifest.yaml")
    assert m.labels == ["FOS", "TCS", "NE"]
    seizures = [e for e in m.events if e.label != "NE"]
    assert {e.label for e in seizures} == {"FOS", "TCS"}  # seed 2: a TCS by day, a FOS by night
    for e in seizures:
        assert (e.label == "TCS") == (e.tG is not None)
        assert e.seizure_types == ("focal to bilateral tonic-clonic" if e.tG else "focal")
    for rec in m.recordings:
        assert rec.montage is not None  # top-left, 800/1920 of the width, the aspect kept
        assert rec.montage.small_box == (0, 0, 66, 38)
        with av.open(str(tmp_path / rec.streams[0].path)) as c:
            assert c.streams.video[0].codec_context.name == "h264"
            frames = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
        assert frames.shape[1:3] == (90, 160)
        gt = load_ground_truth(tmp_path / rec.meta["groundtruth"])
        assert gt.view_names == ("large", "small")
        large, small = gt.for_view("large"), gt.for_view("small")
        # the same movement from two poses: same 3-D joints in the world, other projections
        assert not np.allclose(large.R, small.R)
        w_large = np.einsum("ij,tnj->tni", large.R.T, large.joints_3d - large.t)
        w_small = np.einsum("ij,tnj->tni", small.R.T, small.joints_3d - small.t)
        np.testing.assert_allclose(w_large, w_small, atol=1e-4)
        # per-frame truth of seed 002: NE outside the seizure, FOS before tG, TCS from it
        sz = next(e for e in seizures if e.recording == rec.id)
        names = np.array(gt.frame_labels())
        in_gen = np.isin(gt.phase, (TONIC, CLONIC))
        assert set(names[in_gen]) <= {"TCS"} and in_gen.any() == (sz.tG is not None)
        t = np.arange(gt.n_frames) / float(gt.fps)
        ictal = (t >= sz.t0 - 1e-9) & (t < sz.t1 - 1e-9)
        assert set(names[~ictal]) == {"NE"}
        assert set(names[ictal & ~in_gen]) == {"FOS"}


def test_partial_recipe_sections_merge_over_the_preset(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ictal.phantom

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"fle": {"p_generalise": 0.5},
                                      "seizure_types": {"ratio_mean": 0.6}}))
    seen: list[PhantomConfig] = []

    def record(cfg: PhantomConfig, out: Path, **_: object) -> object:
        seen.append(cfg)  # the recipe the command built; nothing is rendered
        raise SystemExit(0)

    monkeypatch.setattr(ictal.phantom, "generate_dataset", record)
    res = CliRunner().invoke(build_app(), ["phantom", "--out", str(tmp_path / "o"), "--preset",
                                   "gestures", "--config", str(recipe), "--tcs-share", "0.3"])
    assert res.exit_code == 0, res.output
    (cfg,) = seen
    demo = PhantomConfig.demo()
    assert cfg.fle.p_generalise == 0.5
    assert (cfg.fle.duration_s, cfg.fle.rate_hz) == (demo.fle.duration_s, demo.fle.rate_hz)
    assert cfg.seizure_types.ratio_mean == 0.6 and cfg.seizure_types.p_tcs == 0.3
    assert cfg.seizure_types.ratio_sd == 0.18 and cfg.clinic_camera.p_montage == 1.0
    assert cfg == PhantomConfig.gestures(
        fle=demo.fle.model_copy(update={"p_generalise": 0.5}),
        seizure_types={"ratio_mean": 0.6, "p_tcs": 0.3})


def test_bad_classes_are_a_usage_error(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "ictal", "phantom", "--out", str(tmp_path),
                          "--classes", "FOS,TLE"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert "mix syndromes and seizure types" in res.stdout + res.stderr
