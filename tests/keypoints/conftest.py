"""A small phantom (IR + depth at 128x106, with face ground truth) and the ``ictal`` command
run in this process, for the keypoint tests."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ictal.cli import main
from ictal.manifest import Manifest, load_manifest
from ictal.phantom import PhantomConfig, generate_dataset


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


Ictal = Callable[..., Result]


@pytest.fixture
def ictal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Ictal:
    """Run ``ictal ARGS...`` through the console script's entry point, in this process."""

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
def phantom(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """Two patients (one under a blanket), one seizure each, Kinect IR + depth 128x106 at
    30 fps, ~4-5 s; read only."""
    out = tmp_path_factory.mktemp("kp-phantom")
    result = generate_dataset(PhantomConfig.tiny(n_patients=2, seed=7, scale=0.25), out,
                              workers=1, progress=False)
    assert result.report.exit_code == 0
    return load_manifest(result.manifest_path)
