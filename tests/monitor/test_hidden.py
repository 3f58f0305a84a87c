"""A patient hidden by someone in front of the camera (active infrared): the window is not
assessed, with its reason, and counts in the bed's share of not-assessable time; measured on
phantom windows against the phantom's ground truth (staff boxes over the patient's box)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.monitor.conftest import FPS, pattern, scene

from ictal.io import write_video
from ictal.models.bundle import load_bundle
from ictal.models.compat import prediction_config
from ictal.models.predict import load_bundle_backbone
from ictal.monitor.alarms import AlarmConfig
from ictal.monitor.bed import HIDDEN_SHARE, HiddenTest, hidden_share
from ictal.monitor.journal import read_jsonl
from ictal.monitor.service import Monitor, MonitorSettings
from ictal.monitor.sources import FileSource


def _infrared(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The scene as a 16-bit active-infrared camera sees it (grey level x 40)."""
    return [f.astype(np.uint16) * 40 + 200 for f in frames]


def _carer(frames: list[np.ndarray], first: int, last: int) -> None:
    """A carer in front of the bed (columns 28-58): nearer than the bed, three times as
    bright as the mattress, with its own texture."""
    rng = np.random.default_rng(9)
    for i in range(first, last):
        frames[i][6:72, 28:58] = (11000 + rng.normal(0, 300, (66, 30))).astype(np.uint16)


def _run(bundle: Path, video: Path, out: Path) -> list[dict]:
    b = load_bundle(bundle)
    config, _ = prediction_config(b.meta)
    mon = Monitor(b, load_bundle_backbone(b), config, MonitorSettings(
        out=out, alarm=AlarmConfig("k-of-n", 0.5, 2, 3, background=("NE",))))
    bed = mon.add_bed("bed1", FileSource(video, speed=0))
    mon.start()
    assert mon.wait(120)
    mon.stop()
    mon.close()
    windows = list(read_jsonl(out / "bed1" / "windows.jsonl"))
    share = bed.metrics.not_assessable_share
    assert share == pytest.approx(
        sum(w["state"] != "scored" for w in windows) / len(windows)), share
    return windows


def test_a_carer_in_front_of_the_patient_is_not_assessed(bundle: Path, tmp_path: Path) -> None:
    # 4 s still, 8 s shaking, 8 s still; the carer stands in front from 14 s to 20 s
    frames = _infrared(scene(pattern([(4.0, False), (8.0, True), (8.0, False)]), seed=2))
    _carer(frames, 140, 200)
    video = write_video(tmp_path / "ir.mkv", frames, FPS)
    windows = _run(bundle, video, tmp_path / "out")
    states = [(w["n"], w["state"], (w["reason"] or "").split(":")[0]) for w in windows]
    assert [s for s in states if s[2] == "patient hidden"] == [
        (n, "not-assessable", "patient hidden") for n in (7, 8, 9)], states
    # the shaking patient alone (4-12 s) is scored, not taken for somebody in front
    assert all(w["state"] == "scored" for w in windows[2:6]), states
    assert "covered by something nearer the camera" in windows[8]["reason"]
    # an 8-bit grey camera's brightness says nothing of distance: no such test there
    grey = [(f // 64).astype(np.uint8) for f in frames]
    windows = _run(bundle, write_video(tmp_path / "grey.mkv", grey, FPS), tmp_path / "out8")
    assert not any((w["reason"] or "").startswith("patient hidden") for w in windows)


def test_a_stale_reference_is_taken_again_after_a_minute_hidden() -> None:
    """The reference follows the assessed windows; someone standing in front for longer than
    ``renew`` windows becomes the scene, and leaving brightens nothing."""
    rng = np.random.default_rng(0)
    bed = np.full((40, 60), 3000.0)
    bed[10:30, 10:50] = 6000.0  # the patient, the brightest of the scene

    def window(person: bool) -> np.ndarray:
        frames = bed + rng.normal(0, 60, (10, 40, 60))
        if person:
            frames[:, 5:35, 20:35] = 15000.0
        return frames.astype(np.uint16)

    test = HiddenTest(bed, renew=3)
    assert test.check(window(False)) is None
    reasons = [test.check(window(True)) for _ in range(4)]
    assert all(r is not None and r.startswith("patient hidden") for r in reasons[:3])
    assert test.renewed is False and reasons[3] is None  # renewed after the third
    assert test.check(window(False)) is None  # leaving: darker than the reference, not nearer


@pytest.mark.slow
def test_staff_in_front_of_phantom_patients(tmp_path: Path) -> None:
    """Seed 0 (the development phantom), staff visiting before and after every seizure: 2 s
    windows whose median frame has a staff box over >= 25 % of the patient's box are hidden;
    windows with no staff box over the patient at all -- seizures included -- never are."""
    from ictal.io import open_video
    from ictal.manifest.groundtruth import load_ground_truth
    from ictal.phantom import PhantomConfig, generate_dataset

    cfg = PhantomConfig.tiny(n_patients=4, seed=0, scale=0.25, fps=10, pre_s=(6.0, 8.0),
                             post_s=(8.0, 10.0), duration_scale=0.2, streams=("ir",),
                             staff={"p_visit_pre": 1.0, "p_visit_ictal": 0.0,
                                    "p_visit_post": 1.0})
    generate_dataset(cfg, tmp_path, workers=1, progress=False)
    hidden, clear, seizure = [], [], []
    for video in sorted((tmp_path / "ir").glob("*.mkv")):
        gt = load_ground_truth(tmp_path / "groundtruth" / f"{video.stem}.npz")
        with open_video(video) as reader:
            frames = np.stack([f for _, f in reader.iter_frames(0, None)])
        # as a bed does: the median of its first 3 s, then of the last window assessed
        test = HiddenTest(np.median(frames[:30:3], axis=0), renew=30)
        occ, labels = gt.staff_occlusion(), gt.frame_labels()
        for n in range(len(frames) // 20):
            s = slice(20 * n, 20 * n + 20)
            share = hidden_share(frames[s][:, ::2, ::2], test.reference, subsample=1)
            flagged = test.check(frames[s]) is not None
            assert flagged == (share >= HIDDEN_SHARE)
            if np.median(occ[s]) >= 0.25:
                hidden.append(share)
            elif occ[s].max() == 0:
                clear.append(share)
                if any(x != "NE" for x in labels[s]):
                    seizure.append(share)
    assert len(hidden) >= 5 and len(seizure) >= 20, (len(hidden), len(seizure))
    assert sum(x >= HIDDEN_SHARE for x in hidden) >= 0.8 * len(hidden), hidden
    assert max(clear) < HIDDEN_SHARE / 2, max(clear)
