from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from ictal import __version__
from ictal.io import write_video


def _ictal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ictal", *args], capture_output=True,
                          text=True, timeout=120)


def test_version_and_help() -> None:
    out = _ictal("--version")
    assert out.returncode == 0 and __version__ in out.stdout
    out = _ictal("--help")
    assert out.returncode == 0 and "manifest" in out.stdout


def test_manifest_check_reports_problems_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({
        "labels": ["FLE"],
        "patients": [{"id": "P1"}],
        "recordings": [{"id": "R1", "patient": "P1",
                        "streams": [{"kind": "ir", "path": "x.mkv", "fps": 30}]}],
        "events": [{"id": "E1", "recording": "R1", "t0": 3, "t1": 1, "label": "FLE"}],
    }))
    out = _ictal("manifest", "check", str(path))
    assert out.returncode == 2  # an input error (README, "Command line")
    assert "x.mkv" in out.stdout and "events[0] (id=E1)" in out.stdout

    out = _ictal("manifest", "check", str(path), "--no-files")
    assert out.returncode == 2 and "x.mkv" not in out.stdout


def test_manifest_check_summary(tmp_path: Path) -> None:
    frames = np.zeros((270, 8, 8), np.uint16)  # 9 s at 30 fps: the events fit
    write_video(tmp_path / "x.mkv", frames, 30)  # the stream's header is probed
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({
        "labels": ["FLE", "NE"],
        "patients": [{"id": "P1"}],
        "recordings": [{"id": "R1", "patient": "P1",
                        "streams": [{"kind": "ir", "path": "x.mkv", "fps": 30}]}],
        "events": [{"id": "E1", "recording": "R1", "t0": 1, "t1": 3, "label": "FLE"},
                   {"id": "E2", "recording": "R1", "t0": 3, "t1": 9, "label": "NE"}],
    }))
    out = _ictal("manifest", "check", str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert '"FLE": 1' in out.stdout and '"event_seconds": 8.0' in out.stdout
