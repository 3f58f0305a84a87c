"""The packaged model files, as data, and their installer.

The five TFLite files come out of one pinned, published wheel of MediaPipe (Apache-2.0), which
is never installed (it pins ``numpy<2`` and pulls jax): the installer downloads the wheel with
pip's ordinary client (or takes a copy the user already has), checks its SHA-256, extracts only
the five models and the licence, checks each file's SHA-256 and writes it atomically into the
models directory. Nothing is downloaded at run time: a model whose file is missing or differs
is refused with the command that installs it.

Models directory: ``$ICTAL_MODELS_DIR`` or ``~/.cache/ictal/models`` (like the backbones'
``$ICTAL_WEIGHTS_DIR``); each source gets its own folder in it, here ``mediapipe-0.10.21/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ictal.errors import CheckpointError, ConfigError
from ictal.fsutil import atomic_path, remove_temporaries

log = logging.getLogger(__name__)

MODELS_DIR_ENV = "ICTAL_MODELS_DIR"
DEFAULT_MODELS_DIR = Path("~/.cache/ictal/models")

#: The file, beside the models, that records where they came from.
PROVENANCE_FILE = "provenance.json"

Status = Literal["ok", "missing", "bad size", "bad hash"]


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file taken out of the source wheel.

    Attributes:
        name: short name used in code and on the command line (``pose_detection``).
        member: path of the file inside the wheel.
        sha256: SHA-256 of the file (hex).
        size: size in bytes.
        description: what the file is.
        input_size: side of the model's square input in pixels (``0`` for a non-model file).
        outputs: shapes of the model's output tensors, in the model's output order.
    """

    name: str
    member: str
    sha256: str
    size: int
    description: str
    input_size: int = 0
    outputs: tuple[tuple[int, ...], ...] = ()

    @property
    def filename(self) -> str:
        return self.member.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class WheelSource:
    """A published wheel the model files are taken from, and the files taken.

    Attributes:
        project, version: the PyPI project and its pinned version.
        filename: the wheel's file name (one platform build; the model files are the same in
            every build, but the hash pins this one).
        sha256: SHA-256 of that wheel.
        platform, python_version: what ``pip download`` asks for, so any machine fetches the
            same file.
        licence: SPDX identifier of the licence the files are distributed under.
        url: the project's home.
        files: the models, then the licence text (``input_size == 0``).
    """

    project: str
    version: str
    filename: str
    sha256: str
    platform: str
    python_version: str
    licence: str
    url: str
    files: tuple[ModelFile, ...]

    @property
    def folder(self) -> str:
        """Sub-folder of the models directory that holds this source's files."""
        return f"{self.project}-{self.version}"

    @property
    def requirement(self) -> str:
        return f"{self.project}=={self.version}"

    @property
    def models(self) -> tuple[ModelFile, ...]:
        return tuple(f for f in self.files if f.input_size > 0)

    def get(self, name: str) -> ModelFile:
        for f in self.files:
            if f.name == name:
                return f
        known = ", ".join(f.name for f in self.files)
        raise ConfigError(f"no model file named {name!r} in {self.folder}",
                          hint=f"one of: {known}")

    def pip_download_command(self, dest: Path) -> list[str]:
        """The pip command that fetches the wheel into ``dest``, from any platform."""
        return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                "--platform", self.platform, "--python-version", self.python_version,
                "--dest", str(dest), "--quiet", self.requirement]


