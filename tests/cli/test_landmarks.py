"""``ictal landmarks install`` and ``ictal landmarks list``."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from ictal.landmarks.files import MEDIAPIPE_0_10_21, models_dir, source_dir

from .conftest import Ictal


def test_list_shows_the_installed_files(ictal: Ictal) -> None:
    """``make setup`` installed the models: every file listed as ok, with the source."""
    result = ictal("landmarks", "list")
    assert result.code == 0, result.text
    assert str(source_dir()) in result.out
    assert MEDIAPIPE_0_10_21.sha256 in result.out and "Apache-2.0" in result.out
    assert result.out.count(" ok ") == len(MEDIAPIPE_0_10_21.files), result.out
    listing = json.loads(ictal("landmarks", "list", "--json").out)
    assert listing["licence"] == "Apache-2.0" and listing["directory"] == str(source_dir())
    assert [f["status"] for f in listing["files"]] == ["ok"] * 6
    assert {f["sha256"] for f in listing["files"]} == {f.sha256 for f in MEDIAPIPE_0_10_21.files}


def test_list_of_an_empty_directory_says_how_to_install(ictal: Ictal, tmp_path: Path) -> None:
    result = ictal("landmarks", "list", "--dir", tmp_path)
    assert result.code == 0
    assert result.out.count("missing") == 6
    assert f"ictal landmarks install --dir {tmp_path}" in result.out


def test_install_is_idempotent(ictal: Ictal) -> None:
    result = ictal("landmarks", "install")
    assert result.code == 0, result.text
    assert f"0 installed, 6 already present -> {source_dir()}" in " ".join(result.out.split())
    assert models_dir() in source_dir().parents


def test_install_refuses_a_wrong_or_missing_wheel(ictal: Ictal, tmp_path: Path) -> None:
    result = ictal("landmarks", "install", "--dir", tmp_path, "--wheel", tmp_path / "none.whl")
    assert result.code == 2
    assert "does not exist" in result.err and "hint:" in result.err
    fake = tmp_path / MEDIAPIPE_0_10_21.filename
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("mediapipe/__init__.py", "")
    result = ictal("landmarks", "install", "--dir", tmp_path / "m", "--wheel", fake)
    assert result.code == 2
    assert f"is not that of {MEDIAPIPE_0_10_21.filename}" in " ".join(result.err.split())
    assert not list((tmp_path / "m").rglob("*.tflite"))
