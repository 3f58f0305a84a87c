"""The README's exit-code contract, command by command (every command `ictal --help` lists).

0 success; 1 a batch with failed items, after a summary naming them; 2 a usage or input
error, with a message saying what is wrong (and, for input errors, what to do), and nothing
already written changed. Success cases that cost more than a few seconds live in the command's
own test module (named next to its entry in ``COVERED``); the rest are here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
import yaml

from ictal.backbones.video_resnet import mc3_18
from ictal.cli.main import app_typer, build_app
from ictal.features.store import write_features
from ictal.features.table import FeatureTable
from ictal.io import write_video

#: Every command, and where each of its three cases (success, input error, failed batch item)
#: is tested: a test of this module, or another module for expensive successes. "-" where a
#: case does not apply (not a batch command; a command that runs until stopped).
COVERED: dict[str, tuple[str, str, str]] = {
    "demo": ("tests/test_demo.py (slow)", "test_demo", "-"),
    "manifest check": ("test_manifest_check", "test_manifest_check", "-"),
    "manifest init": ("tests/cli/test_manifest_init.py", "tests/cli/test_manifest_init.py",
                      "tests/cli/test_manifest_init.py"),
    "manifest crop": ("tests/cli/test_manifest_crop.py", "tests/cli/test_manifest_crop.py", "-"),
    "video info": ("test_video_info", "test_video_info", "test_video_info"),
    "phantom": ("tests/cli/test_phantom.py", "test_phantom", "test_phantom_batch (slow)"),
    "preprocess": ("test_preprocess", "test_preprocess", "test_preprocess"),
    "backbones": ("test_backbones", "test_backbones", "test_backbones (--verify)"),
    "landmarks install": ("tests/cli/test_landmarks.py", "tests/cli/test_landmarks.py", "-"),
    "landmarks list": ("tests/cli/test_landmarks.py", "-", "-"),
    "extract": ("test_extract", "test_extract", "test_extract"),
    "train": ("test_learning_chain (slow)", "test_train", "-"),
    "evaluate": ("test_learning_chain (slow)", "test_evaluate", "-"),
    "compare": ("test_learning_chain (slow)", "test_compare_and_report", "-"),
    "report": ("test_learning_chain (slow)", "test_compare_and_report", "-"),
    "predict": ("test_learning_chain (slow)", "test_predict",
                "test_learning_chain (slow)"),
    "serve": ("- (runs until stopped)", "test_serve", "-"),
    "server create-user": ("test_create_user", "test_create_user", "-"),
    "manifest events": ("tests/cli/test_manifest_init.py", "test_manifest_events", "-"),
    "agreement": ("tests/cli/test_agreement_cli.py", "tests/cli/test_agreement_cli.py", "-"),
    "keypoints": ("tests/keypoints/test_sources.py", "tests/keypoints/test_sources.py",
                  "tests/keypoints/test_extract_ray.py (slow)"),
    "semiology": ("tests/keypoints/test_semiology.py", "test_semiology", "-"),
    "explain": ("tests/explain/test_cli.py (slow)", "tests/explain/test_cli.py (slow)", "-"),
    "monitor run": ("tests/cli/test_monitor_cli.py", "tests/cli/test_monitor_cli.py",
                    "- (runs until stopped)"),
    "monitor nights": ("tests/phantom/test_nights.py", "test_monitor_nights", "-"),
    "monitor report": ("tests/monitor/test_detection.py", "tests/monitor/test_detection.py",
                       "-"),
    "monitor select-rule": ("tests/monitor/test_adapt.py", "test_monitor_select_rule", "-"),
}


def _commands(group: typer.Typer) -> set[str]:
    command = typer.main.get_command(group)
    names: set[str] = set()

    def walk(cmd, prefix: str) -> None:
        subs = getattr(cmd, "commands", None)
        if not subs:
            names.add(prefix)
            return
        for name, sub in subs.items():
            walk(sub, f"{prefix} {name}".strip())

    walk(command, "")
    return names


def test_every_command_of_the_help_is_covered(ictal) -> None:
    listed = ictal("--help")
    assert listed.code == 0
    commands = _commands(app_typer)
    assert commands == set(COVERED)
    for name in commands:
        assert name.split()[0] in listed.out, name
    assert _commands(build_app()) == commands


def _lines(text: str) -> str:
    """Whitespace made single spaces: messages may be wrapped at the terminal width."""
    return " ".join(text.split())


def _video(path: Path, n: int = 30, fps: int = 30) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_video(path, np.zeros((n, 8, 8), np.uint16), fps)


def _usage_error(result, *fragments: str) -> None:
    assert result.code == 2, result.text
    text = _lines(result.err)
    assert "Error:" in text or "error:" in text, text
    for fragment in fragments:
        assert fragment in text, (fragment, text)


# ---- demo -------------------------------------------------------------------------------------
def test_demo(tmp_path: Path, ictal) -> None:
    target = tmp_path / "ictal-demo"
    target.write_text("a file")
    _usage_error(ictal("demo", "--out", target), "is an existing file, not a folder")
    assert target.read_text() == "a file"
    _usage_error(ictal("demo", "--out", tmp_path / "d", "--folds", "1"), "--folds")
    assert not (tmp_path / "d").exists()


# ---- manifest check ---------------------------------------------------------------------------
def test_manifest_check(tiny_phantom: Path, tmp_path: Path, ictal) -> None:
    ok = ictal("manifest", "check", tiny_phantom)
    assert ok.code == 0 and "OK" in ok.out
    _video(tmp_path / "ir/R1.mkv", n=30)  # 8 x 8, 30 frames at 30 fps
    bad = tmp_path / "manifest.yaml"
    bad.write_text(yaml.safe_dump({
        "labels": ["FLE"], "patients": [{"id": "P1"}],
        "recordings": [{"id": "R1", "patient": "P1", "streams": [
            {"kind": "ir", "path": "ir/R1.mkv", "fps": 30, "n_frames": 5000}]}]}))
    out = ictal("manifest", "check", bad)
    assert out.code == 2
    assert "recordings[0] (id=R1): field 'streams.0.n_frames': declared 5000" in _lines(out.out)
    assert "hint:" in out.out
    binary = tmp_path / "binary.yaml"
    binary.write_bytes((tmp_path / "ir/R1.mkv").read_bytes())
    out = ictal("manifest", "check", binary)
    assert out.code == 2 and "not a text file" in _lines(out.out)


# ---- video info -------------------------------------------------------------------------------
def test_video_info(tmp_path: Path, ictal) -> None:
    good = _video(tmp_path / "good.mkv")
    ok = ictal("video", "info", good, "--json")
    assert ok.code == 0 and json.loads(ok.out)["n_frames"] == 30
    partly = ictal("video", "info", good, tmp_path / "missing.mkv")
    assert partly.code == 1
    assert "video info: 1 done, 0 skipped, 1 failed" in partly.out
    assert "FAILED" in partly.out and "missing.mkv: file not found" in _lines(partly.out)
    _usage_error(ictal("video", "info"), "Missing argument")


# ---- phantom ----------------------------------------------------------------------------------
def test_phantom(tmp_path: Path, ictal) -> None:
    target = tmp_path / "phantom"
    target.write_text("a file")
    _usage_error(ictal("phantom", "--out", target), "is an existing file, not a folder")
    _usage_error(ictal("phantom", "--out", tmp_path / "p", "--classes", "XLE",
                       "--no-progress"), "classes")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    _usage_error(ictal("phantom", "--out", tmp_path / "p", "--config", recipe,
                       "--no-progress"), "recipe.yaml: cannot read the recipe")
    assert not (tmp_path / "p" / "manifest.yaml").exists()


@pytest.mark.slow
def test_phantom_batch(tmp_path: Path, ictal) -> None:
    (tmp_path / "ir" / "P001-S1.mkv").mkdir(parents=True)  # a folder where a video goes
    out = ictal("phantom", "--out", tmp_path, "--preset", "tiny", "--patients", "2",
                "--seconds", "1", "--streams", "ir", "--workers", "1", "--no-progress")
    assert out.code == 1
    assert "phantom: 1 done, 0 skipped, 1 failed" in out.out and "FAILED P001-S1" in out.out
    assert (tmp_path / "ir" / "P002-S1.mkv").is_file()


# ---- preprocess -------------------------------------------------------------------------------
def test_preprocess(tiny_phantom: Path, tmp_path: Path, ictal, copy_dataset) -> None:
    # temporary files of a killed run, removed when the run is resumed
    stale = [tmp_path / "plans" / ".summary.ictal-tmp-a1.csv",
             tmp_path / "plans" / "P001-S1" / ".plan.ictal-tmp-b2.json"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    ok = ictal("preprocess", tiny_phantom, "--out", tmp_path / "plans", "--variant", "B",
               "--no-progress")
    assert ok.code == 0, ok.text
    assert "preprocess" in ok.out and (tmp_path / "plans" / "summary.csv").exists()
    assert not any(path.exists() for path in stale)
    manifest = copy_dataset(tiny_phantom, tmp_path / "data")
    ir = manifest.parent / "ir" / "P002-S1.mkv"
    ir.write_bytes(ir.read_bytes()[:5000])
    partly = ictal("preprocess", manifest, "--out", tmp_path / "plans2", "--variant", "B",
                   "--no-progress")
    assert partly.code == 1
    assert "1 failed" in partly.out and "FAILED P002-S1" in partly.out
    _usage_error(ictal("preprocess", tiny_phantom, "--out", tmp_path / "p3", "--variant", "Z"),
                 "unknown preprocessing variant 'Z'", "hint:")
    binary = tmp_path / "config.yaml"
    binary.write_bytes(b"\x1aE\xdf\xa3 not a YAML text")
    _usage_error(ictal("preprocess", tiny_phantom, "--out", tmp_path / "p3", "--config", binary),
                 "config.yaml: cannot read the preprocessing config")
    assert not (tmp_path / "p3").exists()
    target = tmp_path / "plans-file"
    target.write_text("a file")
    _usage_error(ictal("preprocess", tiny_phantom, "--out", target),
                 "is an existing file, not a folder")


# ---- backbones --------------------------------------------------------------------------------
def test_backbones(tmp_path: Path, ictal) -> None:
    ok = ictal("backbones", "--json", "--weights-dir", tmp_path)
    assert ok.code == 0
    assert {"i3d", "motion"} <= {b["name"] for b in json.loads(ok.out)["backbones"]}
    _usage_error(ictal("backbones", "--name", "nope"), "unknown backbone 'nope'", "hint:")
    _usage_error(ictal("backbones", "--weights", tmp_path / "x.pt"), "--weights needs --name")
    # --verify goes through the checkpoints found: a bad one is named, and the exit code is 1
    state = mc3_18().state_dict()
    state["stem.0.weight"][0, 0, 0, 0, 0] = float("nan")
    torch.save(state, tmp_path / "mc3.pth")
    verify = ictal("backbones", "--verify", "--name", "mc3_18", "--weights", tmp_path / "mc3.pth")
    assert verify.code == 1
    text = _lines(verify.out)
    assert "mc3.pth: the weights hold NaN or infinite values" in text
    assert "backbones --verify: 1 bad checkpoint(s): mc3_18" in text


# ---- extract ----------------------------------------------------------------------------------
def test_extract(tiny_phantom: Path, tmp_path: Path, ictal, copy_dataset, digests) -> None:
    ok = ictal("extract", tiny_phantom, "--out", tmp_path / "store", "--variant", "B",
               "--recording", "P002-S1")
    assert ok.code == 0 and "extract motion: 1 done" in ok.out
    manifest = copy_dataset(tiny_phantom, tmp_path / "data")
    ir = manifest.parent / "ir" / "P001-S1.mkv"
    ir.write_bytes(ir.read_bytes()[:5000])
    partly = ictal("extract", manifest, "--out", tmp_path / "store2", "--variant", "B")
    assert partly.code == 1
    assert "extract motion: 1 done, 0 skipped, 1 failed" in partly.out
    assert "FAILED P001-S1" in partly.out
    before = digests(tmp_path / "store")
    _usage_error(ictal("extract", tiny_phantom, "--out", tmp_path / "store", "--variant", "A"),
                 "holds features made with another setting", "--overwrite")
    _usage_error(ictal("extract", tiny_phantom, "--out", tmp_path / "store", "--windows", "x"),
                 "--windows must be 'events' or 'sliding'")
    _usage_error(ictal("extract", tiny_phantom, "--out", tmp_path / "store", "--windows",
                       "sliding", "--stride", "-5"), "--stride")
    _usage_error(ictal("extract", tiny_phantom, "--out", tmp_path / "store", "--device",
                       "cudax"), "'cudax' is not a torch device")
    assert digests(tmp_path / "store") == before
    escaping = tmp_path / "escaping.yaml"
    escaping.write_text(yaml.safe_dump({
        "patients": [{"id": "P1"}], "recordings": [{"id": "R1", "patient": "P1", "streams": [
            {"kind": "ir", "path": "../../etc/passwd", "fps": 30}]}]}))
    _usage_error(ictal("extract", escaping, "--out", tmp_path / "store3"),
                 "field 'streams.0.path'", "outside the dataset root", "--allow-outside-root")
    assert not (tmp_path / "store3").exists()


# ---- learning ---------------------------------------------------------------------------------
TINY = ["--model", "fast", "--set", "lstm_units=[8,8]", "--set", "fc_units=[8,8]",
        "--set", "train.epochs=2", "--set", "train.batch_size=64", "--no-mlflow"]


def _features(path: Path, patients: int = 4) -> Path:
    rng = np.random.default_rng(0)
    n, classes = patients * 2, ("FLE", "TLE")
    patient = np.repeat([f"P{p}" for p in range(patients)], 2)
    label = np.repeat([classes[p % 2] for p in range(patients)], 2)
    table = FeatureTable(
        features=rng.normal(size=(n, 3, 4)).astype(np.float32), mask=np.ones((n, 3), bool),
        patient=patient, recording=np.char.add(patient, "-S1"),
        event=np.char.add(patient, "-sz"), label=label, view=np.full(n, ""),
        start_frame=np.tile([0, 60], patients).astype(np.int64),
        stop_frame=np.tile([60, 120], patients).astype(np.int64), fps=np.full(n, 30.0),
        t_start=np.tile([0.0, 2.0], patients), t_stop=np.tile([2.0, 4.0], patients),
        attrs={"backbone": "motion"})
    return write_features(path, table)


def test_train(tmp_path: Path, ictal) -> None:
    features = _features(tmp_path / "f.h5")
    _usage_error(ictal("train", tmp_path / "none.h5", "--out", tmp_path / "t"),
                 "no such feature file or store", "hint:")
    _usage_error(ictal("train", features, "--out", tmp_path / "t", "--model", "nope"),
                 "unknown model preset 'nope'", "hint:")
    target = tmp_path / "t-file"
    target.write_text("a file")
    _usage_error(ictal("train", features, "--out", target), "is an existing file")
    assert target.read_text() == "a file" and not (tmp_path / "t").exists()


def test_evaluate(tmp_path: Path, ictal) -> None:
    features = _features(tmp_path / "f.h5")
    _usage_error(ictal("evaluate", tmp_path / "none.h5", "--out", tmp_path / "r"),
                 "no such feature file or store")
    _usage_error(ictal("evaluate", features, "--out", tmp_path / "r", "--protocol", "bogus",
                       *TINY), "unknown protocol 'bogus'", "hint:")
    _usage_error(ictal("evaluate", features, "--out", tmp_path / "r", "--selection", "x",
                       *TINY), "unknown selection mode 'x'")
    _usage_error(ictal("evaluate", features, "--out", tmp_path / "r", "--device", "gpu"),
                 "'gpu' is not a torch device")
    binary = tmp_path / "model.yaml"
    binary.write_bytes(b"\x1aE\xdf\xa3 not a YAML text")
    _usage_error(ictal("evaluate", features, "--out", tmp_path / "r", "--model", binary),
                 "model.yaml: cannot read the model config")
    # a refused run leaves nothing behind that would block the corrected one
    assert not (tmp_path / "r" / "config.json").exists()
    target = tmp_path / "run-file"
    target.write_text("a file")
    _usage_error(ictal("evaluate", features, "--out", target, *TINY),
                 "is an existing file, not a folder")
    assert target.read_text() == "a file"


def test_compare_and_report(tmp_path: Path, ictal) -> None:
    _usage_error(ictal("compare", tmp_path / "no-run"), "not a finished cross-validation run",
                 "hint:")
    _usage_error(ictal("report", tmp_path / "no-run", "--out", tmp_path / "r.html"),
                 "not a finished cross-validation run")
    _usage_error(ictal("report", tmp_path / "no-run", "--out", tmp_path),
                 "is a folder; give the path of a file")
    assert not (tmp_path / "r.html").exists()


def test_predict(tmp_path: Path, ictal) -> None:
    features = _features(tmp_path / "f.h5")
    _usage_error(ictal("predict", features, "--model", tmp_path / "no-bundle", "--out",
                       tmp_path / "p"), "not a readable ictal bundle", "hint:")
    target = tmp_path / "p-file"
    target.write_text("a file")
    _usage_error(ictal("predict", features, "--model", tmp_path / "b", "--out", target),
                 "is an existing file")


@pytest.mark.slow
def test_learning_chain(tmp_path: Path, ictal) -> None:
    features = _features(tmp_path / "f.h5", patients=6)
    run_a, run_b, bundle = tmp_path / "a", tmp_path / "b", tmp_path / "t" / "bundle"
    for run, extra in ((run_a, []), (run_b, ["--protocol", "leaky-kfold"])):
        out = ictal("evaluate", features, "--out", run, "--k", "2", *extra, *TINY)
        assert out.code == 0, out.text
    assert ictal("compare", run_a, run_b, "--json").code == 0
    assert ictal("report", run_a, run_b, "--out", tmp_path / "r.html").code == 0
    out = ictal("train", features, "--out", tmp_path / "t", "--final", "--selection", "none",
                *TINY)
    assert out.code == 0, out.text
    ok = ictal("predict", features, "--model", bundle, "--out", tmp_path / "p")
    assert ok.code == 0 and (tmp_path / "p" / "P0-S1.json").exists()
    partly = ictal("predict", features, "--model", bundle, "--out", tmp_path / "p",
                   "--recording", "P0-S1", "--recording", "missing")
    assert partly.code == 1
    assert "predict: 1 done, 0 skipped, 1 failed" in partly.out and "FAILED missing" in partly.out
    # the bundle reads infrared: the hint says what can be done from predict today
    video = _video(tmp_path / "clip.mkv")
    wrong = ictal("predict", video, "--model", bundle, "--kind", "rgb", "--out", tmp_path / "q")
    _usage_error(wrong, "--kind rgb, but the bundle", "reads ir video",
                 "If the video is ir footage, pass --kind ir",
                 "otherwise use a bundle trained on rgb features")
    assert "source:" in wrong.err and not (tmp_path / "q").exists()
    # its features need depth (no preprocessing recorded: the defaults, variant B)
    _usage_error(ictal("predict", video, "--model", bundle, "--out", tmp_path / "q"),
                 "need a depth stream registered with the infrared", "--variant 2d")
    _usage_error(ictal("predict", video, "--model", bundle, "--source", "rgb", "--out",
                       tmp_path / "q"), "--source rgb", "colour video has no depth")
    _usage_error(ictal("predict", features, "--model", bundle, "--source", "ir", "--out",
                       tmp_path / "q"), "apply to videos, not to a feature store")
    assert not (tmp_path / "q").exists()


# ---- serve and server create-user -------------------------------------------------------------
def test_serve(tmp_path: Path, ictal) -> None:
    target = tmp_path / "data"
    target.write_text("a file")
    _usage_error(ictal("serve", "--data-dir", target), "is an existing file, not a folder")
    _usage_error(ictal("serve", "--data-dir", tmp_path / "d", "--database-url", "nonsense://x"),
                 "unsupported database URL")
    _usage_error(ictal("serve", "--port", "many"), "--port")


def test_create_user(tmp_path: Path, ictal) -> None:
    data = tmp_path / "data"
    password = "correct horse battery"
    ok = ictal("server", "create-user", "ana", "--data-dir", data, "--password", password)
    assert ok.code == 0 and "created clinician 'ana'" in ok.out
    _usage_error(ictal("server", "create-user", "ana", "--data-dir", data, "--password",
                       password), "username 'ana' is taken")
    _usage_error(ictal("server", "create-user", "bo", "--data-dir", data, "--role", "king",
                       "--password", password), "invalid user")


def test_manifest_events(ictal, tmp_path: Path) -> None:
    _usage_error(ictal("manifest", "events", tmp_path / "none.yaml", "--out",
                       tmp_path / "log.csv"), "none.yaml")
    assert not (tmp_path / "log.csv").exists()


def test_semiology(ictal, tmp_path: Path) -> None:
    res = ictal("semiology", tmp_path / "no-store", "--out", tmp_path / "out")
    assert res.code == 2, res.text


def test_monitor_select_rule(ictal, tmp_path: Path) -> None:
    (tmp_path / "journal").mkdir()
    _usage_error(ictal("monitor", "select-rule", tmp_path / "no-nights", "--journal",
                       tmp_path / "journal", "--out", tmp_path / "sel"), "no-nights")
    assert not (tmp_path / "sel").exists()


def test_monitor_nights(ictal, tmp_path: Path) -> None:
    res = ictal("monitor", "nights", tmp_path / "n", "--nights", "0")
    assert res.code == 2 and "--nights" in res.text
    assert not (tmp_path / "n").exists()