#: MediaPipe 0.10.21, the last release whose wheel ships the legacy solution models.
MEDIAPIPE_0_10_21 = WheelSource(
    project="mediapipe", version="0.10.21",
    filename="mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
    sha256="05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
    platform="manylinux_2_28_x86_64", python_version="3.11",
    licence="Apache-2.0", url="https://github.com/google-ai-edge/mediapipe",
    files=(
        ModelFile(
            "pose_detection", "mediapipe/modules/pose_detection/pose_detection.tflite",
            "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c", 2959046,
            "BlazePose person detector: face box + 4 alignment keypoints (hips centre, "
            "full-body size/rotation point, shoulders centre, upper-body point), 2254 anchors",
            224, ((1, 2254, 12), (1, 2254, 1))),
        ModelFile(
            "pose_landmark_full", "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
            "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f", 6440512,
            "BlazePose GHUM full: 33 body landmarks + 6 auxiliary (x, y, z, visibility, "
            "presence), pose flag, segmentation, heatmap, world landmarks",
            256, ((1, 195), (1, 1), (1, 256, 256, 1), (1, 64, 64, 39), (1, 117))),
        ModelFile(
            "face_detection_short_range",
            "mediapipe/modules/face_detection/face_detection_short_range.tflite",
            "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8", 229714,
            "BlazeFace short range (faces within ~2 m): box + 6 keypoints, 896 anchors",
            128, ((1, 896, 16), (1, 896, 1))),
        ModelFile(
            "face_detection_full_range",
            "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
            "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1", 676746,
            "BlazeFace full range, sparse (faces within ~5 m): box + 6 keypoints, 2304 anchors",
            192, ((1, 2304, 16), (1, 2304, 1))),
        ModelFile(
            "face_landmark", "mediapipe/modules/face_landmark/face_landmark.tflite",
            "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814", 1242398,
            "Face mesh: 468 landmarks (x, y, z) and a face flag",
            192, ((1, 1, 1, 1404), (1, 1, 1, 1))),
        ModelFile(
            "licence", "mediapipe-0.10.21.dist-info/LICENSE",
            "8707eef0533987efc5b155d64761eeb6e20793f50b9bd1a68dad1cf4719d0ed8", 12331,
            "Apache License 2.0, the licence of the files above"),
    ),
)


def models_dir(env: dict[str, str] | None = None) -> Path:
    """The models directory: ``$ICTAL_MODELS_DIR`` or ``~/.cache/ictal/models``."""
    env = os.environ if env is None else env
    value = env.get(MODELS_DIR_ENV)
    return Path(value).expanduser() if value else DEFAULT_MODELS_DIR.expanduser()


def source_dir(root: Path | None = None, source: WheelSource = MEDIAPIPE_0_10_21) -> Path:
    """The folder holding ``source``'s files in the models directory ``root``."""
    return (root.expanduser() if root is not None else models_dir()) / source.folder


def install_command(root: Path | None = None) -> str:
    """The command that installs the models into ``root`` (default: the models directory)."""
    if root is None or root.expanduser() == models_dir():
        return "ictal landmarks install"
    return f"ictal landmarks install --dir {root}"


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_status(path: Path, spec: ModelFile) -> Status:
    """Whether ``path`` holds ``spec``'s file: ``ok``, ``missing``, ``bad size``, ``bad hash``."""
    if not path.is_file():
        return "missing"
    if path.stat().st_size != spec.size:
        return "bad size"
    return "ok" if sha256_file(path) == spec.sha256 else "bad hash"


def model_path(name: str, root: Path | None = None, *,
               source: WheelSource = MEDIAPIPE_0_10_21) -> Path:
    """The verified path of the model file ``name``.

    Raises:
        CheckpointError: the file is missing or is not the published file (size or SHA-256);
            the hint gives the command that installs it.
    """
    spec = source.get(name)
    path = source_dir(root, source) / spec.filename
    status = file_status(path, spec)
    if status != "ok":
        what = "is missing" if status == "missing" else (
            f"is not the file of {source.filename} ({status}; expected sha256 {spec.sha256})")
        raise CheckpointError(
            f"model file {path} {what}",
            hint=f"run `{install_command(root)}` (on an offline machine: "
                 f"`{install_command(root)} --wheel {source.filename}` with a copy of the wheel)")
    return path


@dataclass(frozen=True, slots=True)
class InstalledFile:
    """One row of :func:`install_models`' report."""

    spec: ModelFile
    path: Path
    action: Literal["present", "installed"]


