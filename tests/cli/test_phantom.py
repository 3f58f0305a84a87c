from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_phantom_command_refuses_a_bad_recipe(tmp_path: Path) -> None:
    out = _ictal("phantom", "--out", str(tmp_path), "--classes", "XLE", "--no-progress")
    assert out.returncode == 2 and "classes" in out.stderr
    assert not (tmp_path / "manifest.yaml").exists()
