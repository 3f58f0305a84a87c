from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ictal.fsutil import is_temporary
from ictal.manifest import load_manifest


def _ictal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ictal", *args], capture_output=True,
                          text=True, timeout=300)


def test_phantom_command_writes_a_valid_dataset(tmp_path: Path) -> None:
    out = _ictal("phantom", "--out", str(tmp_path), "--preset", "tiny", "--patients", "1",
                 "--classes", "TLE", "--seconds", "1", "--streams", "depth", "--seed", "3",
                 "--workers", "1", "--no-progress")
    assert out.returncode == 0, out.stderr
    m = load_manifest(tmp_path / "manifest.yaml")
    assert [p.syndrome for p in m.patients] == ["TLE"]
    assert [s.kind for s in m.recordings[0].streams] == ["depth"]
    pre = next(e for e in m.events if e.id.endswith("-pre"))
    assert pre.t1 == 1.0


def test_phantom_command_renders_the_clinic_camera(tmp_path: Path) -> None:
    recipe = tmp_path / "clinic.yaml"
    recipe.write_text("clinic_camera: {sizes: [[160, 120]], size_weights: [1], p_night: 1}\n")
    out = _ictal("phantom", "--out", str(tmp_path / "d"), "--preset", "clinic", "--config",
                 str(recipe), "--patients", "1", "--seconds", "0.5", "--duration-scale", "0.05",
                 "--fps", "30", "--workers", "1", "--no-progress")
    assert out.returncode == 0, out.stderr
    m = load_manifest(tmp_path / "d" / "manifest.yaml")
    (stream,) = m.recordings[0].streams
    # --fps sets the clinic camera's rate; the recipe file its size and the night
    assert (stream.kind, stream.width, stream.height, stream.fps) == ("ir", 160, 120, 30)
    assert stream.path.startswith("video/") and m.meta["config"]["streams"] == ["clinic"]


def test_phantom_command_refuses_a_bad_recipe(tmp_path: Path) -> None:
    out = _ictal("phantom", "--out", str(tmp_path), "--classes", "XLE", "--no-progress")
    assert out.returncode == 2 and "classes" in out.stderr
    assert not (tmp_path / "manifest.yaml").exists()


@pytest.mark.slow
def test_a_killed_run_leaves_temporaries_that_the_resume_removes(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "ictal", "phantom", "--out", str(tmp_path), "--preset",
            "tiny", "--patients", "2", "--seconds", "1", "--seed", "3", "--workers", "1",
            "--no-progress"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _temporaries(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = _temporaries(tmp_path)
    assert left, "the run was killed while writing: its temporary files stay behind"
    out = _ictal(*args[3:])
    assert out.returncode == 0, out.stderr
    assert _temporaries(tmp_path) == []
    assert len(load_manifest(tmp_path / "manifest.yaml").recordings) == 2


def _temporaries(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob(".*") if p.is_file() and is_temporary(p))