def install_models(root: Path | None = None, *, wheel: Path | None = None,
                   source: WheelSource = MEDIAPIPE_0_10_21) -> list[InstalledFile]:
    """Install ``source``'s files into the models directory ``root``; idempotent.

    Files already present with the right hashes are kept and nothing is fetched. Otherwise the
    wheel is taken from ``wheel`` or fetched with ``pip download`` into a temporary folder,
    its SHA-256 checked, and the missing or wrong files extracted (each one's hash checked,
    written to a temporary file and renamed into place).

    Raises:
        CheckpointError: the wheel cannot be fetched or read, or it or a member has another
            hash than the published one (nothing is written for a wrong wheel).
    """
    folder = source_dir(root, source)
    remove_temporaries(folder)
    todo = [f for f in source.files if file_status(folder / f.filename, f) != "ok"]
    report = [InstalledFile(f, folder / f.filename, "present")
              for f in source.files if f not in todo]
    if todo:
        with _wheel_file(wheel, source) as path:
            _check_wheel(path, source)
            for spec in todo:
                _extract(path, spec, folder / spec.filename)
                log.info("installed %s", folder / spec.filename)
        report += [InstalledFile(f, folder / f.filename, "installed") for f in todo]
        _write_provenance(folder, source)
    elif not (folder / PROVENANCE_FILE).is_file():
        _write_provenance(folder, source)
    order = {f.name: i for i, f in enumerate(source.files)}
    return sorted(report, key=lambda r: order[r.spec.name])


@contextlib.contextmanager
def _wheel_file(wheel: Path | None, source: WheelSource) -> Iterator[Path]:
    """The wheel given by the user, or one fetched by pip into a temporary folder."""
    if wheel is not None:
        wheel = wheel.expanduser()
        if not wheel.is_file():
            raise CheckpointError(
                f"wheel {wheel} does not exist",
                hint=f"give the path of {source.filename} (fetch it elsewhere with `pip "
                     f"download --no-deps --only-binary=:all: --platform {source.platform} "
                     f"--python-version {source.python_version} {source.requirement}`)")
        yield wheel
        return
    with tempfile.TemporaryDirectory(prefix="ictal-wheel-") as tmp_name:
        tmp = Path(tmp_name)
        cmd = source.pip_download_command(tmp)
        log.info("fetching %s: %s", source.filename, " ".join(cmd))
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise CheckpointError(
                f"`pip download {source.requirement}` failed: " + " / ".join(tail),
                hint=f"on an offline machine, copy {source.filename} here and run "
                     "`ictal landmarks install --wheel FILE`")
        path = tmp / source.filename
        if not path.is_file():
            got = ", ".join(p.name for p in tmp.iterdir()) or "nothing"
            raise CheckpointError(f"pip download gave {got}, not {source.filename}",
                                  hint="run `ictal landmarks install --wheel FILE` with the "
                                       "wheel named above")
        yield path


def _check_wheel(path: Path, source: WheelSource) -> None:
    digest = sha256_file(path)
    if digest != source.sha256:
        raise CheckpointError(
            f"{path}: sha256 {digest} is not that of {source.filename} ({source.sha256})",
            hint="the file is damaged or another build; fetch the wheel again (`ictal "
                 "landmarks install` without --wheel does)")


def _extract(wheel: Path, spec: ModelFile, target: Path) -> None:
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(spec.member) as src, \
                atomic_path(target) as tmp:
            digest = hashlib.sha256()
            with tmp.open("wb") as out:
                for block in iter(lambda: src.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != spec.sha256:
                raise CheckpointError(
                    f"{wheel}: member {spec.member} has sha256 {digest.hexdigest()}, "
                    f"expected {spec.sha256}",
                    hint="the wheel does not hold the published file; fetch it again")
    except (zipfile.BadZipFile, KeyError) as err:
        raise CheckpointError(f"{wheel}: cannot read {spec.member} ({err})",
                              hint="the wheel is damaged; fetch it again") from err


def _write_provenance(folder: Path, source: WheelSource) -> None:
    record = {
        "wheel": source.filename, "wheel_sha256": source.sha256, "project": source.project,
        "version": source.version, "licence": source.licence, "url": source.url,
        "files": {f.filename: {"member": f.member, "sha256": f.sha256, "size": f.size}
                  for f in source.files},
    }
    with atomic_path(folder / PROVENANCE_FILE) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")


def iter_status(root: Path | None = None, source: WheelSource = MEDIAPIPE_0_10_21
                ) -> Iterator[tuple[ModelFile, Path, Status]]:
    """Each of ``source``'s files, where it is expected and its status (hashes every file)."""
    folder = source_dir(root, source)
    for spec in source.files:
        path = folder / spec.filename
        yield spec, path, file_status(path, spec)
