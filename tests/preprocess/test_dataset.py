"""The batch driver behind ``ictal preprocess`` and the command itself."""

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.errors import ConfigError
from ictal.manifest import Recording, Stream, save_manifest
from ictal.preprocess.config import PreprocessConfig, variant_config
from ictal.preprocess.dataset import preprocess_dataset


def test_outputs_resume_and_failures(manifest, recording_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "pre"
    config = variant_config("B")
    result = preprocess_dataset(manifest, out, config)
    assert result.report.exit_code == 0 and result.report.succeeded == ["R1"]
    for name in ("plan.json", "qc.png", "qc.json"):
        assert (out / "R1" / name).is_file()
    plan = json.loads((out / "R1" / "plan.json").read_text())
    assert plan["config"]["depth_crop"]["n_sigma"] == 2.0 and plan["variant"] == "B"
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert rows[0]["recording"] == "R1" and rows[0]["length_axis"] == "x"
    # this synthetic scene has no floor: the bed volume falls back to Algorithm 1, noted
    assert rows[0]["depth_crop"] == "algorithm1" and "Algorithm 1 instead" in rows[0]["notes"]
    a = preprocess_dataset(manifest, tmp_path / "pre-a", variant_config("A"))
    assert a.rows[0]["depth_crop"] == ""  # variant A crops no depth
    assert result.rates["detection"] == (0, 0, None)  # no ground truth for this recording

    again = preprocess_dataset(manifest, out, config)
    assert again.report.skipped_items == [("R1", "outputs exist")]
    assert again.rows[0]["status"] == "resumed"

    other = preprocess_dataset(manifest, out, variant_config("B0.5"))
    assert other.report.exit_code == 1 and "another preprocessing config" in \
        other.report.failures[0][1]

    broken = tmp_path / "broken.mkv"
    broken.write_bytes(b"not a video")
    manifest.recordings.append(Recording(
        id="R2", patient="P1", streams=[Stream(kind="ir", path=str(broken), fps=30)]))
    mixed = preprocess_dataset(manifest, tmp_path / "pre2", config)
    assert mixed.report.succeeded == ["R1"] and [f[0] for f in mixed.report.failures] == ["R2"]
    assert mixed.report.exit_code == 1
    rows = list(csv.DictReader((tmp_path / "pre2" / "summary.csv").open()))
    assert [r["status"] for r in rows] == ["done", "failed"]


def test_cli(manifest, tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    save_manifest(manifest, path)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("detection:\n  margin: 0.2\n")
    runner = CliRunner()
    app = build_app()
    out = tmp_path / "out"
    # the tiny recording lies outside the folder the manifest is saved in
    args = ["preprocess", str(path), "--out", str(out), "--config", str(cfg), "--variant",
            "B0.5", "--no-progress", "--allow-outside-root"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "R1" in res.output and "1 done" in res.output
    # where a crop can be wrong, the way to give it by hand is named
    assert "ictal manifest crop" in " ".join(res.output.split())
    saved = json.loads((out / "config.json").read_text())
    assert saved["variant"] == "B0.5" and saved["detection"]["margin"] == 0.2
    assert saved["temporal"]["overlap"] == 0.5
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "1 skipped" in res.output


def test_summary_says_what_was_applied(manifest, tmp_path: Path) -> None:
    rec = manifest.recordings[0]
    only_ir = manifest.model_copy(update={"recordings": [rec.model_copy(update={
        "streams": [s for s in rec.streams if s.kind == "ir"]})]})
    config = variant_config("B", PreprocessConfig(detection={"enabled": False}))
    result = preprocess_dataset(only_ir, tmp_path / "pre", config)
    row = result.rows[0]
    # variant B asks for a depth crop this recording cannot have; no detector ran
    assert row["variant"] == "B (depth crop skipped)" and row["depth_crop"] == ""
    assert (row["detection"], row["detected"]) == ("off", "")
    assert "depth cropping skipped" in row["notes"]
    with_depth = preprocess_dataset(manifest, tmp_path / "pre-b", variant_config("B"))
    row = with_depth.rows[0]
    assert row["variant"] == "B" and row["depth_crop"] == "algorithm1"
    assert (row["detection"], row["detected"]) == ("depth-geometry", True)
    assert row["crop_contains"] == row["crop_tight"] == ""  # no ground truth
    header = (tmp_path / "pre-b" / "summary.csv").read_text().splitlines()[0].split(",")
    assert header[header.index("crop_box"):header.index("notes")] == [
        "crop_box", "detection", "detected", "crop_contains", "crop_tight", "detection_qc",
        "depth_qc"]
    assert set(with_depth.rates) == {"contains", "tight", "detection", "depth"}


def test_cli_applies_the_variant_the_config_names(manifest, tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    save_manifest(manifest, path)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("variant: B0.5\n")
    out = tmp_path / "out"
    base = ["preprocess", str(path), "--out", str(out), "--config", str(cfg), "--no-progress",
            "--allow-outside-root"]
    res = CliRunner().invoke(build_app(), base)
    assert res.exit_code == 0, res.output
    assert json.loads((out / "config.json").read_text())["temporal"]["overlap"] == 0.5
    res = CliRunner().invoke(build_app(), [*base, "--variant", "A"])
    # an input error (`ictal` exits 2 on it), raised before anything is written
    assert isinstance(res.exception, ConfigError)
    assert "variant 'B0.5', but --variant asks for 'A'" in str(res.exception)
    assert json.loads((out / "config.json").read_text())["variant"] == "B0.5"


def test_a_crop_given_by_hand_redoes_that_recording_alone(manifest, tmp_path: Path) -> None:
    out = tmp_path / "pre"
    config = variant_config("B")
    second = manifest.recordings[0].model_copy(update={"id": "R2"})
    two = manifest.model_copy(update={"recordings": [manifest.recordings[0], second]})
    first = preprocess_dataset(two, out, config)
    assert first.report.succeeded == ["R1", "R2"]
    assert [r["detection"] for r in first.rows] == ["depth-geometry"] * 2

    given = Recording.model_validate({**second.model_dump(), "crop": [4, 6, 60, 40]})
    changed = two.model_copy(update={"recordings": [two.recordings[0], given]})
    again = preprocess_dataset(changed, out, config)
    assert again.report.skipped_items == [("R1", "outputs exist")]
    assert again.report.succeeded == ["R2"]
    row = again.rows[1]
    assert (row["crop_box"], row["detection"]) == ("4 6 60 40", "manifest")
    assert "crop given in the manifest" in row["notes"]
    plan = json.loads((out / "R2" / "plan.json").read_text())
    assert plan["keyframes"][0]["crop_box"] == [4, 6, 60, 40]
    # unchanged since: resumed; cleared: planned by the detector again
    assert preprocess_dataset(changed, out, config).report.succeeded == []
    cleared = preprocess_dataset(two, out, config)
    assert cleared.report.succeeded == ["R2"] and cleared.rows[1]["detection"] == "depth-geometry"
