"""Options shared by several commands, each validated once, before the command runs.

A bad value is a usage error: click prints what is wrong and the usage line, and the process
exits with code 2 (README, "Command line").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

ALLOW_OUTSIDE_ROOT_HELP = (
    "Accept manifest stream paths outside the manifest's folder (absolute paths, '..', "
    "symbolic links pointing out); refused by default.")


def _blocking_file(path: Path) -> Path | None:
    """The first of ``path`` and its ancestors that exists as something other than a folder."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def check_out_folder(value: Path | None) -> Path | None:
    """``--out`` naming a folder to create or fill: refuse an existing file on its way."""
    if value is None:
        return None
    blocking = _blocking_file(value)
    if blocking is not None:
        what = "is" if blocking == value else f"lies inside {blocking}, which is"
        raise typer.BadParameter(
            f"{value} {what} an existing file, not a folder; give a new or existing folder "
            "(or move the file away)")
    return value


def check_out_file(value: Path | None) -> Path | None:
    """``--out`` naming a file to write: refuse a folder there, or a file on the way to it."""
    if value is None:
        return None
    if value.is_dir():
        raise typer.BadParameter(f"{value} is a folder; give the path of a file to write, "
                                 f"e.g. {value / 'report.html'}")
    blocking = _blocking_file(value.parent)
    if blocking is not None:
        raise typer.BadParameter(f"{value} lies inside {blocking}, which is an existing file, "
                                 "not a folder")
    return value


def out_folder(default: Any, *names: str, help: str) -> Any:
    """A ``typer.Option`` for an output folder, checked by :func:`check_out_folder`."""
    return typer.Option(default, *names, help=help, callback=check_out_folder)


def out_file(default: Any, *names: str, help: str) -> Any:
    """A ``typer.Option`` for an output file, checked by :func:`check_out_file`."""
    return typer.Option(default, *names, help=help, callback=check_out_file)


_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def check_device(value: str) -> str:
    """``--device``: ``cpu``, ``cuda``, ``cuda:N`` or ``mps``, and one this machine has."""
    if not _DEVICE.match(value):
        raise typer.BadParameter(f"{value!r} is not a torch device; use cpu, cuda, cuda:N "
                                 "or mps")
    if value != "cpu":
        import torch  # only here: the CPU needs no check, and the command imports torch anyway

        kind = value.split(":")[0]
        available = (torch.cuda.is_available() if kind == "cuda"
                     else torch.backends.mps.is_available())
        if not available:
            raise typer.BadParameter(f"{value}: this machine (or this build of PyTorch) has no "
                                     f"{kind.upper()} device; use --device cpu")
        if kind == "cuda" and ":" in value and int(value.split(":")[1]) >= \
                torch.cuda.device_count():
            raise typer.BadParameter(f"{value}: this machine has {torch.cuda.device_count()} "
                                     "CUDA device(s), numbered from 0")
    return value


def device(default: str = "cpu") -> Any:
    """The ``--device`` option of commands that run torch, checked by :func:`check_device`."""
    return typer.Option(default, "--device", help="torch device: cpu, cuda, cuda:N or mps.",
                        callback=check_device)


def allow_outside_root() -> Any:
    """The ``--allow-outside-root`` flag of commands that load a manifest."""
    return typer.Option(False, "--allow-outside-root", help=ALLOW_OUTSIDE_ROOT_HELP)
