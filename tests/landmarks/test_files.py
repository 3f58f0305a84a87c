"""The model registry and its installer, on a small wheel built here (and the real files)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ictal.errors import CheckpointError, ConfigError
from ictal.landmarks import files
from ictal.landmarks.files import (
    MEDIAPIPE_0_10_21,
    ModelFile,
    WheelSource,
    install_command,
    install_models,
    iter_status,
    model_path,
    models_dir,
    sha256_file,
    source_dir,
)

MEMBERS = {"pkg/models/a.tflite": b"model a" * 100, "pkg/models/b.tflite": b"model b",
           "pkg-1.0.dist-info/LICENSE": b"licence text"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in {**members, "pkg/__init__.py": b""}.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def source(tmp_path: Path) -> tuple[WheelSource, Path]:
    """A source whose wheel is a small zip built here."""
    wheel = _wheel(tmp_path / "pkg-1.0-py3-none-any.whl", MEMBERS)
    specs = tuple(ModelFile(Path(m).stem.lower(), m, _sha(d), len(d), "test file",
                            8 if m.endswith(".tflite") else 0) for m, d in MEMBERS.items())
    src = WheelSource("pkg", "1.0", wheel.name, sha256_file(wheel), "any", "3.11",
                      "Apache-2.0", "https://example.invalid/pkg", specs)
    return src, wheel


def test_install_extracts_checks_and_is_idempotent(source: tuple[WheelSource, Path],
                                                   tmp_path: Path) -> None:
    src, wheel = source
    root = tmp_path / "models"
    report = install_models(root, wheel=wheel, source=src)
    folder = root / "pkg-1.0"
    assert [r.action for r in report] == ["installed"] * 3
    for member, data in MEMBERS.items():
        assert (folder / Path(member).name).read_bytes() == data
    assert not (folder / "__init__.py").exists()  # only the registered members
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["wheel_sha256"] == src.sha256 and provenance["licence"] == "Apache-2.0"
    stamp = (folder / "a.tflite").stat().st_mtime_ns
    # present with the right hashes: nothing fetched (no wheel needed), nothing rewritten
    again = install_models(root, source=src)
    assert [r.action for r in again] == ["present"] * 3
    assert (folder / "a.tflite").stat().st_mtime_ns == stamp
    # a damaged file is replaced, the others kept
    (folder / "b.tflite").write_bytes(b"model B")
    fixed = install_models(root, wheel=wheel, source=src)
    assert [r.action for r in fixed] == ["present", "installed", "present"]
    assert (folder / "b.tflite").read_bytes() == b"model b"
    assert [s for _f, _p, s in iter_status(root, src)] == ["ok"] * 3


def test_a_wheel_with_another_hash_is_refused(source: tuple[WheelSource, Path],
                                              tmp_path: Path) -> None:
    src, _wheel_path = source
    other = _wheel(tmp_path / "other.whl", {**MEMBERS, "pkg/extra": b"x"})
    with pytest.raises(CheckpointError, match="sha256") as info:
        install_models(tmp_path / "m", wheel=other, source=src)
    assert "fetch the wheel again" in (info.value.hint or "")
    assert not any((tmp_path / "m" / "pkg-1.0").glob("*.tflite"))


def test_a_member_with_another_hash_is_refused_and_not_written(
        source: tuple[WheelSource, Path], tmp_path: Path) -> None:
    src, wheel = source
    bad = replace(src, files=(replace(src.files[0], sha256="0" * 64), *src.files[1:]))
    with pytest.raises(CheckpointError, match=r"member pkg/models/a\.tflite"):
        install_models(tmp_path / "m", wheel=wheel, source=bad)
    assert list((tmp_path / "m" / "pkg-1.0").iterdir()) == []  # no temporary left either


def test_missing_wheel_file(source: tuple[WheelSource, Path], tmp_path: Path) -> None:
    src, _ = source
    with pytest.raises(CheckpointError, match="does not exist") as info:
        install_models(tmp_path / "m", wheel=tmp_path / "nope.whl", source=src)
    assert "pip download --no-deps --only-binary=:all: --platform any" in (info.value.hint or "")


def test_install_without_wheel_fetches_with_pip(source: tuple[WheelSource, Path],
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    src, wheel = source
    calls: list[list[str]] = []

    def fake_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        dest = Path(cmd[cmd.index("--dest") + 1])
        (dest / src.filename).write_bytes(wheel.read_bytes())
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(files.subprocess, "run", fake_run)
    report = install_models(tmp_path / "m", source=src)
    assert [r.action for r in report] == ["installed"] * 3
    (cmd,) = calls
    assert cmd[1:4] == ["-m", "pip", "download"] and cmd[-1] == "pkg==1.0"
    for flag in ("--no-deps", "--only-binary=:all:", "--platform", "--python-version"):
        assert flag in cmd
    # pip failing -> a clear error that points to --wheel
    monkeypatch.setattr(files.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 1, "", "ERROR: No matching distribution found for pkg==1.0"))
    with pytest.raises(CheckpointError, match="No matching distribution") as info:
        install_models(tmp_path / "m2", source=src)
    assert "--wheel" in (info.value.hint or "")


def test_model_path_names_the_file_and_the_install_command(
        source: tuple[WheelSource, Path], tmp_path: Path) -> None:
    src, wheel = source
    root = tmp_path / "models"
    with pytest.raises(CheckpointError, match=r"a\.tflite is missing") as info:
        model_path("a", root, source=src)
    assert f"ictal landmarks install --dir {root}" in (info.value.hint or "")
    install_models(root, wheel=wheel, source=src)
    assert model_path("a", root, source=src) == root / "pkg-1.0" / "a.tflite"
    (root / "pkg-1.0" / "a.tflite").write_bytes(b"model A" * 100)  # same size, other bytes
    with pytest.raises(CheckpointError, match="bad hash"):
        model_path("a", root, source=src)
    with pytest.raises(ConfigError, match="no model file named 'c'"):
        model_path("c", root, source=src)


def test_models_dir_follows_the_environment(tmp_path: Path) -> None:
    assert models_dir({"ICTAL_MODELS_DIR": str(tmp_path)}) == tmp_path
    assert models_dir({}) == Path("~/.cache/ictal/models").expanduser()
    assert source_dir(tmp_path) == tmp_path / "mediapipe-0.10.21"


def test_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ICTAL_MODELS_DIR", str(tmp_path))
    assert install_command() == "ictal landmarks install"
    assert install_command(tmp_path) == "ictal landmarks install"
    assert install_command(tmp_path / "x") == f"ictal landmarks install --dir {tmp_path / 'x'}"


def test_registry_of_the_mediapipe_wheel() -> None:
    src = MEDIAPIPE_0_10_21
    assert src.filename == "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
    assert src.licence == "Apache-2.0"
    assert [f.name for f in src.models] == ["pose_detection", "pose_landmark_full",
                                            "face_detection_short_range",
                                            "face_detection_full_range", "face_landmark"]
    assert [f.input_size for f in src.models] == [224, 256, 128, 192, 192]
    assert all(len(f.sha256) == 64 and f.size > 0 for f in src.files)
    assert src.get("licence").member == "mediapipe-0.10.21.dist-info/LICENSE"


def test_the_installed_files_are_the_published_ones(models: None) -> None:
    """What ``make setup`` installed: every file present with its registered SHA-256."""
    for spec, path, status in iter_status():
        assert status == "ok", path
        assert sha256_file(path) == spec.sha256
    assert "Apache License" in (source_dir() / "LICENSE").read_text()
