"""The phantom held to its calibration table (issue 21): statistics measured from the
ground-truth skeleton lie in their published ranges; the measurement itself is checked on
signals of known rhythm; the table is written beside a rendered dataset."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.manifest.groundtruth import load_ground_truth
from ictal.phantom.calibration import (
    CALIBRATION,
    CHANGELOG,
    measure_phase,
    measure_recipe,
    rhythm,
    summarise,
)
from ictal.phantom.config import PhantomConfig
from ictal.phantom.generate import generate_dataset, script_dataset


def test_rhythm_finds_the_frequency_and_amplitude_of_a_sinusoid() -> None:
    fps = 30.0
    t = np.arange(int(12 * fps)) / fps
    for f, a in ((0.6, 0.05), (1.4, 0.1), (3.0, 0.02)):
        s = a * np.sin(2 * np.pi * f * t) + 0.3 + 0.01 * t  # offset and drift removed
        freq, p2p = rhythm(s, fps)
        assert freq == pytest.approx(f, abs=0.11)
        assert p2p == pytest.approx(2 * a, rel=0.2)
    assert math.isnan(rhythm(np.zeros(100), fps)[0])


def test_measure_phase_reads_the_joints_not_the_programme() -> None:
    # a skeleton at rest whose right wrist circles at 1.2 Hz, radius 5 cm
    fps = 30.0
    t = np.arange(300) / fps
    joints = np.zeros((300, 25, 3))
    from ictal.phantom.body import J

    joints[:, J["WristRight"], 0] = 0.05 * np.cos(2 * np.pi * 1.2 * t)
    joints[:, J["WristRight"], 1] = 0.05 * np.sin(2 * np.pi * 1.2 * t)
    stats = measure_phase(joints, np.zeros(300), fps)
    assert stats["wrist_freq_hz"] == pytest.approx(1.2, abs=0.11)
    assert stats["wrist_speed_mps"] == pytest.approx(2 * np.pi * 1.2 * 0.05, rel=0.02)
    assert stats["ankle_speed_mps"] == 0.0 and stats["head_speed_dps"] == 0.0


def test_demo_phantom_lies_in_its_published_ranges() -> None:
    # 80 patients of the demo recipe (no rendering: the skeleton is what the renderer draws)
    rows = measure_recipe(PhantomConfig.demo(n_patients=80))
    summary = summarise(rows)
    checked = {(s.cls, s.phase, s.statistic) for s in summary if s.inside is not None}
    assert ("TLE", "focal", "wrist_freq_hz") in checked
    assert ("TLE", "focal", "head_speed_dps") in checked
    bad = [s for s in summary if not s.ok]
    assert not bad, bad
    med = {(s.cls, s.statistic): s.median for s in summary if s.phase == "focal"}
    # seed 000: FLE "slightly faster" than TLE -- faster, but well below twice as fast (the
    # bound 1.7 is our reading of "slightly"; before issue 21 the ratio was 2.1-2.75)
    assert med["TLE", "wrist_freq_hz"] < med["FLE", "wrist_freq_hz"]
    assert med["FLE", "wrist_freq_hz"] / med["TLE", "wrist_freq_hz"] <= 1.7
    # Rémi et al. 2011: hyperkinetic seizures move the wrist further and faster
    assert med["FLE", "wrist_speed_mps"] > med["TLE", "wrist_speed_mps"]


def test_every_row_names_a_source_or_a_reason() -> None:
    for row in CALIBRATION:
        assert row.kind in ("published", "assumption")
        assert len(row.source) > 20
    assert all(len(c) == 3 and c[2] for c in CHANGELOG)


def test_a_recipe_outside_its_ranges_fails() -> None:
    # the pre-issue-21 FLE rates (1.6-3.0 Hz) and TLE rates pushed to 2-3 Hz are caught
    cfg = PhantomConfig.demo(n_patients=30, tle={"duration_s": (40.0, 60.0),
                                                "rate_hz": (2.2, 3.0), "amplitude": (0.6, 1.0)})
    summary = summarise(measure_recipe(cfg))
    bad = {(s.cls, s.statistic) for s in summary if not s.ok}
    assert ("TLE", "wrist_freq_hz") in bad


@pytest.mark.slow
def test_rendered_dataset_carries_its_calibration(tmp_path: Path) -> None:
    cfg = PhantomConfig.demo(n_patients=2, scale=0.0625, streams=("ir",), seed=5)
    out = tmp_path / "ds"
    generate_dataset(cfg, out, workers=1, progress=False)
    info = json.loads((out / "calibration.json").read_text())
    assert "wrist_freq_hz" in (out / "calibration.md").read_text()
    assert {s["cls"] for s in info["summary"]} >= {"FLE", "TLE"}
    # the skeleton measured is the ground-truth files' (camera coordinates: same speeds)
    scripts = script_dataset(cfg)
    for sc in scripts:
        gt = load_ground_truth(out / "groundtruth" / f"{sc.id}.npz")
        ictal = gt.phase == 1
        from ictal.phantom.body import J

        w = gt.joints_3d[ictal][:, J["WristLeft"]].astype(float)
        speed_file = np.mean(np.linalg.norm(np.diff(w, axis=0), axis=1)) * float(gt.fps)
        from ictal.phantom.body import forward_kinematics

        joints, _ = forward_kinematics(sc.patient.shape, sc.placement, sc.motion.dof)
        w2 = joints[sc.motion.phase == 1][:, J["WristLeft"]]
        speed_fk = np.mean(np.linalg.norm(np.diff(w2, axis=0), axis=1)) * float(gt.fps)
        assert speed_file == pytest.approx(speed_fk, rel=1e-3)


def test_describe_command_prints_the_table(tmp_path: Path) -> None:
    res = CliRunner().invoke(build_app(), ["phantom", "--describe", "--preset", "demo",
                                           "--out", str(tmp_path / "cal")])
    assert res.exit_code == 0, res.output
    assert "| TLE | focal | wrist_freq_hz (Hz)" in res.output
    assert (tmp_path / "cal" / "calibration.json").is_file()
    assert not (tmp_path / "cal" / "manifest.yaml").exists()  # nothing rendered
    res = CliRunner().invoke(build_app(), ["phantom", "--preset", "demo"])
    assert res.exit_code != 0
