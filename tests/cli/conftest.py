"""The ``ictal`` command run in this process (exit code, stdout, stderr) and a tiny phantom."""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ictal.cli import main
from ictal.phantom import PhantomConfig, generate_dataset


@dataclass(frozen=True)
class Result:
    """What a run of ``ictal`` gave: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout and stderr together, each line's surrounding blanks kept."""
        return self.out + self.err


Ictal = Callable[..., Result]


@pytest.fixture
def ictal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Ictal:
    """Run ``ictal ARGS...`` through the console script's entry point (:func:`main.app`, which
    maps errors to the README's exit codes), in this process."""

    def run(*args: object) -> Result:
        monkeypatch.setattr(sys, "argv", ["ictal", *(str(a) for a in args)])
        capsys.readouterr()
        with pytest.raises(SystemExit) as info:
            main.app()
        captured = capsys.readouterr()
        code = info.value.code
        return Result(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def tiny_phantom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``manifest.yaml`` of a 2-patient tiny phantom (64x53 IR + depth, a few seconds each);
    read only: copy it (``copy_dataset``) before changing it."""
    out = tmp_path_factory.mktemp("tiny-phantom")
    result = generate_dataset(PhantomConfig.tiny(n_patients=2, seed=3), out, workers=1,
                              progress=False)
    assert result.report.exit_code == 0
    return result.manifest_path


def _copy_dataset(manifest: Path, to: Path) -> Path:
    shutil.copytree(manifest.parent, to)
    return to / manifest.name


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def copy_dataset() -> Callable[[Path, Path], Path]:
    """``copy_dataset(manifest, to)``: a writable copy of a dataset folder; its manifest."""
    return _copy_dataset


@pytest.fixture
def digests() -> Callable[[Path], dict[str, str]]:
    """``digests(root)``: relative path -> sha256 of every file under ``root`` (hidden files
    included, so a leftover temporary file shows)."""
    return _digests
